// relay/request_checks.h: the pure checks of one webhook request (docs/webhook-relay.md §1 "Tokens", "HMAC" and
// §2 "Requests"): the /hooks/<webhookId>/<token> path, the token against its SHA-256, the HMAC signature, which
// headers are relayed, and the per-webhook rate limit. No I/O, so each is tested on its own.
#ifndef EDGE_RUNTIME_RELAY_REQUEST_CHECKS_H_
#define EDGE_RUNTIME_RELAY_REQUEST_CHECKS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "edge/protocol/messages.h"

namespace edge::runtime::relay {

struct HookPath {
  std::string webhook_id;
  std::string token;
};
// "/hooks/<webhookId>/<token>" exactly (no further segment, no trailing '/'); ids are 1-128 characters of
// [A-Za-z0-9._-], tokens 1-256 of [A-Za-z0-9_-] (base64url). Anything else: nullopt (404).
std::optional<HookPath> ParseHookPath(std::string_view path);
// The path as relayed: the token replaced by "{token}" (protocol §4.10).
std::string RelayedPath(const HookPath& hook);

// Whether SHA-256(token) is `token_sha256_hex`, compared in constant time.
bool TokenMatches(std::string_view token, std::string_view token_sha256_hex);

enum class Signature { kVerified, kNone, kAbsent, kInvalid };
// "verified" | "none" | "absent" | "invalid".
std::string_view SignatureName(Signature signature);
// `header_value` is the request's value of hmac->header (nullopt when the request has none). With a secret, the
// value must be prefix + hex(HMAC-SHA256(secret, body)) (hex in either case), compared in constant time.
Signature CheckSignature(const std::optional<protocol::WebhookHmac>& hmac,
                         const std::optional<std::string>& header_value, std::string_view body);

// The lower-case names of the headers relayed for a webhook, each once, in this order: content-type,
// user-agent, `forward` (lower-case), the webhook's HMAC header. Authorization and Cookie never appear.
std::vector<std::string> RelayedHeaderNames(const std::vector<std::string>& forward,
                                            const std::optional<protocol::WebhookHmac>& hmac);

// A token bucket per webhook: `per_minute` tokens a minute, bursts of max(per_minute / 10, 10). Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(int64_t per_minute);
  // 0 when the request may proceed (a token is taken), else the seconds to wait (>= 1) for Retry-After.
  int64_t Acquire(std::string_view webhook_id, absl::Time now);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  const double per_second_;
  const double burst_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edge::runtime::relay

#endif  // EDGE_RUNTIME_RELAY_REQUEST_CHECKS_H_
