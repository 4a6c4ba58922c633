// api/responses.h: building the REST API's JSON answers: the common error shape
// {"error":{"code","message",...}} and the small helpers every handler uses.
#ifndef EDGE_PLATFORM_API_RESPONSES_H_
#define EDGE_PLATFORM_API_RESPONSES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "api/http.h"

namespace edge::platform::api {

HttpResponse JsonResponse(int status, std::string body);
// {"error":{"code":code,"message":message}}; `reason` adds "reason" (401/403 answers).
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message,
                           std::string_view reason = {});
// A Store/handler status as an answer: NotFound 404, InvalidArgument 400, AlreadyExists/FailedPrecondition 409,
// anything else 500. `not_found_code` names the missing thing ("deployment_not_found").
HttpResponse StatusResponse(const absl::Status& status, std::string_view not_found_code = "not_found");

}  // namespace edge::platform::api

#endif  // EDGE_PLATFORM_API_RESPONSES_H_
