// console/sessions.cc: see sessions.h.
#include "console/sessions.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "edge/protocol/auth.h"

namespace edge::platform::console {

absl::StatusOr<int64_t> ParseTtlMs(std::string_view text, std::string_view flag) {
  std::string t(text);
  int64_t ms = 0;
  int64_t seconds = 0;
  if (absl::SimpleAtoi(t, &seconds)) {
    ms = seconds * 1000;
  } else {
    // absl durations have no day unit; a trailing "d" (30d) is the one the docs use.
    int64_t days = 0;
    absl::Duration d;
    if (t.size() > 1 && t.back() == 'd' && absl::SimpleAtoi(t.substr(0, t.size() - 1), &days)) {
      ms = days * 24 * 3600 * 1000;
    } else if (absl::ParseDuration(t, &d)) {
      ms = absl::ToInt64Milliseconds(d);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(flag), " '", t, "' is not a duration; use e.g. 90s, 10m, 8h, 30d or plain seconds"));
    }
  }
  if (ms <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(flag), " '", t, "' must be positive, e.g. 10m"));
  }
  return ms;
}

std::string SessionCookie(std::string_view session_id, int64_t max_age_s) {
  return absl::StrCat(std::string(kSessionCookie), "=", std::string(session_id),
                      "; Path=/; HttpOnly; SameSite=Strict; Max-Age=", max_age_s);
}

namespace {

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> CookieValue(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const size_t semi = cookie_header.find(';');
    std::string_view part = TrimSpaces(cookie_header.substr(0, semi));
    cookie_header = semi == std::string_view::npos ? std::string_view() : cookie_header.substr(semi + 1);
    const size_t eq = part.find('=');
    if (eq != std::string_view::npos && TrimSpaces(part.substr(0, eq)) == name) {
      return std::string(TrimSpaces(part.substr(eq + 1)));
    }
  }
  return std::nullopt;
}

std::string OriginOf(std::string_view url) {
  std::string lower(url);
  for (char& c : lower) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  size_t start = 0;
  if (lower.rfind("http://", 0) == 0) {
    start = 7;
  } else if (lower.rfind("https://", 0) == 0) {
    start = 8;
  } else {
    return "";
  }
  const size_t end = lower.find_first_of("/?#", start);
  if (end == start) return "";
  return lower.substr(0, end);
}

std::optional<std::string> CsrfRefusal(const CsrfInput& in) {
  if (in.method == "GET" || in.method == "HEAD") return std::nullopt;
  if (!in.csrf_header || in.csrf_header->empty()) {
    return "the X-CSRF-Token header is missing; console requests that change state must send the session's "
           "csrfToken (from GET /console/api/session) in it";
  }
  if (!protocol::ConstantTimeEquals(*in.csrf_header, in.session_csrf)) {
    return "the X-CSRF-Token header does not match this session's csrfToken; reload the console page";
  }
  if (in.origin) {
    const std::string origin = OriginOf(*in.origin);
    const bool own = !origin.empty() && (origin == OriginOf("http://" + std::string(in.host)) ||
                                         (!in.public_url.empty() && origin == OriginOf(in.public_url)));
    if (!own) {
      return "the request comes from origin '" + *in.origin +
             "', not from this platform's console; use the console served by this platform";
    }
  }
  return std::nullopt;
}

}  // namespace edge::platform::console
