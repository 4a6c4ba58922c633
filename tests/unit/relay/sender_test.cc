// The sender (runtime/src/relay/sender.h) against a fake link: order, the outstanding bound, what each outcome
// does to the queued file, and resending after a failure.
#include "relay/sender.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "edge/protocol/protocol.h"
#include "relay_test_util.h"

namespace edge::runtime::relay {
namespace {

using ::testing::ElementsAre;
using testing::FileNames;
using testing::TempDir;

constexpr absl::Duration kWait = absl::Seconds(10);

bool WaitUntil(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + kWait;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return done();
}

// Stands in for Link::SendWebhookRelay: records requests; the test answers them. While not serving, requests fail
// at once on the caller's thread, like the real link.
class FakeLink {
 public:
  RelaySendFn SendFn() {
    return [this](std::string params_json, WebhookRelayDone done) {
      if (!serving_.load()) {
        done(absl::UnavailableError("the link to the platform is not serving"), 0);
        absl::MutexLock lock(&mu_);
        ++refused_;
        return;
      }
      absl::MutexLock lock(&mu_);
      auto params = protocol::ParseWebhookRelayParams(params_json);
      EXPECT_TRUE(params.ok()) << params.status();
      sent_.push_back(params.ok() ? params->delivery_id : "?");
      pending_.push_back({sent_.back(), std::move(done)});
    };
  }
  void set_serving(bool on) { serving_.store(on); }
  std::vector<std::string> sent() {
    absl::MutexLock lock(&mu_);
    return sent_;
  }
  size_t pending() {
    absl::MutexLock lock(&mu_);
    return pending_.size();
  }
  int refused() {
    absl::MutexLock lock(&mu_);
    return refused_;
  }
  // Answers the oldest pending request: a result, or an error with `rpc_code`.
  void Answer(std::string status, int rpc_code = 0) {
    std::pair<std::string, WebhookRelayDone> p;
    {
      absl::MutexLock lock(&mu_);
      ASSERT_FALSE(pending_.empty());
      p = std::move(pending_.front());
      pending_.erase(pending_.begin());
    }
    if (rpc_code == 0) {
      p.second(protocol::WebhookRelayResult{p.first, std::move(status)}, 0);
    } else {
      p.second(absl::InvalidArgumentError(status), rpc_code);
    }
  }

 private:
  std::atomic<bool> serving_{true};
  absl::Mutex mu_;
  std::vector<std::string> sent_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, WebhookRelayDone>> pending_ ABSL_GUARDED_BY(mu_);
  int refused_ ABSL_GUARDED_BY(mu_) = 0;
};

std::unique_ptr<DiskQueue> OpenQueue(const TempDir& dir) {
  auto q = DiskQueue::Open(dir.path(), {}, nullptr);
  EXPECT_TRUE(q.ok()) << q.status();
  return *std::move(q);
}

void Enqueue(DiskQueue& q, const std::string& id) {
  protocol::WebhookRelayParams p;
  p.delivery_id = id;
  p.webhook_id = "wh_1";
  p.method = "POST";
  p.path = "/hooks/wh_1/{token}";
  ASSERT_TRUE(q.Enqueue(id, protocol::ToJson(p)).ok());
}

std::string Id(int i) { return "D" + std::to_string(100 + i); }

TEST(SenderTest, SendsInReceiptOrderWithAtMostEightOutstanding) {
  TempDir dir;
  auto q = OpenQueue(dir);
  for (int i = 0; i < 20; ++i) Enqueue(*q, Id(i));
  FakeLink link;
  Sender sender(q.get(), link.SendFn(), 8, nullptr);
  sender.Start();
  ASSERT_TRUE(WaitUntil([&] { return link.sent().size() == 8; }));
  EXPECT_EQ(sender.Stats().outstanding, 8);
  for (int i = 0; i < 3; ++i) link.Answer(i == 1 ? "duplicate" : "stored");
  ASSERT_TRUE(WaitUntil([&] { return link.sent().size() == 11; }));
  std::vector<std::string> expected;
  for (int i = 0; i < 11; ++i) expected.push_back(Id(i));
  EXPECT_EQ(link.sent(), expected);
  ASSERT_TRUE(WaitUntil([&] { return sender.Stats().delivered == 3; }));
  EXPECT_EQ(q->Stats().deliveries, 17);
  while (link.pending() > 0) link.Answer("stored");
  ASSERT_TRUE(WaitUntil([&] {
    while (link.pending() > 0) link.Answer("stored");
    return q->Stats().deliveries == 0;
  }));
  EXPECT_EQ(sender.Stats().delivered, 20u);
  EXPECT_TRUE(FileNames(q->queue_dir()).empty());
}

TEST(SenderTest, ResultDeletesInvalidParamsDeadLettersOtherErrorsKeepAndResend) {
  TempDir dir;
  auto q = OpenQueue(dir);
  for (int i = 0; i < 3; ++i) Enqueue(*q, Id(i));
  FakeLink link;
  Sender sender(q.get(), link.SendFn(), 8, nullptr);
  sender.Start();
  ASSERT_TRUE(WaitUntil([&] { return link.pending() == 3; }));
  link.Answer("stored");
  link.Answer("unknown webhook wh_1", protocol::kInvalidParams);
  link.Answer("internal error", protocol::kInternalError);
  ASSERT_TRUE(WaitUntil([&] { return sender.Stats().outstanding == 0; }));
  EXPECT_THAT(FileNames(q->queue_dir()), ElementsAre("00000000000000000003-" + Id(2) + ".json"));
  EXPECT_THAT(FileNames(q->dead_letter_dir()), ElementsAre("00000000000000000002-" + Id(1) + ".json"));
  const SenderStats stats = sender.Stats();
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(stats.dead_lettered, 1u);
  EXPECT_NE(stats.last_error.find("internal error"), std::string::npos) << stats.last_error;
  sender.Wake();  // e.g. the link serves again: the kept delivery goes out with the same id
  ASSERT_TRUE(WaitUntil([&] { return link.sent().size() == 4; }));
  EXPECT_EQ(link.sent().back(), Id(2));
  link.Answer("duplicate");
  ASSERT_TRUE(WaitUntil([&] { return q->Stats().deliveries == 0; }));
}

TEST(SenderTest, NothingIsLostWhileTheLinkIsDownAndAllGoOutInOrderOnceItServes) {
  TempDir dir;
  auto q = OpenQueue(dir);
  FakeLink link;
  link.set_serving(false);
  Sender sender(q.get(), link.SendFn(), 8, nullptr);
  sender.Start();
  for (int i = 0; i < 5; ++i) {
    Enqueue(*q, Id(i));
    sender.Wake();  // what the relay does after each 202
  }
  ASSERT_TRUE(WaitUntil([&] { return link.refused() > 0 && sender.Stats().outstanding == 0; }));
  EXPECT_TRUE(link.sent().empty());
  EXPECT_EQ(q->Stats().deliveries, 5);
  link.set_serving(true);
  sender.Wake();  // on_serving
  ASSERT_TRUE(WaitUntil([&] { return link.sent().size() == 5; }));
  EXPECT_EQ(link.sent(), (std::vector<std::string>{Id(0), Id(1), Id(2), Id(3), Id(4)}));
}

TEST(SenderTest, PostedTasksRunOnTheSenderThreadEvenRightBeforeStop) {
  TempDir dir;
  auto q = OpenQueue(dir);
  FakeLink link;
  Sender sender(q.get(), link.SendFn(), 8, nullptr);
  sender.Start();
  std::atomic<bool> ran{false};
  std::thread::id where;
  sender.Post([&] {
    where = std::this_thread::get_id();
    ran.store(true);
  });
  sender.Stop();
  EXPECT_TRUE(ran.load());
  EXPECT_NE(where, std::this_thread::get_id());
}

TEST(SenderTest, AnOutcomeAfterStopIsIgnoredAndTheFileStays) {
  TempDir dir;
  auto q = OpenQueue(dir);
  Enqueue(*q, Id(0));
  FakeLink link;
  {
    Sender sender(q.get(), link.SendFn(), 8, nullptr);
    sender.Start();
    ASSERT_TRUE(WaitUntil([&] { return link.pending() == 1; }));
  }
  link.Answer("stored");  // the sender is gone: nothing happens, nothing crashes
  EXPECT_EQ(q->Stats().deliveries, 1) << "sent again (and answered duplicate) after the next start";
}

}  // namespace
}  // namespace edge::runtime::relay
