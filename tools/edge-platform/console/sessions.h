// console/sessions.h: the pure rules of the admin console's sign-in (docs/console.md section 1): duration
// parsing for the TTL flags, the session cookie's text, reading a cookie from a Cookie header, and the CSRF
// decision for cookie-authenticated requests. No I/O: the API (api/console_api.cc, api/api.cc) applies them.
#ifndef EDGE_PLATFORM_CONSOLE_SESSIONS_H_
#define EDGE_PLATFORM_CONSOLE_SESSIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace edge::platform::console {

inline constexpr std::string_view kSessionCookie = "edge_console";
inline constexpr int64_t kMaxSigninLinkTtlMs = int64_t{24} * 3600 * 1000;

// "10m", "8h", "30d", "90s", "1h30m" or plain seconds, as milliseconds (> 0). `flag` names the option in the
// error message.
absl::StatusOr<int64_t> ParseTtlMs(std::string_view text, std::string_view flag);

// The Set-Cookie value that starts a session (max_age_s > 0) or clears it (max_age_s == 0).
std::string SessionCookie(std::string_view session_id, int64_t max_age_s);
// The value of cookie `name` in a Cookie header ("a=1; edge_console=xyz"), nullopt when absent.
std::optional<std::string> CookieValue(std::string_view cookie_header, std::string_view name);

// The origin ("scheme://host[:port]") of a URL, lower-cased; "" when it is not http(s).
std::string OriginOf(std::string_view url);

// The CSRF rule for a request authenticated by a session cookie. nullopt: allowed; otherwise the reason,
// for the 403 csrf_rejected message.
struct CsrfInput {
  std::string_view method;
  std::optional<std::string> csrf_header;  // X-CSRF-Token
  std::optional<std::string> origin;       // Origin
  std::string_view host;                   // Host
  std::string_view public_url;             // --public-url ("" when unset)
  std::string_view session_csrf;           // the session's csrfToken
};
std::optional<std::string> CsrfRefusal(const CsrfInput& in);

}  // namespace edge::platform::console

#endif  // EDGE_PLATFORM_CONSOLE_SESSIONS_H_
