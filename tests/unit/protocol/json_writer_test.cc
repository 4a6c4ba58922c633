// Tests for protocol/src/json_writer.cc: AppendJsonString escapes exactly what a per-character reference
// does, with the characters to escape at every offset around its 8-byte scan.
#include "edge/protocol/json_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>

namespace edge::protocol {
namespace {

// The reference: RFC 8259's escapes spelled out as a table, one character at a time.
std::string Reference(std::string_view text) {
  static const std::map<unsigned char, std::string> kShort = {
      {'"', "\\\""}, {'\\', "\\\\"}, {'\n', "\\n"}, {'\r', "\\r"}, {'\t', "\\t"}, {'\b', "\\b"}, {'\f', "\\f"}};
  std::string out = "\"";
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (auto it = kShort.find(c); it != kShort.end()) {
      out += it->second;
    } else if (c < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\u%04x", c);
      out += hex;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string Escaped(std::string_view text) {
  std::string out = "prefix:";
  AppendJsonString(out, text);
  return out.substr(7);
}

TEST(AppendJsonStringTest, EscapesAtEveryOffsetAroundTheWordScan) {
  for (size_t length = 0; length <= 24; ++length) {
    for (const char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f', ' ', '\xc3'}) {
      for (size_t at = 0; at < length; ++at) {
        std::string text(length, 'x');
        text[at] = special;
        ASSERT_EQ(Escaped(text), Reference(text)) << "length " << length << ", byte " << int(special) << " at " << at;
      }
    }
  }
  EXPECT_EQ(Escaped("caf\xc3\xa9 \"q\" \\ \t\x01"), "\"caf\xc3\xa9 \\\"q\\\" \\\\ \\t\\u0001\"");
}

TEST(AppendJsonStringTest, AgreesWithTheReferenceOnRandomBytes) {
  std::mt19937 rng(2026);
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng() % 60, 'a');
    for (char& c : text) {
      c = rng() % 4 == 0 ? static_cast<char>(rng() % 256) : static_cast<char>('a' + rng() % 26);
    }
    ASSERT_EQ(Escaped(text), Reference(text)) << "round " << round;
  }
}

}  // namespace
}  // namespace edge::protocol
