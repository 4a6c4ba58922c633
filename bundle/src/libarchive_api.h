// libarchive, loaded with dlopen only while an archive operation runs.
//
// edge_bundle does not link libarchive: libarchive.so.13 maps libxml2, ICU (31 MB of libicudata), nettle, acl,
// lzma, zstd, lz4 and bz2, which cost the connector daemon about 2 MiB of idle RSS and start time
// (docs/performance.md, "Idle RSS") although it needs them only for the few hundred milliseconds of a bundle
// sync. Each public operation (ExtractArchive, ReadArchiveManifest, WriteArchive) holds an ArchiveLibrary for
// its duration; the library is loaded by the first holder and dlclose()d when the last one goes. The function
// types come from archive.h / archive_entry.h, so a signature mismatch fails to compile.
#ifndef EDGE_BUNDLE_SRC_LIBARCHIVE_API_H_
#define EDGE_BUNDLE_SRC_LIBARCHIVE_API_H_

#include <archive.h>
#include <archive_entry.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edge::bundle::internal {

// The SONAME of Debian 12's libarchive13 (3.6.2).
inline constexpr const char* kLibArchiveSoname = "libarchive.so.13";

// Every libarchive function edge_bundle calls, named without the "archive_" prefix.
struct LibArchive {
  decltype(&archive_error_string) error_string = nullptr;
  decltype(&archive_filter_count) filter_count = nullptr;
  decltype(&archive_filter_code) filter_code = nullptr;

  decltype(&archive_read_new) read_new = nullptr;
  decltype(&archive_read_free) read_free = nullptr;
  decltype(&archive_read_support_filter_gzip) read_support_filter_gzip = nullptr;
  decltype(&archive_read_support_format_tar) read_support_format_tar = nullptr;
  decltype(&archive_read_open_filename) read_open_filename = nullptr;
  decltype(&archive_read_next_header) read_next_header = nullptr;
  decltype(&archive_read_data_block) read_data_block = nullptr;

  decltype(&archive_write_new) write_new = nullptr;
  decltype(&archive_write_free) write_free = nullptr;
  decltype(&archive_write_add_filter_gzip) write_add_filter_gzip = nullptr;
  decltype(&archive_write_set_filter_option) write_set_filter_option = nullptr;
  decltype(&archive_write_set_format_pax_restricted) write_set_format_pax_restricted = nullptr;
  decltype(&archive_write_open_fd) write_open_fd = nullptr;
  decltype(&archive_write_header) write_header = nullptr;
  decltype(&archive_write_data) write_data = nullptr;
  decltype(&archive_write_close) write_close = nullptr;

  decltype(&archive_entry_new) entry_new = nullptr;
  decltype(&archive_entry_free) entry_free = nullptr;
  decltype(&archive_entry_pathname) entry_pathname = nullptr;
  decltype(&archive_entry_pathname_utf8) entry_pathname_utf8 = nullptr;
  decltype(&archive_entry_hardlink) entry_hardlink = nullptr;
  decltype(&archive_entry_symlink) entry_symlink = nullptr;
  decltype(&archive_entry_symlink_utf8) entry_symlink_utf8 = nullptr;
  decltype(&archive_entry_filetype) entry_filetype = nullptr;
  decltype(&archive_entry_perm) entry_perm = nullptr;
  decltype(&archive_entry_size) entry_size = nullptr;
  decltype(&archive_entry_size_is_set) entry_size_is_set = nullptr;
  decltype(&archive_entry_sparse_count) entry_sparse_count = nullptr;
  decltype(&archive_entry_set_pathname) entry_set_pathname = nullptr;
  decltype(&archive_entry_set_filetype) entry_set_filetype = nullptr;
  decltype(&archive_entry_set_perm) entry_set_perm = nullptr;
  decltype(&archive_entry_set_size) entry_set_size = nullptr;
  decltype(&archive_entry_set_mtime) entry_set_mtime = nullptr;
  decltype(&archive_entry_set_uid) entry_set_uid = nullptr;
  decltype(&archive_entry_set_gid) entry_set_gid = nullptr;
};

// A reference to the loaded libarchive. Acquire() loads it (dlopen RTLD_NOW | RTLD_LOCAL) unless another
// holder already did; the last holder to go unloads it. Thread-safe; concurrent operations share one load.
// Every archive object must be freed before the handle that created it is destroyed.
class ArchiveLibrary {
 public:
  // FailedPrecondition "libarchive.so.13 could not be loaded (...): install the Debian package libarchive13"
  // when the library or one of its functions is missing.
  static absl::StatusOr<ArchiveLibrary> Acquire();

  ArchiveLibrary(ArchiveLibrary&& other) noexcept : api_(other.api_) { other.api_ = nullptr; }
  ArchiveLibrary& operator=(ArchiveLibrary&& other) noexcept;
  ArchiveLibrary(const ArchiveLibrary&) = delete;
  ArchiveLibrary& operator=(const ArchiveLibrary&) = delete;
  ~ArchiveLibrary() { Release(); }

  const LibArchive& api() const { return *api_; }

 private:
  explicit ArchiveLibrary(const LibArchive* api) : api_(api) {}
  void Release();

  const LibArchive* api_;  // null once moved from
};

// Loads `soname` and resolves every LibArchive function into *api; on success *handle is the dlopen handle,
// owned by the caller. Exposed for tests (a missing library); use ArchiveLibrary.
absl::Status LoadLibArchive(const char* soname, LibArchive* api, void** handle);

// Whether libarchive is loaded through ArchiveLibrary right now (holders > 0). For tests and diagnostics.
bool LibArchiveLoaded();

}  // namespace edge::bundle::internal

#endif  // EDGE_BUNDLE_SRC_LIBARCHIVE_API_H_
