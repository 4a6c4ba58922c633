// Staging: extract, verify the tree, record, fsync, rename into generations/.
#include "bundles/stage.h"

#include <cstdio>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bundles/fs_util.h"
#include "edge/bundle/manifest.h"
#include "edge/bundle/tree.h"
#include "edge/runtime/auth.h"
#include "edge/runtime/log.h"

namespace edge::runtime::bundles {
namespace fs = std::filesystem;

namespace {

absl::Status StageInto(const fs::path& dir, const StageRequest& request) {
  const VerifiedManifest& verified = *request.verified;
  if (absl::Status s = bundle::ExtractArchive(request.archive, dir, request.limits); !s.ok()) return s;
  // The manifest that was verified must be the one that was extracted (an archive could hold two entries).
  absl::StatusOr<std::string> extracted =
      ReadFileLimited(dir / std::string(bundle::kManifestName), bundle::kMaxManifestBytes);
  if (!extracted.ok()) return extracted.status();
  if (*extracted != verified.manifest_json) {
    return absl::InvalidArgumentError(
        "the archive's manifest.json changed between reading and extracting it (two manifest.json entries?)");
  }
  if (absl::Status s = bundle::VerifyTree(verified.manifest, dir / std::string(bundle::kDistDir)); !s.ok()) return s;
  if (absl::Status s = WriteFileAtomically((dir / kArchiveShaFile).string(), request.archive_sha256 + "\n", 0644);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteBundleIdentity(dir, request.identity); !s.ok()) return s;
  return FsyncTree(dir);
}

}  // namespace

absl::StatusOr<std::string> StageArchive(const Layout& layout, const StageRequest& request) {
  if (request.verified == nullptr) return absl::InvalidArgumentError("StageArchive needs the verified manifest");
  absl::StatusOr<std::string> hex = ChecksumHex(request.verified->manifest.checksum);
  if (!hex.ok()) return hex.status();
  const fs::path target = layout.generation_dir(*hex);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target, ec))) {
    return absl::FailedPreconditionError(absl::StrCat("generation ", *hex, " is already installed"));
  }
  const fs::path staging = layout.NewStagingPath();
  if (absl::Status s = StageInto(staging, request); !s.ok()) {
    fs::remove_all(staging, ec);
    return s;
  }
  if (request.before_rename) request.before_rename();
  if (std::rename(staging.c_str(), target.c_str()) != 0) {
    std::error_code rm;
    fs::remove_all(staging, rm);
    return absl::InternalError(absl::StrCat("cannot rename ", staging.string(), " to ", target.string()));
  }
  if (absl::Status s = FsyncPath(layout.generations_dir()); !s.ok()) return s;
  (void)FsyncPath(layout.staging_dir());
  return *std::move(hex);
}

absl::StatusOr<VerifiedManifest> ReverifyGeneration(const Layout& layout, std::string_view hex,
                                                    const ManifestPolicy& policy, const BundleIdentity& identity) {
  const fs::path dir = layout.generation_dir(hex);
  absl::StatusOr<std::string> manifest_json =
      ReadFileLimited(dir / std::string(bundle::kManifestName), bundle::kMaxManifestBytes);
  if (!manifest_json.ok()) return manifest_json.status();
  std::optional<std::string> signature;
  std::error_code ec;
  if (fs::exists(dir / std::string(bundle::kSignatureName), ec)) {
    absl::StatusOr<std::string> sig = ReadFileLimited(dir / std::string(bundle::kSignatureName), 64 * 1024);
    if (!sig.ok()) return sig.status();
    signature = *std::move(sig);
  }
  absl::StatusOr<VerifiedManifest> verified = VerifyManifest(*std::move(manifest_json), std::move(signature), policy);
  if (!verified.ok()) return verified.status();
  if (verified->manifest.checksum != absl::StrCat("sha256:", ToAbsl(hex))) {
    return absl::DataLossError(
        absl::StrCat("generation ", ToAbsl(hex), " holds a manifest with checksum ", verified->manifest.checksum));
  }
  if (absl::Status s = bundle::VerifyTree(verified->manifest, dir / std::string(bundle::kDistDir)); !s.ok()) return s;
  absl::StatusOr<BundleIdentity> recorded = ReadBundleIdentity(dir);
  if (!recorded.ok() || !(*recorded == identity)) {
    if (absl::Status s = WriteBundleIdentity(dir, identity); !s.ok()) return s;
  }
  return verified;
}

}  // namespace edge::runtime::bundles
