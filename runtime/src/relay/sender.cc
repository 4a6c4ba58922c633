// Sender: the disk queue -> webhook.relay requests, in order, bounded, with retry after failures.
#include "relay/sender.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/thread_name.h"
#include "edge/protocol/protocol.h"
#include "relay/relay_options.h"

namespace edge::runtime::relay {
namespace {

struct Outcome {
  QueuedDelivery delivery;
  absl::StatusOr<protocol::WebhookRelayResult> result;
  int rpc_code = 0;
};

}  // namespace

struct Sender::Shared {
  absl::Mutex mu;
  bool stop ABSL_GUARDED_BY(mu) = false;
  bool wake ABSL_GUARDED_BY(mu) = false;
  bool closed ABSL_GUARDED_BY(mu) = false;  // Stop() ran: late outcomes are dropped
  std::vector<Outcome> outcomes ABSL_GUARDED_BY(mu);
  std::vector<absl::AnyInvocable<void()>> tasks ABSL_GUARDED_BY(mu);
  absl::flat_hash_set<uint64_t> in_flight ABSL_GUARDED_BY(mu);
  SenderStats stats ABSL_GUARDED_BY(mu);
  // Loop thread only.
  std::optional<absl::Time> paused_until;
  absl::Duration retry_delay = kRetryInitial;
};

Sender::Sender(DiskQueue* queue, RelaySendFn send, int max_outstanding, Logger* logger)
    : queue_(queue),
      send_(std::move(send)),
      max_outstanding_(std::max(1, max_outstanding)),
      logger_(logger != nullptr ? *logger : Logger::Default()),
      shared_(std::make_shared<Shared>()) {}

Sender::~Sender() { Stop(); }

void Sender::Start() {
  if (thread_.joinable()) return;
  Wake();
  thread_ = std::thread([this] { Loop(); });
  NameThread(thread_, "ec-relay-send");
}

void Sender::Stop() {
  {
    absl::MutexLock lock(&shared_->mu);
    shared_->stop = true;
    shared_->closed = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Sender::Wake() {
  absl::MutexLock lock(&shared_->mu);
  shared_->wake = true;
}

void Sender::Post(absl::AnyInvocable<void()> task) {
  absl::MutexLock lock(&shared_->mu);
  if (shared_->closed) return;
  shared_->tasks.push_back(std::move(task));
}

SenderStats Sender::Stats() const {
  absl::MutexLock lock(&shared_->mu);
  SenderStats s = shared_->stats;
  s.outstanding = static_cast<int64_t>(shared_->in_flight.size());
  return s;
}

void Sender::Loop() {
  Shared& sh = *shared_;
  for (;;) {
    std::vector<Outcome> outcomes;
    std::vector<absl::AnyInvocable<void()>> tasks;
    bool stopping = false;
    {
      absl::MutexLock lock(&sh.mu);
      auto ready = [&sh]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sh.mu) {
        return sh.stop || sh.wake || !sh.outcomes.empty() || !sh.tasks.empty();
      };
      if (sh.paused_until.has_value()) {
        sh.mu.AwaitWithDeadline(absl::Condition(&ready), *sh.paused_until);
      } else {
        sh.mu.Await(absl::Condition(&ready));
      }
      if (sh.stop) {
        tasks.swap(sh.tasks);
        stopping = true;
      }
      if (sh.wake) {
        sh.wake = false;
        sh.paused_until.reset();
      }
      if (!stopping) {
        outcomes.swap(sh.outcomes);
        tasks.swap(sh.tasks);
      }
    }
    for (auto& task : tasks) task();  // chores queued before Stop still run (the webhook list gets saved)
    if (stopping) return;
    for (Outcome& o : outcomes) {
      const uint64_t seq = o.delivery.seq;
      const std::string& id = o.delivery.delivery_id;
      if (o.result.ok()) {
        {
          // Counted before the file goes, so whoever sees the queue shrink also sees the count.
          absl::MutexLock lock(&sh.mu);
          ++sh.stats.delivered;
        }
        if (absl::Status s = queue_->Remove(seq); !s.ok()) logger_.Warn(kComponent, s.message());
        logger_.Debug(kComponent, "delivery ", id, ": ", o.result->status);
        sh.retry_delay = kRetryInitial;
        absl::MutexLock lock(&sh.mu);
        sh.in_flight.erase(seq);
        continue;
      }
      std::string error = std::string(o.result.status().message());
      if (o.rpc_code == protocol::kInvalidParams) {
        absl::Status moved = queue_->DeadLetter(seq);
        logger_.Error(kComponent, "delivery ", id, " was refused for good (", error, "); moved to ",
                      queue_->dead_letter_dir().string(), moved.ok() ? "" : " failed: ", moved.message());
        absl::MutexLock lock(&sh.mu);
        sh.in_flight.erase(seq);
        ++sh.stats.dead_lettered;
        sh.stats.last_error = absl::StrCat("delivery ", id, " dead-lettered: ", error);
        continue;
      }
      // Still queued: sent again after the pause, or as soon as something wakes the sender.
      if (!sh.paused_until.has_value()) {
        const absl::Duration delay = sh.retry_delay;
        sh.paused_until = absl::Now() + delay;
        sh.retry_delay = std::min(delay * 2, kRetryMax);
        if (o.rpc_code != 0) {
          logger_.Warn(kComponent, "delivery ", id, " not accepted (", error, "); retrying in ",
                       absl::FormatDuration(delay));
        } else {
          logger_.Debug(kComponent, "delivery ", id, " not sent: ", error);
        }
      }
      absl::MutexLock lock(&sh.mu);
      sh.in_flight.erase(seq);
      sh.stats.last_error = error;
    }
    if (sh.paused_until.has_value()) {
      if (absl::Now() < *sh.paused_until) continue;
      sh.paused_until.reset();
    }
    SendMore();
  }
}

void Sender::SendMore() {
  Shared& sh = *shared_;
  absl::flat_hash_set<uint64_t> in_flight;
  {
    absl::MutexLock lock(&sh.mu);
    in_flight = sh.in_flight;
  }
  if (static_cast<int>(in_flight.size()) >= max_outstanding_) return;
  const size_t room = static_cast<size_t>(max_outstanding_) - in_flight.size();
  for (QueuedDelivery& d : queue_->Oldest(room, in_flight)) {
    absl::StatusOr<std::string> params = queue_->Read(d);
    if (!params.ok()) {
      // A file that cannot be read can never be sent: keep it for inspection instead of retrying forever.
      absl::Status moved = queue_->DeadLetter(d.seq);
      logger_.Error(kComponent, "delivery ", d.delivery_id, " cannot be read (", params.status().message(),
                    "); moved to ", queue_->dead_letter_dir().string(), moved.ok() ? "" : " failed: ",
                    moved.message());
      absl::MutexLock lock(&sh.mu);
      ++sh.stats.dead_lettered;
      continue;
    }
    {
      absl::MutexLock lock(&sh.mu);
      sh.in_flight.insert(d.seq);
    }
    // Not under the lock: `done` may run right here (link not running) and takes the lock itself.
    std::shared_ptr<Shared> shared = shared_;
    send_(*std::move(params), [shared, d](absl::StatusOr<protocol::WebhookRelayResult> result, int rpc_code) {
      absl::MutexLock lock(&shared->mu);
      if (shared->closed) return;
      shared->outcomes.push_back(Outcome{d, std::move(result), rpc_code});
    });
  }
}

}  // namespace edge::runtime::relay
