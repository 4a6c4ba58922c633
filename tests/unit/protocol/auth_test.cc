// JWTs, keys, Basic credentials, secret hashing and base64 (docs/protocol.md §2).
#include "edge/protocol/auth.h"

#include <string>

#include "gtest/gtest.h"

namespace edge::protocol {
namespace {

constexpr int64_t kNow = 1800000000;  // 2027-01-15T08:00:00Z

AuthFailure FailureOf(const absl::Status& s) {
  AuthFailure f = AuthFailure::kCredentialsMissing;
  EXPECT_TRUE(AuthFailureOf(s, &f)) << s;
  return f;
}

JwtClaims OrgClaims() {
  JwtClaims c;
  c.subject = "u_9";
  c.org_id = "org_acme";
  c.role = "connector";
  c.issued_at = kNow - 10;
  c.expires_at = kNow + 3600;
  c.deployment_id = "dep_42";
  c.issuer = "edge-platform";
  c.token_id = "t1";
  return c;
}

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::make_unique<SigningKey>(*std::move(key));
  }
  std::unique_ptr<SigningKey> key_;
};

TEST_F(JwtTest, SignVerifyRoundTrip) {
  const std::string token = SignJwt(*key_, OrgClaims());
  auto claims = VerifyJwt(VerifyingKey::Of(*key_), token, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "u_9");
  EXPECT_EQ(claims->org_id, "org_acme");
  EXPECT_EQ(claims->role, "connector");
  EXPECT_EQ(claims->issued_at, kNow - 10);
  EXPECT_EQ(claims->expires_at, kNow + 3600);
  EXPECT_EQ(claims->deployment_id, "dep_42");
  EXPECT_EQ(claims->issuer, "edge-platform");
  EXPECT_EQ(claims->token_id, "t1");
  EXPECT_TRUE(claims->HasOrg("org_acme"));
  EXPECT_FALSE(claims->HasOrg("org_other"));
  EXPECT_EQ(claims->SingleOrg(), "org_acme");

  std::string header;
  ASSERT_TRUE(Base64UrlDecode(token.substr(0, token.find('.')), &header));
  EXPECT_EQ(header, R"({"alg":"EdDSA","typ":"JWT","kid":")" + key_->KeyId() + "\"}");
  EXPECT_EQ(key_->KeyId().size(), 16u);
  // A token file's trailing newline is tolerated.
  EXPECT_TRUE(VerifyJwt(VerifyingKey::Of(*key_), token + "\n", kNow).ok());
}

TEST_F(JwtTest, OrgsMap) {
  JwtClaims c = OrgClaims();
  c.org_id.clear();
  c.orgs = {{"org_a", "admin"}, {"org_b", "user"}};
  auto claims = VerifyJwt(VerifyingKey::Of(*key_), SignJwt(*key_, c), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->orgs, c.orgs);
  EXPECT_TRUE(claims->HasOrg("org_b"));
  EXPECT_EQ(claims->SingleOrg(), "");
  c.orgs = {{"org_a", "admin"}};
  auto single = DecodeJwtUnverified(SignJwt(*key_, c));
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->SingleOrg(), "org_a");
}

TEST_F(JwtTest, Tampered) {
  const std::string token = SignJwt(*key_, OrgClaims());
  JwtClaims other = OrgClaims();
  other.org_id = "org_evil";
  const std::string forged = SignJwt(*key_, other);
  // The claims of one token with the signature of another.
  const size_t a = token.find('.'), b = token.rfind('.');
  const std::string mixed = token.substr(0, a) + forged.substr(forged.find('.'), forged.rfind('.') - forged.find('.')) +
                            token.substr(b);
  auto r = VerifyJwt(VerifyingKey::Of(*key_), mixed, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), "Token validation failed: bad signature");
  EXPECT_EQ(FailureOf(r.status()), AuthFailure::kTokenInvalid);
  // Flip a character in the middle of the signature.
  std::string flipped = token;
  char& c = flipped[b + 10];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyJwt(VerifyingKey::Of(*key_), flipped, kNow).ok());
}

TEST_F(JwtTest, WrongKey) {
  auto other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  auto r = VerifyJwt(VerifyingKey::Of(*other), SignJwt(*key_, OrgClaims()), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(FailureOf(r.status()), AuthFailure::kTokenInvalid);
  EXPECT_NE(key_->KeyId(), other->KeyId());
}

TEST_F(JwtTest, Expired) {
  JwtClaims c = OrgClaims();
  c.expires_at = 1795428000;  // 2026-11-23T10:00:00Z
  const std::string token = SignJwt(*key_, c);
  auto r = VerifyJwt(VerifyingKey::Of(*key_), token, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Token has expired (exp 2026-11-23T10:00:00Z)");
  EXPECT_EQ(FailureOf(r.status()), AuthFailure::kTokenExpired);
  // The connector's local check says the same without the key.
  auto local = DecodeJwtUnverified(token);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(FailureOf(CheckClaims(*local, kNow)), AuthFailure::kTokenExpired);
  EXPECT_TRUE(CheckClaims(*local, c.expires_at - 1).ok());
  EXPECT_FALSE(CheckClaims(*local, c.expires_at).ok());
}

TEST_F(JwtTest, NoOrg) {
  JwtClaims c = OrgClaims();
  c.org_id.clear();
  auto r = VerifyJwt(VerifyingKey::Of(*key_), SignJwt(*key_, c), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Token has no organization: it needs an orgId claim or an orgs map");
  EXPECT_EQ(FailureOf(r.status()), AuthFailure::kOrgMissing);
}

TEST(JwtDecodeTest, Malformed) {
  auto expect_invalid = [](std::string_view token, std::string_view part) {
    auto r = DecodeJwtUnverified(token);
    ASSERT_FALSE(r.ok()) << token;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(r.status().message().rfind("Token validation failed: ", 0), 0u) << r.status();
    EXPECT_NE(r.status().message().find(absl::string_view(part.data(), part.size())), absl::string_view::npos)
        << r.status();
    EXPECT_EQ(FailureOf(r.status()), AuthFailure::kTokenInvalid);
  };
  const std::string h = Base64UrlEncode(R"({"alg":"EdDSA","typ":"JWT"})");
  const std::string body = Base64UrlEncode(R"({"sub":"u","orgId":"o","exp":1900000000})");
  expect_invalid("", "empty");
  expect_invalid("abc", "three");
  expect_invalid("a.b.c.d", "three");
  expect_invalid("!!." + body + ".sig", "header");
  expect_invalid(h + ".%%.sig", "claims");
  expect_invalid(Base64UrlEncode("[1]") + "." + body + ".sig", "header");
  expect_invalid(Base64UrlEncode(R"({"alg":"none"})") + "." + body + ".", "none");
  expect_invalid(Base64UrlEncode(R"({"alg":"HS256"})") + "." + body + ".x", "HS256");
  expect_invalid(h + "." + Base64UrlEncode(R"({"sub":"u","orgId":"o"})") + ".x", "exp");
  expect_invalid(h + "." + Base64UrlEncode(R"({"exp":"soon"})") + ".x", "exp");
  expect_invalid(h + "." + Base64UrlEncode(R"({"exp":1,"orgs":{"o":1}})") + ".x", "orgs");
  expect_invalid(h + "." + Base64UrlEncode(R"({"exp":1,"sub":5})") + ".x", "sub");
  // Decoding alone accepts any signature: it is the connector's local check.
  EXPECT_TRUE(DecodeJwtUnverified(h + "." + body + ".x").ok());
}

TEST(KeysTest, VerifyingKeyIdKnownAnswer) {
  // RFC 8032 test 1 public key; id = first 16 hex of SHA-256 over its 32 raw bytes.
  auto pub = VerifyingKey::FromPublicPem(
      "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
      "-----END PUBLIC KEY-----\n");
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->KeyId(), "21fe31dfa154a261");
}

TEST(KeysTest, VerifyingKeyIdMatchesSigningKey) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  auto pub = VerifyingKey::FromPublicPem(key->PublicPem());
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->KeyId(), key->KeyId());
  EXPECT_EQ(VerifyingKey::Of(*key).KeyId(), key->KeyId());
}

TEST(KeysTest, PemRoundTrip) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  const std::string pem = key->PrivatePem();
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  auto loaded = SigningKey::FromPrivatePem(pem);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->KeyId(), key->KeyId());
  auto pub = VerifyingKey::FromPublicPem(key->PublicPem());
  ASSERT_TRUE(pub.ok()) << pub.status();
  const std::string sig = loaded->Sign("data");
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_TRUE(pub->Verify("data", sig));
  EXPECT_FALSE(pub->Verify("date", sig));
  EXPECT_FALSE(pub->Verify("data", sig.substr(1)));
  EXPECT_FALSE(SigningKey::FromPrivatePem("garbage").ok());
  EXPECT_FALSE(VerifyingKey::FromPublicPem(pem.substr(0, 40)).ok());
  EXPECT_FALSE(SigningKey::FromPrivatePem(key->PublicPem()).ok());
}

TEST(BasicTest, RoundTrip) {
  const std::string header = BasicAuthorization("dep_42", "s3cr:et");
  EXPECT_EQ(header, "Basic " + Base64Encode("dep_42:s3cr:et"));
  auto c = ParseBasicAuthorization(header);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->deployment_id, "dep_42");
  EXPECT_EQ(c->secret, "s3cr:et");  // only the first ':' separates
  auto lower = ParseBasicAuthorization("basic " + Base64Encode("a:b"));
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->deployment_id, "a");
}

TEST(BasicTest, Malformed) {
  for (const std::string& bad : {std::string("Bearer abc"), std::string("Basic"), std::string("Basic !!!!"),
                                "Basic " + Base64Encode("nocolon"), "Basic " + Base64Encode(":secret"),
                                "Basic " + Base64Encode("id:"), std::string("Basicx ") + Base64Encode("a:b")}) {
    auto c = ParseBasicAuthorization(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(c.status().message().rfind("Malformed Authorization header", 0), 0u) << c.status();
    EXPECT_EQ(FailureOf(c.status()), AuthFailure::kCredentialsMalformed);
  }
}

TEST(SecretTest, HashAndVerify) {
  const std::string hash = HashSecret("correct horse");
  EXPECT_EQ(hash.rfind("scrypt$16384$8$1$", 0), 0u) << hash;
  EXPECT_TRUE(VerifySecret("correct horse", hash));
  EXPECT_FALSE(VerifySecret("correct horsf", hash));
  EXPECT_FALSE(VerifySecret("", hash));
  EXPECT_NE(HashSecret("correct horse"), hash);  // random salt
}

TEST(SecretTest, MalformedHashesNeverVerify) {
  const std::string hash = HashSecret("pw");
  EXPECT_FALSE(VerifySecret("pw", ""));
  EXPECT_FALSE(VerifySecret("pw", "plain"));
  EXPECT_FALSE(VerifySecret("pw", "bcrypt" + hash.substr(6)));
  EXPECT_FALSE(VerifySecret("pw", hash.substr(0, hash.size() - 4)));
  std::string bad_n = hash;
  bad_n.replace(7, 5, "16385");  // not a power of two
  EXPECT_FALSE(VerifySecret("pw", bad_n));
  std::string huge_n = hash;
  huge_n.replace(7, 5, "1073741824");
  EXPECT_FALSE(VerifySecret("pw", huge_n));
  EXPECT_FALSE(VerifySecret("pw", hash + "$extra"));
}

TEST(RandomTokenTest, UrlSafeAndDistinct) {
  const std::string a = RandomToken(32), b = RandomToken(32);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
  std::string raw;
  ASSERT_TRUE(Base64UrlDecode(a, &raw));
  EXPECT_EQ(raw.size(), 32u);
  EXPECT_EQ(RandomToken(0), "");
}

TEST(Base64Test, RoundTrips) {
  for (const std::string& data : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                                 std::string("foob"), std::string("\xff\xfe\x00\x01", 4)}) {
    std::string out;
    ASSERT_TRUE(Base64Decode(Base64Encode(data), &out));
    EXPECT_EQ(out, data);
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(data), &out));
    EXPECT_EQ(out, data);
  }
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64Test, RejectsBadInput) {
  std::string out;
  EXPECT_FALSE(Base64Decode("Zm9vYg", &out));     // missing padding
  EXPECT_FALSE(Base64Decode("Zm9v!g==", &out));   // bad character
  EXPECT_FALSE(Base64Decode("-_8=", &out));       // url alphabet in standard
  EXPECT_FALSE(Base64UrlDecode("+/8", &out));     // standard alphabet in url
  EXPECT_FALSE(Base64UrlDecode("Zm9vYg==", &out));  // padding in url
  EXPECT_FALSE(Base64UrlDecode("Z", &out));       // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zm9vYh", &out));  // non-zero unused bits
}

}  // namespace
}  // namespace edge::protocol

namespace edge::protocol {
namespace {

// RFC 4231 test case 2 and the well-known SHA-256 of "abc".
TEST(WebhookDigestTest, HmacAndShaMatchPublishedVectors) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(WebhookDigestTest, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace edge::protocol
