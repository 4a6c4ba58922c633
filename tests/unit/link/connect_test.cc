// Tests for runtime/src/link/connect.cc: URL parsing, the insecure-ws policy, client flags, upgrade headers.
#include "link/connect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libwebsockets.h>

namespace edge::runtime::link {
namespace {

using ::testing::HasSubstr;

TEST(ParseLinkUrlTest, ParsesWsWithPortAndPath) {
  auto url = ParseLinkUrl("ws://127.0.0.1:3001/rpc");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_FALSE(url->secure);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 3001);
  EXPECT_EQ(url->path, "/rpc");
}

TEST(ParseLinkUrlTest, DefaultsPortAndPath) {
  auto wss = ParseLinkUrl("wss://platform.example.com");
  ASSERT_TRUE(wss.ok());
  EXPECT_TRUE(wss->secure);
  EXPECT_EQ(wss->port, 443);
  EXPECT_EQ(wss->path, "/");
  auto ws = ParseLinkUrl("WS://host");
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(ws->port, 80);
}

TEST(ParseLinkUrlTest, ParsesIpv6Literal) {
  auto url = ParseLinkUrl("ws://[::1]:8080/x");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
}

TEST(ParseLinkUrlTest, RejectsBadUrlsWithAClearMessage) {
  for (const char* bad : {"http://host/", "host:3001", "ws://", "ws://host:99999/", "ws://host:abc/",
                          "ws://host:/", "ws://user:pw@host/", "ws://host/?token=x", "ws://[::1/"}) {
    auto url = ParseLinkUrl(bad);
    ASSERT_FALSE(url.ok()) << bad;
    EXPECT_THAT(std::string(url.status().message()), HasSubstr("invalid toolRpcUrl")) << bad;
  }
  EXPECT_THAT(std::string(ParseLinkUrl("http://h/").status().message()), HasSubstr("ws:// or wss://"));
}

TEST(ParseHttpUrlTest, KeepsTheQueryDropsTheFragmentAndSharesTheHostRules) {
  auto url = ParseHttpUrl("https://[::1]:8443/api/v1/x?limit=5#top");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_TRUE(url->secure);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->path, "/api/v1/x?limit=5");
  auto plain = ParseHttpUrl("HTTP://127.0.0.1?x=1");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->path, "/?x=1");
  for (const char* bad : {"ws://host/", "http://", "http://host:0/", "http://user@host/", "http://[::1/"}) {
    auto r = ParseHttpUrl(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("invalid URL")) << bad;
  }
}

TEST(TransportPolicyTest, RefusesCredentialsOverWsToANonLoopbackHost) {
  auto url = ParseLinkUrl("ws://10.0.0.5:3001/");
  ASSERT_TRUE(url.ok());
  absl::Status s = CheckTransportPolicy(*url, /*allow_insecure_ws=*/false);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("allowInsecureWs"));
  EXPECT_TRUE(CheckTransportPolicy(*url, /*allow_insecure_ws=*/true).ok());
}

TEST(TransportPolicyTest, AllowsLoopbackAndWss) {
  for (const char* ok : {"ws://127.0.0.1:1/", "ws://localhost/", "ws://[::1]:1/", "ws://127.1.2.3/",
                         "wss://platform.example.com/"}) {
    auto url = ParseLinkUrl(ok);
    ASSERT_TRUE(url.ok()) << ok;
    EXPECT_TRUE(CheckTransportPolicy(*url, false).ok()) << ok;
  }
  EXPECT_FALSE(IsLoopbackHost("127.example.com"));
  EXPECT_FALSE(IsLoopbackHost("localhost.evil.com"));
}

TEST(ClientSslFlagsTest, WssNeedsSslAndSkipVerifyRelaxesChecks) {
  auto wss = ParseLinkUrl("wss://h/");
  auto ws = ParseLinkUrl("ws://127.0.0.1/");
  ASSERT_TRUE(wss.ok() && ws.ok());
  EXPECT_EQ(ClientSslFlags(*wss, false), LCCSCF_USE_SSL);
  int relaxed = ClientSslFlags(*wss, true);
  EXPECT_TRUE(relaxed & LCCSCF_USE_SSL);
  EXPECT_TRUE(relaxed & LCCSCF_ALLOW_SELFSIGNED);
  EXPECT_TRUE(relaxed & LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK);
  EXPECT_TRUE(relaxed & LCCSCF_ALLOW_EXPIRED);
  EXPECT_EQ(ClientSslFlags(*ws, true), 0);
}

TEST(HandshakeHeadersTest, CarriesAuthAndIdentity) {
  LinkCredentials creds;
  creds.authorization = "Bearer abc";
  creds.deployment_id = "dep_1";
  HeaderIdentity id{"0.3.0", "SERVER", "linux-x86_64"};
  auto headers = HandshakeHeaders(creds, id);
  std::map<std::string, std::string> m(headers.begin(), headers.end());
  EXPECT_EQ(m["authorization:"], "Bearer abc");
  EXPECT_EQ(m["x-edge-deployment-id:"], "dep_1");
  EXPECT_EQ(m["x-edge-connector-version:"], "0.3.0");
  EXPECT_EQ(m["x-edge-connector-type:"], "SERVER");
  EXPECT_EQ(m["user-agent:"], "edge-connector/0.3.0 (linux-x86_64)");
  creds.deployment_id.clear();
  EXPECT_EQ(HandshakeHeaders(creds, id).size(), 4u);  // empty values are left out
}

TEST(SubprotocolTest, OffersV1ThenFallbackAndSpeaksOnlyV1) {
  EXPECT_EQ(OfferedSubprotocols(), "edge-tool-rpc.v1, edge-tool-rpc");
  EXPECT_TRUE(IsSpokenSubprotocol("edge-tool-rpc.v1"));
  EXPECT_FALSE(IsSpokenSubprotocol("edge-tool-rpc"));
  EXPECT_FALSE(IsSpokenSubprotocol(""));
}

TEST(TlsVerifyErrorTest, NamesTheProblemAndTheTrustSource) {
  EXPECT_EQ(TlsVerifyError("unable to get local issuer certificate", "/x/ca.pem"),
            "TLS certificate verification failed: unable to get local issuer certificate (CA file /x/ca.pem)");
  EXPECT_THAT(TlsVerifyError("certificate has expired", ""), HasSubstr("system CA store"));
}

}  // namespace
}  // namespace edge::runtime::link
