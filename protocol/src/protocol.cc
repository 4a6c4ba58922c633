// Protocol constants that need code: error names, close reasons, upgrade auth failure reasons.
#include "edge/protocol/protocol.h"

#include <array>

namespace edge::protocol {
namespace {

struct AuthFailureText {
  AuthFailure failure;
  std::string_view reason;
  std::string_view message;
};

constexpr std::array<AuthFailureText, 8> kAuthFailures = {{
    {AuthFailure::kCredentialsMissing, "credentials_missing",
     "No credentials: the upgrade request has no Authorization header"},
    {AuthFailure::kCredentialsMalformed, "credentials_malformed", "Malformed Authorization header"},
    {AuthFailure::kTokenInvalid, "token_invalid", "Token validation failed"},
    {AuthFailure::kTokenExpired, "token_expired", "Token has expired"},
    {AuthFailure::kOrgMissing, "org_missing", "Token has no organization: it needs an orgId claim or an orgs map"},
    {AuthFailure::kDeploymentRequired, "deployment_required",
     "Bearer token without X-Edge-Deployment-Id: name the deployment"},
    {AuthFailure::kInvalidCredentials, "invalid_credentials", "Invalid deployment credentials"},
    {AuthFailure::kDeploymentForbidden, "deployment_forbidden", "The deployment is not in the token's organization"},
}};

const AuthFailureText* FindAuthFailure(AuthFailure f) {
  for (const auto& t : kAuthFailures) {
    if (t.failure == f) return &t;
  }
  return nullptr;
}

// Length of the longest prefix of `text` not above `limit` bytes that ends on a UTF-8 character boundary.
size_t Utf8Prefix(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text.size();
  size_t n = limit;
  // Back off continuation bytes (10xxxxxx) so a multi-byte character is never split.
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view ErrorCodeName(int code) {
  switch (code) {
    case kParseError: return "parse error";
    case kInvalidRequest: return "invalid request";
    case kMethodNotFound: return "method not found";
    case kInvalidParams: return "invalid params";
    case kInternalError: return "internal error";
    case kToolNotFound: return "tool not found";
    case kToolFailed: return "tool failed";
    case kTimeout: return "timeout";
    case kCancelled: return "cancelled";
    case kOverloaded: return "overloaded";
    case kConnectorUnavailable: return "connector unavailable";
    default: return "unknown error";
  }
}

std::string_view CloseMessage(int code) {
  switch (code) {
    case kCloseNormal: return "Normal closure";
    case kCloseGoingAway: return "Going away";
    case kCloseUnsupportedData: return "Binary messages are not supported";
    case kCloseMessageTooLarge: return "Message too large";
    case kCloseInternalError: return "Internal error";
    case kCloseAuthFailed: return "Authentication failed";
    case kCloseProtocolViolation: return "Protocol violation";
    case kCloseUnsupportedVersion: return "Unsupported protocol version";
    case kCloseHeartbeatTimeout: return "Heartbeat timeout";
    case kCloseAlreadyConnected: return "Deployment already connected";
    default: return "";
  }
}

std::string FormatCloseReason(int code, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string_view message = CloseMessage(code);
  std::string out(message.substr(0, Utf8Prefix(message, kMaxCloseReasonBytes)));
  for (const auto& [key, value] : fields) {
    const size_t add = 2 + key.size() + 1 + value.size();  // "; key=value"
    if (out.size() + add > kMaxCloseReasonBytes) continue;  // whole pairs only: a cut value would mislead
    out += "; ";
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

CloseReason ParseCloseReason(std::string_view text) {
  CloseReason r;
  size_t semi = text.find(';');
  r.message = std::string(Trim(text.substr(0, semi)));
  while (semi != std::string_view::npos) {
    text.remove_prefix(semi + 1);
    semi = text.find(';');
    std::string_view part = Trim(text.substr(0, semi));
    size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      // Free text after a ';' (e.g. "Protocol violation; no hello"): keep it in the message.
      if (!part.empty()) {
        r.message += "; ";
        r.message += part;
      }
      continue;
    }
    r.fields[std::string(Trim(part.substr(0, eq)))] = std::string(Trim(part.substr(eq + 1)));
  }
  return r;
}

std::string_view AuthFailureReason(AuthFailure f) {
  const AuthFailureText* t = FindAuthFailure(f);
  return t == nullptr ? "" : t->reason;
}

std::string_view AuthFailureMessage(AuthFailure f) {
  const AuthFailureText* t = FindAuthFailure(f);
  return t == nullptr ? "" : t->message;
}

bool ParseAuthFailureReason(std::string_view reason, AuthFailure* out) {
  for (const auto& t : kAuthFailures) {
    if (t.reason == reason) {
      if (out != nullptr) *out = t.failure;
      return true;
    }
  }
  return false;
}

}  // namespace edge::protocol
