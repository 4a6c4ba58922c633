// server/listen.h: the HOST:PORT listen flags (--api-listen, --rpc-listen): parsing, and a clear explanation
// when lws cannot bind one (lws itself only logs "ERROR on binding").
#ifndef EDGE_PLATFORM_SERVER_LISTEN_H_
#define EDGE_PLATFORM_SERVER_LISTEN_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace edge::platform::server {

struct ListenAddress {
  std::string host;  // "127.0.0.1", "0.0.0.0", "::1"
  int port = 0;      // 0: any free port
  std::string flag;  // the flag it came from, for messages
  bool ipv6() const { return host.find(':') != std::string::npos; }
  bool any() const { return host == "0.0.0.0" || host == "::" || host.empty(); }
  // The host to put in URLs: loopback for wildcard addresses.
  std::string UrlHost() const;
};

// "127.0.0.1:3000", "localhost:0", "0.0.0.0:3000", "[::1]:3000".
absl::StatusOr<ListenAddress> ParseListen(std::string_view text, std::string_view flag);
// Why binding failed (tries the bind itself to get the errno), as a message naming the address and the flag.
std::string DescribeBindFailure(const ListenAddress& address);

}  // namespace edge::platform::server

#endif  // EDGE_PLATFORM_SERVER_LISTEN_H_
