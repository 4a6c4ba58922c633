// Where the relay listens and which URL it reports (runtime/src/relay/listen_address.h).
#include "relay/listen_address.h"

#include <gtest/gtest.h>

namespace edge::runtime::relay {
namespace {

TEST(ListenAddressTest, LanBindsEverywhereAndLoopbackOnlyLoopback) {
  EXPECT_EQ(PlanListen(true).bind_host, "0.0.0.0");
  EXPECT_EQ(PlanListen(true).mode, "lan");
  EXPECT_EQ(PlanListen(false).bind_host, "127.0.0.1");
  EXPECT_EQ(PlanListen(false).mode, "loopback");
}

TEST(ListenAddressTest, FirstLanAddressSkipsLoopbackAndDownInterfaces) {
  std::vector<InterfaceAddress> addresses = {
      {"lo", "127.0.0.1", true, true},
      {"eth0", "10.0.0.5", false, false},        // down
      {"weird", "127.0.1.1", true, false},       // loopback range on a non-loopback interface
      {"eth1", "192.168.10.5", true, false},
      {"eth2", "192.168.20.5", true, false},
  };
  EXPECT_EQ(FirstLanIpv4(addresses), "192.168.10.5");
  EXPECT_EQ(FirstLanIpv4({{"lo", "127.0.0.1", true, true}}), std::nullopt);
  EXPECT_EQ(FirstLanIpv4({}), std::nullopt);
}

TEST(ListenAddressTest, TheMachinesAddressesIncludeLoopback) {
  bool loopback = false;
  for (const InterfaceAddress& a : LocalIpv4Addresses()) {
    if (a.ipv4 == "127.0.0.1") loopback = a.loopback;
  }
  EXPECT_TRUE(loopback);
  if (std::optional<std::string> lan = FirstLanIpv4(LocalIpv4Addresses())) {
    EXPECT_NE(lan->rfind("127.", 0), 0u);
  }
}

TEST(ListenAddressTest, RelayUrlPrefersThePublicUrlThenTheLanAddressThenTheHostName) {
  const ListenPlan lan = PlanListen(true);
  EXPECT_EQ(RelayUrl(lan, "", 8787, "192.168.10.5", "gw-01"), "http://192.168.10.5:8787");
  EXPECT_EQ(RelayUrl(lan, "https://hooks.example.com/", 8787, "192.168.10.5", "gw-01"), "https://hooks.example.com");
  EXPECT_EQ(RelayUrl(lan, "", 9000, std::nullopt, "gw-01"), "http://gw-01:9000");
}

TEST(ListenAddressTest, LoopbackModeAlwaysReportsLoopback) {
  const ListenPlan loopback = PlanListen(false);
  EXPECT_EQ(RelayUrl(loopback, "https://hooks.example.com", 8787, "192.168.10.5", "gw-01"), "http://127.0.0.1:8787");
  EXPECT_EQ(RelayUrl(loopback, "", 41234, std::nullopt, "gw-01"), "http://127.0.0.1:41234");
}

}  // namespace
}  // namespace edge::runtime::relay
