// Tool calls: invoke (the HTTP answer waits for the hub's outcome), cancel, and the call log.
#include <rapidjson/document.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/api.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "api/rpc_errors.h"
#include "edge/protocol/json_writer.h"
#include "edge/protocol/protocol.h"

namespace edge::platform::api {

using runtime::ToAbsl;

namespace {

// Room left in the 4 MiB message for the tool.invoke envelope around the arguments (ids, names, context).
constexpr size_t kEnvelopeAllowance = 16 * 1024;
constexpr size_t kMaxArgumentsBytes = protocol::kMaxMessageBytes - kEnvelopeAllowance;

// Reads an optional positive integer field; false (answered) when present and invalid.
bool OptionalPositive(HttpExchange& ex, const rapidjson::Document& doc, const char* name,
                      std::optional<int64_t>* out) {
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsInt64() || it->value.GetInt64() <= 0) {
    BadField(ex, absl::StrCat("/", name), absl::StrCat("'", name, "' must be a positive integer (milliseconds)"));
    return false;
  }
  *out = it->value.GetInt64();
  return true;
}

bool IsToolError(const std::string& result_json) {
  rapidjson::Document doc;
  doc.Parse(result_json.data(), result_json.size());
  if (doc.HasParseError() || !doc.IsObject()) return false;
  auto it = doc.FindMember("isError");
  return it != doc.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

}  // namespace

void Api::Invoke(const Exchange& ex, const Caller& caller, const std::string& tool) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, true)) return;
  InvokeRequest request;
  request.org_id = caller.org_id;
  request.user_id = caller.subject;
  request.tool = tool;
  auto args = doc.FindMember("arguments");
  if (args != doc.MemberEnd()) {
    if (!args->value.IsObject()) {
      return BadField(*ex, "/arguments",
                      "'arguments' must be a JSON object with the tool's input, e.g. {\"arguments\":{\"text\":\"hi\"}}");
    }
    request.arguments_json = ToJsonText(args->value);
  }
  if (request.arguments_json.size() > kMaxArgumentsBytes) {
    // Refused here: the link never carries a message over its 4 MiB limit (docs/protocol.md §1).
    return ex->Respond(ErrorResponse(
        413, "arguments_too_large",
        absl::StrCat("the arguments are ", request.arguments_json.size(), " bytes; a tool call's arguments may be at "
                     "most ", kMaxArgumentsBytes, " bytes (the link's 4 MiB message limit); send bulk data another way")));
  }
  auto dep = doc.FindMember("deploymentId");
  if (dep != doc.MemberEnd() && !dep->value.IsNull()) {
    if (!dep->value.IsString()) return BadField(*ex, "/deploymentId", "'deploymentId' must be a string");
    request.deployment_id.assign(dep->value.GetString(), dep->value.GetStringLength());
    store::Deployment d;
    if (!FindDeployment(ex, caller, request.deployment_id, &d)) return;
  }
  if (!OptionalPositive(*ex, doc, "timeoutMs", &request.max_duration_ms)) return;
  if (!OptionalPositive(*ex, doc, "inactivityTimeoutMs", &request.inactivity_ms)) return;
  auto call_id = doc.FindMember("callId");
  if (call_id != doc.MemberEnd() && !call_id->value.IsNull()) {
    if (!call_id->value.IsString() || call_id->value.GetStringLength() == 0 ||
        call_id->value.GetStringLength() > protocol::kMaxIdBytes) {
      return BadField(*ex, "/callId",
                      absl::StrCat("'callId' must be a string of 1 to ", protocol::kMaxIdBytes,
                                   " bytes, unique per call (or leave it out for a generated one)"));
    }
    request.call_id.assign(call_id->value.GetString(), call_id->value.GetStringLength());
    if (in_flight_.count(request.call_id) != 0) {
      return BadField(*ex, "/callId", absl::StrCat("call '", request.call_id, "' is already in flight; use a new id"));
    }
  } else {
    // Ours, not the hub's: the id must be known before the outcome to cancel on disconnect.
    request.call_id = "call_" + protocol::RandomToken(16);
  }

  const std::string id = request.call_id;
  const std::string org = caller.org_id;
  const int64_t started = store::NowMs();
  in_flight_[id] = org;
  ex->OnAbandoned([this, id] {
    if (in_flight_.count(id) != 0) hub_->Cancel(id, "caller");
  });
  hub_->Invoke(std::move(request), [this, ex, id, org, tool, started](InvokeOutcome outcome) {
    in_flight_.erase(id);
    HttpResponse response;
    store::CallRecord record{id, org, outcome.deployment_id, tool, started, outcome.elapsed_ms, "", 0};
    if (outcome.result_json) {
      record.outcome = IsToolError(*outcome.result_json) ? "tool_error" : "result";
      protocol::JsonWriter w(response.body);
      w.BeginObject().Key("callId").String(id).Key("deploymentId").String(outcome.deployment_id);
      w.Key("elapsedMs").Int(outcome.elapsed_ms).Key("result").Raw(*outcome.result_json).EndObject();
    } else {
      if (outcome.error.code == protocol::kConnectorUnavailable && outcome.error.message.empty()) {
        outcome.error.message = absl::StrCat("connector unavailable: no connected connector serves tool '", tool, "'");
      }
      record.outcome = std::string(RpcErrorName(outcome.error.code));
      response = RpcErrorResponse(outcome.error, id, outcome.deployment_id);
    }
    record.http_status = response.status;
    if (absl::Status s = store_->RecordCall(record); !s.ok() && logger_) {
      logger_->Warn("api", "could not record call ", id, ": ", s.ToString());
    }
    ex->Respond(std::move(response));
  });
}

void Api::CancelCall(const Exchange& ex, const Caller& caller, const std::string& call_id) {
  auto it = in_flight_.find(call_id);
  if (it == in_flight_.end() || it->second != caller.org_id || !hub_->Cancel(call_id, "caller")) {
    return ex->Respond(ErrorResponse(404, "call_not_found",
                                     absl::StrCat("call '", call_id, "' is not in flight in org '", caller.org_id,
                                                  "' (unknown or already finished); see GET /api/v1/calls")));
  }
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("callId").String(call_id).Key("cancelled").Bool(true).EndObject();
  ex->Respond(JsonResponse(202, std::move(body)));
}

void Api::ListCalls(const Exchange& ex, const Caller& caller) {
  int64_t limit = 100;
  for (absl::string_view pair : absl::StrSplit(ex->request().query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.first != "limit") continue;
    if (!absl::SimpleAtoi(kv.second, &limit) || limit < 1 || limit > store::kCallLogLimit) {
      return ex->Respond(ErrorResponse(400, "invalid_request",
                                       absl::StrCat("limit must be an integer from 1 to ", store::kCallLogLimit,
                                                    ", got '", kv.second, "'")));
    }
  }
  absl::StatusOr<std::vector<store::CallRecord>> calls = store_->ListCalls(caller.org_id, limit);
  if (!calls.ok()) return ex->Respond(StatusResponse(calls.status()));
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("calls").BeginArray();
  for (const store::CallRecord& c : *calls) {
    w.BeginObject().Key("callId").String(c.call_id).Key("deploymentId").String(c.deployment_id);
    w.Key("tool").String(c.tool).Key("startedAtMs").Int(c.started_at_ms).Key("elapsedMs").Int(c.elapsed_ms);
    w.Key("outcome").String(c.outcome).Key("httpStatus").Int(c.http_status).EndObject();
  }
  w.EndArray().EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

}  // namespace edge::platform::api
