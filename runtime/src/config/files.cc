// ReadSmallFile: open + read with the errno kept for the caller's message.
#include "config/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace edge::runtime::config {

int ReadSmallFile(const std::string& path, std::string* out) {
  constexpr size_t kMaxBytes = 16 << 20;  // these files are a few hundred bytes; refuse to slurp a mistake
  out->clear();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[8192];
  int result = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = errno;
      break;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > kMaxBytes) {
      result = EFBIG;
      break;
    }
  }
  close(fd);
  return result;
}

}  // namespace edge::runtime::config
