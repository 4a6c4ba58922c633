// bundles/archive_store.h: where edge-platform keeps bundle archives on disk, and how an upload gets there.
//
// Layout under the data dir (docs/bundles.md section 6):
//   bundles/<org>/<bundleId>/<version>.tgz   stored archives (never rewritten)
//   bundles/.incoming/<random>.part          uploads being received (emptied at start)
//
// An upload is streamed into an UploadFile under .incoming (SHA-256 computed as bytes arrive, capped at a
// byte limit, fsynced when complete), validated there, then published with rename() into its final path and
// the directory fsynced. The metadata is SQLite's (store/store.h); a crash between the rename and the database
// commit leaves an unreferenced file that the next upload of that version number replaces.
//
// Not thread-safe; used on the lws service thread.
#ifndef EDGE_PLATFORM_BUNDLES_ARCHIVE_STORE_H_
#define EDGE_PLATFORM_BUNDLES_ARCHIVE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/bundle/tree.h"

namespace edge::platform::bundles {

inline constexpr uint64_t kDefaultMaxBundleBytes = 50ull * 1024 * 1024;  // "50 MB" (52428800 bytes)

// One upload being written to a temp file. Removes the file when destroyed unless it was published.
class UploadFile {
 public:
  ~UploadFile();
  UploadFile(const UploadFile&) = delete;
  UploadFile& operator=(const UploadFile&) = delete;

  // Keeps the first `limit` bytes; anything past that is only counted (over_limit()).
  void Append(std::string_view chunk);
  // The body is complete: fsync and close. The SHA-256 is then final.
  void Finish();

  const std::string& path() const { return path_; }
  uint64_t limit() const { return limit_; }
  uint64_t received() const { return received_; }  // every byte seen, including those past the limit
  bool over_limit() const { return received_ > limit_; }
  bool finished() const { return finished_; }
  const absl::Status& error() const { return error_; }  // a write failure (disk full, ...)
  const std::string& sha256_hex() const { return sha256_hex_; }  // after Finish

 private:
  friend class ArchiveStore;
  UploadFile(std::string path, int fd, uint64_t limit);

  std::string path_;
  int fd_;
  uint64_t limit_;
  uint64_t received_ = 0;
  bool finished_ = false;
  bool published_ = false;
  absl::Status error_;
  bundle::Sha256 sha256_;
  std::string sha256_hex_;
};

class ArchiveStore {
 public:
  explicit ArchiveStore(std::string data_dir);

  // Creates bundles/ and bundles/.incoming (0700) and deletes uploads left over by a previous process.
  absl::Status Prepare();

  std::string ArchivePath(std::string_view org_id, std::string_view bundle_id, int64_t version) const;

  // A fresh temp file for an upload of at most `limit` bytes.
  absl::StatusOr<std::unique_ptr<UploadFile>> NewUpload(uint64_t limit);

  // Moves a finished upload to ArchivePath (replacing a stale file of a crashed attempt) and syncs the
  // directories. Returns the final path.
  absl::StatusOr<std::string> Publish(UploadFile& upload, std::string_view org_id, std::string_view bundle_id,
                                      int64_t version);

 private:
  std::string root_;  // <data-dir>/bundles
};

}  // namespace edge::platform::bundles

#endif  // EDGE_PLATFORM_BUNDLES_ARCHIVE_STORE_H_
