// ArchiveStore and UploadFile: temp files, the cap, fsync + rename.
#include "bundles/archive_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/log.h"

namespace edge::platform::bundles {

using runtime::ToAbsl;

namespace {

constexpr char kIncoming[] = ".incoming";

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(ToAbsl(what), " ", path, ": ", std::strerror(errno),
                                             "; check the space and permissions of the data dir"));
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Errno("cannot create directory", path);
  return absl::OkStatus();
}

void SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

// Ids come from our own generators, but a path component must never climb out of the store.
bool SafeComponent(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos && s.front() != '.';
}

}  // namespace

UploadFile::UploadFile(std::string path, int fd, uint64_t limit) : path_(std::move(path)), fd_(fd), limit_(limit) {}

UploadFile::~UploadFile() {
  if (fd_ >= 0) close(fd_);
  if (!published_) unlink(path_.c_str());
}

void UploadFile::Append(std::string_view chunk) {
  const uint64_t before = received_;
  received_ += chunk.size();
  if (!error_.ok() || fd_ < 0 || before >= limit_) return;
  // Past the limit nothing more is kept: the upload will be refused, the bytes are only drained.
  if (received_ > limit_) chunk = chunk.substr(0, static_cast<size_t>(limit_ - before));
  sha256_.Update(chunk);
  while (!chunk.empty()) {
    ssize_t n = write(fd_, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = Errno("cannot write upload", path_);
      return;
    }
    chunk.remove_prefix(static_cast<size_t>(n));
  }
}

void UploadFile::Finish() {
  if (finished_) return;
  finished_ = true;
  sha256_hex_ = sha256_.HexDigest();
  if (fd_ < 0) return;
  if (error_.ok() && fsync(fd_) != 0) error_ = Errno("cannot sync upload", path_);
  close(fd_);
  fd_ = -1;
}

ArchiveStore::ArchiveStore(std::string data_dir) : root_(std::move(data_dir) + "/bundles") {}

absl::Status ArchiveStore::Prepare() {
  if (absl::Status s = MakeDir(root_); !s.ok()) return s;
  const std::string incoming = absl::StrCat(root_, "/", kIncoming);
  if (absl::Status s = MakeDir(incoming); !s.ok()) return s;
  DIR* dir = opendir(incoming.c_str());
  if (dir == nullptr) return Errno("cannot list", incoming);
  while (dirent* entry = readdir(dir)) {
    if (absl::EndsWith(entry->d_name, ".part")) unlinkat(dirfd(dir), entry->d_name, 0);
  }
  closedir(dir);
  return absl::OkStatus();
}

std::string ArchiveStore::ArchivePath(std::string_view org_id, std::string_view bundle_id, int64_t version) const {
  return absl::StrCat(root_, "/", ToAbsl(org_id), "/", ToAbsl(bundle_id), "/", version, ".tgz");
}

absl::StatusOr<std::unique_ptr<UploadFile>> ArchiveStore::NewUpload(uint64_t limit) {
  const std::string incoming = absl::StrCat(root_, "/", kIncoming);
  if (absl::Status s = MakeDir(root_); !s.ok()) return s;
  if (absl::Status s = MakeDir(incoming); !s.ok()) return s;
  const std::string path = absl::StrCat(incoming, "/", protocol::RandomToken(12), ".part");
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create upload file", path);
  return std::unique_ptr<UploadFile>(new UploadFile(path, fd, limit));
}

absl::StatusOr<std::string> ArchiveStore::Publish(UploadFile& upload, std::string_view org_id,
                                                  std::string_view bundle_id, int64_t version) {
  if (!upload.finished() || !upload.error().ok() || upload.over_limit()) {
    return absl::FailedPreconditionError("only a complete upload within the limit can be published");
  }
  if (!SafeComponent(org_id) || !SafeComponent(bundle_id) || version <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot store bundle '", ToAbsl(bundle_id), "' of org '", ToAbsl(org_id), "': unsafe id"));
  }
  const std::string org_dir = absl::StrCat(root_, "/", ToAbsl(org_id));
  const std::string bundle_dir = absl::StrCat(org_dir, "/", ToAbsl(bundle_id));
  if (absl::Status s = MakeDir(org_dir); !s.ok()) return s;
  if (absl::Status s = MakeDir(bundle_dir); !s.ok()) return s;
  const std::string target = ArchivePath(org_id, bundle_id, version);
  chmod(upload.path().c_str(), 0600);
  if (rename(upload.path().c_str(), target.c_str()) != 0) return Errno("cannot move the upload to", target);
  upload.published_ = true;
  SyncDir(bundle_dir);
  SyncDir(org_dir);
  SyncDir(root_ + "/" + kIncoming);
  return target;
}

}  // namespace edge::platform::bundles
