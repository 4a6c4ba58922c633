// The status <-> RPC error mapping (docs/protocol.md §5).
#include "edge/protocol/errors.h"

#include "absl/strings/cord.h"
#include "gtest/gtest.h"

namespace edge::protocol {
namespace {

TEST(ErrorFromStatusTest, InvalidArgumentCarriesField) {
  absl::Status s = absl::InvalidArgumentError("invalid params for tool 'slow': /seconds: value -1 is less than minimum 0");
  s.SetPayload(kInvalidParamsFieldPayload, absl::Cord("/seconds"));
  RpcError e = ErrorFromStatus(s);
  EXPECT_EQ(e.code, kInvalidParams);
  EXPECT_EQ(e.message, "invalid params for tool 'slow': /seconds: value -1 is less than minimum 0");
  EXPECT_EQ(e.data_json, R"({"status":"INVALID_ARGUMENT","field":"/seconds"})");
  EXPECT_EQ(ErrorDataString(e, "field"), "/seconds");
  EXPECT_EQ(ErrorDataString(e, "status"), "INVALID_ARGUMENT");

  absl::Status back = StatusFromError(e);
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(back.message(), s.message());
  auto field = back.GetPayload(kInvalidParamsFieldPayload);
  ASSERT_TRUE(field.has_value());
  EXPECT_EQ(std::string(*field), "/seconds");
}

TEST(ErrorFromStatusTest, EmptyFieldMeansArgumentsObject) {
  absl::Status s = absl::InvalidArgumentError("arguments must be an object");
  s.SetPayload(kInvalidParamsFieldPayload, absl::Cord(""));
  RpcError e = ErrorFromStatus(s);
  EXPECT_EQ(e.data_json, R"({"status":"INVALID_ARGUMENT","field":""})");
  auto field = StatusFromError(e).GetPayload(kInvalidParamsFieldPayload);
  ASSERT_TRUE(field.has_value());
  EXPECT_EQ(std::string(*field), "");
}

TEST(ErrorFromStatusTest, ParamsPointerBecomesParam) {
  auto parsed = ParseInvokeParams(R"({"tool":"t"})");
  ASSERT_FALSE(parsed.ok());
  RpcError e = ErrorFromStatus(parsed.status());
  EXPECT_EQ(e.code, kInvalidParams);
  EXPECT_EQ(ErrorDataString(e, "param"), "/callId");
  EXPECT_EQ(ErrorDataString(e, "field"), "");
  EXPECT_EQ(ParamPointer(StatusFromError(e)), "/callId");
}

TEST(ErrorFromStatusTest, EachCode) {
  ErrorMappingOptions o;
  o.tool = "echo";
  RpcError e = ErrorFromStatus(absl::NotFoundError("tool 'echo' is not registered"), o);
  EXPECT_EQ(e.code, kToolNotFound);
  EXPECT_EQ(e.data_json, R"({"status":"NOT_FOUND","tool":"echo"})");

  e = ErrorFromStatus(absl::InternalError("tool 'x' threw"));
  EXPECT_EQ(e.code, kToolFailed);
  EXPECT_EQ(e.data_json, R"({"status":"INTERNAL"})");
  o.tool_failed_reason = "result_too_large";
  e = ErrorFromStatus(absl::UnknownError("too big"), o);
  EXPECT_EQ(e.code, kToolFailed);
  EXPECT_EQ(ErrorDataString(e, "reason"), "result_too_large");
  EXPECT_EQ(ErrorDataString(e, "status"), "UNKNOWN");

  e = ErrorFromStatus(absl::CancelledError("call cancelled"));
  EXPECT_EQ(e.code, kCancelled);
  EXPECT_EQ(ErrorDataString(e, "status"), "CANCELLED");

  o.overload_retry_after_ms = 1500;
  o.running = 16;
  o.queued = 256;
  e = ErrorFromStatus(absl::ResourceExhaustedError("busy"), o);
  EXPECT_EQ(e.code, kOverloaded);
  EXPECT_EQ(e.data_json, R"({"status":"RESOURCE_EXHAUSTED","retryAfterMs":1500,"running":16,"queued":256})");
  EXPECT_EQ(ErrorDataInt(e, "retryAfterMs", 0), 1500);
  EXPECT_EQ(ErrorDataInt(e, "missing", 42), 42);
  EXPECT_EQ(ErrorDataInt(e, "status", 7), 7);  // not an integer

  e = ErrorFromStatus(absl::UnavailableError("draining"));
  EXPECT_EQ(e.code, kConnectorUnavailable);
  EXPECT_EQ(ErrorDataString(e, "reason"), "draining");

  e = ErrorFromStatus(absl::AlreadyExistsError("callId c is already in flight"));
  EXPECT_EQ(e.code, kInvalidRequest);
  EXPECT_EQ(ErrorDataString(e, "reason"), "duplicate_call_id");
  EXPECT_EQ(StatusFromError(e).code(), absl::StatusCode::kAlreadyExists);

  e = ErrorFromStatus(absl::PermissionDeniedError("no"));
  EXPECT_EQ(e.code, kInternalError);
  EXPECT_EQ(ErrorDataString(e, "status"), "PERMISSION_DENIED");
}

TEST(ErrorFromStatusTest, TimeoutKindFromExecutorWording) {
  // The wording of runtime/src/calls/call_state.cc TimeoutStatus.
  RpcError e = ErrorFromStatus(absl::DeadlineExceededError(
      "tool 'slow' timed out after 30s without progress (inactivity timeout); the tool was told to stop."));
  EXPECT_EQ(e.code, kTimeout);
  EXPECT_EQ(ErrorDataString(e, "kind"), "inactivity");
  e = ErrorFromStatus(absl::DeadlineExceededError(
      "tool 'slow' exceeded its maximum duration of 10m (hard limit, not extended by progress)"));
  EXPECT_EQ(ErrorDataString(e, "kind"), "maxDuration");
  e = ErrorFromStatus(absl::DeadlineExceededError("deadline"));
  EXPECT_EQ(e.data_json, R"({"status":"DEADLINE_EXCEEDED"})");
}

TEST(StatusFromErrorTest, Codes) {
  EXPECT_EQ(StatusFromError({kToolNotFound, "m", ""}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusFromError({kToolFailed, "m", ""}).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusFromError({kTimeout, "m", ""}).code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StatusFromError({kCancelled, "m", ""}).code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(StatusFromError({kOverloaded, "m", ""}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusFromError({kConnectorUnavailable, "m", ""}).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromError({kMethodNotFound, "m", ""}).code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(StatusFromError({-32050, "new in 1.1", ""}).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusFromError({-32050, "new in 1.1", ""}).message(), "new in 1.1");
  // Malformed data is ignored, not fatal.
  EXPECT_EQ(ErrorDataString({kInvalidParams, "m", "not json"}, "field"), "");
  EXPECT_FALSE(StatusFromError({kInvalidParams, "m", "[1]"}).GetPayload(kInvalidParamsFieldPayload).has_value());
}

}  // namespace
}  // namespace edge::protocol
