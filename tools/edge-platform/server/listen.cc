// Listen address parsing and bind diagnostics.
#include "server/listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"

namespace edge::platform::server {

using runtime::ToAbsl;

std::string ListenAddress::UrlHost() const {
  if (host == "0.0.0.0" || host.empty()) return "127.0.0.1";
  if (host == "::") return "[::1]";
  if (ipv6()) return absl::StrCat("[", host, "]");
  return host;
}

absl::StatusOr<ListenAddress> ParseListen(std::string_view text, std::string_view flag) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(flag), " '", ToAbsl(text), "' is invalid: ",
                                                   ToAbsl(why), "; use HOST:PORT, e.g. 127.0.0.1:3000 (port 0 picks "
                                                                "a free port)"));
  };
  ListenAddress out;
  out.flag = std::string(flag);
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("an IPv6 address needs the form [ADDR]:PORT");
    }
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("the port is missing");
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (out.host == "localhost") out.host = "127.0.0.1";
  if (out.host == "*") out.host = "0.0.0.0";
  if (!absl::SimpleAtoi(ToAbsl(port), &out.port) || out.port < 0 || out.port > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  unsigned char addr[sizeof(in6_addr)];
  if (!out.host.empty() && inet_pton(out.ipv6() ? AF_INET6 : AF_INET, out.host.c_str(), addr) != 1) {
    return bad("the host must be an IP address (or localhost)");
  }
  return out;
}

std::string DescribeBindFailure(const ListenAddress& address) {
  std::string reason = "the address is not available on this host";
  int family = address.ipv6() ? AF_INET6 : AF_INET;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int rc;
    if (family == AF_INET) {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<uint16_t>(address.port));
      inet_pton(AF_INET, address.host.empty() ? "0.0.0.0" : address.host.c_str(), &sa.sin_addr);
      rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    } else {
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_port = htons(static_cast<uint16_t>(address.port));
      inet_pton(AF_INET6, address.host.c_str(), &sa.sin6_addr);
      rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    }
    if (rc != 0) {
      reason = errno == EADDRINUSE ? "the port is already in use (is another edge-platform running?)"
                                   : std::strerror(errno);
    }
    close(fd);
  }
  return absl::StrCat("cannot listen on ", address.host, ":", address.port, " (", address.flag, "): ", reason,
                      "; pick another address with ", address.flag, " HOST:PORT (port 0 picks a free port)");
}

}  // namespace edge::platform::server
