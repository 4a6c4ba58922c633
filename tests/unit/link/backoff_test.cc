// Tests for runtime/src/link/backoff.cc: full jitter, doubling, cap, reset, slow backoff, retry-after hints.
#include "link/backoff.h"

#include <gtest/gtest.h>

namespace edge::runtime::link {
namespace {

BackoffOptions Small() { return BackoffOptions{100, 1000, 3000, 20000}; }

TEST(BackoffTest, FullJitterUsesTheWholeRangeOfEachStep) {
  double u = 0.0;
  Backoff low(Small(), [&u] { return u; });
  EXPECT_EQ(low.NextNormalMs(), 0);  // full jitter starts at zero
  u = 0.999999;
  Backoff high(Small(), [&u] { return u; });
  EXPECT_EQ(high.NextNormalMs(), 99);  // [0, 100): never the ceiling itself
  EXPECT_EQ(high.NextNormalMs(), 199);
  EXPECT_EQ(high.NextNormalMs(), 399);
}

TEST(BackoffTest, CeilingDoublesUpToTheCap) {
  Backoff b(Small(), [] { return 0.999999; });
  std::vector<int64_t> waits;
  for (int i = 0; i < 8; ++i) waits.push_back(b.NextNormalMs() + 1);
  EXPECT_EQ(waits, (std::vector<int64_t>{100, 200, 400, 800, 1000, 1000, 1000, 1000}));
}

TEST(BackoffTest, HalfwayDrawIsHalfTheCeiling) {
  Backoff b(Small(), [] { return 0.5; });
  EXPECT_EQ(b.NextNormalMs(), 50);
  EXPECT_EQ(b.NextNormalMs(), 100);
  EXPECT_EQ(b.NextNormalMs(), 200);
}

TEST(BackoffTest, ResetAfterAStableSessionStartsOver) {
  Backoff b(Small(), [] { return 0.999999; });
  for (int i = 0; i < 5; ++i) b.NextNormalMs();
  b.NextSlowMs();
  EXPECT_GT(b.normal_step(), 0);
  b.Reset();
  EXPECT_EQ(b.normal_step(), 0);
  EXPECT_EQ(b.slow_step(), 0);
  EXPECT_EQ(b.NextNormalMs(), 99);
}

TEST(BackoffTest, SlowBackoffNeverWaitsLessThanHalfItsStep) {
  Backoff low(Small(), [] { return 0.0; });
  EXPECT_EQ(low.NextSlowMs(), 1500);   // [s/2, s) with s = 3000
  EXPECT_EQ(low.NextSlowMs(), 3000);   // s = 6000
  EXPECT_EQ(low.NextSlowMs(), 6000);   // s = 12000
  EXPECT_EQ(low.NextSlowMs(), 10000);  // s = 20000 (cap)
  EXPECT_EQ(low.NextSlowMs(), 10000);
  Backoff high(Small(), [] { return 0.999999; });
  EXPECT_EQ(high.NextSlowMs(), 2999);
  EXPECT_EQ(high.NextSlowMs(), 5999);
}

TEST(BackoffTest, SlowAndNormalLaddersAreIndependent) {
  Backoff b(Small(), [] { return 0.999999; });
  b.NextSlowMs();
  b.NextSlowMs();
  EXPECT_EQ(b.NextNormalMs(), 99);
}

TEST(BackoffTest, RetryAfterHintWaitsAtLeastTheHintPlusJitter) {
  Backoff low(Small(), [] { return 0.0; });
  EXPECT_EQ(low.RetryAfterMs(4500), 4500);
  EXPECT_EQ(low.RetryAfterMs(10), 1000);  // floor of 1 s
  Backoff high(Small(), [] { return 0.999999; });
  EXPECT_EQ(high.RetryAfterMs(4500), 5499);
  EXPECT_EQ(high.normal_step(), 0);  // a hint does not advance the ladder
}

TEST(BackoffTest, DefaultGeneratorStaysInBounds) {
  Backoff b(Small());
  for (int i = 0; i < 200; ++i) {
    int64_t w = b.NextNormalMs();
    EXPECT_GE(w, 0);
    EXPECT_LT(w, 1000);
  }
}

}  // namespace
}  // namespace edge::runtime::link
