// ULIDs for delivery ids (runtime/src/relay/ulid.h): the encoding and the ordering of generated ids.
#include "relay/ulid.h"

#include <gtest/gtest.h>

#include <string>

namespace edge::runtime::relay {
namespace {

TEST(UlidTest, EncodesTimeAndRandomnessInCrockfordBase32) {
  EXPECT_EQ(EncodeUlid(0, {}), "00000000000000000000000000");
  std::array<uint8_t, 10> ones;
  ones.fill(0xFF);
  EXPECT_EQ(EncodeUlid((uint64_t{1} << 48) - 1, ones), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
  // The first 10 characters are the milliseconds (here 1469922850259 = "01ARZ3NDEK").
  EXPECT_EQ(EncodeUlid(1469922850259, {}).substr(0, 10), "01ARZ3NDEK");
  EXPECT_EQ(EncodeUlid(0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), "00000000000000000000000001");
}

TEST(UlidTest, GeneratedIdsAreOrderedAlsoWithinOneMillisecond) {
  UlidGenerator ulids;
  const absl::Time t = absl::FromUnixMillis(1718000040000);
  std::string previous = ulids.Next(t);
  EXPECT_EQ(previous.size(), 26u);
  EXPECT_EQ(previous.substr(0, 10), EncodeUlid(1718000040000, {}).substr(0, 10));
  for (int i = 0; i < 100; ++i) {
    const std::string next = ulids.Next(t);
    EXPECT_LT(previous, next);
    EXPECT_EQ(next.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos) << next;
    previous = next;
  }
  // A clock that steps back keeps the order too.
  EXPECT_LT(previous, ulids.Next(t - absl::Seconds(1)));
  EXPECT_LT(previous, ulids.Next(t + absl::Milliseconds(1)));
}

TEST(UlidTest, IdsOfOneMillisecondDifferAcrossGenerators) {
  UlidGenerator a, b;
  const absl::Time t = absl::FromUnixMillis(1718000040000);
  EXPECT_NE(a.Next(t), b.Next(t));
}

}  // namespace
}  // namespace edge::runtime::relay
