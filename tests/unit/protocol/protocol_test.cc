// Close reasons, error names and the 401 reasons of edge/protocol/protocol.h.
#include "edge/protocol/protocol.h"

#include <string>

#include "gtest/gtest.h"

namespace edge::protocol {
namespace {

TEST(ErrorCodeNameTest, NamesKnownAndUnknownCodes) {
  EXPECT_EQ(ErrorCodeName(kToolNotFound), "tool not found");
  EXPECT_EQ(ErrorCodeName(kInvalidParams), "invalid params");
  EXPECT_EQ(ErrorCodeName(kConnectorUnavailable), "connector unavailable");
  EXPECT_EQ(ErrorCodeName(-32099), "unknown error");
}

TEST(CloseMessageTest, FixedMessages) {
  EXPECT_EQ(CloseMessage(kCloseNormal), "Normal closure");
  EXPECT_EQ(CloseMessage(kCloseUnsupportedData), "Binary messages are not supported");
  EXPECT_EQ(CloseMessage(kCloseMessageTooLarge), "Message too large");
  EXPECT_EQ(CloseMessage(kCloseAlreadyConnected), "Deployment already connected");
  EXPECT_EQ(CloseMessage(4500), "");
}

TEST(FormatCloseReasonTest, AppendsFields) {
  EXPECT_EQ(FormatCloseReason(kCloseMessageTooLarge, {{"limit", "4194304"}}), "Message too large; limit=4194304");
  EXPECT_EQ(FormatCloseReason(kCloseAlreadyConnected, {{"retryAfterMs", "45000"}}),
            "Deployment already connected; retryAfterMs=45000");
  EXPECT_EQ(FormatCloseReason(kCloseUnsupportedVersion, {{"supported", "edge-tool-rpc.v1"}}),
            "Unsupported protocol version; supported=edge-tool-rpc.v1");
  EXPECT_EQ(FormatCloseReason(kCloseGoingAway), "Going away");
}

TEST(FormatCloseReasonTest, DropsWholePairsThatDoNotFit) {
  const std::string long_value(100, 'x');
  std::string reason = FormatCloseReason(kCloseProtocolViolation, {{"detail", long_value}, {"a", "1"}});
  EXPECT_LE(reason.size(), kMaxCloseReasonBytes);
  // "; detail=" + 100 bytes would reach 127 > 123 bytes: dropped whole, the short pair after it still fits.
  EXPECT_EQ(reason, "Protocol violation; a=1");
}

TEST(FormatCloseReasonTest, NeverExceedsLimit) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (int i = 0; i < 40; ++i) fields.emplace_back("k" + std::to_string(i), "value");
  std::string reason = FormatCloseReason(kCloseInternalError, fields);
  EXPECT_LE(reason.size(), kMaxCloseReasonBytes);
  EXPECT_EQ(reason.rfind("Internal error; k0=value; k1=value", 0), 0u);
  EXPECT_NE(reason.back(), '=');  // no cut pair
  CloseReason parsed = ParseCloseReason(reason);
  for (const auto& [k, v] : parsed.fields) EXPECT_EQ(v, "value") << k;
}

TEST(ParseCloseReasonTest, SplitsMessageAndFields) {
  CloseReason r = ParseCloseReason("Deployment already connected; retryAfterMs=45000");
  EXPECT_EQ(r.message, "Deployment already connected");
  ASSERT_EQ(r.fields.count("retryAfterMs"), 1u);
  EXPECT_EQ(r.fields["retryAfterMs"], "45000");

  r = ParseCloseReason("Authentication failed; reason=token_expired; x=1");
  EXPECT_EQ(r.message, "Authentication failed");
  EXPECT_EQ(r.fields.size(), 2u);
  EXPECT_EQ(r.fields["reason"], "token_expired");
}

TEST(ParseCloseReasonTest, ToleratesUnknownText) {
  CloseReason r = ParseCloseReason("something the proxy said");
  EXPECT_EQ(r.message, "something the proxy said");
  EXPECT_TRUE(r.fields.empty());
  r = ParseCloseReason("Protocol violation; no hello within 10s");
  EXPECT_EQ(r.message, "Protocol violation; no hello within 10s");
  EXPECT_TRUE(r.fields.empty());
  EXPECT_EQ(ParseCloseReason("").message, "");
}

TEST(AuthFailureTest, ReasonsMessagesAndParse) {
  EXPECT_EQ(AuthFailureReason(AuthFailure::kTokenExpired), "token_expired");
  EXPECT_EQ(AuthFailureMessage(AuthFailure::kTokenExpired), "Token has expired");
  EXPECT_EQ(AuthFailureMessage(AuthFailure::kCredentialsMissing),
            "No credentials: the upgrade request has no Authorization header");
  const AuthFailure all[] = {AuthFailure::kCredentialsMissing, AuthFailure::kCredentialsMalformed,
                             AuthFailure::kTokenInvalid,       AuthFailure::kTokenExpired,
                             AuthFailure::kOrgMissing,         AuthFailure::kDeploymentRequired,
                             AuthFailure::kInvalidCredentials, AuthFailure::kDeploymentForbidden};
  for (AuthFailure f : all) {
    AuthFailure parsed = AuthFailure::kCredentialsMissing;
    ASSERT_TRUE(ParseAuthFailureReason(AuthFailureReason(f), &parsed)) << AuthFailureReason(f);
    EXPECT_EQ(parsed, f);
    EXPECT_FALSE(AuthFailureMessage(f).empty());
  }
  AuthFailure out;
  EXPECT_FALSE(ParseAuthFailureReason("nope", &out));
}

TEST(HeartbeatTest, EffectiveTimeoutHasFloor) {
  EXPECT_EQ(EffectiveHeartbeatTimeoutMs(75000, 30000), 75000);
  EXPECT_EQ(EffectiveHeartbeatTimeoutMs(1000, 30000), 65000);
}

}  // namespace
}  // namespace edge::protocol
