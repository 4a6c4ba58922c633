// Webhook receiving checks: token, signature, rate, kept headers.
#include "webhooks/receiver.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/log.h"

namespace edge::platform::webhooks {

using runtime::ToAbsl;

bool TokenMatches(std::string_view token, std::string_view token_sha256) {
  return protocol::ConstantTimeEquals(protocol::Sha256Hex(token), token_sha256);
}

const char* SignatureName(Signature s) {
  switch (s) {
    case Signature::kVerified: return "verified";
    case Signature::kNone: return "none";
    case Signature::kAbsent: return "absent";
    case Signature::kInvalid: return "invalid";
  }
  return "invalid";
}

Signature CheckSignature(const std::optional<HmacConfig>& hmac, const std::optional<std::string>& header_value,
                         std::string_view body) {
  if (!hmac || hmac->secret.empty()) return Signature::kNone;
  if (!header_value) return Signature::kAbsent;
  std::string_view value = *header_value;
  if (value.substr(0, hmac->prefix.size()) != hmac->prefix) return Signature::kInvalid;
  value.remove_prefix(hmac->prefix.size());
  // Providers send lower-case hex; upper case is the same digest.
  const std::string presented = absl::AsciiStrToLower(ToAbsl(value));
  return protocol::ConstantTimeEquals(protocol::HmacSha256Hex(hmac->secret, body), presented) ? Signature::kVerified
                                                                                                : Signature::kInvalid;
}

namespace {

// Header values are normally ASCII; one that is not even UTF-8 could not be shown as JSON, so it is dropped.
bool IsUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 4;
    if (n == 4 || (n > 0 && c < 0xc2) || i + n >= text.size() + (n > 0 ? 0 : 1)) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> SelectHeaders(
    const std::function<std::optional<std::string>(std::string_view)>& lookup, std::string_view hmac_header) {
  static constexpr std::string_view kNames[] = {
      "content-type",        "user-agent",          "x-github-event",   "x-github-delivery",
      "x-github-hook-id",    "x-hub-signature-256", "x-gitlab-event",   "x-gitlab-token",
      "x-gitlab-event-uuid", "stripe-signature",    "x-slack-signature", "x-slack-request-timestamp",
      "x-request-id",        "x-webhook-id",        "x-event-type",
  };
  std::vector<std::string> names(std::begin(kNames), std::end(kNames));
  const std::string extra = absl::AsciiStrToLower(ToAbsl(hmac_header));
  if (!extra.empty() && extra != "authorization" && extra != "cookie" &&
      std::find(names.begin(), names.end(), extra) == names.end()) {
    names.push_back(extra);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& name : names) {
    std::optional<std::string> value = lookup(name);
    if (value && IsUtf8(*value)) out.emplace_back(name, *std::move(value));
  }
  return out;
}

RateLimiter::RateLimiter(int64_t per_minute)
    : per_ms_(static_cast<double>(std::max<int64_t>(per_minute, 1)) / 60000.0),
      burst_(static_cast<double>(std::max<int64_t>(per_minute / 10, 10))) {}

bool RateLimiter::Admit(std::string_view key, int64_t now_ms, int64_t* retry_after_s) {
  auto [it, fresh] = buckets_.try_emplace(std::string(key));
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst_;
  } else {
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now_ms - b.at_ms) * per_ms_);
  }
  b.at_ms = now_ms;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  const double wait_ms = (1.0 - b.tokens) / per_ms_;
  *retry_after_s = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_ms / 1000.0)));
  return false;
}

}  // namespace edge::platform::webhooks
