// The relay as the daemon owns it (runtime/src/relay/webhook_relay.h): modes and addresses, the webhook list
// from the link, deliveries through a fake link, restarts, and a port that cannot be bound.
#include "relay/webhook_relay.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "relay_test_util.h"

namespace edge::runtime::relay {
namespace {

using ::testing::HasSubstr;
using testing::kToken;
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

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

// POSTs `body` and returns the status (0 when nothing answered).
long Post(const std::string& url, const std::string& body) {
  CURL* h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Discard);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  long status = 0;
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  return status;
}

// The link as the relay sees it: records deliveries and answers "stored" while serving.
class FakeLink {
 public:
  RelaySendFn SendFn() {
    return [this](std::string params_json, WebhookRelayDone done) {
      if (!serving_.load()) {
        done(absl::UnavailableError("the link to the platform is not serving"), 0);
        return;
      }
      auto params = protocol::ParseWebhookRelayParams(params_json);
      ASSERT_TRUE(params.ok()) << params.status();
      {
        absl::MutexLock lock(&mu_);
        received_.push_back(*params);
      }
      done(protocol::WebhookRelayResult{params->delivery_id, "stored"}, 0);
    };
  }
  void set_serving(bool on) { serving_.store(on); }
  std::vector<protocol::WebhookRelayParams> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }

 private:
  std::atomic<bool> serving_{true};
  absl::Mutex mu_;
  std::vector<protocol::WebhookRelayParams> received_ ABSL_GUARDED_BY(mu_);
};

RelayOptions Options(const TempDir& dir, bool expose_lan, int port = 0) {
  RelayOptions o;
  o.relay_dir = dir.path() / "relay";
  o.expose_lan = expose_lan;
  o.port = port;
  return o;
}

std::string HookUrl(const WebhookRelay& relay, const std::string& id) {
  return absl::StrCat("http://127.0.0.1:", relay.Status().listen.substr(relay.Status().listen.rfind(':') + 1),
                      "/hooks/", id, "/", kToken);
}

TEST(WebhookRelayTest, LoopbackModeListensAndReportsLoopbackOnly) {
  TempDir dir;
  FakeLink link;
  RelayOptions o = Options(dir, /*expose_lan=*/false);
  o.public_url = "https://hooks.example.com";  // ignored in loopback mode
  WebhookRelay relay(o, link.SendFn());
  ASSERT_TRUE(relay.Start().ok());
  const RelayStatus s = relay.Status();
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.mode, "loopback");
  ASSERT_THAT(s.listen, HasSubstr("127.0.0.1:"));
  const std::string port = s.listen.substr(s.listen.rfind(':') + 1);
  EXPECT_EQ(s.url, "http://127.0.0.1:" + port);
  std::optional<protocol::RelayInfo> info = relay.Info();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->mode, "loopback");
  EXPECT_EQ(info->url, s.url);
  struct stat st;
  ASSERT_EQ(stat((dir.path() / "relay").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  relay.Stop();
  EXPECT_FALSE(relay.Info().has_value());
}

TEST(WebhookRelayTest, LanModeListensOnAllInterfacesAndReportsThePublicUrl) {
  TempDir dir;
  FakeLink link;
  RelayOptions o = Options(dir, /*expose_lan=*/true);
  o.public_url = "https://hooks.example.com/";
  WebhookRelay relay(o, link.SendFn());
  ASSERT_TRUE(relay.Start().ok());
  EXPECT_THAT(relay.Status().listen, HasSubstr("0.0.0.0:"));
  EXPECT_EQ(relay.Info()->mode, "lan");
  EXPECT_EQ(relay.Info()->url, "https://hooks.example.com");
  relay.OnWebhooksConfig(testing::TwoWebhooks());
  EXPECT_EQ(Post(HookUrl(relay, "wh_plain"), "{}"), 202) << "reachable on 127.0.0.1 too";
}

TEST(WebhookRelayTest, TheWebhookListIsUsedAtOnceAndCachedForTheNextStart) {
  TempDir dir;
  FakeLink link;
  {
    WebhookRelay relay(Options(dir, false), link.SendFn());
    ASSERT_TRUE(relay.Start().ok());
    EXPECT_EQ(Post(HookUrl(relay, "wh_plain"), "{}"), 503) << "relay_not_ready";
    relay.OnWebhooksConfig(testing::TwoWebhooks());
    EXPECT_EQ(Post(HookUrl(relay, "wh_plain"), "{}"), 202);
  }  // Stop: the list was saved on the relay's thread
  struct stat st;
  ASSERT_EQ(stat((dir.path() / "relay" / "webhooks.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  WebhookRelay restarted(Options(dir, false), link.SendFn());
  ASSERT_TRUE(restarted.Start().ok());
  EXPECT_EQ(Post(HookUrl(restarted, "wh_signed"), "{}"), 202) << "served from the cached list";
  ASSERT_TRUE(WaitUntil([&] {
    for (const auto& p : link.received()) {
      if (p.webhook_id == "wh_signed") return true;
    }
    return false;
  }));
}

TEST(WebhookRelayTest, DeliveriesQueuedWhileTheLinkIsDownGoOutAfterARestartWithTheirIds) {
  TempDir dir;
  FakeLink link;
  link.set_serving(false);
  std::string delivery_id;
  {
    WebhookRelay relay(Options(dir, false), link.SendFn());
    ASSERT_TRUE(relay.Start().ok());
    relay.OnWebhooksConfig(testing::TwoWebhooks());
    ASSERT_EQ(Post(HookUrl(relay, "wh_plain"), R"({"n":1})"), 202);
    ASSERT_EQ(Post(HookUrl(relay, "wh_plain"), R"({"n":2})"), 202);
    EXPECT_EQ(relay.Status().queue_deliveries, 2);
    EXPECT_GT(relay.Status().queue_bytes, 0);
    ASSERT_TRUE(WaitUntil([&] { return !relay.Status().last_error.empty(); }));
    EXPECT_THAT(relay.Status().last_error, HasSubstr("not serving"));
  }
  EXPECT_TRUE(link.received().empty());
  link.set_serving(true);
  WebhookRelay restarted(Options(dir, false), link.SendFn());
  ASSERT_TRUE(restarted.Start().ok());
  restarted.OnServing();
  ASSERT_TRUE(WaitUntil([&] {
    const RelayStatus s = restarted.Status();
    return s.queue_deliveries == 0 && s.delivered == 2;
  }));
  std::vector<protocol::WebhookRelayParams> received = link.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].body, R"({"n":1})");
  EXPECT_EQ(received[1].body, R"({"n":2})");
  EXPECT_LT(received[0].delivery_id, received[1].delivery_id);
}

TEST(WebhookRelayTest, APortInUseLeavesTheRelayWithoutAListenerButStillSendsTheQueue) {
  TempDir first_dir, second_dir;
  FakeLink link;
  WebhookRelay first(Options(first_dir, false), link.SendFn());
  ASSERT_TRUE(first.Start().ok());
  const std::string port = first.Status().listen.substr(first.Status().listen.rfind(':') + 1);
  {
    // A delivery left queued by an earlier run of the second relay.
    link.set_serving(false);
    WebhookRelay earlier(Options(second_dir, false), link.SendFn());
    ASSERT_TRUE(earlier.Start().ok());
    earlier.OnWebhooksConfig(testing::TwoWebhooks());
    ASSERT_EQ(Post(HookUrl(earlier, "wh_plain"), "{}"), 202);
  }
  link.set_serving(true);
  WebhookRelay second(Options(second_dir, false, std::stoi(port)), link.SendFn());
  absl::Status s = second.Start();
  ASSERT_FALSE(s.ok());
  const RelayStatus status = second.Status();
  EXPECT_TRUE(status.enabled);
  EXPECT_EQ(status.listen, "");
  EXPECT_EQ(status.url, "");
  EXPECT_THAT(status.last_error, HasSubstr("cannot listen on 127.0.0.1:" + port));
  EXPECT_FALSE(second.Info().has_value());
  second.OnServing();
  ASSERT_TRUE(WaitUntil([&] { return second.Status().queue_deliveries == 0; }));
  EXPECT_EQ(link.received().size(), 1u);
}

}  // namespace
}  // namespace edge::runtime::relay
