// console/sessions.h: TTL parsing, the session cookie, reading cookies, origins, and the CSRF decision.
#include "console/sessions.h"

#include <gtest/gtest.h>

namespace edge::platform::console {
namespace {

TEST(ParseTtlMsTest, AcceptsDurationsDaysAndSeconds) {
  EXPECT_EQ(*ParseTtlMs("10m", "--ttl"), 600000);
  EXPECT_EQ(*ParseTtlMs("8h", "--ttl"), 8 * 3600 * 1000);
  EXPECT_EQ(*ParseTtlMs("30d", "--ttl"), int64_t{30} * 24 * 3600 * 1000);
  EXPECT_EQ(*ParseTtlMs("90", "--ttl"), 90000);
  EXPECT_EQ(*ParseTtlMs("1h30m", "--ttl"), 90 * 60 * 1000);
}

TEST(ParseTtlMsTest, RefusesGarbageAndNonPositiveNamingTheFlag) {
  absl::StatusOr<int64_t> bad = ParseTtlMs("soon", "--console-session-ttl");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--console-session-ttl 'soon'"), std::string::npos) << bad.status();
  EXPECT_FALSE(ParseTtlMs("0", "--ttl").ok());
  EXPECT_FALSE(ParseTtlMs("-5m", "--ttl").ok());
}

TEST(SessionCookieTest, IsHttpOnlyStrictForTheWholeSite) {
  EXPECT_EQ(SessionCookie("abc", 28800), "edge_console=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800");
  EXPECT_EQ(SessionCookie("", 0), "edge_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

TEST(CookieValueTest, FindsTheNamedCookieOnly) {
  EXPECT_EQ(CookieValue("a=1; edge_console=xyz; b=2", "edge_console"), "xyz");
  EXPECT_EQ(CookieValue("edge_console=xyz", "edge_console"), "xyz");
  EXPECT_EQ(CookieValue("not_edge_console=xyz", "edge_console"), std::nullopt);
  EXPECT_EQ(CookieValue("", "edge_console"), std::nullopt);
}

TEST(OriginOfTest, KeepsSchemeHostAndPort) {
  EXPECT_EQ(OriginOf("http://127.0.0.1:3000/console/x?y"), "http://127.0.0.1:3000");
  EXPECT_EQ(OriginOf("HTTPS://Edge.Example.com"), "https://edge.example.com");
  EXPECT_EQ(OriginOf("ftp://x"), "");
  EXPECT_EQ(OriginOf("null"), "");
}

CsrfInput Post(std::optional<std::string> token, std::optional<std::string> origin) {
  return {.method = "POST",
          .csrf_header = std::move(token),
          .origin = std::move(origin),
          .host = "127.0.0.1:3000",
          .public_url = "https://edge.example.com/base",
          .session_csrf = "secret-csrf"};
}

TEST(CsrfRefusalTest, ReadsAreAlwaysAllowed) {
  CsrfInput get = Post(std::nullopt, std::string("http://evil.example"));
  get.method = "GET";
  EXPECT_EQ(CsrfRefusal(get), std::nullopt);
  get.method = "HEAD";
  EXPECT_EQ(CsrfRefusal(get), std::nullopt);
}

TEST(CsrfRefusalTest, WritesNeedTheSessionsToken) {
  EXPECT_NE(CsrfRefusal(Post(std::nullopt, std::nullopt)), std::nullopt);
  EXPECT_NE(CsrfRefusal(Post(std::string(""), std::nullopt)), std::nullopt);
  EXPECT_NE(CsrfRefusal(Post(std::string("other"), std::nullopt)), std::nullopt);
  EXPECT_EQ(CsrfRefusal(Post(std::string("secret-csrf"), std::nullopt)), std::nullopt);
}

TEST(CsrfRefusalTest, AnOriginMustBeThePlatformsOwn) {
  EXPECT_EQ(CsrfRefusal(Post(std::string("secret-csrf"), std::string("http://127.0.0.1:3000"))), std::nullopt);
  EXPECT_EQ(CsrfRefusal(Post(std::string("secret-csrf"), std::string("https://edge.example.com"))), std::nullopt);
  EXPECT_NE(CsrfRefusal(Post(std::string("secret-csrf"), std::string("http://evil.example"))), std::nullopt);
  EXPECT_NE(CsrfRefusal(Post(std::string("secret-csrf"), std::string("http://127.0.0.1:3001"))), std::nullopt);
  EXPECT_NE(CsrfRefusal(Post(std::string("secret-csrf"), std::string("null"))), std::nullopt);
}

}  // namespace
}  // namespace edge::platform::console
