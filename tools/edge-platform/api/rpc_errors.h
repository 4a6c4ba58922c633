// api/rpc_errors.h: Tool RPC errors (docs/protocol.md §5) as HTTP answers (docs/api.md "Errors of a tool
// call"): the status code, the snake-case error name, and the response with Retry-After where it applies.
#ifndef EDGE_PLATFORM_API_RPC_ERRORS_H_
#define EDGE_PLATFORM_API_RPC_ERRORS_H_

#include <string>
#include <string_view>

#include "api/http.h"
#include "edge/protocol/messages.h"

namespace edge::platform::api {

// "invalid_params", "tool_not_found", "tool_failed", "timeout", "cancelled", "overloaded",
// "connector_unavailable", "invalid_request", "internal", ...
std::string_view RpcErrorName(int code);
int HttpStatusForRpcError(int code);
// {"error":{"code","message","rpcCode","details"},"callId","deploymentId"}; 429 carries Retry-After.
HttpResponse RpcErrorResponse(const protocol::RpcError& error, std::string_view call_id,
                              std::string_view deployment_id);

}  // namespace edge::platform::api

#endif  // EDGE_PLATFORM_API_RPC_ERRORS_H_
