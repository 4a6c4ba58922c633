// bundles/identity.h: which platform bundle (id and version) a generation was installed as.
//
// The manifest names only the content (its checksum); the bundle id and version come from the platform's
// target. They are kept beside the generation in `bundle-ref.json` (written before the generation is renamed
// into place, rewritten atomically when the same content is installed as another bundle), so the connector
// reports them after a restart, also offline.
#ifndef EDGE_RUNTIME_BUNDLES_IDENTITY_H_
#define EDGE_RUNTIME_BUNDLES_IDENTITY_H_

#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "edge/protocol/messages.h"

namespace edge::runtime::bundles {

inline constexpr char kBundleRefFile[] = "bundle-ref.json";
inline constexpr char kArchiveShaFile[] = "archive.sha256";

struct BundleIdentity {
  std::string bundle_id;
  int64_t version = 0;
  std::string checksum;  // "sha256:<hex>"

  protocol::BundleRef ToRef() const { return {bundle_id, version, checksum}; }
  bool operator==(const BundleIdentity&) const = default;
};

absl::StatusOr<BundleIdentity> ReadBundleIdentity(const std::filesystem::path& generation_dir);
absl::Status WriteBundleIdentity(const std::filesystem::path& generation_dir, const BundleIdentity& identity);

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_IDENTITY_H_
