// Private helpers of edge_bundle: absl/std string_view bridging, the shared path rules, the archive entry
// policy used by both ExtractArchive and ReadArchiveManifest, and a libarchive reader opened for gzip + tar
// only. libarchive is forward-declared here and called only through LibArchive (libarchive_api.h), which the
// archive_*.cc files include.
#ifndef EDGE_BUNDLE_SRC_INTERNAL_H_
#define EDGE_BUNDLE_SRC_INTERNAL_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "edge/bundle/archive.h"

#define EDGE_BUNDLE_RETURN_IF_ERROR(expr)                          \
  do {                                                             \
    absl::Status edge_bundle_status_ = (expr);                     \
    if (!edge_bundle_status_.ok()) return edge_bundle_status_;     \
  } while (0)

struct archive;
struct archive_entry;

namespace edge::bundle::internal {

struct LibArchive;

// Debian's Abseil has its own string_view (stack-notes section 8).
inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

inline constexpr size_t kMaxPathBytes = 255;

// Why `path` is not a valid manifest path (relative to dist/, '/'-separated, no '.', '..' or empty
// components, at most 255 bytes, no NUL or backslash), or nullopt when it is.
std::optional<std::string> PathProblem(std::string_view path);

// `path` split on '/'.
std::vector<std::string_view> SplitPath(std::string_view path);

// Lowercase hex of `n` bytes.
std::string Hex(const unsigned char* data, size_t n);
bool IsLowerHex(std::string_view s, size_t length);

// SHA-256 and byte count of a file, read once.
struct FileDigest {
  std::string sha256;
  uint64_t size = 0;
};
absl::StatusOr<FileDigest> HashFile(const std::filesystem::path& file);

// Human-readable byte counts for messages: "512 MiB", "1.5 KiB", "17 bytes".
std::string FormatBytes(uint64_t bytes);

// What an archive entry is, once the policy accepted it.
enum class EntryKind { kManifest, kSignature, kDirectory, kFile, kSymlink };
struct CheckedEntry {
  EntryKind kind;
  std::string path;            // archive path without a trailing '/'
  bool executable = false;     // any exec bit set in the archive's mode (files only)
  std::string symlink_target;  // symlinks only
};

// The rules of docs/bundles.md section 5 applied to each entry header in archive order, plus the byte and
// entry caps. One instance per archive walk.
class EntryPolicy {
 public:
  EntryPolicy(const LibArchive& la, const ExtractLimits& limits) : la_(la), limits_(limits) {}

  // Checks one header (path, type, links, caps on count and declared size).
  absl::StatusOr<CheckedEntry> Check(archive_entry* entry);
  // Checks `n` more bytes of `entry` against the per-entry, manifest and total caps; `streamed` bytes (read in
  // the data loop) are added to the total, header sizes are only checked (they are not trusted).
  absl::Status CountBytes(const CheckedEntry& entry, uint64_t entry_bytes_so_far, uint64_t n, bool streamed);

 private:
  const LibArchive& la_;
  ExtractLimits limits_;
  uint64_t entries_ = 0;
  uint64_t total_bytes_ = 0;
  std::set<std::string, std::less<>> symlinks_;  // archive paths of accepted symlinks
};

// Whether the symlink at `link` (relative to `root`, the extraction directory) resolves, following every
// link inside the tree the way the kernel would, to a path strictly inside root/dist without leaving root.
bool SymlinkStaysInsideDist(const std::filesystem::path& root, std::string_view link);

// "entry '<path>': <problem>" as InvalidArgument.
absl::Status EntryError(std::string_view path, std::string_view problem);

// A libarchive reader limited to the gzip filter and the tar format, opened on `file`. It must be freed (go out
// of scope) before the ArchiveLibrary that provided `la`.
struct ArchiveReadCloser {
  const LibArchive* la;
  void operator()(archive* a) const;
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadCloser>;
absl::StatusOr<ArchiveReader> OpenArchive(const LibArchive& la, const std::filesystem::path& file);

// Next header: true with *entry set, false at the end; errors (corrupt, truncated, not gzip) are
// InvalidArgument "not a gzip-compressed tar archive: ..." or "archive is corrupt or truncated: ...".
absl::StatusOr<bool> NextHeader(const LibArchive& la, archive* a, archive_entry** entry, bool first);

// The data of the current entry, block by block, counted against the policy's caps; `sink` gets each block.
// Sparse entries (holes) are refused: their data would not be contiguous.
absl::Status ReadEntryData(const LibArchive& la, archive* a, EntryPolicy& policy, const CheckedEntry& entry,
                           absl::FunctionRef<absl::Status(std::string_view)> sink);

// libarchive's message for the last error on `a`.
std::string ArchiveError(const LibArchive& la, archive* a);

// Writes all of `data` to `fd`; errno-based message on failure.
absl::Status WriteAll(int fd, std::string_view data, std::string_view what);
// "<what>: <strerror(err)>" as an Internal error.
absl::Status ErrnoError(std::string_view what, int err);
// fsync of a directory by path.
absl::Status SyncDirectory(const std::filesystem::path& dir);

}  // namespace edge::bundle::internal

#endif  // EDGE_BUNDLE_SRC_INTERNAL_H_
