// link/backoff.h: the reconnect delays of docs/protocol.md §6.2, as pure arithmetic over an injected RNG.
//
// Normal backoff is capped exponential with full jitter: step n waits uniform[0, min(initial*2^n, max)).
// Slow backoff (auth and version failures) never waits short: uniform[s/2, s) with s = min(slow*2^n, slow_max).
// The two ladders have separate steps; both reset once a session stayed registered for the stable period.
// A 4009 hint waits max(hint, 1 s) + uniform[0, 1 s). No clocks or timers here: the link owns those.
#ifndef EDGE_RUNTIME_LINK_BACKOFF_H_
#define EDGE_RUNTIME_LINK_BACKOFF_H_

#include <cstdint>
#include <functional>

namespace edge::runtime::link {

struct BackoffOptions {
  int64_t initial_ms = 5000;
  int64_t max_ms = 60000;
  int64_t slow_initial_ms = 60000;
  int64_t slow_max_ms = 600000;
};

class Backoff {
 public:
  // `uniform01` returns a value in [0, 1); the default draws from a process-seeded generator.
  explicit Backoff(BackoffOptions options, std::function<double()> uniform01 = nullptr);

  int64_t NextNormalMs();  // the wait for the current normal step, then advances it
  int64_t NextSlowMs();    // the same for the slow ladder
  // The wait for a "retry after" hint (4009): max(hint, 1 s) + uniform[0, 1 s). Does not advance a step.
  int64_t RetryAfterMs(int64_t hint_ms);
  // A session stayed registered for the stable period: both ladders start over.
  void Reset();

  int normal_step() const { return normal_step_; }
  int slow_step() const { return slow_step_; }

 private:
  static int64_t Ceiling(int64_t initial, int64_t max, int step);
  int64_t Uniform(int64_t lo, int64_t hi);  // [lo, hi); lo when the range is empty

  BackoffOptions options_;
  std::function<double()> uniform01_;
  int normal_step_ = 0;
  int slow_step_ = 0;
};

}  // namespace edge::runtime::link

#endif  // EDGE_RUNTIME_LINK_BACKOFF_H_
