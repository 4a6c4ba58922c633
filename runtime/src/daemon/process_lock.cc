// ProcessLock: flock(LOCK_EX | LOCK_NB) plus the holder's pid for the error message.
#include "daemon/process_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace edge::runtime {
namespace {

// The pid the holder wrote, or "pid unknown" (it may not have written it yet, or the file was edited).
std::string HolderPid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  int pid = 0;
  if (n > 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, static_cast<size_t>(n))), &pid) &&
      pid > 0) {
    return absl::StrCat("pid ", pid);
  }
  return "pid unknown";
}

}  // namespace

absl::StatusOr<std::unique_ptr<ProcessLock>> ProcessLock::Acquire(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot open the lock file ", path, ": ", std::strerror(errno),
                                                      "; check that the install directory exists and is writable"));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder = err == EWOULDBLOCK ? HolderPid(fd) : "";
    close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Edge runtime already running (", holder, "): ", path,
          " is locked. Stop the other connector first, or give this one its own install directory."));
    }
    return absl::FailedPreconditionError(absl::StrCat("cannot lock ", path, ": ", std::strerror(err)));
  }
  // Ours now; whatever a crashed predecessor left in the file is stale.
  std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int err = errno;
    close(fd);
    return absl::FailedPreconditionError(absl::StrCat("cannot write the pid into ", path, ": ", std::strerror(err)));
  }
  return std::unique_ptr<ProcessLock>(new ProcessLock(path, fd));
}

ProcessLock::~ProcessLock() {
  // The file stays: unlinking it would let a starter that already opened it lock a file nobody else sees.
  if (ftruncate(fd_, 0) != 0) {
    // Nothing to do: a stale pid is harmless, the lock itself goes with the descriptor.
  }
  close(fd_);
}

}  // namespace edge::runtime
