// DeadlineWatchdog: a time-ordered map of checks served by one thread.
#include "calls/deadline_watchdog.h"

#include "absl/time/clock.h"
#include "common/thread_name.h"

namespace edge::runtime::calls {

DeadlineWatchdog::DeadlineWatchdog() : thread_([this] { Run(); }) { NameThread(thread_, "ec-deadlines"); }

DeadlineWatchdog::~DeadlineWatchdog() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    wake_.Signal();
  }
  thread_.join();
  // Checks still pending are destroyed here, on the owner's thread, never run.
}

uint64_t DeadlineWatchdog::Schedule(absl::Time when, Check check) {
  absl::MutexLock lock(&mu_);
  uint64_t id = next_id_++;
  by_time_.emplace(std::make_pair(when, id), std::move(check));
  when_by_id_[id] = when;
  if (when < wakes_at_) {
    wakes_at_ = absl::InfinitePast();  // it will look at the whole map once awake: one signal is enough
    wake_.Signal();
  }
  return id;
}

void DeadlineWatchdog::Cancel(uint64_t id) {
  Check dropped;  // destroyed after the lock is released: it may own arbitrary captures
  absl::MutexLock lock(&mu_);
  if (id != 0 && id == running_id_) {
    running_cancelled_ = true;
    return;
  }
  auto it = when_by_id_.find(id);
  if (it == when_by_id_.end()) return;
  auto entry = by_time_.find(std::make_pair(it->second, id));
  if (entry != by_time_.end()) {
    dropped = std::move(entry->second);
    by_time_.erase(entry);
  }
  when_by_id_.erase(it);
}

size_t DeadlineWatchdog::size() const {
  absl::MutexLock lock(&mu_);
  return by_time_.size();
}

void DeadlineWatchdog::Run() {
  mu_.Lock();
  while (!stop_) {
    if (by_time_.empty() || by_time_.begin()->first.first == absl::InfiniteFuture()) {
      wakes_at_ = absl::InfiniteFuture();
      wake_.Wait(&mu_);
      wakes_at_ = absl::InfinitePast();
      continue;
    }
    auto first = by_time_.begin();
    if (first->first.first > absl::Now()) {
      // Cancelling this entry leaves the wait as it is: the thread wakes at its time, finds it gone and
      // sleeps again until the next one. That is one spurious wake-up per cancelled earliest entry at worst,
      // instead of a signal per Cancel.
      wakes_at_ = first->first.first;
      wake_.WaitWithDeadline(&mu_, first->first.first);
      wakes_at_ = absl::InfinitePast();
      continue;
    }
    uint64_t id = first->first.second;
    Check check = std::move(first->second);
    by_time_.erase(first);
    when_by_id_.erase(id);
    running_id_ = id;
    running_cancelled_ = false;
    mu_.Unlock();
    std::optional<absl::Time> next = check();
    mu_.Lock();
    running_id_ = 0;
    if (next.has_value() && !running_cancelled_ && !stop_) {
      by_time_.emplace(std::make_pair(*next, id), std::move(check));
      when_by_id_[id] = *next;
    } else if (check) {
      // Destroy the check without holding the lock, like Cancel does.
      mu_.Unlock();
      check = nullptr;
      mu_.Lock();
    }
  }
  mu_.Unlock();
}

}  // namespace edge::runtime::calls
