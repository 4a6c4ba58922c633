// Api: browser sign-in for `edge-connector auth --browser` (docs/console.md section 3, after RFC 8628). The CLI
// asks for a device code and polls with it; an operator signed in to the console approves the matching user
// code, and the next poll answers a connector token for the session's org, exactly once.
#include <chrono>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "console/device_flow.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/json_writer.h"

namespace edge::platform::api {

namespace {

std::string OptionalString(const rapidjson::Document& doc, const char* name) {
  auto m = doc.FindMember(name);
  return m != doc.MemberEnd() && m->value.IsString() ? std::string(m->value.GetString()) : std::string();
}

// The status a request shows now: a pending or approved code past its expiry has expired.
std::string EffectiveStatus(const store::DeviceRequest& r, int64_t now_ms) {
  if ((r.status == "pending" || r.status == "approved") && r.expires_at_ms <= now_ms) return "expired";
  return r.status;
}

HttpResponse DeviceError(std::string_view code, std::string_view message) {
  return ErrorResponse(400, code, message);
}

}  // namespace

void Api::CreateDeviceCode(const Exchange& ex) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, true)) return;
  store::DeviceRequest r;
  r.client_name = OptionalString(doc, "clientName");
  r.deployment_id = OptionalString(doc, "deploymentId");
  if (r.client_name.size() > 200) return BadField(*ex, "/clientName", "clientName is longer than 200 characters");
  if (r.client_name.empty()) r.client_name = "edge-connector";
  const std::string device_code = protocol::RandomToken(32);
  r.device_code_sha256 = protocol::Sha256Hex(device_code);
  r.requested_at_ms = store::NowMs();
  r.expires_at_ms = r.requested_at_ms + options_.device_code_ttl_ms;
  r.status = "pending";
  absl::Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {  // a user code collision is retried with a fresh one
    r.user_code = console::NewUserCode();
    s = store_->CreateDeviceRequest(r, console::kMaxOpenDeviceRequests);
    if (s.ok() || absl::IsResourceExhausted(s)) break;
  }
  if (absl::IsResourceExhausted(s)) {
    return ex->Respond(ErrorResponse(429, "too_many_requests", runtime::ToStd(s.message())));
  }
  if (!s.ok()) return ex->Respond(StatusResponse(s));
  const std::string verification = options_.public_url + "/console/device.html";
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("deviceCode").String(device_code).Key("userCode").String(r.user_code);
  w.Key("verificationUri").String(verification);
  w.Key("verificationUriComplete").String(absl::StrCat(verification, "?code=", r.user_code));
  w.Key("expiresInMs").Int(options_.device_code_ttl_ms).Key("intervalMs").Int(console::kDeviceIntervalMs);
  w.EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::PollDeviceToken(const Exchange& ex) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, false)) return;
  const std::string device_code = OptionalString(doc, "deviceCode");
  if (device_code.empty()) {
    return BadField(*ex, "/deviceCode", "deviceCode is required (from POST /api/v1/device/code)");
  }
  const std::string hash = protocol::Sha256Hex(device_code);
  absl::StatusOr<std::optional<store::DeviceRequest>> found = store_->FindDeviceRequestByDeviceCode(hash);
  if (!found.ok()) return ex->Respond(StatusResponse(found.status()));
  if (!*found) {
    return ex->Respond(DeviceError("invalid_grant", "unknown device code; start again with POST /api/v1/device/code"));
  }
  const store::DeviceRequest& r = **found;
  const int64_t now = store::NowMs();
  const std::string status = EffectiveStatus(r, now);
  if (status == "expired") {
    return ex->Respond(DeviceError("expired_token", "the sign-in code expired before it was approved; start again"));
  }
  if (status == "denied") return ex->Respond(DeviceError("access_denied", "the sign-in was denied in the console"));
  if (status == "issued") {
    return ex->Respond(DeviceError("invalid_grant", "this device code's token was already issued; start again"));
  }
  absl::StatusOr<int64_t> previous = store_->RecordDevicePoll(hash, now);
  if (!previous.ok()) return ex->Respond(StatusResponse(previous.status()));
  if (status == "pending") {
    // Half the interval of slack: clients sleeping intervalMs between polls are never told to slow down.
    if (*previous > 0 && now - *previous < console::kDeviceIntervalMs / 2) {
      return ex->Respond(DeviceError("slow_down", "polled too fast; add 1 s to the interval"));
    }
    return ex->Respond(DeviceError("authorization_pending", "not approved yet; keep polling every intervalMs"));
  }
  absl::StatusOr<bool> issued = store_->MarkDeviceTokenIssued(hash);
  if (!issued.ok()) return ex->Respond(StatusResponse(issued.status()));
  if (!*issued) {
    return ex->Respond(DeviceError("invalid_grant", "this device code's token was already issued; start again"));
  }
  protocol::JwtClaims claims;
  claims.subject = "device:" + r.approver;
  claims.org_id = r.org_id;
  claims.role = "connector";
  claims.issued_at = now / 1000;
  claims.expires_at = (now + options_.device_token_ttl_ms) / 1000;
  claims.deployment_id = r.deployment_id;
  claims.issuer = "edge-platform";
  claims.token_id = protocol::RandomToken(12);
  if (logger_) logger_->Info("console", "device sign-in ", r.user_code, " issued a token for ", r.org_id);
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("token").String(protocol::SignJwt(*signing_key_, claims)).Key("orgId").String(r.org_id);
  w.Key("expiresAtMs").Int(claims.expires_at * 1000).EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::GetDeviceRequest(const Exchange& ex, const std::string& typed_code) {
  Caller caller;
  if (std::optional<HttpResponse> refusal = AuthorizeConsole(ex, &caller)) return ex->Respond(*std::move(refusal));
  std::optional<std::string> code = console::NormalizeUserCode(typed_code);
  absl::StatusOr<std::optional<store::DeviceRequest>> found =
      code ? store_->FindDeviceRequestByUserCode(*code) : absl::StatusOr<std::optional<store::DeviceRequest>>();
  if (!found.ok()) return ex->Respond(StatusResponse(found.status()));
  if (!*found) {
    return ex->Respond(ErrorResponse(404, "device_code_not_found",
                                     absl::StrCat("no sign-in request has the code '", typed_code,
                                                  "'; check the code the terminal shows")));
  }
  const store::DeviceRequest& r = **found;
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("userCode").String(r.user_code).Key("clientName").String(r.client_name);
  w.Key("deploymentId").String(r.deployment_id).Key("requestedAtMs").Int(r.requested_at_ms);
  w.Key("expiresAtMs").Int(r.expires_at_ms).Key("status").String(EffectiveStatus(r, store::NowMs()));
  // The org a approval would grant: the request's once decided, else the viewing session's.
  w.Key("orgId").String(r.org_id.empty() ? caller.org_id : r.org_id).EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::DecideDeviceRequest(const Exchange& ex, const std::string& typed_code, bool approve) {
  Caller caller;
  if (std::optional<HttpResponse> refusal = AuthorizeConsole(ex, &caller)) return ex->Respond(*std::move(refusal));
  std::optional<std::string> code = console::NormalizeUserCode(typed_code);
  absl::StatusOr<std::optional<store::DeviceRequest>> found =
      code ? store_->FindDeviceRequestByUserCode(*code) : absl::StatusOr<std::optional<store::DeviceRequest>>();
  if (!found.ok()) return ex->Respond(StatusResponse(found.status()));
  if (!*found) {
    return ex->Respond(ErrorResponse(404, "device_code_not_found",
                                     absl::StrCat("no sign-in request has the code '", typed_code,
                                                  "'; check the code the terminal shows")));
  }
  if (approve && !(*found)->deployment_id.empty()) {
    store::Deployment deployment;
    if (!FindDeployment(ex, caller, (*found)->deployment_id, &deployment)) return;
  }
  absl::StatusOr<bool> decided = store_->DecideDeviceRequest(*code, approve ? "approved" : "denied", caller.org_id,
                                                             caller.subject, store::NowMs());
  if (!decided.ok()) return ex->Respond(StatusResponse(decided.status()));
  if (!*decided) {
    return ex->Respond(ErrorResponse(409, "device_request_closed",
                                     absl::StrCat("the sign-in request ", *code, " is ",
                                                  EffectiveStatus(**found, store::NowMs()),
                                                  ", not pending; ask for a new code with 'edge-connector auth "
                                                  "--browser'")));
  }
  ex->Respond(JsonResponse(200, absl::StrCat(R"({"userCode":")", *code, R"(","status":")",
                                             approve ? "approved" : "denied", R"("})")));
}

}  // namespace edge::platform::api
