// SignManifest and TrustRoot: good signatures, unsigned bundles, untrusted keys, tampering, malformed
// signature documents and multi-key PEM files.
#include "edge/bundle/signature.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

namespace edge::bundle {
namespace {
using ::testing::HasSubstr;

class SignatureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = protocol::SigningKey::Generate();
    auto b = protocol::SigningKey::Generate();
    ASSERT_TRUE(a.ok() && b.ok());
    key_ = std::make_unique<protocol::SigningKey>(*std::move(a));
    other_ = std::make_unique<protocol::SigningKey>(*std::move(b));
  }

  void ExpectDenied(const TrustRoot& root, const std::optional<std::string>& sig, const std::string& part,
                    const std::string& manifest = kManifest) {
    absl::Status s = root.Verify(manifest, sig);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(part));
  }

  static inline const std::string kManifest = R"({"schemaVersion":1,"orgId":"org_acme"})";
  std::unique_ptr<protocol::SigningKey> key_;
  std::unique_ptr<protocol::SigningKey> other_;
};

TEST_F(SignatureTest, SignatureDocumentShape) {
  const std::string sig = SignManifest(kManifest, *key_);
  EXPECT_THAT(sig, HasSubstr(R"({"alg":"EdDSA","keyId":")" + key_->KeyId() + R"(","signature":")"));
  std::string raw;
  const size_t start = sig.find("\"signature\":\"") + 13;
  ASSERT_TRUE(protocol::Base64UrlDecode(sig.substr(start, sig.size() - start - 2), &raw));
  EXPECT_EQ(raw.size(), 64u);
  EXPECT_EQ(sig.find('='), std::string::npos);  // no padding
}

TEST_F(SignatureTest, GoodSignatureVerifies) {
  auto root = TrustRoot::FromPem(key_->PublicPem());
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_TRUE(root->Verify(kManifest, SignManifest(kManifest, *key_)).ok());
}

TEST_F(SignatureTest, KeyIdMatchesSigningKey) {
  auto root = TrustRoot::FromPem(key_->PublicPem());
  ASSERT_TRUE(root.ok());
  ASSERT_EQ(root->key_ids().size(), 1u);
  EXPECT_EQ(root->key_ids()[0], key_->KeyId());
  EXPECT_EQ(root->key_ids()[0].size(), 16u);
}

TEST_F(SignatureTest, UnsignedRefused) {
  auto root = TrustRoot::FromPem(key_->PublicPem());
  ASSERT_TRUE(root.ok());
  ExpectDenied(*root, std::nullopt,
               "bundle is not signed, but this connector requires a signature from a trusted key: sign it with "
               "`package --sign-key`");
}

TEST_F(SignatureTest, UntrustedKeyNamedWithTrustedIds) {
  auto root = TrustRoot::FromPem(key_->PublicPem());
  ASSERT_TRUE(root.ok());
  ExpectDenied(*root, SignManifest(kManifest, *other_),
               "signed by key " + other_->KeyId() + ", which this connector does not trust (trusted: " +
                   key_->KeyId() + ")");
}

TEST_F(SignatureTest, TamperedManifestRefused) {
  auto root = TrustRoot::FromPem(key_->PublicPem());
  ASSERT_TRUE(root.ok());
  std::string tampered = kManifest;
  tampered[tampered.size() - 3] = 'X';
  ExpectDenied(*root, SignManifest(kManifest, *key_), "does not verify with trusted key " + key_->KeyId(), tampered);
}

TEST_F(SignatureTest, ForgedKeyIdRefused) {
  // Signed by another key but claiming the trusted key's id.
  auto root = TrustRoot::FromPem(key_->PublicPem());
  ASSERT_TRUE(root.ok());
  std::string sig = SignManifest(kManifest, *other_);
  sig.replace(sig.find(other_->KeyId()), 16, key_->KeyId());
  ExpectDenied(*root, sig, "does not verify");
}

TEST_F(SignatureTest, MalformedSignatureDocuments) {
  auto root = TrustRoot::FromPem(key_->PublicPem());
  ASSERT_TRUE(root.ok());
  const std::string id = key_->KeyId();
  ExpectDenied(*root, "not json", "manifest.json.sig is malformed: not valid JSON");
  ExpectDenied(*root, "[]", "\"alg\" is missing");
  ExpectDenied(*root, R"({"alg":"RS256","keyId":")" + id + R"(","signature":"AA"})", "unsupported alg \"RS256\"");
  ExpectDenied(*root, R"({"alg":"EdDSA","signature":"AA"})", "\"keyId\" is missing");
  ExpectDenied(*root, R"({"alg":"EdDSA","keyId":")" + id + R"("})", "\"signature\" is missing");
  ExpectDenied(*root, R"({"alg":"EdDSA","keyId":")" + id + R"(","signature":"AAAA"})", "not 64 bytes");
  ExpectDenied(*root, R"({"alg":"EdDSA","keyId":")" + id + R"(","signature":"!!"})", "not 64 bytes");
}

TEST_F(SignatureTest, MultiKeyPem) {
  auto root = TrustRoot::FromPem("# ops keys\n" + other_->PublicPem() + "\n" + key_->PublicPem());
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->key_ids(), (std::vector<std::string>{other_->KeyId(), key_->KeyId()}));
  EXPECT_TRUE(root->Verify(kManifest, SignManifest(kManifest, *key_)).ok());
  EXPECT_TRUE(root->Verify(kManifest, SignManifest(kManifest, *other_)).ok());
}

TEST_F(SignatureTest, PemWithoutKeysRefused) {
  auto root = TrustRoot::FromPem("nothing here\n");
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(std::string(root.status().message()), HasSubstr("no Ed25519 public key found"));
}

TEST_F(SignatureTest, PrivateKeyInTrustRootRefused) {
  auto root = TrustRoot::FromPem(key_->PrivatePem());
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(std::string(root.status().message()), HasSubstr("holds a private key"));
}

TEST_F(SignatureTest, CorruptKeyBlockNamesIt) {
  std::string pem = key_->PublicPem() + "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  auto root = TrustRoot::FromPem(pem);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(std::string(root.status().message()), HasSubstr("public key 2"));
}

TEST_F(SignatureTest, FromPemFile) {
  const std::string path = ::testing::TempDir() + "/bundle_trust_root_test.pem";
  {
    std::ofstream out(path);
    out << key_->PublicPem();
  }
  auto root = TrustRoot::FromPemFile(path);
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_TRUE(root->Verify(kManifest, SignManifest(kManifest, *key_)).ok());
  std::remove(path.c_str());
  EXPECT_EQ(TrustRoot::FromPemFile(path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace edge::bundle
