// bundles/verify.h: the checks a connector makes on a bundle's manifest before extracting or loading anything
// (docs/bundles.md sections 2 and 4): strict schema, the org, the signature against the trust root, and the
// plugin ABI and platform this connector serves.
#ifndef EDGE_RUNTIME_BUNDLES_VERIFY_H_
#define EDGE_RUNTIME_BUNDLES_VERIFY_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "edge/bundle/archive.h"
#include "edge/bundle/manifest.h"
#include "edge/bundle/signature.h"

namespace edge::runtime::bundles {

struct ManifestPolicy {
  std::string expected_org;                       // the link's org; empty when not known yet (not checked)
  const bundle::TrustRoot* trust_root = nullptr;  // bundleTrustedKeysPath: when set, a valid signature is required
  uint32_t abi_major = 0;                         // the connector's plugin ABI (EDGE_ABI_MAJOR/MINOR)
  uint32_t abi_minor = 0;
  std::string os;  // bundle::HostOs(), bundle::HostArch()
  std::string arch;
};

// The policy of this build on this machine, without org or trust root.
ManifestPolicy HostManifestPolicy();

struct VerifiedManifest {
  bundle::Manifest manifest;
  std::string manifest_json;  // the exact bytes the signature covers
  std::optional<std::string> signature_json;
  bool signature_checked = false;  // verified against the trust root
};

// Parses and checks manifest bytes. Errors keep the library's words (JSON Pointer, both ABI sides, ...):
// InvalidArgument (schema), PermissionDenied (org, signature), FailedPrecondition (ABI, platform).
absl::StatusOr<VerifiedManifest> VerifyManifest(std::string manifest_json, std::optional<std::string> signature_json,
                                                const ManifestPolicy& policy);

// The same, on the manifest read from an archive without extracting it.
absl::StatusOr<VerifiedManifest> VerifyArchiveManifest(const std::filesystem::path& archive,
                                                       const bundle::ExtractLimits& limits,
                                                       const ManifestPolicy& policy);

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_VERIFY_H_
