// Durable file-system helpers for the bundle layout.
#include "bundles/fs_util.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"

namespace edge::runtime::bundles {
namespace fs = std::filesystem;

namespace {

absl::Status Errno(std::string_view what, const fs::path& path, int err) {
  return absl::InternalError(absl::StrCat("cannot ", ToAbsl(what), " ", path.string(), ": ", std::strerror(err)));
}

}  // namespace

absl::Status FsyncPath(const fs::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Errno("open for fsync", path, errno);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return Errno("fsync", path, err);
  return absl::OkStatus();
}

absl::Status FsyncTree(const fs::path& root) {
  std::vector<fs::path> dirs{root};
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::file_status st = it->symlink_status(ec);
    if (fs::is_directory(st)) {
      dirs.push_back(it->path());
    } else if (fs::is_regular_file(st)) {
      if (absl::Status s = FsyncPath(it->path()); !s.ok()) return s;
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot walk ", root.string(), ": ", ec.message()));
  // Children before parents: a directory entry is durable once its directory is.
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    if (absl::Status s = FsyncPath(*it); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ReplaceSymlink(const fs::path& link, const fs::path& target) {
  fs::path temp = link;
  temp += ".new";
  if (unlink(temp.c_str()) != 0 && errno != ENOENT) return Errno("remove", temp, errno);
  if (symlink(target.c_str(), temp.c_str()) != 0) return Errno("create the symlink", temp, errno);
  if (rename(temp.c_str(), link.c_str()) != 0) {
    int err = errno;
    unlink(temp.c_str());
    return Errno(absl::StrCat("rename ", temp.string(), " over"), link, err);
  }
  return FsyncPath(link.parent_path());
}

absl::StatusOr<std::string> ReadFileLimited(const fs::path& path, size_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path.string(), " does not exist"));
    return Errno("open", path, err);
  }
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return Errno("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      close(fd);
      return absl::ResourceExhaustedError(absl::StrCat(path.string(), " is larger than ", max_bytes, " bytes"));
    }
  }
  close(fd);
  return out;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = getrandom(raw.data() + got, bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(raw);
}

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::StatusOr<std::string> ChecksumHex(std::string_view checksum) {
  constexpr std::string_view kPrefix = "sha256:";
  if (checksum.substr(0, kPrefix.size()) != kPrefix || !IsSha256Hex(checksum.substr(kPrefix.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("checksum '", ToAbsl(checksum), "' is not \"sha256:\" followed by 64 lowercase hex characters"));
  }
  return std::string(checksum.substr(kPrefix.size()));
}

}  // namespace edge::runtime::bundles
