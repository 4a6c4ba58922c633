// Tests for runtime/src/diagnostics/system_probe.cc: the /proc and os-release parsers, and a live probe.
#include "diagnostics/system_probe.h"

#include <gtest/gtest.h>

namespace edge::runtime::diagnostics {
namespace {

TEST(SystemProbeTest, ParsesMeminfo) {
  constexpr char kMeminfo[] =
      "MemTotal:       16314412 kB\n"
      "MemFree:         123456 kB\n"
      "MemAvailable:    8000000 kB\n"
      "HugePages_Total:       0\n";
  EXPECT_EQ(ParseMeminfoBytes(kMeminfo, "MemTotal"), std::optional<uint64_t>(16314412ull * 1024));
  EXPECT_EQ(ParseMeminfoBytes(kMeminfo, "MemAvailable"), std::optional<uint64_t>(8000000ull * 1024));
  EXPECT_EQ(ParseMeminfoBytes(kMeminfo, "HugePages_Total"), std::optional<uint64_t>(0));
  EXPECT_EQ(ParseMeminfoBytes(kMeminfo, "Mem"), std::nullopt);
  EXPECT_EQ(ParseMeminfoBytes("", "MemTotal"), std::nullopt);
}

TEST(SystemProbeTest, ParsesLoadavg) {
  double one = 0, five = 0, fifteen = 0;
  ASSERT_TRUE(ParseLoadavg("0.52 1.58 2.59 1/1234 5678\n", &one, &five, &fifteen));
  EXPECT_DOUBLE_EQ(one, 0.52);
  EXPECT_DOUBLE_EQ(five, 1.58);
  EXPECT_DOUBLE_EQ(fifteen, 2.59);
  EXPECT_FALSE(ParseLoadavg("garbage", &one, &five, &fifteen));
}

TEST(SystemProbeTest, ParsesOsReleasePrettyName) {
  EXPECT_EQ(ParseOsReleasePrettyName("NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
            std::optional<std::string>("Debian GNU/Linux 12 (bookworm)"));
  EXPECT_EQ(ParseOsReleasePrettyName("PRETTY_NAME=Alpine"), std::optional<std::string>("Alpine"));
  EXPECT_EQ(ParseOsReleasePrettyName("NAME=x\n"), std::nullopt);
}

TEST(SystemProbeTest, ProbesThisMachine) {
  SystemFacts f = ProbeSystem();
  EXPECT_FALSE(f.hostname.empty());
  EXPECT_EQ(f.sysname, "Linux");
  EXPECT_FALSE(f.kernel_release.empty());
  EXPECT_GE(f.cpu_count, 1);
  ASSERT_TRUE(f.memory_total_bytes.has_value());
  EXPECT_GT(*f.memory_total_bytes, 0u);
}

}  // namespace
}  // namespace edge::runtime::diagnostics
