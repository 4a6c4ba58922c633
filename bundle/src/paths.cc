// The path rules shared by the manifest parser, tree hashing and the archive entry policy, plus small
// formatting and I/O helpers.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal.h"

namespace edge::bundle::internal {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(path.substr(start));
      return parts;
    }
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

std::optional<std::string> PathProblem(std::string_view path) {
  if (path.empty()) return "path is empty";
  if (path.size() > kMaxPathBytes) {
    return absl::StrCat("path is ", path.size(), " bytes long, the limit is ", kMaxPathBytes);
  }
  if (path.front() == '/') return "path is absolute; paths are relative to dist/";
  if (path.find('\0') != std::string_view::npos) return "path contains a NUL byte";
  if (path.find('\\') != std::string_view::npos) return "path contains '\\'; use '/' as the separator";
  for (std::string_view part : SplitPath(path)) {
    if (part.empty()) return "path has an empty component ('//' or a trailing '/')";
    if (part == ".") return "path contains a '.' component";
    if (part == "..") return "path contains '..'";
  }
  return std::nullopt;
}

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xF];
  }
  return out;
}

bool IsLowerHex(std::string_view s, size_t length) {
  if (s.size() != length) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return absl::StrCat(bytes, bytes == 1 ? " byte" : " bytes");
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  if (value == static_cast<double>(static_cast<uint64_t>(value))) {
    return absl::StrCat(static_cast<uint64_t>(value), " ", kUnits[unit]);
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

absl::Status EntryError(std::string_view path, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("entry '", ToAbsl(path), "': ", ToAbsl(problem)));
}

absl::Status ErrnoError(std::string_view what, int err) {
  return absl::InternalError(absl::StrCat(ToAbsl(what), ": ", std::strerror(err)));
}

absl::Status WriteAll(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(absl::StrCat("cannot write ", ToAbsl(what)), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(absl::StrCat("cannot open directory ", dir.string(), " to sync it"), errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError(absl::StrCat("cannot fsync directory ", dir.string()), err);
  return absl::OkStatus();
}

}  // namespace edge::bundle::internal
