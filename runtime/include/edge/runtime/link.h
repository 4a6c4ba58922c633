// edge/runtime/link.h: the connector's one outbound Tool RPC link (docs/protocol.md).
//
// `Link` owns a libwebsockets client context and its service thread. It connects, authenticates in the upgrade
// request, says hello, registers the catalog's tools, answers heartbeats and sends its own, and hands every
// tool.invoke to the executor; completions come back through a locked queue plus lws_cancel_service, so tool
// code never runs on the event loop. It reconnects with full-jitter backoff (slow backoff after auth or version
// failures) and rebuilds everything on each attempt: credentials, DNS, TLS, upgrade, hello, register.
#ifndef EDGE_RUNTIME_LINK_H_
#define EDGE_RUNTIME_LINK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "edge/protocol/messages.h"
#include "edge/runtime/auth.h"
#include "edge/runtime/executor.h"
#include "edge/runtime/log.h"
#include "edge/runtime/tool.h"

namespace edge::runtime {

struct LinkOptions {
  std::string url;                 // ws://host:port/path or wss://...
  std::string ca_file;             // private CA (PEM) for wss; empty: the system store
  bool tls_skip_verify = false;    // logged at WARN on every connect
  bool allow_insecure_ws = false;  // permit credentials over ws:// to a non-loopback host

  // Called before every connection attempt (on the link thread); an error is logged (once per backoff step)
  // and the attempt is skipped with the slow backoff.
  std::function<absl::StatusOr<LinkCredentials>()> credentials;

  // Identity for connector.hello.
  std::string connector_version;
  std::string connector_type = "SERVER";
  std::string instance_id;  // empty: a random UUID
  std::string hostname;     // empty: gethostname()
  std::string platform;     // empty: linux-<arch>

  int64_t heartbeat_interval_ms = 30000;
  int64_t heartbeat_timeout_ms = 75000;
  int64_t reconnect_initial_ms = 5000;
  int64_t reconnect_max_ms = 60000;
  int64_t stable_period_ms = 60000;
  int64_t slow_backoff_initial_ms = 60000;
  int64_t slow_backoff_max_ms = 600000;
  int64_t connect_timeout_ms = 10000;
  int64_t overload_retry_after_ms = 1000;
  int max_concurrent_calls = 16;  // announced in hello; the in-flight cap is the sum
  int max_queued_calls = 256;

  Logger* logger = nullptr;  // nullptr: Logger::Default()

  // Called on the link thread for each bundle.updated notification (bundle sync hooks in here); keep it
  // short and non-blocking. Empty: the notice is only logged.
  std::function<void(const protocol::BundleUpdatedParams&)> on_bundle_updated;
  // Called on the link thread each time a session starts serving (its first tools.register accepted): bundle
  // sync checks for a new target right after every connect. Keep it short and non-blocking.
  std::function<void()> on_serving;
  // The bundle the served tools come from, reported in connector.hello, tools.register and heartbeats. Called
  // on the link thread; keep it cheap. Empty, or nullopt: no bundle.
  std::function<std::optional<protocol::BundleRef>()> bundle_ref;

  // The local webhook relay (docs/webhook-relay.md). Both are called on the link thread: keep them cheap.
  // The relay's address, reported in connector.hello `relay` and in every heartbeat `status.relay`. Empty, or
  // nullopt: no relay.
  std::function<std::optional<protocol::RelayInfo>()> relay_info;
  // Each valid webhooks.config notification (the complete list). Empty: the notice is ignored.
  std::function<void(protocol::WebhooksConfigParams)> on_webhooks_config;
};

// The outcome of one webhook.relay request. `rpc_code` is the platform's JSON-RPC error code (e.g. -32602 for
// an unknown webhook), or 0 when the request got no answer: the link was not serving, the session ended first,
// or the result was malformed.
using WebhookRelayDone =
    absl::AnyInvocable<void(absl::StatusOr<protocol::WebhookRelayResult> result, int rpc_code)>;

enum class LinkState { kIdle, kConnecting, kHandshaking, kRegistering, kServing, kBackoff, kDraining, kClosed };
std::string_view LinkStateName(LinkState state);  // "connecting", "serving", ...

struct LinkStatus {
  LinkState state = LinkState::kIdle;
  bool registered = false;           // tools.register accepted on the current session
  std::string session_id;
  std::string org_id;
  std::string deployment_id;
  std::string url;
  std::optional<absl::Time> connected_since;
  std::optional<absl::Time> last_heartbeat_ack;  // last heartbeat result from the platform
  std::optional<absl::Time> last_platform_heartbeat;
  int64_t reconnects = 0;            // sessions established after the first
  int64_t connect_attempts = 0;
  std::string last_error;            // e.g. "Authentication failed: token_expired (token file ...)"
  std::optional<absl::Time> next_attempt_at;
  int64_t in_flight = 0;             // calls received on this session not yet answered
  uint64_t registered_generation = 0;
};

class Link {
 public:
  Link(LinkOptions options, std::shared_ptr<ToolCatalog> catalog, Executor* executor);
  ~Link();  // Stop()s
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Creates the context and starts the service thread, which connects at once.
  absl::Status Start();
  // Thread-safe. Sends tools.register with the catalog's current generation (after a hot reload).
  void Reregister();
  // Thread-safe. Sends connector.draining; invokes arriving after it are answered -32006.
  void BeginDrain(absl::Duration grace);
  // Thread-safe and non-blocking. Sends one webhook.relay request (`params_json` is
  // protocol::ToJson(WebhookRelayParams)) when the link is serving, and fails it at once otherwise. `done` runs
  // once, on the link thread (keep it cheap: hand the outcome to your own thread), or on the caller's thread
  // when the link is not running; requests still pending when the link is stopped are dropped uncalled.
  void SendWebhookRelay(std::string params_json, WebhookRelayDone done);
  // Thread-safe. Flushes pending responses, closes with 1001, stops reconnecting and joins the thread.
  // Waits at most `timeout` for the close handshake.
  void Stop(absl::Duration timeout = absl::Seconds(2));

  // Thread-safe snapshot.
  LinkStatus Status() const;
  // Thread-safe: whether the link is serving with tools registered (readiness).
  bool Ready() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Resident set size of this process in bytes (from /proc/self/statm); 0 when unknown.
int64_t ProcessRssBytes();

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_LINK_H_
