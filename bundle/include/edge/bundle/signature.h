// edge/bundle/signature.h: detached Ed25519 signatures over manifest.json (docs/bundles.md section 4) and the
// connector's trust root.
#ifndef EDGE_BUNDLE_SIGNATURE_H_
#define EDGE_BUNDLE_SIGNATURE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "edge/protocol/auth.h"

namespace edge::bundle {

// {"alg":"EdDSA","keyId":"<16 hex>","signature":"<base64url>"} over the exact manifest bytes.
std::string SignManifest(std::string_view manifest_json, const protocol::SigningKey& key);

// Public keys a connector accepts, from a PEM file holding one or more Ed25519 public keys.
class TrustRoot {
 public:
  static absl::StatusOr<TrustRoot> FromPemFile(const std::string& path);
  static absl::StatusOr<TrustRoot> FromPem(std::string_view pem);  // one or more PUBLIC KEY blocks
  const std::vector<std::string>& key_ids() const { return key_ids_; }
  // OK when `signature_json` is a well-formed signature by one of the keys over `manifest_json`. Errors are
  // PermissionDenied and say which: missing ("bundle is not signed, but this connector requires ..."),
  // unknown key id (naming it and the trusted ids), malformed, or not verifying.
  absl::Status Verify(std::string_view manifest_json, const std::optional<std::string>& signature_json) const;

 private:
  std::vector<std::string> key_ids_;
  std::vector<protocol::VerifyingKey> keys_;
};

}  // namespace edge::bundle

#endif  // EDGE_BUNDLE_SIGNATURE_H_
