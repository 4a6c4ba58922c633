// Api: the route table and admin-token authentication.
#include "api/api.h"

#include <chrono>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/responses.h"
#include "edge/protocol/json_writer.h"

namespace edge::platform::api {

using runtime::ToAbsl;
using runtime::ToStd;

namespace {

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) out.emplace_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

struct Route {
  std::vector<std::string_view> pattern;  // "*" matches one segment and becomes a parameter
  std::string_view method;
  bool requires_auth;
  std::function<void(Api&, const Api::Exchange&, const Caller&, const Api::Params&)> handler;
};

bool Matches(const std::vector<std::string_view>& pattern, const std::vector<std::string>& segments,
             Api::Params* params) {
  if (pattern.size() != segments.size()) return false;
  params->clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == "*") {
      params->push_back(segments[i]);
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

HttpResponse Unauthorized(const absl::Status& status,
                          protocol::AuthFailure failure = protocol::AuthFailure::kTokenInvalid) {
  protocol::AuthFailureOf(status, &failure);
  HttpResponse r = ErrorResponse(401, "unauthorized", ToStd(status.message()), protocol::AuthFailureReason(failure));
  r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  return r;
}

}  // namespace

Api::Api(ApiOptions options, store::Store* store, Hub* hub, const protocol::SigningKey* signing_key,
         const protocol::VerifyingKey* verifying_key, runtime::Logger* logger)
    : options_(std::move(options)),
      store_(store),
      hub_(hub),
      signing_key_(signing_key),
      verifying_key_(verifying_key),
      logger_(logger) {}

void Api::Handle(std::shared_ptr<HttpExchange> ex) {
  // Lives for the process: handlers are members, so the table only binds them.
  static const std::vector<Route>* const kRoutes = new std::vector<Route>{
      {{"healthz"}, "GET", false,
       [](Api&, const Exchange& e, const Caller&, const Params&) {
         e->Respond(JsonResponse(200, R"({"status":"ok"})"));
       }},
      {{"api", "v1", "auth", "public-key"}, "GET", false,
       [](Api& a, const Exchange& e, const Caller&, const Params&) { a.PublicKey(e); }},
      {{"api", "v1", "deployments"}, "GET", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.ListDeployments(e, c); }},
      {{"api", "v1", "deployments"}, "POST", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.CreateDeployment(e, c); }},
      {{"api", "v1", "deployments", "*"}, "GET", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.GetDeployment(e, c, p[0]); }},
      {{"api", "v1", "deployments", "*"}, "DELETE", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.DeleteDeployment(e, c, p[0]); }},
      {{"api", "v1", "deployments", "*", "rotate-secret"}, "POST", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.RotateSecret(e, c, p[0]); }},
      {{"api", "v1", "tools"}, "GET", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.ListTools(e, c); }},
      {{"api", "v1", "tools", "*", "invoke"}, "POST", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.Invoke(e, c, p[0]); }},
      {{"api", "v1", "calls"}, "GET", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.ListCalls(e, c); }},
      {{"api", "v1", "calls", "*", "cancel"}, "POST", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.CancelCall(e, c, p[0]); }},
      {{"api", "v1", "connectors"}, "GET", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.ListConnectors(e, c); }},
      {{"api", "v1", "test", "oversize-frame"}, "POST", true,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.OversizeFrame(e, c); }},
  };

  const HttpRequest& req = ex->request();
  const std::vector<std::string> segments = Segments(req.path);
  const bool test_route = segments.size() >= 3 && segments[2] == "test";
  std::vector<std::string> allowed;
  Params params;
  for (const Route& route : *kRoutes) {
    if (!Matches(route.pattern, segments, &params)) continue;
    if (test_route && !options_.enable_test_hooks) break;  // test hooks do not exist without the flag
    if (route.method != req.method) {
      allowed.emplace_back(route.method);
      continue;
    }
    if (req.body_too_large) {
      ex->Respond(ErrorResponse(413, "body_too_large",
                                absl::StrCat("request body exceeds ", kMaxRequestBodyBytes, " bytes")));
      return;
    }
    Caller caller;
    if (route.requires_auth && !Authenticate(ex, &caller)) return;
    route.handler(*this, ex, caller, params);
    return;
  }
  if (!allowed.empty()) {
    HttpResponse r = ErrorResponse(
        405, "method_not_allowed",
        absl::StrCat(req.method, " is not allowed on ", req.path, "; use ", absl::StrJoin(allowed, " or ")));
    r.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
    ex->Respond(std::move(r));
    return;
  }
  ex->Respond(ErrorResponse(404, "not_found",
                            absl::StrCat("no such endpoint: ", req.method, " ", req.path,
                                         "; see docs/api.md for the endpoints of edge-platform")));
}

bool Api::Authenticate(const Exchange& ex, Caller* caller) {
  const HttpRequest& req = ex->request();
  if (req.authorization.empty()) {
    ex->Respond(Unauthorized(absl::UnauthenticatedError(
        "Authorization header missing; send 'Authorization: Bearer <token>' with an admin token from "
        "'edge-platform admin issue-token --org <org>'"),
                              protocol::AuthFailure::kCredentialsMissing));
    return false;
  }
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view header = req.authorization;
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer) {
    HttpResponse r = ErrorResponse(
        401, "unauthorized",
        "Authorization header is not 'Bearer <token>'; the REST API accepts admin tokens only",
        protocol::AuthFailureReason(protocol::AuthFailure::kCredentialsMalformed));
    r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    ex->Respond(std::move(r));
    return false;
  }
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  absl::StatusOr<protocol::JwtClaims> claims =
      protocol::VerifyJwt(*verifying_key_, header.substr(kBearer.size()), now_s);
  if (!claims.ok()) {
    ex->Respond(Unauthorized(claims.status()));
    return false;
  }
  std::string org = req.org_header;
  if (org.empty()) {
    org = claims->SingleOrg();
    if (org.empty()) {
      ex->Respond(ErrorResponse(400, "org_required",
                                "this token names several orgs; pick one with the header 'X-Edge-Org: <orgId>'"));
      return false;
    }
  } else if (!claims->HasOrg(org)) {
    ex->Respond(ErrorResponse(403, "forbidden",
                              absl::StrCat("the token does not grant org '", org,
                                           "' (X-Edge-Org); use a token issued for that org"),
                              "org_forbidden"));
    return false;
  }
  auto per_org = claims->orgs.find(org);
  const std::string& role = per_org != claims->orgs.end() && !per_org->second.empty() ? per_org->second : claims->role;
  if (role != "admin") {
    ex->Respond(ErrorResponse(403, "forbidden",
                              absl::StrCat("the REST API needs a token with role 'admin' but this one has role '",
                                           role, "'; issue one with 'edge-platform admin issue-token --org ", org,
                                           " --role admin'"),
                              "role_forbidden"));
    return false;
  }
  caller->org_id = std::move(org);
  caller->subject = claims->subject;
  return true;
}

void Api::PublicKey(const Exchange& ex) {
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject()
      .Key("kid")
      .String(signing_key_->KeyId())
      .Key("alg")
      .String("EdDSA")
      .Key("publicKeyPem")
      .String(signing_key_->PublicPem())
      .EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

bool Api::FindDeployment(const Exchange& ex, const Caller& caller, const std::string& id, store::Deployment* out) {
  absl::StatusOr<store::Deployment> d = store_->GetDeployment(id);
  if (!d.ok() || d->org_id != caller.org_id) {
    // Another org's deployment is answered exactly like a missing one, so ids cannot be probed.
    if (d.ok() || absl::IsNotFound(d.status())) {
      ex->Respond(ErrorResponse(404, "deployment_not_found",
                                absl::StrCat("deployment '", id, "' does not exist in org '", caller.org_id,
                                             "'; list them with GET /api/v1/deployments")));
    } else {
      ex->Respond(StatusResponse(d.status()));
    }
    return false;
  }
  *out = *std::move(d);
  return true;
}

}  // namespace edge::platform::api
