// link/connect.h: what one connection attempt needs before lws sees it: the parsed URL, the insecure-ws
// policy (docs/protocol.md §1), the lws client flags, and the upgrade request's headers (§2.1).
//
// Pure functions, so the rules are unit-tested without sockets. Header values may hold secrets
// (Authorization): callers never log them.
#ifndef EDGE_RUNTIME_LINK_CONNECT_H_
#define EDGE_RUNTIME_LINK_CONNECT_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "edge/runtime/auth.h"

namespace edge::runtime::link {

struct LinkUrl {
  bool secure = false;  // wss
  std::string host;     // without brackets for IPv6 literals
  int port = 0;
  std::string path = "/";
};

// ws://host[:port][/path] or wss://...; InvalidArgument naming the problem otherwise.
absl::StatusOr<LinkUrl> ParseLinkUrl(std::string_view url);

// http://host[:port][/path][?query] or https://...: the platform API's URLs. The host and port rules are
// ParseLinkUrl's; the query stays in `path` and a fragment is dropped. InvalidArgument naming the problem.
absl::StatusOr<LinkUrl> ParseHttpUrl(std::string_view url);

// localhost, 127.0.0.0/8, ::1.
bool IsLoopbackHost(std::string_view host);

// FailedPrecondition when credentials would go over ws:// to a non-loopback host without allow_insecure_ws.
absl::Status CheckTransportPolicy(const LinkUrl& url, bool allow_insecure_ws);

// The lws client ssl_connection flags: LCCSCF_USE_SSL for wss, plus the verification bypass for
// tls_skip_verify. 0 for ws.
int ClientSslFlags(const LinkUrl& url, bool tls_skip_verify);

// "edge-tool-rpc.v1, edge-tool-rpc": the versions this connector speaks, then the negotiation fallback.
std::string OfferedSubprotocols();
// Whether the server's chosen subprotocol is one this connector speaks (not the bare fallback, not empty).
bool IsSpokenSubprotocol(std::string_view chosen);

struct HeaderIdentity {
  std::string connector_version;
  std::string connector_type;
  std::string platform;  // linux-x86_64
};
// "edge-connector/<version> (<platform>)".
std::string UserAgent(const HeaderIdentity& identity);
// (lowercase name with the trailing ':' lws wants, value) pairs for the upgrade request; headers with empty
// values are left out.
std::vector<std::pair<std::string, std::string>> HandshakeHeaders(const LinkCredentials& credentials,
                                                                  const HeaderIdentity& identity);

// "TLS certificate verification failed: <problem>" plus " (CA file <path>)" or " (system CA store)".
std::string TlsVerifyError(std::string_view problem, std::string_view ca_file);

}  // namespace edge::runtime::link

#endif  // EDGE_RUNTIME_LINK_CONNECT_H_
