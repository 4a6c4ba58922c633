// Path parsing, token and HMAC checks, header selection and the rate limiter of the relay.
#include "relay/request_checks.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/log.h"

namespace edge::runtime::relay {
namespace {

constexpr std::string_view kHooksPrefix = "/hooks/";
constexpr size_t kMaxIdLength = 128;
constexpr size_t kMaxTokenLength = 256;

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}
bool IsTokenChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

}  // namespace

std::optional<HookPath> ParseHookPath(std::string_view path) {
  if (path.substr(0, kHooksPrefix.size()) != kHooksPrefix) return std::nullopt;
  path.remove_prefix(kHooksPrefix.size());
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view id = path.substr(0, slash);
  const std::string_view token = path.substr(slash + 1);
  if (id.empty() || id.size() > kMaxIdLength || !std::all_of(id.begin(), id.end(), IsIdChar)) return std::nullopt;
  if (token.empty() || token.size() > kMaxTokenLength || !std::all_of(token.begin(), token.end(), IsTokenChar)) {
    return std::nullopt;
  }
  return HookPath{std::string(id), std::string(token)};
}

std::string RelayedPath(const HookPath& hook) {
  return absl::StrCat(ToAbsl(kHooksPrefix), hook.webhook_id, "/{token}");
}

bool TokenMatches(std::string_view token, std::string_view token_sha256_hex) {
  return protocol::ConstantTimeEquals(protocol::Sha256Hex(token), token_sha256_hex);
}

std::string_view SignatureName(Signature signature) {
  switch (signature) {
    case Signature::kVerified: return "verified";
    case Signature::kNone: return "none";
    case Signature::kAbsent: return "absent";
    case Signature::kInvalid: return "invalid";
  }
  return "invalid";
}

Signature CheckSignature(const std::optional<protocol::WebhookHmac>& hmac,
                         const std::optional<std::string>& header_value, std::string_view body) {
  if (!hmac.has_value() || hmac->secret.empty()) return Signature::kNone;
  if (!header_value.has_value()) return Signature::kAbsent;
  std::string_view value = *header_value;
  if (value.substr(0, hmac->prefix.size()) != hmac->prefix) return Signature::kInvalid;
  value.remove_prefix(hmac->prefix.size());
  const std::string received = absl::AsciiStrToLower(ToAbsl(value));
  const std::string expected = protocol::HmacSha256Hex(hmac->secret, body);
  return protocol::ConstantTimeEquals(received, expected) ? Signature::kVerified : Signature::kInvalid;
}

std::vector<std::string> RelayedHeaderNames(const std::vector<std::string>& forward,
                                            const std::optional<protocol::WebhookHmac>& hmac) {
  std::vector<std::string> names = {"content-type", "user-agent"};
  auto add = [&names](std::string name) {
    name = absl::AsciiStrToLower(name);
    if (name.empty() || name == "authorization" || name == "cookie") return;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
  };
  for (const std::string& name : forward) add(name);
  if (hmac.has_value()) add(hmac->header);
  return names;
}

RateLimiter::RateLimiter(int64_t per_minute)
    : per_second_(static_cast<double>(per_minute) / 60.0),
      burst_(std::max(static_cast<double>(per_minute) / 10.0, 10.0)) {}

int64_t RateLimiter::Acquire(std::string_view webhook_id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = buckets_.try_emplace(ToAbsl(webhook_id));
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = burst_;
  } else {
    const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - b.updated));
    b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
  }
  b.updated = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  if (per_second_ <= 0) return 60;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - b.tokens) / per_second_)));
}

}  // namespace edge::runtime::relay
