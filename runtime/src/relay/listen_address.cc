// The relay's bind address, the LAN address lookup and the URL it reports.
#include "relay/listen_address.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"

namespace edge::runtime::relay {

ListenPlan PlanListen(bool expose_lan) {
  if (expose_lan) return {"0.0.0.0", kModeLan};
  return {"127.0.0.1", kModeLoopback};
}

std::vector<InterfaceAddress> LocalIpv4Addresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) == nullptr) continue;
    InterfaceAddress address;
    address.interface = a->ifa_name != nullptr ? a->ifa_name : "";
    address.ipv4 = text;
    address.up = (a->ifa_flags & IFF_UP) != 0 && (a->ifa_flags & IFF_RUNNING) != 0;
    address.loopback = (a->ifa_flags & IFF_LOOPBACK) != 0;
    out.push_back(std::move(address));
  }
  freeifaddrs(list);
  return out;
}

std::optional<std::string> FirstLanIpv4(const std::vector<InterfaceAddress>& addresses) {
  for (const InterfaceAddress& a : addresses) {
    if (!a.up || a.loopback || a.ipv4.rfind("127.", 0) == 0) continue;
    return a.ipv4;
  }
  return std::nullopt;
}

std::string RelayUrl(const ListenPlan& plan, std::string_view public_url, int port,
                     const std::optional<std::string>& lan_ipv4, std::string_view hostname) {
  if (plan.mode == kModeLoopback) return absl::StrCat("http://127.0.0.1:", port);
  if (!public_url.empty()) {
    while (public_url.size() > 1 && public_url.back() == '/') public_url.remove_suffix(1);
    return std::string(public_url);
  }
  if (lan_ipv4.has_value()) return absl::StrCat("http://", *lan_ipv4, ":", port);
  return absl::StrCat("http://", ToAbsl(hostname), ":", port);
}

}  // namespace edge::runtime::relay
