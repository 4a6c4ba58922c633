// edge/protocol/messages.h: every Tool RPC v1 message as a plain struct, with its encoder and decoder
// (docs/protocol.md §4). This is the one codec both the connector and edge-platform use.
//
// Decoding: `DecodeMessage` validates a whole WebSocket message (UTF-8, well-formed JSON, JSON-RPC 2.0 shape,
// id rules) and splits it into an `Envelope` whose params/result/error data stay raw JSON text; the typed
// `Parse*Params` functions then read one method's params. Raw sub-objects (tool arguments, descriptors,
// structured content) are carried as already-validated JSON text and spliced, never re-serialised.
//
// Errors: `DecodeMessage` fails with kDataLoss for a parse error (answer -32700, id null) and with
// kInvalidArgument for an invalid request (answer -32600 echoing `Envelope::id` when it could be read; see
// `DecodeFailureId`). `Parse*Params` fail with kInvalidArgument and a message naming the field; the JSON Pointer
// into params is attached as the payload kParamPointerPayload (read it with `ParamPointer`), for -32602's
// `data.param`.
#ifndef EDGE_PROTOCOL_MESSAGES_H_
#define EDGE_PROTOCOL_MESSAGES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/protocol/protocol.h"

namespace edge::protocol {

inline constexpr char kParamPointerPayload[] = "edge.dev/invalid-params-param";
// The JSON Pointer attached by a Parse*Params failure ("" when none).
std::string ParamPointer(const absl::Status& status);

// ---- envelope ----------------------------------------------------------------------------------------------

enum class MessageKind { kRequest, kNotification, kResult, kError };

struct RpcError {
  int code = kInternalError;
  std::string message;
  std::string data_json;  // raw JSON object, or empty for none
};

struct Envelope {
  MessageKind kind = MessageKind::kNotification;
  std::string id;      // the raw id token, trimmed (`7`, `"p-1"`); empty for notifications
  std::string method;  // requests and notifications
  std::string params;  // raw JSON object text; "{}" when absent
  std::string result;  // kResult: raw JSON value
  RpcError error;      // kError
};

// Validates and splits one message (the whole reassembled WebSocket text message).
absl::StatusOr<Envelope> DecodeMessage(std::string_view message);
// For a kInvalidArgument failure of DecodeMessage: the raw id token to echo, or "null".
std::string DecodeFailureId(const absl::Status& status);

// Writers. `id` is a raw id token (an integer, or a JSON string with quotes); `params_json`/`result_json`/
// `data_json` are valid JSON text (data may be empty).
std::string EncodeRequest(std::string_view id, std::string_view method, std::string_view params_json);
std::string EncodeNotification(std::string_view method, std::string_view params_json);
std::string EncodeResult(std::string_view id, std::string_view result_json);
std::string EncodeError(std::string_view id, const RpcError& error);
// A JSON string token for an id (`"p-1"` with quotes and escaping).
std::string StringId(std::string_view text);

// ---- shared pieces -----------------------------------------------------------------------------------------

struct BundleRef {
  std::string id;
  int64_t version = 0;
  std::string checksum;
};
struct RelayInfo {
  std::string url;
  std::string mode;  // "lan" | "loopback"
};
struct HeartbeatSettings {
  int64_t interval_ms = defaults::kHeartbeatIntervalMs;
  int64_t timeout_ms = defaults::kHeartbeatTimeoutMs;
};

// ---- §4.1 connector.hello ----------------------------------------------------------------------------------

struct HelloParams {
  std::string protocol_version{kProtocolVersion};
  std::string name = "edge-connector";
  std::string version;
  std::string type = "SERVER";  // SERVER | DESKTOP
  std::string instance_id;
  std::string hostname;
  std::string platform;         // e.g. linux-x86_64
  std::string plugin_abi = "1.0";
  int64_t max_concurrent_calls = 16;
  int64_t max_queued_calls = 256;
  int64_t max_message_bytes = static_cast<int64_t>(kMaxMessageBytes);
  HeartbeatSettings heartbeat;
  std::optional<BundleRef> bundle;
  std::optional<RelayInfo> relay;
};
std::string ToJson(const HelloParams& p);
absl::StatusOr<HelloParams> ParseHelloParams(std::string_view params_json);

struct HelloResult {
  std::string protocol_version{kProtocolVersion};
  std::string session_id;
  std::string org_id;
  std::string deployment_id;
  int64_t server_time_ms = 0;
  HeartbeatSettings heartbeat;
  std::string platform_name = "edge-platform";
  std::string platform_version;
};
std::string ToJson(const HelloResult& r);
absl::StatusOr<HelloResult> ParseHelloResult(std::string_view result_json);

// ---- §4.2 tools.register -----------------------------------------------------------------------------------

struct RegisteredTool {
  std::string name;
  std::string descriptor_json;  // the whole ToolDescriptor::ToJson() object, verbatim
};
struct RegisterParams {
  uint64_t generation = 0;
  std::optional<BundleRef> bundle;
  std::vector<RegisteredTool> tools;
};
std::string ToJson(const RegisterParams& p);
// Also checks: unique names, each inputSchema an object schema (pointer e.g. /tools/3/inputSchema).
absl::StatusOr<RegisterParams> ParseRegisterParams(std::string_view params_json);

struct RegisterResult {
  uint64_t generation = 0;
  int64_t tool_count = 0;
};
std::string ToJson(const RegisterResult& r);
absl::StatusOr<RegisterResult> ParseRegisterResult(std::string_view result_json);

// ---- §4.3 tool.invoke --------------------------------------------------------------------------------------

struct InvokeParams {
  std::string call_id;
  std::string tool;
  std::string arguments_json = "{}";  // raw object
  std::string user_id;                // optional: empty when absent
  std::string org_id;
  std::string deployment_id;
  std::optional<int64_t> inactivity_ms;     // > 0 when present
  std::optional<int64_t> max_duration_ms;   // > 0 when present
};
std::string ToJson(const InvokeParams& p);
absl::StatusOr<InvokeParams> ParseInvokeParams(std::string_view params_json);

// The invoke result is ToolResult::ToJson() (content, structuredContent, isError), optionally with
// "_meta":{"elapsedMs":n}. The platform reads it as raw JSON; this checks its shape.
absl::Status ValidateToolResult(std::string_view result_json);

// ---- §4.4 tool.cancel, §4.5 tool.progress ------------------------------------------------------------------

struct CancelParams {
  std::string call_id;
  std::string reason = "caller";  // caller | timeout | shutdown
};
std::string ToJson(const CancelParams& p);
absl::StatusOr<CancelParams> ParseCancelParams(std::string_view params_json);

struct ProgressParams {
  std::string call_id;
  double progress = 0;
  std::optional<double> total;
  std::optional<std::string> message;
};
std::string ToJson(const ProgressParams& p);
absl::StatusOr<ProgressParams> ParseProgressParams(std::string_view params_json);

// ---- §4.6 heartbeat (connector → platform), §4.7 heartbeat (platform → connector) --------------------------

struct ConnectorStatus {
  std::string state = "not_ready";  // serving | not_ready | draining
  int64_t running = 0, queued = 0, abandoned = 0;
  uint64_t completed = 0, failed = 0, timed_out = 0, cancelled = 0, rejected_overloaded = 0, late_results = 0;
  uint64_t tools_generation = 0;
  int64_t tool_count = 0;
  std::optional<BundleRef> bundle;
  int64_t uptime_ms = 0;
  int64_t rss_bytes = 0;
  int64_t reconnects = 0;
  std::optional<RelayInfo> relay;
};
std::string ToJson(const ConnectorStatus& s);

struct HeartbeatParams {  // connector → platform
  uint64_t seq = 0;
  int64_t sent_at_ms = 0;
  ConnectorStatus status;
  std::string status_json;  // filled by the parser: the raw status object, for the platform to store
};
std::string ToJson(const HeartbeatParams& p);
absl::StatusOr<HeartbeatParams> ParseHeartbeatParams(std::string_view params_json);

struct HeartbeatResult {  // platform → connector answer
  uint64_t seq = 0;
  int64_t server_time_ms = 0;
};
std::string ToJson(const HeartbeatResult& r);
absl::StatusOr<HeartbeatResult> ParseHeartbeatResult(std::string_view result_json);

struct PlatformHeartbeatParams {  // platform → connector; the connector answers {"seq": n}
  uint64_t seq = 0;
  int64_t server_time_ms = 0;
};
std::string ToJson(const PlatformHeartbeatParams& p);
absl::StatusOr<PlatformHeartbeatParams> ParsePlatformHeartbeatParams(std::string_view params_json);

// ---- §4.8 bundle.updated, §4.9 connector.draining ----------------------------------------------------------

struct BundleUpdatedParams {
  std::string bundle_id;
  int64_t version = 0;
  std::string checksum;
  std::string reason = "assigned";  // assigned | pinned | default | rollback
};
std::string ToJson(const BundleUpdatedParams& p);
absl::StatusOr<BundleUpdatedParams> ParseBundleUpdatedParams(std::string_view params_json);

struct DrainingParams {
  std::string reason = "shutdown";
  int64_t grace_ms = defaults::kDrainGraceMs;
  int64_t in_flight = 0;
};
std::string ToJson(const DrainingParams& p);
absl::StatusOr<DrainingParams> ParseDrainingParams(std::string_view params_json);

// ---- §4.10 webhook.relay, §4.11 webhooks.config (docs/webhook-relay.md) --------------------------------------

inline constexpr const char* kMethodWebhookRelay = "webhook.relay";
inline constexpr const char* kMethodWebhooksConfig = "webhooks.config";
inline constexpr int64_t kWebhookMaxBodyBytesLimit = 2 * 1024 * 1024;  // protocol maximum of webhookMaxBodyBytes

struct WebhookRelayParams {  // connector → platform request
  std::string delivery_id;   // ULID, the idempotency key
  std::string webhook_id;
  int64_t received_at_ms = 0;
  std::string method;
  std::string path;   // the token segment replaced by "{token}"
  std::string query;  // without '?', "" when none
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, in order, duplicates kept
  std::string body;   // raw bytes; encoded as bodyBase64 + bodyBytes (which must agree)
  std::string signature = "none";  // verified | none | absent
};
std::string ToJson(const WebhookRelayParams& p);
// -32602-style InvalidArgument naming the field for a missing/invalid field, a body over
// kWebhookMaxBodyBytesLimit, bodyBytes disagreeing with the decoded body, or an unknown signature value.
absl::StatusOr<WebhookRelayParams> ParseWebhookRelayParams(std::string_view params_json);

struct WebhookRelayResult {
  std::string delivery_id;
  std::string status;  // stored | duplicate
};
std::string ToJson(const WebhookRelayResult& r);
absl::StatusOr<WebhookRelayResult> ParseWebhookRelayResult(std::string_view result_json);

struct WebhookHmac {
  std::string header = "X-Hub-Signature-256";
  std::string prefix = "sha256=";
  std::string secret;
};
struct WebhookConfigEntry {
  std::string webhook_id;
  std::string integration_id;
  std::string token_sha256;  // lower-case hex SHA-256 of the URL token
  std::optional<WebhookHmac> hmac;
};
struct WebhooksConfigParams {  // platform → connector notification; the complete list
  std::vector<WebhookConfigEntry> webhooks;
};
std::string ToJson(const WebhooksConfigParams& p);
absl::StatusOr<WebhooksConfigParams> ParseWebhooksConfigParams(std::string_view params_json);

}  // namespace edge::protocol

#endif  // EDGE_PROTOCOL_MESSAGES_H_
