// Api: the admin console's sign-in and sessions (docs/console.md section 1). A one-time link token starts a
// session kept in SQLite; its id travels in the HttpOnly edge_console cookie and acts as an admin token of the
// session's org, with the CSRF rule (console/sessions.h) on every state-changing request.
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "console/sessions.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/json_writer.h"

namespace edge::platform::api {

namespace {

HttpResponse SignedOut() {
  return ErrorResponse(401, "signed_out",
                       "this console session is missing or has expired; get a new sign-in link with "
                       "'edge-platform admin console-link --org <org>'");
}

std::string SessionJson(const store::ConsoleSession& s) {
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject()
      .Key("orgId")
      .String(s.org_id)
      .Key("subject")
      .String(s.subject)
      .Key("csrfToken")
      .String(s.csrf_token)
      .Key("expiresAtMs")
      .Int(s.expires_at_ms)
      .EndObject();
  return body;
}

}  // namespace

std::optional<store::ConsoleSession> Api::ConsoleSessionOf(const Exchange& ex) {
  std::optional<std::string> cookie = ex->Header("cookie");
  if (!cookie) return std::nullopt;
  std::optional<std::string> id = console::CookieValue(*cookie, console::kSessionCookie);
  if (!id || id->empty()) return std::nullopt;
  absl::StatusOr<std::optional<store::ConsoleSession>> session =
      store_->FindConsoleSession(protocol::Sha256Hex(*id), store::NowMs());
  if (!session.ok()) {
    if (logger_) logger_->Warn("console", "reading a console session failed: ", session.status().message());
    return std::nullopt;
  }
  return *std::move(session);
}

std::optional<HttpResponse> Api::AuthorizeConsole(const Exchange& ex, Caller* caller) {
  std::optional<store::ConsoleSession> session = ConsoleSessionOf(ex);
  if (!session) return SignedOut();
  const HttpRequest& req = ex->request();
  const std::string host = ex->Header("host").value_or("");
  std::optional<std::string> refusal = console::CsrfRefusal({.method = req.method,
                                                             .csrf_header = ex->Header("x-csrf-token"),
                                                             .origin = ex->Header("origin"),
                                                             .host = host,
                                                             .public_url = options_.public_url,
                                                             .session_csrf = session->csrf_token});
  if (refusal) return ErrorResponse(403, "csrf_rejected", *refusal);
  caller->org_id = session->org_id;
  caller->subject = "console:" + session->subject;
  return std::nullopt;
}

void Api::CreateConsoleSession(const Exchange& ex) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, false)) return;
  auto token = doc.FindMember("token");
  if (token == doc.MemberEnd() || !token->value.IsString() || token->value.GetStringLength() == 0) {
    return BadField(*ex, "/token", "token is required: the token=… part of the sign-in link");
  }
  const int64_t now = store::NowMs();
  absl::StatusOr<std::optional<store::ConsoleSession>> link =
      store_->UseSigninLink(protocol::Sha256Hex(token->value.GetString()), now);
  if (!link.ok()) return ex->Respond(StatusResponse(link.status()));
  if (!*link) {
    return ex->Respond(ErrorResponse(401, "signin_link_invalid",
                                     "This sign-in link was already used or has expired. Ask for a new one: "
                                     "edge-platform admin console-link --org …"));
  }
  store::ConsoleSession session = **std::move(link);
  const std::string id = protocol::RandomToken(32);
  session.id_sha256 = protocol::Sha256Hex(id);
  session.csrf_token = protocol::RandomToken(32);
  session.created_at_ms = now;
  session.expires_at_ms = now + options_.console_session_ttl_ms;
  if (absl::Status s = store_->CreateConsoleSession(session); !s.ok()) return ex->Respond(StatusResponse(s));
  if (logger_) logger_->Info("console", "console session started for ", session.subject, " in ", session.org_id);
  HttpResponse r = JsonResponse(200, SessionJson(session));
  r.headers.emplace_back("Set-Cookie", console::SessionCookie(id, options_.console_session_ttl_ms / 1000));
  ex->Respond(std::move(r));
}

void Api::GetConsoleSession(const Exchange& ex) {
  std::optional<store::ConsoleSession> session = ConsoleSessionOf(ex);
  if (!session) return ex->Respond(SignedOut());
  ex->Respond(JsonResponse(200, SessionJson(*session)));
}

void Api::DeleteConsoleSession(const Exchange& ex) {
  Caller caller;
  std::optional<HttpResponse> refusal = AuthorizeConsole(ex, &caller);  // signing out is state-changing: CSRF
  if (refusal) return ex->Respond(*std::move(refusal));
  std::optional<store::ConsoleSession> session = ConsoleSessionOf(ex);
  if (session) {
    if (absl::Status s = store_->DeleteConsoleSession(session->id_sha256); !s.ok()) {
      return ex->Respond(StatusResponse(s));
    }
  }
  HttpResponse r = JsonResponse(200, R"({"signedOut":true})");
  r.headers.emplace_back("Set-Cookie", console::SessionCookie("", 0));
  ex->Respond(std::move(r));
}

}  // namespace edge::platform::api
