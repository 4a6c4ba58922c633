// ResolveCredentials and SaveToken: deployment credentials win; otherwise the token file, checked locally.
#include "edge/runtime/auth.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "config/files.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/log.h"
#include "rapidjson/document.h"

namespace edge::runtime {
namespace {

namespace proto = edge::protocol;

absl::Status WithFailure(absl::Status status, proto::AuthFailure failure) {
  std::string_view reason = proto::AuthFailureReason(failure);
  status.SetPayload(proto::kAuthFailurePayload, absl::Cord(ToAbsl(reason)));
  return status;
}

// Same code and payloads (the AuthFailure the link acts on), more context for the user.
absl::Status WithSuffix(const absl::Status& s, std::string_view suffix) {
  absl::Status out(s.code(), absl::StrCat(s.message(), ToAbsl(suffix)));
  s.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

absl::Status InvalidTokenFile(const std::string& path, std::string_view why) {
  return WithFailure(absl::UnauthenticatedError(absl::StrCat("Token validation failed: ", path, " ", ToAbsl(why))),
                     proto::AuthFailure::kTokenInvalid);
}

// {"token": "..."} -> the token.
absl::StatusOr<std::string> TokenFromJson(const std::string& text, const std::string& path) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return InvalidTokenFile(path, "is not valid JSON ({\"token\": ...} expected)");
  }
  auto it = doc.FindMember("token");
  if (it == doc.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0) {
    return InvalidTokenFile(path, "has no \"token\" string ({\"token\": ...} expected)");
  }
  return std::string(absl::StripAsciiWhitespace(absl::string_view(it->value.GetString(), it->value.GetStringLength())));
}

std::string OrgText(const proto::JwtClaims& claims) {
  if (!claims.org_id.empty()) return claims.org_id;
  std::vector<std::string> orgs;
  for (const auto& [org, role] : claims.orgs) orgs.push_back(org);
  return absl::StrJoin(orgs, ",");
}

// A compact JWT: three dot-separated base64url parts (the signature part may be empty only in theory).
bool LooksLikeJwt(std::string_view text) {
  int dots = 0;
  for (char ch : text) {
    if (ch == '.') ++dots;
    else if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') return false;
  }
  return dots == 2 && text.front() != '.' && text.find("..") == std::string_view::npos;
}

std::string_view Trim(std::string_view s) { return ToStd(absl::StripAsciiWhitespace(ToAbsl(s))); }

}  // namespace

absl::StatusOr<LinkCredentials> ResolveCredentials(const ConnectorConfig& config, int64_t now_seconds) {
  const bool has_id = !config.deployment_id.empty(), has_secret = !config.deployment_secret.empty();
  if (has_id && has_secret) {
    LinkCredentials creds;
    creds.authorization = proto::BasicAuthorization(config.deployment_id, config.deployment_secret);
    creds.deployment_id = config.deployment_id;
    creds.description = absl::StrCat("deployment credentials for ", config.deployment_id, " (from ",
                                     config.deployment_id_source.empty() ? "config" : config.deployment_id_source, ")");
    return creds;
  }
  const std::string& path = config.auth_token_path;
  std::string text;
  if (int err = config::ReadSmallFile(path, &text); err != 0) {
    if (err != ENOENT) return InvalidTokenFile(path, absl::StrCat("cannot be read: ", std::strerror(err)));
    std::string msg = absl::StrCat("No authentication token found: expected ", path,
                                   ". Run `edge-connector auth --token <jwt>`, or set DEPLOYMENT_ID and "
                                   "DEPLOYMENT_SECRET.");
    if (has_id) absl::StrAppend(&msg, " (DEPLOYMENT_ID is set but DEPLOYMENT_SECRET is missing.)");
    if (has_secret) absl::StrAppend(&msg, " (DEPLOYMENT_SECRET is set but DEPLOYMENT_ID is missing.)");
    return WithFailure(absl::NotFoundError(msg), proto::AuthFailure::kCredentialsMissing);
  }
  auto token = TokenFromJson(text, path);
  if (!token.ok()) return token.status();
  auto claims = proto::DecodeJwtUnverified(*token);
  if (!claims.ok()) return WithSuffix(claims.status(), absl::StrCat(" (token file ", path, ")"));
  if (absl::Status s = proto::CheckClaims(*claims, now_seconds); !s.ok()) {
    return WithSuffix(s, absl::StrCat(" (token file ", path,
                                      "); get a new token and run `edge-connector auth --token <jwt>`"));
  }
  LinkCredentials creds;
  creds.authorization = "Bearer " + *token;
  creds.deployment_id = !claims->deployment_id.empty() ? claims->deployment_id : config.deployment_id;
  if (creds.deployment_id.empty()) {
    return WithFailure(absl::FailedPreconditionError(absl::StrCat(
                           "the token names no deployment: set DEPLOYMENT_ID (or deploymentId in config.json) "
                           "(token file ", path, ")")),
                       proto::AuthFailure::kDeploymentRequired);
  }
  creds.description = absl::StrCat("token file ", path, " (org ", OrgText(*claims), ")");
  creds.expires_at = claims->expires_at;
  return creds;
}

absl::Status SaveToken(std::string_view token_or_path, const std::string& path, int64_t now_seconds) {
  std::string_view input = Trim(token_or_path);
  if (absl::StartsWith(ToAbsl(input), "Bearer ")) input = Trim(input.substr(7));
  if (input.empty()) {
    return absl::InvalidArgumentError("--token is empty: pass a JWT or the path of a JSON file {\"token\": ...}");
  }
  std::string token;
  if (LooksLikeJwt(input)) {
    token = std::string(input);
  } else {
    const std::string source(input);
    std::string text;
    if (int err = config::ReadSmallFile(source, &text); err != 0) {
      return absl::InvalidArgumentError(absl::StrCat("--token '", source,
                                                     "' is neither a JWT (three dot-separated parts) nor a readable "
                                                     "file: ", std::strerror(err)));
    }
    std::string_view body = Trim(text);
    if (absl::StartsWith(ToAbsl(body), "{")) {
      auto from_json = TokenFromJson(std::string(body), source);
      if (!from_json.ok()) return from_json.status();
      token = *from_json;
    } else {
      token = std::string(body);  // a file holding the raw token
    }
  }
  auto claims = proto::DecodeJwtUnverified(token);
  if (!claims.ok()) return claims.status();
  if (absl::Status s = proto::CheckClaims(*claims, now_seconds); !s.ok()) return s;
  std::string json;
  proto::JsonWriter(json).BeginObject().Key("token").String(token).EndObject();
  json += '\n';
  return WriteFileAtomically(path, json, 0600);
}

}  // namespace edge::runtime
