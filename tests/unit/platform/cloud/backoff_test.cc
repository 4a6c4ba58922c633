// The restart backoff of crashed cloud connectors: 1 s doubling to 60 s, full jitter.
#include "cloud/backoff.h"

#include <gtest/gtest.h>

namespace edge::platform::cloud {
namespace {

TEST(CloudRestartBackoff, CapDoublesUpToTheMaximum) {
  EXPECT_EQ(RestartCapMs(0, 1000, 60000), 1000);
  EXPECT_EQ(RestartCapMs(1, 1000, 60000), 2000);
  EXPECT_EQ(RestartCapMs(5, 1000, 60000), 32000);
  EXPECT_EQ(RestartCapMs(6, 1000, 60000), 60000);
  EXPECT_EQ(RestartCapMs(1000, 1000, 60000), 60000);  // no overflow however long the crash loop
  EXPECT_EQ(RestartCapMs(3, 200, 1000), 1000);
}

TEST(CloudRestartBackoff, DelaysStayWithinZeroAndTheCap) {
  std::mt19937_64 rng(42);
  for (int step = 0; step < 12; ++step) {
    const int64_t cap = RestartCapMs(step, 1000, 60000);
    int64_t lowest = cap, highest = 0;
    for (int i = 0; i < 2000; ++i) {
      const int64_t d = RestartDelayMs(step, 1000, 60000, rng);
      ASSERT_GE(d, 0);
      ASSERT_LT(d, cap);
      lowest = std::min(lowest, d);
      highest = std::max(highest, d);
    }
    // Full jitter: the draws spread over the whole range, not near the cap only.
    EXPECT_LT(lowest, cap / 10) << "step " << step;
    EXPECT_GT(highest, cap * 9 / 10) << "step " << step;
  }
}

}  // namespace
}  // namespace edge::platform::cloud
