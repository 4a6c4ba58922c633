// relay/relay_handler.h: what the relay answers (docs/webhook-relay.md §2 "Requests"), apart from HTTP plumbing.
//
// A request is decided in two steps, so nothing large is read for a request that is refused anyway: Admit()
// looks at the method, path and Content-Length (404, 405, 503 relay_not_ready, 401 invalid_token, 413, 429);
// Finish() gets the body and the selected headers, checks the HMAC (401 invalid_signature) and queues the
// delivery durably before answering 202 (or 503 relay_queue_full). Runs on the relay server's thread.
#ifndef EDGE_RUNTIME_RELAY_RELAY_HANDLER_H_
#define EDGE_RUNTIME_RELAY_RELAY_HANDLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "edge/protocol/messages.h"
#include "edge/runtime/log.h"
#include "relay/disk_queue.h"
#include "relay/request_checks.h"
#include "relay/ulid.h"
#include "relay/webhook_registry.h"

namespace edge::runtime::relay {

struct HttpResponse {
  int status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, Retry-After)
};

struct RequestHead {
  std::string method;  // "POST", "GET", ...
  std::string path;    // without the query string
  std::string query;   // without '?', "" when none
  std::optional<int64_t> content_length;
};

// A request that passed Admit: what Finish needs.
struct Admitted {
  HookPath hook;
  protocol::WebhookConfigEntry webhook;
  std::vector<std::string> header_names;  // lower-case names to read from the request and relay
  absl::Time received_at;
};

struct RelayHandlerOptions {
  int64_t max_body_bytes = 1048576;
  int64_t rate_limit_per_minute = 600;
  std::vector<std::string> forward_headers;
  Logger* logger = nullptr;
  std::function<absl::Time()> now;  // empty: absl::Now
};

class RelayHandler {
 public:
  // `on_queued` runs after each delivery is safely queued (the sender's Wake).
  RelayHandler(RelayHandlerOptions options, const WebhookRegistry* registry, DiskQueue* queue,
               std::function<void()> on_queued);

  std::variant<HttpResponse, Admitted> Admit(const RequestHead& head);
  // `headers`: the values present in the request for admitted.header_names, as [lower-case name, value].
  HttpResponse Finish(const Admitted& admitted, const RequestHead& head,
                      std::vector<std::pair<std::string, std::string>> headers, std::string body);
  // 413 for a body that grew past the limit while it was read.
  HttpResponse BodyTooLarge() const;
  int64_t max_body_bytes() const { return options_.max_body_bytes; }

 private:
  absl::Time Now() const { return options_.now ? options_.now() : absl::Now(); }

  const RelayHandlerOptions options_;
  const WebhookRegistry* const registry_;
  DiskQueue* const queue_;
  const std::function<void()> on_queued_;
  Logger& logger_;
  RateLimiter rate_limiter_;
  UlidGenerator ulids_;
};

// {"error":{"code":...,"message":...}} with `status`.
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);

}  // namespace edge::runtime::relay

#endif  // EDGE_RUNTIME_RELAY_RELAY_HANDLER_H_
