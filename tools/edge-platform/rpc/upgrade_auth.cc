#include "rpc/upgrade_auth.h"

#include <libwebsockets.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/log.h"

namespace edge::platform::rpc_internal {
namespace {

using protocol::AuthFailure;
using runtime::ToAbsl;
using runtime::ToStd;

AuthDecision Fail(AuthFailure failure, std::string scheme, std::string detail) {
  AuthDecision d;
  d.failure = failure;
  d.scheme = std::move(scheme);
  d.detail = std::move(detail);
  return d;
}

// A token may name its role per org ({"orgs":{"org_1":"admin"}}) or once ("role").
std::string RoleIn(const protocol::JwtClaims& claims, const std::string& org) {
  auto it = claims.orgs.find(org);
  if (it != claims.orgs.end() && !it->second.empty()) return it->second;
  return claims.role;
}

AuthDecision Basic(const UpgradeHeaders& h, std::string_view value, std::string_view rest,
                   HubDirectory* directory) {
  auto creds = protocol::ParseBasicAuthorization(value);
  if (!creds.ok()) creds = protocol::ParseBasicAuthorization(rest);  // in case the parser wants the bare part
  if (!creds.ok()) return Fail(AuthFailure::kCredentialsMalformed, "Basic", "malformed Basic credentials");
  if (!h.deployment_id.empty() && h.deployment_id != creds->deployment_id) {
    return Fail(AuthFailure::kInvalidCredentials, "Basic",
                "X-Edge-Deployment-Id differs from the deployment of the credentials");
  }
  // Unknown deployment and wrong secret answer alike, so ids cannot be probed.
  auto org = directory->DeploymentOrg(creds->deployment_id);
  // A cloud connector's secret (docs/cloud-connectors.md section 2) is checked against that connector. (A random
  // deployment secret may start with "ccs_" too: it is then checked as one.)
  std::optional<std::string> cloud_connector;
  if (absl::StartsWith(creds->secret, "ccs_")) {
    cloud_connector = directory->CheckCloudConnectorSecret(creds->deployment_id, creds->secret);
  }
  const bool cloud = cloud_connector.has_value();
  const bool valid = cloud || directory->CheckDeploymentSecret(creds->deployment_id, creds->secret);
  if (!org.ok() || !valid) {
    return Fail(AuthFailure::kInvalidCredentials, "Basic",
                "invalid credentials for deployment " + creds->deployment_id);
  }
  AuthDecision d;
  d.ok = true;
  d.scheme = "Basic";
  d.identity.org_id = *org;
  d.identity.deployment_id = creds->deployment_id;
  d.identity.auth = cloud ? "cloud-connector" : "deployment-credentials";
  if (cloud) d.identity.connector_id = *cloud_connector;
  return d;
}

AuthDecision Bearer(const UpgradeHeaders& h, std::string_view token, HubDirectory* directory,
                    const protocol::VerifyingKey* key, int64_t now_ms) {
  if (key == nullptr) return Fail(AuthFailure::kTokenInvalid, "Bearer", "this platform accepts no tokens");
  auto claims = protocol::VerifyJwt(*key, token, now_ms / 1000);
  if (!claims.ok()) {
    AuthFailure f = AuthFailure::kTokenInvalid;
    protocol::AuthFailureOf(claims.status(), &f);
    return Fail(f, "Bearer", std::string(ToStd(claims.status().message())));
  }
  if (h.deployment_id.empty()) {
    return Fail(AuthFailure::kDeploymentRequired, "Bearer", "token without X-Edge-Deployment-Id");
  }
  auto org = directory->DeploymentOrg(h.deployment_id);
  // An unknown deployment looks like one of another org: no probing with a valid token either.
  if (!org.ok() || !claims->HasOrg(*org)) {
    return Fail(AuthFailure::kDeploymentForbidden, "Bearer",
                "deployment " + h.deployment_id + " is not in the token's organizations");
  }
  if (!claims->deployment_id.empty() && claims->deployment_id != h.deployment_id) {
    return Fail(AuthFailure::kDeploymentForbidden, "Bearer",
                "the token is bound to another deployment than " + h.deployment_id);
  }
  const std::string role = RoleIn(*claims, *org);
  if (role != "admin" && role != "connector") {
    return Fail(AuthFailure::kDeploymentForbidden, "Bearer",
                "role '" + role + "' may not serve deployment " + h.deployment_id);
  }
  AuthDecision d;
  d.ok = true;
  d.scheme = "Bearer";
  d.identity.org_id = *org;
  d.identity.deployment_id = h.deployment_id;
  d.identity.auth = "token:" + claims->subject;
  d.identity.token_expires_ms = claims->expires_at * 1000;
  return d;
}

std::string CopyCustom(lws* wsi, std::string_view name_with_colon) {
  const int len = lws_hdr_custom_length(wsi, name_with_colon.data(), static_cast<int>(name_with_colon.size()));
  if (len <= 0) return {};
  std::vector<char> buf(static_cast<size_t>(len) + 1);
  const int n = lws_hdr_custom_copy(wsi, buf.data(), static_cast<int>(buf.size()), name_with_colon.data(),
                                    static_cast<int>(name_with_colon.size()));
  if (n < 0) return {};
  return std::string(buf.data(), static_cast<size_t>(n));
}

}  // namespace

AuthDecision AuthenticateUpgrade(const UpgradeHeaders& h, HubDirectory* directory,
                                 const protocol::VerifyingKey* key, int64_t now_ms) {
  if (!h.authorization || h.authorization->empty()) {
    return Fail(AuthFailure::kCredentialsMissing, "", "no Authorization header");
  }
  std::string_view value = *h.authorization;
  const size_t space = value.find(' ');
  const std::string scheme = absl::AsciiStrToLower(ToAbsl(value.substr(0, space)));
  std::string_view rest = space == std::string_view::npos ? std::string_view() : value.substr(space + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (scheme == "basic") return Basic(h, value, rest, directory);
  if (scheme == "bearer") {
    // Two schemes joined into one header value (duplicate headers) are malformed, not a token.
    if (rest.empty() || rest.find_first_of(" ,") != std::string_view::npos) {
      return Fail(AuthFailure::kCredentialsMalformed, "Bearer", "malformed Bearer credentials");
    }
    return Bearer(h, rest, directory, key, now_ms);
  }
  return Fail(AuthFailure::kCredentialsMalformed, "", "unsupported Authorization scheme");
}

UpgradeHeaders ReadUpgradeHeaders(lws* wsi) {
  UpgradeHeaders h;
  const int len = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  if (len > 0) {
    std::vector<char> buf(static_cast<size_t>(len) + 1);
    const int n = lws_hdr_copy(wsi, buf.data(), static_cast<int>(buf.size()), WSI_TOKEN_HTTP_AUTHORIZATION);
    h.authorization = n >= 0 ? std::string(buf.data(), static_cast<size_t>(n)) : std::string();
  }
  h.deployment_id = CopyCustom(wsi, "x-edge-deployment-id:");
  h.connector_version = CopyCustom(wsi, "x-edge-connector-version:");
  h.connector_type = CopyCustom(wsi, "x-edge-connector-type:");
  return h;
}

void RejectUpgrade(lws* wsi, const AuthDecision& d) {
  const std::string_view reason = protocol::AuthFailureReason(d.failure);
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("error").String("unauthorized").Key("reason").String(reason)
      .Key("message").String(protocol::AuthFailureMessage(d.failure)).EndObject();
  const std::string challenge =
      d.scheme == "Bearer" ? R"(Bearer error="invalid_token")" : std::string(R"(Basic realm="edge")");
  const std::string length = std::to_string(body.size());

  // lws_return_http_status cannot carry our headers, so the 401 is built by hand with the same primitives.
  std::vector<unsigned char> buf(LWS_PRE + 1024 + body.size());
  unsigned char* start = buf.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf.data() + buf.size() - 1;
  auto add = [&](const char* name, std::string_view value) {
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), &p, end) == 0;
  };
  bool ok = lws_add_http_header_status(wsi, HTTP_STATUS_UNAUTHORIZED, &p, end) == 0 &&
            add("x-edge-auth-error:", reason) && add("www-authenticate:", challenge) &&
            add("content-type:", "application/json") && add("content-length:", length) &&
            add("connection:", "close") && lws_finalize_http_header(wsi, &p, end) == 0;
  if (ok && static_cast<size_t>(end - p) >= body.size()) {
    std::memcpy(p, body.data(), body.size());
    p += body.size();
    lws_write(wsi, start, static_cast<size_t>(p - start), LWS_WRITE_HTTP_HEADERS);
  } else {
    // Should not happen (the buffer is sized for it); a bare 401 still beats a dropped socket.
    (void)lws_return_http_status(wsi, HTTP_STATUS_UNAUTHORIZED, nullptr);
  }
}

}  // namespace edge::platform::rpc_internal
