// edge/protocol/errors.h: the one mapping between call statuses and Tool RPC errors (docs/protocol.md §5).
//
// The connector turns an executor `CallOutcome` failure into an `RpcError`; the platform turns an `RpcError`
// back into a status and then into an HTTP answer (docs/api.md). Both directions live here so they agree.
#ifndef EDGE_PROTOCOL_ERRORS_H_
#define EDGE_PROTOCOL_ERRORS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "edge/protocol/messages.h"

namespace edge::protocol {

// Status payload the runtime attaches to InvalidArgument call failures (the failing field as a JSON Pointer
// into the arguments); same key as the plugin host's.
inline constexpr char kInvalidParamsFieldPayload[] = "edge.dev/invalid-params-field";

struct ErrorMappingOptions {
  std::string_view tool;                   // for data.tool on -32001
  int64_t overload_retry_after_ms = defaults::kOverloadRetryAfterMs;
  int64_t running = 0, queued = 0;         // for data on -32005
  std::string_view unavailable_reason = "draining";  // -32006 data.reason
  std::string_view tool_failed_reason;     // -32002 data.reason when set, e.g. "result_too_large"
};
// Maps a host-level call failure (not OK) to its RPC error with code, message (the status message verbatim)
// and data (`status` plus the code's fields). Also: AlreadyExists -> -32600 with reason "duplicate_call_id";
// a Parse*Params failure's kParamPointerPayload -> data.param.
RpcError ErrorFromStatus(const absl::Status& status, const ErrorMappingOptions& options = {});

// The reverse: the canonical status for an RPC error (unknown codes -> Internal), with data.field attached as
// kInvalidParamsFieldPayload when present.
absl::Status StatusFromError(const RpcError& error);
// Reads one top-level string field of error data ("" when absent), e.g. "field", "reason".
std::string ErrorDataString(const RpcError& error, std::string_view key);
// Reads one top-level integer field of error data (fallback when absent), e.g. "retryAfterMs".
int64_t ErrorDataInt(const RpcError& error, std::string_view key, int64_t fallback);

}  // namespace edge::protocol

#endif  // EDGE_PROTOCOL_ERRORS_H_
