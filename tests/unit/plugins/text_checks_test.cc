// Tests for runtime/src/plugins/text_checks.cc: IsValidUtf8 (simdjson's SIMD validator) against a plain
// reference decoder, on inputs long enough to cross its 64-byte blocks; IsSurelyJsonObject never vouches for
// a text RapidJSON (the host's other parser) refuses.
#include "plugins/text_checks.h"

#include <gtest/gtest.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace edge::runtime::plugins {
namespace {

// The reference: one code point at a time, by the rules utf8.h states.
bool ReferenceUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > text.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

TEST(Utf8Test, AcceptsValidAndRejectsEachKindOfInvalidSequence) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(Utf8Test, FindsABadByteAtEveryOffsetOfALongText) {
  const std::string valid = std::string(70, 'a') + "\xc3\xbc" + std::string(70, 'b') + "\xf0\x9f\x98\x80";
  ASSERT_TRUE(IsValidUtf8(valid));
  for (size_t at = 0; at <= valid.size(); ++at) {
    for (std::string_view bad : {std::string_view("\xff"), std::string_view("\xe2\x82"), std::string_view("\xed\xa0\x80")}) {
      std::string text = valid;
      text.insert(at, bad);
      EXPECT_FALSE(IsValidUtf8(text)) << "bad sequence at offset " << at;
    }
  }
}

TEST(Utf8Test, AgreesWithTheReferenceOnRandomBytes) {
  std::mt19937 rng(20261207);
  // Biased towards bytes that form (or almost form) multi-byte sequences, so both answers occur often.
  const unsigned char alphabet[] = {'a', '"', 0x7f, 0x80, 0x8f, 0x9f, 0xa0, 0xbf, 0xc2, 0xc3, 0xdf,
                                    0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xc0, 0xff};
  int valid = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng() % 140, 'x');
    for (char& c : text) {
      c = rng() % 3 == 0 ? static_cast<char>(alphabet[rng() % sizeof(alphabet)]) : 'x';
    }
    const bool expected = ReferenceUtf8(text);
    valid += expected ? 1 : 0;
    ASSERT_EQ(IsValidUtf8(text), expected) << "round " << round << ", " << text.size() << " bytes";
  }
  EXPECT_GT(valid, 100);     // the sample has both kinds
  EXPECT_LT(valid, 19900);
}

// What the host accepted before the quick check: valid UTF-8, and one JSON object by RapidJSON.
bool RapidJsonAcceptsObject(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return false;
  rapidjson::BaseReaderHandler<> ignore;
  rapidjson::Reader reader;
  rapidjson::MemoryStream bytes(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
  return !reader.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(in, ignore).IsError();
}

TEST(TextChecksTest, VouchesForUsualObjectsAndNothingElse) {
  EXPECT_TRUE(IsSurelyJsonObject(R"({"text":"hello","n":[1,-2.5e3,true,null],"o":{"k":"\u00fc\ud83d\ude00"}})"));
  EXPECT_TRUE(IsSurelyJsonObject(" {} \n"));
  EXPECT_FALSE(IsSurelyJsonObject("[1]"));
  EXPECT_FALSE(IsSurelyJsonObject(R"("text")"));
  EXPECT_FALSE(IsSurelyJsonObject(R"({"a":1} {"b":2})"));
  EXPECT_FALSE(IsSurelyJsonObject(R"({"a":1)"));
  EXPECT_FALSE(IsSurelyJsonObject("{\"a\":\"\xff\"}"));
  EXPECT_FALSE(IsSurelyJsonObject(R"({"a":"\ud800"})"));  // a lone surrogate escape
  EXPECT_FALSE(IsSurelyJsonObject("{\"a\":\"" + std::string(20000, 'x') + "\"}"));  // over 16 KiB: not looked at
}

// Generated texts, valid and broken in the ways a plugin could get wrong: whatever the quick check vouches
// for, RapidJSON must accept too (the converse need not hold: the caller asks RapidJSON when not sure).
TEST(TextChecksTest, NeverVouchesForWhatRapidJsonRefuses) {
  const std::vector<std::string> pieces = {
      R"("a")", "1", "-0", "1.5e3", "1e400", "1.0e-400", "123456789012345678901234567890", "01", "true", "nul",
      "null", R"("\u0000")", R"("\ud800")", R"("\ud83d\ude00")", R"("\x")", "\"\t\"", "\"\xc3\xbc\"",
      "\"\xed\xa0\x80\"", "[]", "[1,]", "{}", R"({"k":[{"x":{}}]})", "[[[[", "]]", ",", ":", " "};
  std::mt19937 rng(12072026);
  int vouched = 0;
  for (int round = 0; round < 30000; ++round) {
    std::string text = "{";
    const int members = static_cast<int>(rng() % 4);
    for (int m = 0; m < members; ++m) {
      if (m > 0) text += rng() % 8 == 0 ? "" : ",";
      text += "\"k" + std::to_string(m) + "\":";
      const int parts = 1 + static_cast<int>(rng() % 3 == 0 ? rng() % 3 : 0);
      for (int p = 0; p < parts; ++p) text += pieces[rng() % pieces.size()];
    }
    text += rng() % 10 == 0 ? "" : "}";
    if (IsSurelyJsonObject(text)) {
      ++vouched;
      ASSERT_TRUE(RapidJsonAcceptsObject(text)) << text;
    }
  }
  EXPECT_GT(vouched, 1000);  // the generator makes plenty of valid objects too
  std::string deep = "{\"a\":" + std::string(2000, '[') + std::string(2000, ']') + "}";
  EXPECT_FALSE(IsSurelyJsonObject(deep));  // beyond simdjson's depth: RapidJSON decides
  EXPECT_TRUE(RapidJsonAcceptsObject(deep));
}

}  // namespace
}  // namespace edge::runtime::plugins
