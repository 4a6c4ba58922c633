// bundles/stage.h: turning a downloaded, manifest-verified archive into a complete generation directory, and
// re-verifying a generation already on disk before it is reused (docs/bundles.md section 7, step 3).
//
// Extraction goes into staging/<random> with the configured caps; the tree is verified against the manifest
// (every file's size and SHA-256, no extra file, the checksum), archive.sha256 and bundle-ref.json are written,
// everything is fsynced, and only then is the directory renamed to generations/<checksum hex>. Any failure
// removes the staging directory and leaves generations/ untouched.
#ifndef EDGE_RUNTIME_BUNDLES_STAGE_H_
#define EDGE_RUNTIME_BUNDLES_STAGE_H_

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "bundles/identity.h"
#include "bundles/layout.h"
#include "bundles/verify.h"
#include "edge/bundle/archive.h"

namespace edge::runtime::bundles {

struct StageRequest {
  std::filesystem::path archive;
  std::string archive_sha256;                  // hex, recorded in archive.sha256
  const VerifiedManifest* verified = nullptr;  // from VerifyArchiveManifest on the same file
  BundleIdentity identity;
  bundle::ExtractLimits limits;
  // Test hook (testBundlePauseAt=extract): runs after the archive was extracted and verified in staging/,
  // before the rename into generations/.
  std::function<void()> before_rename;
};

// Returns the generation (the checksum hex). FailedPrecondition when generations/<hex> already exists (the
// caller re-verifies and reuses it instead).
absl::StatusOr<std::string> StageArchive(const Layout& layout, const StageRequest& request);

// Re-verifies generations/<hex>: its manifest against `policy` (signature included), the manifest's checksum
// against `hex`, and the tree. When `identity` differs from its bundle-ref.json, the file is rewritten.
absl::StatusOr<VerifiedManifest> ReverifyGeneration(const Layout& layout, std::string_view hex,
                                                    const ManifestPolicy& policy, const BundleIdentity& identity);

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_STAGE_H_
