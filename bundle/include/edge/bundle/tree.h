// edge/bundle/tree.h: hashing a dist/ tree, the canonical tree checksum (docs/bundles.md section 3) and
// verification of an extracted tree against its manifest. Also a streaming SHA-256 for downloads.
#ifndef EDGE_BUNDLE_TREE_H_
#define EDGE_BUNDLE_TREE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "edge/bundle/manifest.h"

namespace edge::bundle {

// Incremental SHA-256 (OpenSSL EVP).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  std::string HexDigest();  // finishes; call once
 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Hex(std::string_view data);
absl::StatusOr<std::string> Sha256FileHex(const std::filesystem::path& file);

// Every regular file under `dist_dir`, hashed, sorted by relative path. Symlinks, devices, FIFOs and sockets
// are InvalidArgument naming the path (a package never contains them).
absl::StatusOr<std::vector<ManifestFile>> HashTree(const std::filesystem::path& dist_dir);

// "sha256:<hex>" over `files` in the documented canonical form (the order of `files` does not matter).
std::string TreeChecksum(const std::vector<ManifestFile>& files);

// Checks an extracted tree against the manifest: each file's existence, type, size and SHA-256, no extra
// regular files, and the checksum. DataLoss errors name the path and the expected and found values.
absl::Status VerifyTree(const Manifest& manifest, const std::filesystem::path& dist_dir);

}  // namespace edge::bundle

#endif  // EDGE_BUNDLE_TREE_H_
