// edge/protocol/protocol.h: the constants of the Tool RPC protocol v1 (docs/protocol.md), shared by the
// connector and edge-platform: subprotocol names, limits, method names, JSON-RPC error codes, close codes, the
// upgrade request's headers and the 401 reasons. Nothing here does I/O.
#ifndef EDGE_PROTOCOL_PROTOCOL_H_
#define EDGE_PROTOCOL_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edge::protocol {

// §1 transport and version.
inline constexpr std::string_view kSubprotocolV1 = "edge-tool-rpc.v1";
inline constexpr std::string_view kSubprotocolFallback = "edge-tool-rpc";  // negotiation fallback: close 4003
inline constexpr std::string_view kProtocolVersion = "1.0";                 // the minor goes in connector.hello
inline constexpr size_t kMaxMessageBytes = 4 * 1024 * 1024;                 // per message, after reassembly
inline constexpr size_t kMaxIdBytes = 128;                                  // ids and callIds
inline constexpr size_t kMaxCloseReasonBytes = 123;

// §4 methods.
namespace method {
inline constexpr std::string_view kHello = "connector.hello";
inline constexpr std::string_view kRegister = "tools.register";
inline constexpr std::string_view kInvoke = "tool.invoke";
inline constexpr std::string_view kCancel = "tool.cancel";
inline constexpr std::string_view kProgress = "tool.progress";
inline constexpr std::string_view kHeartbeat = "heartbeat";
inline constexpr std::string_view kBundleUpdated = "bundle.updated";
inline constexpr std::string_view kDraining = "connector.draining";
inline constexpr std::string_view kWebhookRelay = "webhook.relay";
}  // namespace method

// §5 JSON-RPC error codes.
enum ErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kToolNotFound = -32001,
  kToolFailed = -32002,
  kTimeout = -32003,
  kCancelled = -32004,
  kOverloaded = -32005,
  kConnectorUnavailable = -32006,
};
// "tool not found", "invalid params", ...; "unknown error" for codes this version does not know.
std::string_view ErrorCodeName(int code);

// §6.1 close codes.
enum CloseCode : uint16_t {
  kCloseNormal = 1000,
  kCloseGoingAway = 1001,
  kCloseUnsupportedData = 1003,  // a binary message
  kCloseAbnormal = 1006,         // observed only, never sent
  kCloseMessageTooLarge = 1009,
  kCloseInternalError = 1011,
  kCloseAuthFailed = 4001,
  kCloseProtocolViolation = 4002,
  kCloseUnsupportedVersion = 4003,
  kCloseHeartbeatTimeout = 4008,
  kCloseAlreadyConnected = 4009,
};
// The fixed message of a close code ("Deployment already connected"); "" for unknown codes.
std::string_view CloseMessage(int code);
// "Message[; key=value]...", cut to kMaxCloseReasonBytes (key=value pairs are dropped whole, never cut).
std::string FormatCloseReason(int code, const std::vector<std::pair<std::string, std::string>>& fields = {});
struct CloseReason {
  std::string message;
  std::map<std::string, std::string> fields;  // e.g. {"retryAfterMs": "45000"}
};
CloseReason ParseCloseReason(std::string_view text);

// §2 the upgrade request.
namespace header {
inline constexpr std::string_view kAuthorization = "authorization";
inline constexpr std::string_view kDeploymentId = "x-edge-deployment-id";
inline constexpr std::string_view kConnectorVersion = "x-edge-connector-version";
inline constexpr std::string_view kConnectorType = "x-edge-connector-type";
inline constexpr std::string_view kAuthError = "x-edge-auth-error";
}  // namespace header

// §2.2 the reasons of an HTTP 401 at upgrade (X-Edge-Auth-Error), with the message users search for.
enum class AuthFailure {
  kCredentialsMissing,
  kCredentialsMalformed,
  kTokenInvalid,
  kTokenExpired,
  kOrgMissing,
  kDeploymentRequired,
  kInvalidCredentials,
  kDeploymentForbidden,
};
std::string_view AuthFailureReason(AuthFailure f);   // "token_expired"
std::string_view AuthFailureMessage(AuthFailure f);  // "Token has expired"
bool ParseAuthFailureReason(std::string_view reason, AuthFailure* out);

// §9 defaults (each is a setting on its side; these are the product's promised values).
namespace defaults {
inline constexpr int64_t kHeartbeatIntervalMs = 30000;
inline constexpr int64_t kHeartbeatTimeoutMs = 75000;
inline constexpr int64_t kHelloTimeoutMs = 10000;
inline constexpr int64_t kReconnectInitialMs = 5000;
inline constexpr int64_t kReconnectMaxMs = 60000;
inline constexpr int64_t kSlowBackoffInitialMs = 60000;
inline constexpr int64_t kSlowBackoffMaxMs = 600000;
inline constexpr int64_t kStablePeriodMs = 60000;
inline constexpr int64_t kOverloadRetryAfterMs = 1000;
inline constexpr int64_t kProgressCoalesceMs = 100;
inline constexpr int64_t kDrainGraceMs = 25000;
inline constexpr int64_t kPlatformCallSlackMs = 5000;
}  // namespace defaults

// The effective timeout a side uses against a peer beating every `peer_interval_ms` (§4.1).
inline int64_t EffectiveHeartbeatTimeoutMs(int64_t own_timeout_ms, int64_t peer_interval_ms) {
  const int64_t floor = 2 * peer_interval_ms + 5000;
  return own_timeout_ms < floor ? floor : own_timeout_ms;
}

}  // namespace edge::protocol

#endif  // EDGE_PROTOCOL_PROTOCOL_H_
