// Tests for runtime/src/calls/deadline_watchdog.cc: ordering, rescheduling, cancellation, shutdown.
#include "calls/deadline_watchdog.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace edge::runtime::calls {
namespace {

constexpr absl::Duration kSafetyTimeout = absl::Seconds(10);

// Records which entries fired, in order.
class FiredLog {
 public:
  void Add(std::string name) {
    absl::MutexLock lock(&mu_);
    fired_.push_back(std::move(name));
  }
  bool WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return fired_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kSafetyTimeout);
  }
  std::vector<std::string> fired() const {
    absl::MutexLock lock(&mu_);
    return fired_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> fired_;
};

TEST(DeadlineWatchdogTest, RunsChecksInDeadlineOrderNotScheduleOrder) {
  DeadlineWatchdog dog;
  FiredLog log;
  const absl::Time now = absl::Now();
  dog.Schedule(now + absl::Milliseconds(40), [&] { log.Add("late"); return std::nullopt; });
  dog.Schedule(now + absl::Milliseconds(10), [&] { log.Add("early"); return std::nullopt; });
  ASSERT_TRUE(log.WaitFor(2));
  EXPECT_EQ(log.fired(), (std::vector<std::string>{"early", "late"}));
  EXPECT_EQ(dog.size(), 0u);
}

TEST(DeadlineWatchdogTest, ACheckCanAskToRunAgainLater) {
  DeadlineWatchdog dog;
  FiredLog log;
  int runs = 0;
  dog.Schedule(absl::Now(), [&]() -> std::optional<absl::Time> {
    bool again = ++runs < 3;  // before Add: the test reads `runs` once it sees the third entry
    log.Add("run");
    if (again) return absl::Now() + absl::Milliseconds(5);
    return std::nullopt;
  });
  ASSERT_TRUE(log.WaitFor(3));
  EXPECT_EQ(runs, 3);
}

TEST(DeadlineWatchdogTest, CancelledEntryNeverRuns) {
  DeadlineWatchdog dog;
  FiredLog log;
  const absl::Time now = absl::Now();
  uint64_t id = dog.Schedule(now + absl::Milliseconds(20), [&] { log.Add("cancelled"); return std::nullopt; });
  dog.Schedule(now + absl::Milliseconds(40), [&] { log.Add("kept"); return std::nullopt; });
  dog.Cancel(id);
  dog.Cancel(12345);  // unknown ids are ignored
  ASSERT_TRUE(log.WaitFor(1));
  EXPECT_EQ(log.fired(), std::vector<std::string>{"kept"});
}

TEST(DeadlineWatchdogTest, CancelFromInsideTheRunningCheckStopsRescheduling) {
  DeadlineWatchdog dog;
  FiredLog log;
  absl::Notification id_known;
  uint64_t id = 0;
  id = dog.Schedule(absl::Now(), [&]() -> std::optional<absl::Time> {
    id_known.WaitForNotificationWithTimeout(kSafetyTimeout);
    log.Add("self-cancelling");
    dog.Cancel(id);
    return absl::Now();  // would run again at once, before "after", if the Cancel were ignored
  });
  id_known.Notify();
  dog.Schedule(absl::Now() + absl::Milliseconds(20), [&] { log.Add("after"); return std::nullopt; });
  ASSERT_TRUE(log.WaitFor(2));
  EXPECT_EQ(log.fired(), (std::vector<std::string>{"self-cancelling", "after"}));
  EXPECT_EQ(dog.size(), 0u);
}

// The thread is only woken for an entry earlier than the deadline it sleeps until. An entry that is earlier
// must still run on time, even when the thread sleeps without a deadline or until an hour from now.
TEST(DeadlineWatchdogTest, AnEarlierEntryWakesTheSleepingThread) {
  DeadlineWatchdog dog;
  FiredLog log;
  dog.Schedule(absl::Now() + absl::Hours(1), [&] { log.Add("hour"); return std::nullopt; });
  dog.Schedule(absl::InfiniteFuture(), [&] { log.Add("never"); return std::nullopt; });
  absl::SleepFor(absl::Milliseconds(20));  // the thread is now asleep until the hour-away entry
  dog.Schedule(absl::Now() + absl::Milliseconds(10), [&] { log.Add("soon"); return std::nullopt; });
  ASSERT_TRUE(log.WaitFor(1));
  EXPECT_EQ(log.fired(), std::vector<std::string>{"soon"});
}

// Cancelling the entry the thread sleeps until leaves that sleep as it is (no signal per Cancel); a later
// entry scheduled meanwhile (no signal either) must run at its own time: not when the stale sleep ends, and
// not never.
TEST(DeadlineWatchdogTest, EntryScheduledAfterTheCancelledEarliestOneRunsAtItsTime) {
  DeadlineWatchdog dog;
  FiredLog log;
  absl::Time fired_at;
  const absl::Time start = absl::Now();
  uint64_t first = dog.Schedule(start + absl::Milliseconds(30), [&] { log.Add("cancelled"); return std::nullopt; });
  absl::SleepFor(absl::Milliseconds(5));  // the thread is now asleep until `first`
  dog.Cancel(first);
  const absl::Time due = start + absl::Milliseconds(80);
  dog.Schedule(due, [&] {
    fired_at = absl::Now();
    log.Add("later");
    return std::nullopt;
  });
  ASSERT_TRUE(log.WaitFor(1));
  EXPECT_EQ(log.fired(), std::vector<std::string>{"later"});
  EXPECT_GE(fired_at, due);
}

TEST(DeadlineWatchdogTest, DestroyingWithPendingEntriesDoesNotRunThem) {
  bool ran = false;
  {
    DeadlineWatchdog dog;
    dog.Schedule(absl::Now() + absl::Hours(1), [&] { ran = true; return std::nullopt; });
    dog.Schedule(absl::InfiniteFuture(), [&] { ran = true; return std::nullopt; });
    EXPECT_EQ(dog.size(), 2u);
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace edge::runtime::calls
