// bundles/fs_util.h: the few durable file-system steps the bundle layout is built from: fsync of a file, a
// directory or a whole tree, an atomic symlink replacement, small file reads, and random names.
#ifndef EDGE_RUNTIME_BUNDLES_FS_UTIL_H_
#define EDGE_RUNTIME_BUNDLES_FS_UTIL_H_

#include <cstddef>
#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace edge::runtime::bundles {

// fsync of one file or directory (opened read-only).
absl::Status FsyncPath(const std::filesystem::path& path);
// fsync of every regular file and directory under `root` (root included), deepest first.
absl::Status FsyncTree(const std::filesystem::path& root);

// Points `link` at `target` atomically: a `<link>.new` symlink is created and rename()d over `link`, so a reader
// sees the old target or the new one, never nothing. The parent directory is fsynced.
absl::Status ReplaceSymlink(const std::filesystem::path& link, const std::filesystem::path& target);

// The whole file, refusing more than `max_bytes`.
absl::StatusOr<std::string> ReadFileLimited(const std::filesystem::path& path, size_t max_bytes);

// `bytes` random bytes from the kernel as lowercase hex.
std::string RandomHex(size_t bytes);

// "sha256:<64 lowercase hex>" -> the hex; InvalidArgument otherwise.
absl::StatusOr<std::string> ChecksumHex(std::string_view checksum);
bool IsSha256Hex(std::string_view text);

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_FS_UTIL_H_
