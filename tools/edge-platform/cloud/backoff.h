// cloud/backoff.h: the restart backoff of a crashed cloud connector (docs/cloud-connectors.md section 1,
// "Supervision"): step n waits uniform[0, min(initial * 2^n, max)) (full jitter).
#ifndef EDGE_PLATFORM_CLOUD_BACKOFF_H_
#define EDGE_PLATFORM_CLOUD_BACKOFF_H_

#include <algorithm>
#include <cstdint>
#include <random>

namespace edge::platform::cloud {

// The cap of step `step` (0-based): initial doubled `step` times, at most `max_ms`.
inline int64_t RestartCapMs(int step, int64_t initial_ms, int64_t max_ms) {
  int64_t cap = std::max<int64_t>(initial_ms, 1);
  for (int i = 0; i < step && cap < max_ms; ++i) cap *= 2;
  return std::min(cap, std::max<int64_t>(max_ms, 1));
}

// A wait in [0, RestartCapMs(step)).
inline int64_t RestartDelayMs(int step, int64_t initial_ms, int64_t max_ms, std::mt19937_64& rng) {
  const int64_t cap = RestartCapMs(step, initial_ms, max_ms);
  return std::uniform_int_distribution<int64_t>(0, cap - 1)(rng);
}

}  // namespace edge::platform::cloud

#endif  // EDGE_PLATFORM_CLOUD_BACKOFF_H_
