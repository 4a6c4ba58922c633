// calls/deadline_watchdog.h: one timer thread that runs checks at deadlines.
//
// The executor schedules one entry per call at the call's nearest deadline. At that time the entry's check
// runs (on the watchdog thread, with no watchdog lock held) and either expires the call or returns the next
// time to look: progress only ever moves an inactivity deadline later, so reporting progress never has to
// touch the watchdog. One thread serves every call, instead of a timer per call.
#ifndef EDGE_RUNTIME_CALLS_DEADLINE_WATCHDOG_H_
#define EDGE_RUNTIME_CALLS_DEADLINE_WATCHDOG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace edge::runtime::calls {

class DeadlineWatchdog {
 public:
  // Returns when to run again, or nullopt when the entry is finished.
  using Check = absl::AnyInvocable<std::optional<absl::Time>()>;

  DeadlineWatchdog();
  ~DeadlineWatchdog();  // stops and joins the thread; pending checks never run
  DeadlineWatchdog(const DeadlineWatchdog&) = delete;
  DeadlineWatchdog& operator=(const DeadlineWatchdog&) = delete;

  // Runs `check` at (or soon after) `when`. Returns an id for Cancel, never 0. An infinite `when` is kept
  // but never fires.
  uint64_t Schedule(absl::Time when, Check check);
  // Drops the entry. A check running right now finishes but is not rescheduled. Unknown ids are ignored.
  // Cancel never waits for a running check, so it is safe to call from inside one or with a lock that
  // checks take.
  void Cancel(uint64_t id);
  size_t size() const;

 private:
  void Run();

  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  std::map<std::pair<absl::Time, uint64_t>, Check> by_time_;
  absl::flat_hash_map<uint64_t, absl::Time> when_by_id_;
  uint64_t next_id_ = 1;
  // When the thread next looks at the map by itself: the deadline it sleeps until, InfiniteFuture when it
  // sleeps without one, InfinitePast while it is awake (it looks again before sleeping). Schedule wakes it
  // only for an earlier entry. Entries are usually cancelled long before they are due (a call finishes in
  // microseconds, its timeout is a minute away), so most Schedules come after the thread went to sleep
  // until a cancelled entry's time; waking it for each would cost a thread wake-up per call.
  absl::Time wakes_at_ = absl::InfinitePast();
  uint64_t running_id_ = 0;         // the entry whose check runs now, 0 when none
  bool running_cancelled_ = false;  // Cancel(running_id_) arrived while it ran
  bool stop_ = false;
  std::thread thread_;  // last: starts after the fields above exist
};

}  // namespace edge::runtime::calls

#endif  // EDGE_RUNTIME_CALLS_DEADLINE_WATCHDOG_H_
