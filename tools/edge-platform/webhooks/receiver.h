// webhooks/receiver.h: the checks a webhook receiver makes before it stores a delivery, as the relay makes
// them (docs/webhook-relay.md section 2): the URL token through its SHA-256 in constant time, the optional
// HMAC-SHA256 signature over the raw body, the per-webhook rate limit (a token bucket), and which request
// headers are kept. edge-platform uses them for cloud-public webhooks (api/webhooks.cc).
#ifndef EDGE_PLATFORM_WEBHOOKS_RECEIVER_H_
#define EDGE_PLATFORM_WEBHOOKS_RECEIVER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace edge::platform::webhooks {

struct HmacConfig {
  std::string header = "X-Hub-Signature-256";
  std::string prefix = "sha256=";
  std::string secret;
};

// Whether `token` hashes to `token_sha256` (lower-case hex), compared in constant time.
bool TokenMatches(std::string_view token, std::string_view token_sha256);

enum class Signature { kVerified, kNone, kAbsent, kInvalid };
const char* SignatureName(Signature s);  // "verified" | "none" | "absent" | "invalid"
// `header_value` is the request's value of hmac->header, when present. kInvalid: the request must be refused
// (401 invalid_signature) and not stored.
Signature CheckSignature(const std::optional<HmacConfig>& hmac, const std::optional<std::string>& header_value,
                         std::string_view body);

// The headers a delivery keeps, in this order: content-type, user-agent, the default forwarded list of
// docs/webhook-relay.md section 2, then the webhook's HMAC header. Names are lower case; `lookup` answers a
// lower-case name with the request's value, if any. Authorization and Cookie are never kept.
std::vector<std::pair<std::string, std::string>> SelectHeaders(
    const std::function<std::optional<std::string>(std::string_view)>& lookup, std::string_view hmac_header);

// A token bucket per key: `per_minute` sustained, bursts of max(per_minute / 10, 10).
class RateLimiter {
 public:
  explicit RateLimiter(int64_t per_minute);
  // True when a request for `key` is admitted at `now_ms` (monotonic). False: *retry_after_s is the whole
  // number of seconds (at least 1) until the next one would be.
  bool Admit(std::string_view key, int64_t now_ms, int64_t* retry_after_s);

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at_ms = 0;
  };
  double per_ms_;
  double burst_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace edge::platform::webhooks

#endif  // EDGE_PLATFORM_WEBHOOKS_RECEIVER_H_
