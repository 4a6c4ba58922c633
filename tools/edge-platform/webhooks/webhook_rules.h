// webhooks/webhook_rules.h: the pure rules of webhook provisioning (docs/webhook-relay.md section 1):
// integration ids, webhook ids and URL tokens, the URLs handed to providers, and the loopback rule that refuses
// an edge-relay webhook a provider could never reach.
#ifndef EDGE_PLATFORM_WEBHOOKS_WEBHOOK_RULES_H_
#define EDGE_PLATFORM_WEBHOOKS_WEBHOOK_RULES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edge::platform::webhooks {

inline constexpr std::string_view kModeEdgeRelay = "edge-relay";
inline constexpr std::string_view kModeCloudPublic = "cloud-public";
inline constexpr std::string_view kModePolling = "polling";
inline constexpr int64_t kDefaultMaxBodyBytes = 1024 * 1024;   // --webhook-max-body-bytes
inline constexpr int64_t kDefaultRateLimitPerMinute = 600;     // per webhook, like the relay's default

// 1-64 characters of [A-Za-z0-9._-]; InvalidArgument naming the rule otherwise.
absl::Status ValidateIntegrationId(std::string_view id);

std::string NewWebhookId();  // "wh_" + 16 url-safe random characters
std::string NewToken();      // 256 random bits, 43 base64url characters
std::string NewDeliveryId();  // a ULID (26 Crockford base32 characters, sortable by time)

// "<base>/hooks/<webhookId>/" (the URL without its token) and the full URL with it.
std::string UrlPrefix(std::string_view base_url, std::string_view webhook_id);
std::string HookUrl(std::string_view base_url, std::string_view webhook_id, std::string_view token);

// The host of an http:// or https:// URL, without brackets or port. InvalidArgument for anything else.
absl::StatusOr<std::string> HttpUrlHost(std::string_view url);
// 127.0.0.0/8, ::1 or localhost (case-insensitive).
bool IsLoopbackHost(std::string_view host);

// The 409 relay_loopback_only message: why the provider cannot reach the relay, and the two fixes.
std::string LoopbackOnlyMessage(std::string_view deployment_id, std::string_view provider_base_url,
                                std::string_view relay_url);

}  // namespace edge::platform::webhooks

#endif  // EDGE_PLATFORM_WEBHOOKS_WEBHOOK_RULES_H_
