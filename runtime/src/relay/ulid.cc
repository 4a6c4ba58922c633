// ULID encoding and a monotonic generator.
#include "relay/ulid.h"

#include <sys/random.h>

#include <algorithm>

namespace edge::runtime::relay {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void FillRandom(std::array<uint8_t, 10>* out) {
  size_t done = 0;
  while (done < out->size()) {
    const ssize_t n = getrandom(out->data() + done, out->size() - done, 0);
    if (n > 0) done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string EncodeUlid(uint64_t unix_ms, const std::array<uint8_t, 10>& random) {
  // 128 bits: the timestamp in the top 48, then the random 80, read 5 bits at a time from the top (26 chars =
  // 130 bits, so the first character carries only 3).
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 6; ++i) bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(unix_ms >> (8 * (5 - i)));
  std::copy(random.begin(), random.end(), bytes.begin() + 6);
  std::string out(26, '0');
  for (int c = 0; c < 26; ++c) {
    const int bit = c * 5 - 2;  // position of this character's first bit in the 128-bit number
    unsigned value = 0;
    for (int b = 0; b < 5; ++b) {
      const int pos = bit + b;
      value <<= 1;
      if (pos >= 0) value |= (bytes[static_cast<size_t>(pos / 8)] >> (7 - pos % 8)) & 1u;
    }
    out[static_cast<size_t>(c)] = kCrockford[value];
  }
  return out;
}

std::string UlidGenerator::Next(absl::Time now) {
  const uint64_t ms = static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(now)));
  absl::MutexLock lock(&mu_);
  if (ms > last_ms_) {
    last_ms_ = ms;
    FillRandom(&last_random_);
  } else {
    // Same millisecond (or the clock stepped back): keep the last time and count up, so ids stay ordered.
    for (size_t i = last_random_.size(); i-- > 0;) {
      if (++last_random_[i] != 0) break;
    }
  }
  return EncodeUlid(last_ms_, last_random_);
}

}  // namespace edge::runtime::relay
