// Compact EdDSA JWTs: sign, decode, verify, claim checks; and the AuthFailure status payload.
#include <ctime>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/json_writer.h"
#include "internal.h"
#include "simdjson.h"

namespace edge::protocol {
namespace {

using internal::ToAbsl;

absl::Status AuthError(AuthFailure failure, std::string_view message) {
  absl::Status s = absl::UnauthenticatedError(ToAbsl(message));
  s.SetPayload(kAuthFailurePayload, absl::Cord(ToAbsl(AuthFailureReason(failure))));
  return s;
}

absl::Status Invalid(std::string_view what) {
  return AuthError(AuthFailure::kTokenInvalid,
                   absl::StrCat(ToAbsl(AuthFailureMessage(AuthFailure::kTokenInvalid)), ": ", ToAbsl(what)));
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

struct JwtParts {
  std::string_view header, claims, signature;  // still base64url
};

bool Split(std::string_view token, JwtParts* parts) {
  const size_t a = token.find('.');
  if (a == std::string_view::npos) return false;
  const size_t b = token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos) return false;
  *parts = {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
  return true;
}

// Reads an optional string claim; false (with `problem`) when present with another type.
bool OptString(simdjson::dom::object& obj, std::string_view key, std::string* out, std::string* problem) {
  simdjson::dom::element e;
  if (obj.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return true;
  std::string_view v;
  if (e.get_string().get(v) != simdjson::SUCCESS) {
    *problem = absl::StrCat("claim \"", ToAbsl(key), "\" must be a string");
    return false;
  }
  out->assign(v.data(), v.size());
  return true;
}

bool ReadClaims(simdjson::dom::object& obj, JwtClaims* c, std::string* problem) {
  if (!OptString(obj, "sub", &c->subject, problem) || !OptString(obj, "orgId", &c->org_id, problem) ||
      !OptString(obj, "role", &c->role, problem) || !OptString(obj, "deploymentId", &c->deployment_id, problem) ||
      !OptString(obj, "iss", &c->issuer, problem) || !OptString(obj, "jti", &c->token_id, problem)) {
    return false;
  }
  simdjson::dom::element e;
  if (obj.at_key("exp").get(e) != simdjson::SUCCESS || e.get_int64().get(c->expires_at) != simdjson::SUCCESS) {
    *problem = "the \"exp\" claim is missing or not an integer (seconds since the epoch)";
    return false;
  }
  if (obj.at_key("iat").get(e) == simdjson::SUCCESS && !e.is_null() &&
      e.get_int64().get(c->issued_at) != simdjson::SUCCESS) {
    *problem = "claim \"iat\" must be an integer";
    return false;
  }
  if (obj.at_key("orgs").get(e) == simdjson::SUCCESS && !e.is_null()) {
    simdjson::dom::object orgs;
    if (e.get_object().get(orgs) != simdjson::SUCCESS) {
      *problem = "claim \"orgs\" must be an object {orgId: role}";
      return false;
    }
    for (auto field : orgs) {
      std::string_view role;
      if (field.value.get_string().get(role) != simdjson::SUCCESS) {
        *problem = "claim \"orgs\" must map each orgId to a role string";
        return false;
      }
      c->orgs[std::string(field.key)] = std::string(role);
    }
  }
  return true;
}

std::string Rfc3339(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(seconds);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return n == 0 ? std::to_string(seconds) : std::string(buf, n);
}

}  // namespace

bool AuthFailureOf(const absl::Status& status, AuthFailure* out) {
  auto payload = status.GetPayload(kAuthFailurePayload);
  if (!payload.has_value()) return false;
  return ParseAuthFailureReason(std::string(*payload), out);
}

bool JwtClaims::HasOrg(std::string_view org) const {
  if (org.empty()) return false;
  return org_id == org || orgs.find(std::string(org)) != orgs.end();
}

std::string JwtClaims::SingleOrg() const {
  if (!org_id.empty()) {
    if (orgs.empty() || (orgs.size() == 1 && orgs.begin()->first == org_id)) return org_id;
    return "";
  }
  return orgs.size() == 1 ? orgs.begin()->first : "";
}

absl::StatusOr<JwtClaims> DecodeJwtUnverified(std::string_view token) {
  token = TrimSpace(token);  // token files usually end with a newline
  if (token.empty()) return Invalid("the token is empty");
  JwtParts parts;
  if (!Split(token, &parts)) return Invalid("not a compact JWT (expected three base64url parts separated by '.')");
  std::string header, claims;
  if (!Base64UrlDecode(parts.header, &header)) return Invalid("the header is not base64url");
  if (!Base64UrlDecode(parts.claims, &claims)) return Invalid("the claims are not base64url");

  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object obj;
  if (parser.parse(header).get(root) != simdjson::SUCCESS || root.get_object().get(obj) != simdjson::SUCCESS) {
    return Invalid("the header is not a JSON object");
  }
  simdjson::dom::element alg_el;
  std::string_view alg;
  if (obj.at_key("alg").get(alg_el) != simdjson::SUCCESS || alg_el.get_string().get(alg) != simdjson::SUCCESS) {
    return Invalid("the header has no \"alg\"");
  }
  if (alg != "EdDSA") return Invalid(absl::StrCat("unsupported alg \"", ToAbsl(alg), "\" (only EdDSA is accepted)"));

  if (parser.parse(claims).get(root) != simdjson::SUCCESS || root.get_object().get(obj) != simdjson::SUCCESS) {
    return Invalid("the claims are not a JSON object");
  }
  JwtClaims c;
  std::string problem;
  if (!ReadClaims(obj, &c, &problem)) return Invalid(problem);
  return c;
}

absl::Status CheckClaims(const JwtClaims& claims, int64_t now_seconds) {
  if (now_seconds >= claims.expires_at) {
    return AuthError(AuthFailure::kTokenExpired,
                     absl::StrCat(ToAbsl(AuthFailureMessage(AuthFailure::kTokenExpired)), " (exp ",
                                  Rfc3339(claims.expires_at), ")"));
  }
  if (claims.org_id.empty() && claims.orgs.empty()) {
    return AuthError(AuthFailure::kOrgMissing, AuthFailureMessage(AuthFailure::kOrgMissing));
  }
  return absl::OkStatus();
}

std::string SignJwt(const SigningKey& key, const JwtClaims& claims) {
  std::string header;
  JsonWriter(header).BeginObject().Key("alg").String("EdDSA").Key("typ").String("JWT").Key("kid").String(
      key.KeyId()).EndObject();
  std::string body;
  JsonWriter w(body);
  w.BeginObject().Key("sub").String(claims.subject);
  if (!claims.org_id.empty()) w.Key("orgId").String(claims.org_id);
  if (!claims.orgs.empty()) {
    w.Key("orgs").BeginObject();
    for (const auto& [org, role] : claims.orgs) w.Key(org).String(role);
    w.EndObject();
  }
  if (!claims.role.empty()) w.Key("role").String(claims.role);
  w.Key("iat").Int(claims.issued_at).Key("exp").Int(claims.expires_at);
  if (!claims.deployment_id.empty()) w.Key("deploymentId").String(claims.deployment_id);
  if (!claims.issuer.empty()) w.Key("iss").String(claims.issuer);
  if (!claims.token_id.empty()) w.Key("jti").String(claims.token_id);
  w.EndObject();
  std::string signing_input = absl::StrCat(Base64UrlEncode(header), ".", Base64UrlEncode(body));
  std::string signature = key.Sign(signing_input);
  return absl::StrCat(signing_input, ".", Base64UrlEncode(signature));
}

absl::StatusOr<JwtClaims> VerifyJwt(const VerifyingKey& key, std::string_view token, int64_t now_seconds) {
  absl::StatusOr<JwtClaims> claims = DecodeJwtUnverified(token);
  if (!claims.ok()) return claims.status();
  JwtParts parts;
  (void)Split(TrimSpace(token), &parts);  // succeeded inside DecodeJwtUnverified
  std::string signature;
  if (!Base64UrlDecode(parts.signature, &signature)) return Invalid("the signature is not base64url");
  const std::string_view signed_part = TrimSpace(token).substr(0, parts.header.size() + 1 + parts.claims.size());
  if (!key.Verify(signed_part, signature)) return Invalid("bad signature");
  if (absl::Status s = CheckClaims(*claims, now_seconds); !s.ok()) return s;
  return claims;
}

std::string BasicAuthorization(std::string_view deployment_id, std::string_view secret) {
  return absl::StrCat("Basic ", Base64Encode(absl::StrCat(ToAbsl(deployment_id), ":", ToAbsl(secret))));
}

absl::StatusOr<BasicCredentials> ParseBasicAuthorization(std::string_view header_value) {
  auto malformed = [](std::string_view what) {
    return AuthError(AuthFailure::kCredentialsMalformed,
                     absl::StrCat(ToAbsl(AuthFailureMessage(AuthFailure::kCredentialsMalformed)), ": ", ToAbsl(what)));
  };
  std::string_view v = TrimSpace(header_value);
  const size_t space = v.find(' ');
  std::string_view scheme = v.substr(0, space);
  if (scheme.size() != 5 || (scheme[0] | 0x20) != 'b' || (scheme[1] | 0x20) != 'a' || (scheme[2] | 0x20) != 's' ||
      (scheme[3] | 0x20) != 'i' || (scheme[4] | 0x20) != 'c') {
    return malformed("expected \"Basic <base64(deploymentId:secret)>\"");
  }
  std::string_view encoded = space == std::string_view::npos ? std::string_view() : TrimSpace(v.substr(space));
  std::string decoded;
  if (encoded.empty() || !Base64Decode(encoded, &decoded)) return malformed("the Basic credentials are not base64");
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return malformed("the Basic credentials need the form deploymentId:secret");
  BasicCredentials c{decoded.substr(0, colon), decoded.substr(colon + 1)};
  if (c.deployment_id.empty()) return malformed("the deployment id is empty");
  if (c.secret.empty()) return malformed("the secret is empty");
  return c;
}

}  // namespace edge::protocol
