// edge/protocol/auth.h: the credentials of the upgrade request (docs/protocol.md §2): Ed25519-signed JWTs
// (EdDSA, compact form) issued by the platform, and Basic deployment credentials.
//
// The platform signs and verifies; the connector, which does not hold the platform's key, checks a token's
// format, expiry and org claim locally (`DecodeJwtUnverified` + `CheckClaims`) before every connection attempt
// so it can print the messages users search for ("Token has expired", ...) instead of a bare 401.
#ifndef EDGE_PROTOCOL_AUTH_H_
#define EDGE_PROTOCOL_AUTH_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/protocol/protocol.h"

namespace edge::protocol {

// Status payload carrying the AuthFailure reason code ("token_expired") on auth failures.
inline constexpr char kAuthFailurePayload[] = "edge.dev/auth-failure";
// The AuthFailure attached to a status by the functions below (false when none).
bool AuthFailureOf(const absl::Status& status, AuthFailure* out);

struct JwtClaims {
  std::string subject;                      // "sub"
  std::string org_id;                       // "orgId"; may be empty when `orgs` is set
  std::map<std::string, std::string> orgs;  // "orgs": {orgId: role}
  std::string role;                         // "role": admin | connector | user
  int64_t issued_at = 0;                    // "iat", seconds since the epoch
  int64_t expires_at = 0;                   // "exp", seconds since the epoch; required
  std::string deployment_id;                // "deploymentId", optional
  std::string issuer;                       // "iss", optional
  std::string token_id;                     // "jti", optional

  // Whether the token grants `org_id` (orgId equal, or present in `orgs`).
  bool HasOrg(std::string_view org) const;
  // The org when the token names exactly one ("" otherwise).
  std::string SingleOrg() const;
};

// Splits and base64url-decodes a compact JWT and reads its claims. Failures: kUnauthenticated with
// AuthFailure::kTokenInvalid and a message starting "Token validation failed: " that says what is wrong.
absl::StatusOr<JwtClaims> DecodeJwtUnverified(std::string_view token);
// Expiry and org claim. Failures: "Token has expired (exp 2026-11-23T10:00:00Z)" (kTokenExpired);
// "Token has no organization: it needs an orgId claim or an orgs map" (kOrgMissing).
absl::Status CheckClaims(const JwtClaims& claims, int64_t now_seconds);

// An Ed25519 key pair (OpenSSL EVP_PKEY). The platform generates one into its data dir.
class SigningKey {
 public:
  static absl::StatusOr<SigningKey> Generate();
  static absl::StatusOr<SigningKey> FromPrivatePem(std::string_view pem);
  std::string PrivatePem() const;
  std::string PublicPem() const;
  std::string KeyId() const;  // first 16 hex chars of SHA-256 over the raw public key
  std::string Sign(std::string_view data) const;  // raw 64-byte signature

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class VerifyingKey {
 public:
  static absl::StatusOr<VerifyingKey> FromPublicPem(std::string_view pem);
  static VerifyingKey Of(const SigningKey& key);
  bool Verify(std::string_view data, std::string_view signature) const;
  std::string KeyId() const;  // same as SigningKey::KeyId() of the matching private key

  VerifyingKey(VerifyingKey&&) noexcept;
  VerifyingKey& operator=(VerifyingKey&&) noexcept;
  ~VerifyingKey();

 private:
  struct Impl;
  explicit VerifyingKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// header {"alg":"EdDSA","typ":"JWT","kid":...} . claims . signature, all base64url without padding.
std::string SignJwt(const SigningKey& key, const JwtClaims& claims);
// Signature, then CheckClaims. Failures carry the AuthFailure payload.
absl::StatusOr<JwtClaims> VerifyJwt(const VerifyingKey& key, std::string_view token, int64_t now_seconds);

// `Basic base64(id:secret)` and its parser (kUnauthenticated + kCredentialsMalformed on failure).
std::string BasicAuthorization(std::string_view deployment_id, std::string_view secret);
struct BasicCredentials {
  std::string deployment_id;
  std::string secret;
};
absl::StatusOr<BasicCredentials> ParseBasicAuthorization(std::string_view header_value);

// Secrets at rest: "scrypt$N$r$p$salt_b64$hash_b64" (OpenSSL EVP_PBE_scrypt), compared in constant time.
std::string HashSecret(std::string_view secret);
bool VerifySecret(std::string_view secret, std::string_view stored_hash);
// A random URL-safe secret/identifier with `bytes` bytes of entropy (base64url, no padding).
std::string RandomToken(size_t bytes);

// Webhook helpers (docs/webhook-relay.md): lower-case hex SHA-256 and HMAC-SHA256, and a constant-time
// comparison for tokens and signatures (false when the lengths differ; the length is not secret).
std::string Sha256Hex(std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// base64 helpers (standard and url alphabets).
std::string Base64Encode(std::string_view data);
bool Base64Decode(std::string_view text, std::string* out);
std::string Base64UrlEncode(std::string_view data);
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace edge::protocol

#endif  // EDGE_PROTOCOL_AUTH_H_
