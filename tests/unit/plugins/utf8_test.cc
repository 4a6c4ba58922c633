// IsValidUtf8 (simdjson's SIMD validator) against a plain reference decoder, on inputs long enough to cross
// its 64-byte blocks.
#include "plugins/utf8.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

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

}  // namespace
}  // namespace edge::runtime::plugins
