// Data dir files: mkdir -p 0700, atomic writes, the signing key.
#include "store/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"

namespace edge::platform::store {

using runtime::ToAbsl;

namespace {

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(ToAbsl(what), " ", path, ": ", std::strerror(errno)));
}

std::string Dirname(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

// Writes a uniquely named temp file next to `path`; returns its name.
absl::StatusOr<std::string> WriteTemp(const std::string& path, std::string_view content, unsigned mode) {
  std::string tmp = absl::StrCat(path, ".tmp-", getpid(), "-", protocol::RandomToken(6));
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Errno("cannot create", tmp);
  fchmod(fd, mode);  // the umask must not widen or narrow what we asked for
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = Errno("cannot write", tmp);
      close(fd);
      unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    absl::Status s = Errno("cannot sync", tmp);
    unlink(tmp.c_str());
    return s;
  }
  return tmp;
}

}  // namespace

absl::StatusOr<DataDir> EnsureDataDir(std::string_view root) {
  if (root.empty()) return absl::InvalidArgumentError("--data-dir is empty; give a directory path");
  std::string path(root);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  // mkdir -p: each missing component is created 0700 (the data dir holds the signing key).
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string part = path.substr(0, pos);
    if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::UnavailableError(absl::StrCat("cannot create data dir ", part, ": ", std::strerror(errno),
                                                 "; pick a writable location with --data-dir"));
    }
  }
  struct stat st{};
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data dir ", path, " exists but is not a directory; pick another with --data-dir"));
  }
  return DataDir{path};
}

absl::Status WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode) {
  absl::StatusOr<std::string> tmp = WriteTemp(path, content, mode);
  if (!tmp.ok()) return tmp.status();
  if (rename(tmp->c_str(), path.c_str()) != 0) {
    absl::Status s = Errno("cannot rename into", path);
    unlink(tmp->c_str());
    return s;
  }
  SyncDir(Dirname(path));
  return absl::OkStatus();
}

absl::StatusOr<protocol::SigningKey> LoadOrCreateSigningKey(const DataDir& dir) {
  const std::string path = dir.SigningKeyPath();
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::stringstream pem;
      pem << in.rdbuf();
      absl::StatusOr<protocol::SigningKey> key = protocol::SigningKey::FromPrivatePem(pem.str());
      if (!key.ok()) {
        return absl::DataLossError(absl::StrCat("signing key ", path, " is unreadable (", key.status().message(),
                                                "); restore it from a backup, or delete it to make a new key "
                                                "(every token issued so far then stops working)"));
      }
      return key;
    }
    if (errno != ENOENT) return Errno("cannot read", path);
    absl::StatusOr<protocol::SigningKey> key = protocol::SigningKey::Generate();
    if (!key.ok()) return key.status();
    absl::StatusOr<std::string> tmp = WriteTemp(path, key->PrivatePem(), 0600);
    if (!tmp.ok()) return tmp.status();
    // link() publishes without replacing: if another process won the race, use its key (next iteration).
    int rc = link(tmp->c_str(), path.c_str());
    int link_errno = errno;
    unlink(tmp->c_str());
    if (rc == 0) {
      SyncDir(dir.root);
      return key;
    }
    if (link_errno != EEXIST) {
      errno = link_errno;
      return Errno("cannot create", path);
    }
  }
  return absl::InternalError(absl::StrCat("signing key ", path, " appeared and vanished while reading it"));
}

}  // namespace edge::platform::store
