// JsonWriter: string escaping and numbers.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "edge/protocol/json_writer.h"

namespace edge::protocol {

namespace {

constexpr uint64_t kEveryByte = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// The bytes of `word` that JSON needs escaped (control characters, '"', '\\'), as a mask whose lowest set bit
// is exactly the first such byte: false positives only occur above a true match.
constexpr uint64_t EscapeMask(uint64_t word) {
  const uint64_t quote = word ^ (kEveryByte * '"');
  const uint64_t backslash = word ^ (kEveryByte * '\\');
  return ((word - kEveryByte * 0x20) & ~word & kHighBits) | ((quote - kEveryByte) & ~quote & kHighBits) |
         ((backslash - kEveryByte) & ~backslash & kHighBits);
}

bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  // Runs without escapes are copied whole; the scan looks at 8 bytes at a time.
  const size_t n = text.size();
  size_t run = 0;
  size_t i = 0;
  for (;;) {
    if constexpr (std::endian::native == std::endian::little) {
      while (i + 8 <= n) {
        uint64_t word;
        std::memcpy(&word, text.data() + i, 8);
        if (const uint64_t hits = EscapeMask(word); hits != 0) {
          i += static_cast<size_t>(std::countr_zero(hits)) / 8;
          break;
        }
        i += 8;
      }
    }
    while (i < n && !NeedsEscape(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= n) break;
    out.append(text.data() + run, i - run);
    const unsigned char c = static_cast<unsigned char>(text[i]);
    run = ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(text.data() + run, n - run);
  out += '"';
}

JsonWriter& JsonWriter::Double(double v) {
  Sep();
  if (!std::isfinite(v)) {
    out_ += "null";  // JSON has no NaN/Infinity
    return *this;
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", v);
  out_.append(buf, static_cast<size_t>(n));
  return *this;
}

}  // namespace edge::protocol
