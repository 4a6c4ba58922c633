// store/data_dir.h: the layout of edge-platform's data directory and the files in it that are not the
// database: the Ed25519 signing key (created on first use, 0600) and platform.json (the running server's
// addresses). Writes are atomic (temp file + fsync + rename/link), so a crash never leaves a torn file.
#ifndef EDGE_PLATFORM_STORE_DATA_DIR_H_
#define EDGE_PLATFORM_STORE_DATA_DIR_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/protocol/auth.h"

namespace edge::platform::store {

struct DataDir {
  std::string root;
  std::string DatabasePath() const { return root + "/platform.db"; }
  std::string SigningKeyPath() const { return root + "/signing-key.pem"; }
  std::string PlatformJsonPath() const { return root + "/platform.json"; }
};

// Creates the directory (and missing parents) with mode 0700.
absl::StatusOr<DataDir> EnsureDataDir(std::string_view root);

// Writes `content` to `path` atomically with `mode` (temp file in the same directory, fsync, rename, fsync of
// the directory).
absl::Status WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode);

// Loads signing-key.pem, or generates and stores a new key when the file does not exist. Two processes racing
// on a fresh data dir end up with the same key (the file is published with link(), which never replaces).
absl::StatusOr<protocol::SigningKey> LoadOrCreateSigningKey(const DataDir& dir);

}  // namespace edge::platform::store

#endif  // EDGE_PLATFORM_STORE_DATA_DIR_H_
