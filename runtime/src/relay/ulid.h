// relay/ulid.h: ULIDs (https://github.com/ulid/spec) for delivery ids: 48 bits of Unix milliseconds and 80 random
// bits, as 26 Crockford base32 characters. Ids from one generator sort in creation order, also within a
// millisecond (the random part is incremented), so a queue listing by id matches receipt order.
#ifndef EDGE_RUNTIME_RELAY_ULID_H_
#define EDGE_RUNTIME_RELAY_ULID_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace edge::runtime::relay {

// The text form of one ULID (`random` is big-endian).
std::string EncodeUlid(uint64_t unix_ms, const std::array<uint8_t, 10>& random);

class UlidGenerator {
 public:
  // Thread-safe.
  std::string Next(absl::Time now);

 private:
  absl::Mutex mu_;
  uint64_t last_ms_ ABSL_GUARDED_BY(mu_) = 0;
  std::array<uint8_t, 10> last_random_ ABSL_GUARDED_BY(mu_) = {};
};

}  // namespace edge::runtime::relay

#endif  // EDGE_RUNTIME_RELAY_ULID_H_
