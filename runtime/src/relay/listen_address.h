// relay/listen_address.h: where the relay listens and the URL it reports (docs/webhook-relay.md §2 "Listening").
//
// LAN mode binds 0.0.0.0 and reports webhookRelayPublicUrl, else http://<first non-loopback IPv4 address of an
// interface that is up>:<port>, else http://<host name>:<port>. Loopback mode binds 127.0.0.1 and reports
// http://127.0.0.1:<port>, whatever else is configured: a loopback-only relay must never advertise an address
// other machines would try.
#ifndef EDGE_RUNTIME_RELAY_LISTEN_ADDRESS_H_
#define EDGE_RUNTIME_RELAY_LISTEN_ADDRESS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edge::runtime::relay {

inline constexpr char kModeLan[] = "lan";
inline constexpr char kModeLoopback[] = "loopback";

struct ListenPlan {
  std::string bind_host;  // "0.0.0.0" | "127.0.0.1"
  std::string mode;       // kModeLan | kModeLoopback
};
ListenPlan PlanListen(bool expose_lan);

// One IPv4 address of a local interface.
struct InterfaceAddress {
  std::string interface;
  std::string ipv4;  // dotted quad
  bool up = false;
  bool loopback = false;
};
// The machine's IPv4 interface addresses (getifaddrs), in the kernel's order.
std::vector<InterfaceAddress> LocalIpv4Addresses();
// The first address of an interface that is up and not loopback (nor in 127.0.0.0/8).
std::optional<std::string> FirstLanIpv4(const std::vector<InterfaceAddress>& addresses);

// The relay's URL, without a trailing '/'. `lan_ipv4` and `hostname` matter only in LAN mode without a public URL.
std::string RelayUrl(const ListenPlan& plan, std::string_view public_url, int port,
                     const std::optional<std::string>& lan_ipv4, std::string_view hostname);

}  // namespace edge::runtime::relay

#endif  // EDGE_RUNTIME_RELAY_LISTEN_ADDRESS_H_
