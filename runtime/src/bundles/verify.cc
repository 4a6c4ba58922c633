// Manifest checks before anything is extracted or loaded.
#include "bundles/verify.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "edge/plugin.h"

namespace edge::runtime::bundles {

ManifestPolicy HostManifestPolicy() {
  ManifestPolicy p;
  p.abi_major = EDGE_ABI_MAJOR;
  p.abi_minor = EDGE_ABI_MINOR;
  p.os = bundle::HostOs();
  p.arch = bundle::HostArch();
  return p;
}

absl::StatusOr<VerifiedManifest> VerifyManifest(std::string manifest_json, std::optional<std::string> signature_json,
                                                const ManifestPolicy& policy) {
  absl::StatusOr<bundle::Manifest> manifest = bundle::ParseManifest(manifest_json);
  if (!manifest.ok()) return manifest.status();
  if (!policy.expected_org.empty() && manifest->org_id != policy.expected_org) {
    return absl::PermissionDeniedError(absl::StrCat("the bundle was built for org ", manifest->org_id,
                                                    " but this connector belongs to org ", policy.expected_org,
                                                    ": assign a bundle packaged for ", policy.expected_org));
  }
  VerifiedManifest out;
  // Without a trust root the connector trusts no key, so a signature is not checked (docs/bundles.md section 4).
  if (policy.trust_root != nullptr) {
    if (absl::Status s = policy.trust_root->Verify(manifest_json, signature_json); !s.ok()) return s;
    out.signature_checked = true;
  }
  if (absl::Status s =
          bundle::CheckCompatibility(*manifest, policy.abi_major, policy.abi_minor, policy.os, policy.arch);
      !s.ok()) {
    return s;
  }
  out.manifest = *std::move(manifest);
  out.manifest_json = std::move(manifest_json);
  out.signature_json = std::move(signature_json);
  return out;
}

absl::StatusOr<VerifiedManifest> VerifyArchiveManifest(const std::filesystem::path& archive,
                                                       const bundle::ExtractLimits& limits,
                                                       const ManifestPolicy& policy) {
  absl::StatusOr<bundle::ArchiveManifest> read = bundle::ReadArchiveManifest(archive, limits);
  if (!read.ok()) return read.status();
  return VerifyManifest(std::move(read->manifest_json), std::move(read->signature_json), policy);
}

}  // namespace edge::runtime::bundles
