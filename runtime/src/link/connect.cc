// URL parsing, the insecure-ws policy, client flags and upgrade headers for the link.
#include "link/connect.h"

#include <libwebsockets.h>

#include <cctype>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/protocol.h"
#include "edge/runtime/log.h"

namespace edge::runtime::link {
namespace {

absl::Status BadUrl(std::string_view url, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid toolRpcUrl '", ToAbsl(url), "': ", ToAbsl(why),
                   " (expected ws://host:port/path or wss://host:port/path)"));
}

// The host and port of a URL's authority into `out` (its port keeps the scheme's default when none is given);
// why it is not one, or "" (shared by the link's ws:// URLs and the platform API's http:// URLs).
std::string ParseAuthority(std::string_view authority, LinkUrl* out) {
  if (authority.find('@') != std::string_view::npos) return "user info is not allowed in the URL";
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return "unterminated IPv6 literal";
    out->host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "unexpected text after the IPv6 literal";
      port_text = after.substr(1);
      if (port_text.empty()) return "empty port";
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return "empty port";
      authority = authority.substr(0, colon);
    }
    out->host = std::string(authority);
  }
  if (out->host.empty()) return "missing host";
  for (char c : out->host) {
    if (std::isspace(static_cast<unsigned char>(c))) return "the host contains whitespace";
  }
  if (!port_text.empty()) {
    int port = 0;
    if (!absl::SimpleAtoi(ToAbsl(port_text), &port) || port < 1 || port > 65535) {
      return absl::StrCat("bad port '", ToAbsl(port_text), "'");
    }
    out->port = port;
  }
  return "";
}

// What follows `secure` or `plain` (matched case-insensitively) in `url`, setting out->secure and the scheme's
// default port (443 or 80); nullopt for any other scheme.
std::optional<std::string_view> StripScheme(std::string_view url, std::string_view secure, std::string_view plain,
                                            LinkUrl* out) {
  auto starts_with = [url](std::string_view scheme) {
    return url.size() >= scheme.size() &&
           absl::EqualsIgnoreCase(ToAbsl(url.substr(0, scheme.size())), ToAbsl(scheme));
  };
  if (starts_with(secure)) {
    out->secure = true;
    out->port = 443;
    return url.substr(secure.size());
  }
  if (starts_with(plain)) {
    out->port = 80;
    return url.substr(plain.size());
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<LinkUrl> ParseLinkUrl(std::string_view url) {
  LinkUrl out;
  std::optional<std::string_view> after_scheme = StripScheme(url, "wss://", "ws://", &out);
  if (!after_scheme) return BadUrl(url, "the scheme must be ws:// or wss://");
  std::string_view rest = *after_scheme;
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(rest.substr(slash));
  if (out.path.find_first_of("?#") != std::string::npos) {
    return BadUrl(url, "a query or fragment is not allowed (credentials never go in the URL)");
  }
  if (std::string why = ParseAuthority(authority, &out); !why.empty()) return BadUrl(url, why);
  return out;
}

absl::StatusOr<LinkUrl> ParseHttpUrl(std::string_view url) {
  LinkUrl out;
  std::optional<std::string_view> after_scheme = StripScheme(url, "https://", "http://", &out);
  if (!after_scheme) {
    return absl::InvalidArgumentError(absl::StrCat("invalid URL '", ToAbsl(url), "': not http:// or https://"));
  }
  std::string_view rest = *after_scheme;
  rest = rest.substr(0, rest.find('#'));
  const size_t end = rest.find_first_of("/?");
  if (end != std::string_view::npos) {
    const std::string_view tail = rest.substr(end);
    out.path = tail.front() == '?' ? absl::StrCat("/", ToAbsl(tail)) : std::string(tail);
  }
  if (std::string why = ParseAuthority(rest.substr(0, end), &out); !why.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid URL '", ToAbsl(url), "': ", why));
  }
  return out;
}

bool IsLoopbackHost(std::string_view host) {
  std::string lower = absl::AsciiStrToLower(ToAbsl(host));
  if (lower == "localhost" || lower == "::1" || lower == "0:0:0:0:0:0:0:1") return true;
  if (lower.size() > 10 && lower.substr(lower.size() - 10) == ".localhost") return true;
  return lower.rfind("127.", 0) == 0 && lower.find_first_not_of("0123456789.") == std::string::npos;
}

absl::Status CheckTransportPolicy(const LinkUrl& url, bool allow_insecure_ws) {
  if (url.secure || allow_insecure_ws || IsLoopbackHost(url.host)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to send credentials over unencrypted ws:// to ", url.host,
      ", which is not a loopback address: use wss://, or set allowInsecureWs to accept the risk"));
}

int ClientSslFlags(const LinkUrl& url, bool tls_skip_verify) {
  if (!url.secure) return 0;
  int flags = LCCSCF_USE_SSL;
  if (tls_skip_verify) {
    flags |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
  }
  return flags;
}

std::string OfferedSubprotocols() {
  return absl::StrCat(ToAbsl(protocol::kSubprotocolV1), ", ", ToAbsl(protocol::kSubprotocolFallback));
}

bool IsSpokenSubprotocol(std::string_view chosen) { return chosen == protocol::kSubprotocolV1; }

std::string UserAgent(const HeaderIdentity& identity) {
  return absl::StrCat("edge-connector/", identity.connector_version, " (", identity.platform, ")");
}

std::vector<std::pair<std::string, std::string>> HandshakeHeaders(const LinkCredentials& credentials,
                                                                  const HeaderIdentity& identity) {
  std::vector<std::pair<std::string, std::string>> headers;
  auto add = [&headers](std::string_view name, std::string value) {
    if (!value.empty()) headers.emplace_back(absl::StrCat(ToAbsl(name), ":"), std::move(value));
  };
  add(protocol::header::kAuthorization, credentials.authorization);
  add(protocol::header::kDeploymentId, credentials.deployment_id);
  add(protocol::header::kConnectorVersion, identity.connector_version);
  add(protocol::header::kConnectorType, identity.connector_type);
  add("user-agent", UserAgent(identity));
  return headers;
}

std::string TlsVerifyError(std::string_view problem, std::string_view ca_file) {
  return absl::StrCat("TLS certificate verification failed: ", ToAbsl(problem),
                      ca_file.empty() ? std::string(" (system CA store)")
                                      : absl::StrCat(" (CA file ", ToAbsl(ca_file), ")"));
}

}  // namespace edge::runtime::link
