// Backoff: full-jitter and slow reconnect delays.
#include "link/backoff.h"

#include <algorithm>
#include <memory>
#include <random>
#include <utility>

namespace edge::runtime::link {
namespace {

constexpr int64_t kRetryAfterFloorMs = 1000;
constexpr int64_t kRetryAfterJitterMs = 1000;

}  // namespace

Backoff::Backoff(BackoffOptions options, std::function<double()> uniform01)
    : options_(options), uniform01_(std::move(uniform01)) {
  if (!uniform01_) {
    // Seeded per process so connectors restarted together do not retry in lockstep.
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    uniform01_ = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
  }
}

int64_t Backoff::Ceiling(int64_t initial, int64_t max, int step) {
  int64_t value = std::max<int64_t>(initial, 1);
  // Doubling stops at the cap, so a long outage never overflows.
  for (int i = 0; i < step && value < max; ++i) value *= 2;
  return std::min(value, std::max<int64_t>(max, 1));
}

int64_t Backoff::Uniform(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  double u = std::clamp(uniform01_(), 0.0, 1.0);
  int64_t value = lo + static_cast<int64_t>(u * static_cast<double>(hi - lo));
  return std::min(value, hi - 1);
}

int64_t Backoff::NextNormalMs() {
  int64_t ceiling = Ceiling(options_.initial_ms, options_.max_ms, normal_step_);
  if (ceiling < options_.max_ms) ++normal_step_;
  return Uniform(0, ceiling);
}

int64_t Backoff::NextSlowMs() {
  int64_t s = Ceiling(options_.slow_initial_ms, options_.slow_max_ms, slow_step_);
  if (s < options_.slow_max_ms) ++slow_step_;
  return Uniform(s / 2, s);
}

int64_t Backoff::RetryAfterMs(int64_t hint_ms) {
  return std::max(hint_ms, kRetryAfterFloorMs) + Uniform(0, kRetryAfterJitterMs);
}

void Backoff::Reset() {
  normal_step_ = 0;
  slow_step_ = 0;
}

}  // namespace edge::runtime::link
