// FrameBatch: RFC 6455 client framing (FIN + text opcode, 7/16/64-bit lengths, 4-byte mask).
#include "link/frame_batch.h"

#include <sys/random.h>

#include <cstdint>
#include <cstring>

namespace edge::runtime::link {

size_t FrameBatch::FrameBytes(size_t payload_bytes) {
  const size_t length_bytes = payload_bytes < 126 ? 0 : payload_bytes <= 0xFFFF ? 2 : 8;
  return 2 + length_bytes + 4 + payload_bytes;
}

bool FrameBatch::NextMask(unsigned char mask[4]) {
  if (random_left_ < 4) {
    const ssize_t n = getrandom(random_, sizeof(random_), 0);
    if (n < static_cast<ssize_t>(sizeof(random_))) return false;
    random_left_ = sizeof(random_);
  }
  std::memcpy(mask, random_ + sizeof(random_) - random_left_, 4);
  random_left_ -= 4;
  return true;
}

bool FrameBatch::AppendText(std::string_view payload) {
  unsigned char mask[4];
  if (!NextMask(mask)) return false;
  const size_t at = buffer_.size();
  buffer_.resize(at + FrameBytes(payload.size()));
  auto* p = reinterpret_cast<unsigned char*>(buffer_.data()) + at;
  *p++ = 0x81;  // FIN, text
  const uint64_t n = payload.size();
  if (n < 126) {
    *p++ = static_cast<unsigned char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    *p++ = 0x80 | 126;
    *p++ = static_cast<unsigned char>(n >> 8);
    *p++ = static_cast<unsigned char>(n);
  } else {
    *p++ = 0x80 | 127;
    for (int shift = 56; shift >= 0; shift -= 8) *p++ = static_cast<unsigned char>(n >> shift);
  }
  std::memcpy(p, mask, 4);
  p += 4;
  // Masked 8 bytes at a time (the 4-byte key repeats, so a word's key is the key twice), then the tail.
  uint64_t key8;
  std::memcpy(&key8, mask, 4);
  std::memcpy(reinterpret_cast<unsigned char*>(&key8) + 4, mask, 4);
  size_t i = 0;
  for (; i + 8 <= payload.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, payload.data() + i, 8);
    word ^= key8;
    std::memcpy(p + i, &word, 8);
  }
  for (; i < payload.size(); ++i) p[i] = static_cast<unsigned char>(payload[i]) ^ mask[i & 3];
  return true;
}

}  // namespace edge::runtime::link
