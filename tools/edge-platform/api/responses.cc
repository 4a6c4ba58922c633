// Response helpers.
#include "api/responses.h"

#include "edge/protocol/json_writer.h"
#include "edge/runtime/log.h"

namespace edge::platform::api {

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message, std::string_view reason) {
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("error").BeginObject().Key("code").String(code);
  if (!reason.empty()) w.Key("reason").String(reason);
  w.Key("message").String(message).EndObject().EndObject();
  return JsonResponse(status, std::move(body));
}

HttpResponse StatusResponse(const absl::Status& status, std::string_view not_found_code) {
  std::string_view message = runtime::ToStd(status.message());
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return ErrorResponse(404, not_found_code, message);
    case absl::StatusCode::kInvalidArgument:
      return ErrorResponse(400, "invalid_request", message);
    case absl::StatusCode::kAlreadyExists:
      return ErrorResponse(409, "already_exists", message);
    case absl::StatusCode::kFailedPrecondition:
      return ErrorResponse(409, "conflict", message);
    default:
      return ErrorResponse(500, "internal", message);
  }
}

}  // namespace edge::platform::api
