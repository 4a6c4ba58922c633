// edge/bundle/archive.h: reading and writing bundle archives with libarchive (gzip + tar only).
//
// ExtractArchive follows stack-notes section 7 "mode 1": our own checks on every entry (relative paths only,
// no '..', only the documented top-level names, regular files, directories and symlinks staying inside dist/;
// no hardlinks, FIFOs, devices or sockets; nothing written through a symlink), caps on entry count and bytes
// counted while streaming, and no permissions, owners or special bits preserved.
//
// libarchive is not linked: each call loads libarchive.so.13 (dlopen) and the last one to return unloads it,
// so a long-running process pays for it only during archive work. Without it every call fails with
// FailedPrecondition naming the Debian package to install (libarchive13).
#ifndef EDGE_BUNDLE_ARCHIVE_H_
#define EDGE_BUNDLE_ARCHIVE_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace edge::bundle {

struct ExtractLimits {
  uint64_t max_entries = 10000;
  uint64_t max_total_bytes = 512ull * 1024 * 1024;  // uncompressed, counted while streaming
  uint64_t max_entry_bytes = 256ull * 1024 * 1024;
};

// Extracts `archive` into `dest_dir`, which must not exist yet (it is created 0755; its parent must exist).
// On any error `dest_dir` is removed and the error names the entry and the rule or cap
// ("entry 'dist/../../x': path contains '..'", "archive expands past 512 MiB (bundleMaxUncompressedBytes)").
// Corrupt or non-gzip/tar input is InvalidArgument ("not a gzip-compressed tar archive: ...").
absl::Status ExtractArchive(const std::filesystem::path& archive, const std::filesystem::path& dest_dir,
                            const ExtractLimits& limits = {});

// The top-level manifest files, read without extracting anything else (the platform's upload validation).
// `manifest_json` is NotFound-checked: an archive without manifest.json is InvalidArgument naming the fix.
struct ArchiveManifest {
  std::string manifest_json;
  std::optional<std::string> signature_json;  // manifest.json.sig when present
};
absl::StatusOr<ArchiveManifest> ReadArchiveManifest(const std::filesystem::path& archive,
                                                    const ExtractLimits& limits = {});

// Writes a deterministic .tgz of `manifest_json`, the optional signature, and the regular files of `dist_dir`
// (sorted, mtime `built_at`, uid/gid 0, modes 0755 for directories and executable files, 0644 otherwise) to
// `out_file` atomically (a .part file, fsynced, renamed).
absl::Status WriteArchive(const std::filesystem::path& out_file, std::string_view manifest_json,
                          std::optional<std::string_view> signature_json, const std::filesystem::path& dist_dir,
                          absl::Time built_at);

}  // namespace edge::bundle

#endif  // EDGE_BUNDLE_ARCHIVE_H_
