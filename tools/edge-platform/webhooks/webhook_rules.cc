// Webhook provisioning rules: ids, tokens, URLs and the loopback rule.
#include "webhooks/webhook_rules.h"

#include <arpa/inet.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/log.h"

namespace edge::platform::webhooks {

using runtime::ToAbsl;

absl::Status ValidateIntegrationId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("integration id '", ToAbsl(id),
                                                 "' is invalid; use 1-64 characters of [A-Za-z0-9._-], e.g. "
                                                 "github-main"));
}

std::string NewWebhookId() { return "wh_" + protocol::RandomToken(12); }

std::string NewToken() { return protocol::RandomToken(32); }

std::string NewDeliveryId() {
  // Ids need uniqueness, not secrecy: 80 random bits per millisecond make a collision negligible.
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count()) &
                       ((uint64_t{1} << 48) - 1);
  uint64_t r1 = 0, r2 = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    r1 = rng();
    r2 = rng();
  }
  std::string out(26, '0');
  for (int i = 0; i < 10; ++i) out[static_cast<size_t>(i)] = kAlphabet[(now >> (5 * (9 - i))) & 31];
  for (size_t i = 10; i < 26; ++i) {
    uint64_t& r = i < 22 ? r1 : r2;  // 12 characters from the first draw (60 bits), 4 from the second
    out[i] = kAlphabet[r & 31];
    r >>= 5;
  }
  return out;
}

std::string UrlPrefix(std::string_view base_url, std::string_view webhook_id) {
  while (absl::EndsWith(ToAbsl(base_url), "/")) base_url.remove_suffix(1);
  return absl::StrCat(ToAbsl(base_url), "/hooks/", ToAbsl(webhook_id), "/");
}

std::string HookUrl(std::string_view base_url, std::string_view webhook_id, std::string_view token) {
  return absl::StrCat(UrlPrefix(base_url, webhook_id), ToAbsl(token));
}

absl::StatusOr<std::string> HttpUrlHost(std::string_view url) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(url));
  size_t start = 0;
  if (absl::StartsWith(lower, "http://")) {
    start = 7;
  } else if (absl::StartsWith(lower, "https://")) {
    start = 8;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("'", ToAbsl(url),
                                                   "' is not an http(s) URL; give the provider's base URL, e.g. "
                                                   "https://ghe.corp.example"));
  }
  std::string_view rest = std::string_view(lower).substr(start);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  std::string_view host = rest;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) host = {};
    else host = rest.substr(1, close - 1);
  } else if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", ToAbsl(url), "' has no host; give the provider's base URL, e.g. https://ghe.corp.example"));
  }
  return std::string(host);
}

bool IsLoopbackHost(std::string_view host) {
  const std::string h = absl::AsciiStrToLower(ToAbsl(host));
  if (h == "localhost" || h == "localhost.") return true;
  unsigned char v4[4];
  if (inet_pton(AF_INET, h.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (inet_pton(AF_INET6, h.c_str(), v6) == 1) {
    static constexpr unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6, kLoopback, 16) == 0) return true;
    return std::memcmp(v6, kMappedPrefix, 12) == 0 && v6[12] == 127;  // ::ffff:127.x.y.z
  }
  return false;
}

std::string LoopbackOnlyMessage(std::string_view deployment_id, std::string_view provider_base_url,
                                std::string_view relay_url) {
  return absl::StrCat("The connector of ", ToAbsl(deployment_id),
                      " relays webhooks on loopback only (NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN=0), so ",
                      ToAbsl(provider_base_url), " cannot reach ", ToAbsl(relay_url),
                      ". Use mode cloud-public, or let the connector listen on the LAN (unset "
                      "NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN).");
}

}  // namespace edge::platform::webhooks
