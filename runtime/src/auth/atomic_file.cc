// WriteFileAtomically: readers see the old file or the new one, never a torn or briefly world-readable one.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "edge/runtime/auth.h"

namespace edge::runtime {
namespace {

namespace fs = std::filesystem;

absl::Status Errno(std::string_view what, const std::string& path, int err) {
  return absl::FailedPreconditionError(absl::StrCat("cannot ", absl::string_view(what.data(), what.size()), " ", path,
                                                    ": ", std::strerror(err)));
}

// mkdir -p with 0700 for the directories it creates (they hold secrets); existing ones are left alone.
absl::Status MakeParents(const fs::path& dir) {
  if (dir.empty()) return absl::OkStatus();
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(dir.string(), " exists and is not a directory"));
  }
  if (auto s = MakeParents(dir.parent_path()); !s.ok()) return s;
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("create the directory", dir.string(), errno);
  return absl::OkStatus();
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents, int mode) {
  fs::path target = fs::absolute(path).lexically_normal();
  fs::path dir = target.parent_path();
  if (auto s = MakeParents(dir); !s.ok()) return s;
  // mkostemp creates the file 0600, so a secret is never readable by others, not even between create and chmod.
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return Errno("create a temporary file in", dir.string(), errno);
  auto fail = [&](std::string_view what) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return Errno(what, tmp, err);
  };
  if (fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("set the mode of");
  if (!WriteAll(fd, contents)) return fail("write");
  if (fsync(fd) != 0) return fail("fsync");
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Errno("close", tmp, err);
  }
  if (rename(tmp.c_str(), target.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Errno("rename the temporary file to", target.string(), err);
  }
  // The rename is only durable once the directory entry is.
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return absl::OkStatus();
}

}  // namespace edge::runtime
