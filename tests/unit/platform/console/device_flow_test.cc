// console/device_flow.h: user codes are 8 letters of the alphabet as XXXX-XXXX, and typed codes are read
// forgivingly (case, separators) but strictly (alphabet, length).
#include "console/device_flow.h"

#include <gtest/gtest.h>

#include <set>

namespace edge::platform::console {
namespace {

TEST(UserCodeTest, HasTheFormatAndOnlyTheAlphabet) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string code = NewUserCode();
    ASSERT_EQ(code.size(), 9u) << code;
    EXPECT_EQ(code[4], '-') << code;
    for (size_t j = 0; j < code.size(); ++j) {
      if (j == 4) continue;
      EXPECT_NE(kUserCodeAlphabet.find(code[j]), std::string_view::npos) << code;
    }
    EXPECT_EQ(NormalizeUserCode(code), code);
    seen.insert(code);
  }
  EXPECT_GT(seen.size(), 190u) << "codes are random";
}

TEST(UserCodeTest, TheAlphabetHasNoVowelsOrLookAlikes) {
  for (char c : std::string_view("AEIOUYL01")) EXPECT_EQ(kUserCodeAlphabet.find(c), std::string_view::npos) << c;
}

TEST(NormalizeUserCodeTest, AcceptsCaseAndSeparatorsRefusesOthers) {
  EXPECT_EQ(NormalizeUserCode("bcdf-ghjk"), "BCDF-GHJK");
  EXPECT_EQ(NormalizeUserCode("BCDF GHJK"), "BCDF-GHJK");
  EXPECT_EQ(NormalizeUserCode("BCDFGHJK"), "BCDF-GHJK");
  EXPECT_EQ(NormalizeUserCode("BCDF-GHJ"), std::nullopt);
  EXPECT_EQ(NormalizeUserCode("BCDF-GHJKM"), std::nullopt);
  EXPECT_EQ(NormalizeUserCode("BCDF-GHJA"), std::nullopt);  // a vowel
  EXPECT_EQ(NormalizeUserCode("BCDF-GHJ1"), std::nullopt);
  EXPECT_EQ(NormalizeUserCode(""), std::nullopt);
}

}  // namespace
}  // namespace edge::platform::console
