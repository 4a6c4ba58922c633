// MemberSpan: the source text of one member of a JSON object that simdjson has already validated.
//
// simdjson's DOM keeps no source positions, and minifying a sub-object back to text cost more than parsing
// the whole message (docs/performance.md §7). The text is valid JSON by the time this runs, so a plain scan
// that only tracks strings and nesting finds a member's bytes exactly.
#include <bit>
#include <cstdint>
#include <cstring>

#include "internal.h"

namespace edge::protocol::internal {
namespace {

constexpr uint64_t kEveryByte = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// Whether any of the 8 bytes of `word` equals `byte` (exact as a yes/no answer).
constexpr uint64_t HasByte(uint64_t word, unsigned char byte) {
  const uint64_t x = word ^ (kEveryByte * byte);
  return (x - kEveryByte) & ~x & kHighBits;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void SkipSpace(std::string_view s, size_t& i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
}

// `i` is at an opening quote; leaves it just past the closing one. Sets `escaped` when the string has a
// backslash.
void SkipString(std::string_view s, size_t& i, bool* escaped) {
  ++i;
  // 8 bytes at a time, stopping exactly at the first quote or backslash: HasByte's lowest set bit marks the
  // first matching byte (false positives only occur above a true match), and in a little-endian load the
  // lowest bits are the first byte. Most strings (keys, ids) end inside their first word.
  if constexpr (std::endian::native == std::endian::little) {
    while (i + 8 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      const uint64_t hits = HasByte(word, '"') | HasByte(word, '\\');
      if (hits == 0) {
        i += 8;
        continue;
      }
      i += static_cast<size_t>(std::countr_zero(hits)) / 8;
      if (s[i] == '"') {
        ++i;
        return;
      }
      if (escaped != nullptr) *escaped = true;
      i += 2;  // the backslash and the character it escapes
    }
  }
  for (; i < s.size(); ++i) {
    if (s[i] == '\\') {
      if (escaped != nullptr) *escaped = true;
      ++i;
    } else if (s[i] == '"') {
      ++i;
      return;
    }
  }
}

void SkipValue(std::string_view s, size_t& i) {
  if (i >= s.size()) return;
  if (s[i] == '"') return SkipString(s, i, nullptr);
  if (s[i] != '{' && s[i] != '[') {  // number, true, false, null
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !IsSpace(s[i])) ++i;
    return;
  }
  int depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      SkipString(s, i, nullptr);
      continue;
    }
    ++i;
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) return;
  }
}

// The end of the value of an object's last member: just before the object's closing brace.
size_t LastValueEnd(std::string_view object_json) {
  size_t end = object_json.size();
  while (end > 0 && IsSpace(object_json[end - 1])) --end;  // after the object
  if (end == 0 || object_json[end - 1] != '}') return std::string_view::npos;
  --end;
  while (end > 0 && IsSpace(object_json[end - 1])) --end;
  return end;
}

}  // namespace

bool MemberSpan(std::string_view object_json, std::string_view key, std::string_view* out, MemberPlace place) {
  size_t i = 0;
  SkipSpace(object_json, i);
  if (i >= object_json.size() || object_json[i] != '{') return false;
  ++i;
  int found = 0;
  while (true) {
    SkipSpace(object_json, i);
    if (i >= object_json.size() || object_json[i] != '"') break;  // '}' (or not an object after all)
    const size_t key_start = i + 1;
    bool escaped = false;
    SkipString(object_json, i, &escaped);
    if (escaped) return false;  // an escaped key needs unescaping to compare: let the caller minify
    const std::string_view name = object_json.substr(key_start, i - 1 - key_start);
    SkipSpace(object_json, i);
    if (i >= object_json.size() || object_json[i] != ':') return false;
    ++i;
    SkipSpace(object_json, i);
    const size_t value_start = i;
    if (name == key && place != MemberPlace::kUnknown) {
      // The caller's DOM saw this key once: nothing after it needs scanning, and a last member's value
      // runs to the closing brace.
      const size_t end = place == MemberPlace::kLast ? LastValueEnd(object_json) : (SkipValue(object_json, i), i);
      if (end == std::string_view::npos || end <= value_start) return false;
      *out = object_json.substr(value_start, end - value_start);
      return true;
    }
    SkipValue(object_json, i);
    if (name == key) {
      *out = object_json.substr(value_start, i - value_start);
      ++found;
    }
    SkipSpace(object_json, i);
    if (i < object_json.size() && object_json[i] == ',') ++i;
  }
  // A duplicated key: the DOM's choice of value decides; let the caller minify that one.
  return found == 1;
}

}  // namespace edge::protocol::internal
