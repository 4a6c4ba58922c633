// Api: the route table and authentication (admin tokens; deployment credentials where a route allows them).
#include "api/api.h"

#include <chrono>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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
  Access access;
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

bool IsUploadPath(const std::vector<std::string>& segments) {
  return segments.size() == 3 && segments[0] == "api" && segments[1] == "v1" && segments[2] == "bundles";
}

HttpResponse Unauthorized(const absl::Status& status,
                          protocol::AuthFailure failure = protocol::AuthFailure::kTokenInvalid) {
  protocol::AuthFailureOf(status, &failure);
  HttpResponse r = ErrorResponse(401, "unauthorized", ToStd(status.message()), protocol::AuthFailureReason(failure));
  r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  return r;
}

}  // namespace

Api::Api(ApiOptions options, store::Store* store, Hub* hub, bundles::ArchiveStore* archives,
         const protocol::SigningKey* signing_key, const protocol::VerifyingKey* verifying_key, runtime::Logger* logger)
    : options_(std::move(options)),
      store_(store),
      hub_(hub),
      archives_(archives),
      signing_key_(signing_key),
      verifying_key_(verifying_key),
      logger_(logger) {}

void Api::Handle(std::shared_ptr<HttpExchange> ex) {
  // Lives for the process: handlers are members, so the table only binds them.
  static const std::vector<Route>* const kRoutes = new std::vector<Route>{
      {{"healthz"}, "GET", Access::kPublic,
       [](Api&, const Exchange& e, const Caller&, const Params&) {
         e->Respond(JsonResponse(200, R"({"status":"ok"})"));
       }},
      {{"api", "v1", "auth", "public-key"}, "GET", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params&) { a.PublicKey(e); }},
      {{"api", "v1", "deployments"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.ListDeployments(e, c); }},
      {{"api", "v1", "deployments"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.CreateDeployment(e, c); }},
      {{"api", "v1", "deployments", "*"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.GetDeployment(e, c, p[0]); }},
      {{"api", "v1", "deployments", "*"}, "DELETE", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.DeleteDeployment(e, c, p[0]); }},
      {{"api", "v1", "deployments", "*", "rotate-secret"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.RotateSecret(e, c, p[0]); }},
      {{"api", "v1", "tools"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.ListTools(e, c); }},
      {{"api", "v1", "tools", "*", "invoke"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.Invoke(e, c, p[0]); }},
      {{"api", "v1", "calls"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.ListCalls(e, c); }},
      {{"api", "v1", "calls", "*", "cancel"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.CancelCall(e, c, p[0]); }},
      {{"api", "v1", "connectors"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.ListConnectors(e, c); }},
      {{"api", "v1", "test", "oversize-frame"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.OversizeFrame(e, c); }},
      // Bundles (bundles.cc, bundle_upload.cc). The upload's body streams to disk (NewBodySink).
      {{"api", "v1", "bundles"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.UploadBundle(e, c); }},
      {{"api", "v1", "bundles"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.ListBundles(e, c); }},
      {{"api", "v1", "bundles", "*"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.GetBundle(e, c, p[0]); }},
      {{"api", "v1", "bundles", "*"}, "PATCH", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.RenameBundle(e, c, p[0]); }},
      {{"api", "v1", "bundles", "*", "default"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.SetDefaultBundle(e, c, p[0]); }},
      {{"api", "v1", "bundles", "*", "versions", "*", "download"}, "GET", Access::kAdminOrDeployment,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.DownloadBundle(e, c, p[0], p[1]); }},
      {{"api", "v1", "deployments", "*", "bundle"}, "GET", Access::kAdminOrDeployment,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.GetTarget(e, c, p[0]); }},
      {{"api", "v1", "deployments", "*", "bundle"}, "PUT", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.AssignBundle(e, c, p[0]); }},
      {{"api", "v1", "deployments", "*", "bundle"}, "DELETE", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.UnassignBundle(e, c, p[0]); }},
      {{"api", "v1", "test", "download-fault"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.SetDownloadFault(e, c); }},
      {{"api", "v1", "test", "drop-bundle-pushes"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.DropBundlePushes(e, c); }},
      {{"api", "v1", "test", "raw-bundle-version"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.AddRawBundleVersion(e, c); }},
      // Cloud connectors (cloud.cc, docs/cloud-connectors.md section 6).
      {{"api", "v1", "deployments", "*", "cloud-connector"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.GetCloudConnector(e, c, p[0]); }},
      {{"api", "v1", "deployments", "*", "cloud-connector"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.ProvisionCloudConnector(e, c, p[0]); }},
      {{"api", "v1", "deployments", "*", "cloud-connector"}, "DELETE", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.DeleteCloudConnector(e, c, p[0]); }},
      {{"api", "v1", "deployments", "*", "cloud-connector", "start"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) {
         a.CloudConnectorAction(e, c, p[0], "start");
       }},
      {{"api", "v1", "deployments", "*", "cloud-connector", "stop"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.CloudConnectorAction(e, c, p[0], "stop"); }},
      {{"api", "v1", "deployments", "*", "cloud-connector", "force-complete"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) {
         a.CloudConnectorAction(e, c, p[0], "force-complete");
       }},
      {{"api", "v1", "deployments", "*", "connectors"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.ListDeploymentConnectors(e, c, p[0]); }},
      {{"api", "v1", "test", "cloud-driver-fault"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params&) { a.SetCloudDriverFault(e, c); }},
      // Webhooks (webhooks.cc). /hooks/... is the public cloud-public receiver: its URL token authenticates.
      {{"api", "v1", "integrations", "*", "webhooks"}, "POST", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.CreateWebhook(e, c, p[0]); }},
      {{"api", "v1", "integrations", "*", "webhooks"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.ListWebhooks(e, c, p[0]); }},
      {{"api", "v1", "integrations", "*", "deliveries"}, "GET", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.ListDeliveries(e, c, p[0]); }},
      {{"api", "v1", "webhooks", "*"}, "DELETE", Access::kAdmin,
       [](Api& a, const Exchange& e, const Caller& c, const Params& p) { a.DeleteWebhook(e, c, p[0]); }},
      {{"hooks", "*", "*"}, "POST", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params& p) { a.ReceiveHook(e, p[0], p[1]); }},
      {{"hooks", "*", "*"}, "PUT", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params& p) { a.ReceiveHook(e, p[0], p[1]); }},
      // Console sign-in (console_api.cc, docs/console.md section 1): the handlers read the cookie themselves.
      {{"console", "api", "session"}, "POST", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params&) { a.CreateConsoleSession(e); }},
      {{"console", "api", "session"}, "GET", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params&) { a.GetConsoleSession(e); }},
      {{"console", "api", "session"}, "DELETE", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params&) { a.DeleteConsoleSession(e); }},
      // The CLI's browser sign-in (console_device.cc, docs/console.md section 3).
      {{"api", "v1", "device", "code"}, "POST", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params&) { a.CreateDeviceCode(e); }},
      {{"api", "v1", "device", "token"}, "POST", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params&) { a.PollDeviceToken(e); }},
      {{"console", "api", "device", "*"}, "GET", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params& p) { a.GetDeviceRequest(e, p[0]); }},
      {{"console", "api", "device", "*", "approve"}, "POST", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params& p) { a.DecideDeviceRequest(e, p[0], true); }},
      {{"console", "api", "device", "*", "deny"}, "POST", Access::kPublic,
       [](Api& a, const Exchange& e, const Caller&, const Params& p) { a.DecideDeviceRequest(e, p[0], false); }},
  };

  const HttpRequest& req = ex->request();
  const std::vector<std::string> segments = Segments(req.path);
  if (IsConsolePagePath(segments)) {
    ServeConsolePage(ex, segments);
    return;
  }
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
    if (route.access != Access::kPublic && !Authenticate(ex, route.access, &caller)) return;
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

std::shared_ptr<BodySink> Api::NewBodySink(const HttpRequest& req) {
  // Kept to method + path: the server asks before the body arrives, and only this route streams.
  if (req.method != "POST" || !IsUploadPath(Segments(req.path))) return nullptr;
  // Refused from the headers alone (answered at once, the body never stored): bad credentials, or an
  // announced size over the limit. The handler repeats these checks to choose the answer.
  Caller caller;
  const bool wants_body = !Authorize(req, Access::kAdmin, &caller).has_value() &&
                          req.content_length.value_or(0) <= options_.max_bundle_bytes;
  return NewUploadSink(wants_body);
}

bool Api::Authenticate(const Exchange& ex, Access access, Caller* caller) {
  // Console: without an Authorization header, a session cookie may stand in for an admin token.
  std::optional<HttpResponse> refusal = ex->request().authorization.empty() && ex->Header("cookie").has_value()
                                            ? AuthorizeConsole(ex, caller)
                                            : Authorize(ex->request(), access, caller);
  if (!refusal) return true;
  ex->Respond(*std::move(refusal));
  return false;
}

std::optional<HttpResponse> Api::Authorize(const HttpRequest& req, Access access, Caller* caller) {
  if (req.authorization.empty()) {
    return Unauthorized(absl::UnauthenticatedError(
                            "Authorization header missing; send 'Authorization: Bearer <token>' with an admin token "
                            "from 'edge-platform admin issue-token --org <org>'"),
                        protocol::AuthFailure::kCredentialsMissing);
  }
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view header = req.authorization;
  if (access == Access::kAdminOrDeployment && header.size() > 6 &&
      absl::AsciiStrToLower(runtime::ToAbsl(header.substr(0, 6))) == "basic ") {
    return AuthorizeDeployment(req, caller);
  }
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer) {
    HttpResponse r = ErrorResponse(
        401, "unauthorized",
        access == Access::kAdminOrDeployment
            ? "Authorization header is neither 'Bearer <admin token>' nor 'Basic base64(deploymentId:secret)'"
            : "Authorization header is not 'Bearer <token>'; this endpoint accepts admin tokens only",
        protocol::AuthFailureReason(protocol::AuthFailure::kCredentialsMalformed));
    r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return r;
  }
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  absl::StatusOr<protocol::JwtClaims> claims =
      protocol::VerifyJwt(*verifying_key_, header.substr(kBearer.size()), now_s);
  if (!claims.ok()) return Unauthorized(claims.status());
  std::string org = req.org_header;
  if (org.empty()) {
    org = claims->SingleOrg();
    if (org.empty()) {
      return ErrorResponse(400, "org_required",
                           "this token names several orgs; pick one with the header 'X-Edge-Org: <orgId>'");
    }
  } else if (!claims->HasOrg(org)) {
    return ErrorResponse(403, "forbidden",
                         absl::StrCat("the token does not grant org '", org,
                                      "' (X-Edge-Org); use a token issued for that org"),
                         "org_forbidden");
  }
  auto per_org = claims->orgs.find(org);
  const std::string& role = per_org != claims->orgs.end() && !per_org->second.empty() ? per_org->second : claims->role;
  if (role != "admin") {
    return ErrorResponse(403, "forbidden",
                         absl::StrCat("the REST API needs a token with role 'admin' but this one has role '", role,
                                      "'; issue one with 'edge-platform admin issue-token --org ", org,
                                      " --role admin'"),
                         "role_forbidden");
  }
  caller->org_id = std::move(org);
  caller->subject = claims->subject;
  return std::nullopt;
}

std::optional<HttpResponse> Api::AuthorizeDeployment(const HttpRequest& req, Caller* caller) {
  auto refuse = [](protocol::AuthFailure failure, std::string_view message) {
    HttpResponse r = ErrorResponse(401, "unauthorized", message, protocol::AuthFailureReason(failure));
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"edge\"");
    return r;
  };
  absl::StatusOr<protocol::BasicCredentials> creds = protocol::ParseBasicAuthorization(req.authorization);
  if (!creds.ok()) return refuse(protocol::AuthFailure::kCredentialsMalformed, ToStd(creds.status().message()));
  absl::StatusOr<store::Deployment> deployment = store_->GetDeployment(creds->deployment_id);
  // A cloud connector's own credentials (docs/cloud-connectors.md section 2) act for its deployment too.
  std::optional<std::string> cloud_connector;
  if (absl::StartsWith(creds->secret, "ccs_")) {
    absl::StatusOr<std::optional<std::string>> id =
        store_->VerifyCloudConnectorSecret(creds->deployment_id, creds->secret);
    if (id.ok()) cloud_connector = *id;
  }
  absl::StatusOr<std::string> hash = cloud_connector ? absl::StatusOr<std::string>(std::string())
                                                     : store_->SecretHash(creds->deployment_id);
  // An unknown deployment costs the same hashing as a wrong secret, and answers alike: ids cannot be probed.
  const bool valid =
      cloud_connector.has_value() ||
      protocol::VerifySecret(creds->secret, hash.ok() ? *hash : protocol::HashSecret("unknown-deployment"));
  if (!deployment.ok() || !hash.ok() || !valid) {
    return refuse(protocol::AuthFailure::kInvalidCredentials,
                  absl::StrCat("invalid credentials for deployment '", creds->deployment_id,
                               "'; use the deployment's current secret (rotate-secret replaces it)"));
  }
  caller->org_id = deployment->org_id;
  caller->subject = cloud_connector ? "cloud-connector:" + *cloud_connector : "deployment:" + deployment->id;
  caller->deployment_id = deployment->id;
  return std::nullopt;
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
