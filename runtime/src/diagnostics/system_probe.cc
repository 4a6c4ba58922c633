// Machine facts for edge.system_info, from uname(2), sysconf and /proc.
#include "diagnostics/system_probe.h"

#include <limits.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "edge/runtime/log.h"

namespace edge::runtime::diagnostics {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::optional<uint64_t> ParseMeminfoBytes(std::string_view meminfo, std::string_view key) {
  for (absl::string_view line : absl::StrSplit(ToAbsl(meminfo), '\n')) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (parts.size() < 2 || parts[0] != absl::StrCat(ToAbsl(key), ":")) continue;
    uint64_t value = 0;
    if (!absl::SimpleAtoi(parts[1], &value)) return std::nullopt;
    const bool kib = parts.size() >= 3 && absl::AsciiStrToLower(parts[2]) == "kb";
    return kib ? value * 1024 : value;
  }
  return std::nullopt;
}

bool ParseLoadavg(std::string_view loadavg, double* one, double* five, double* fifteen) {
  std::vector<absl::string_view> parts = absl::StrSplit(ToAbsl(loadavg), ' ', absl::SkipWhitespace());
  return parts.size() >= 3 && absl::SimpleAtod(parts[0], one) && absl::SimpleAtod(parts[1], five) &&
         absl::SimpleAtod(parts[2], fifteen);
}

std::optional<std::string> ParseOsReleasePrettyName(std::string_view os_release) {
  for (absl::string_view line : absl::StrSplit(ToAbsl(os_release), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "PRETTY_NAME=")) continue;
    if (line.size() >= 2 && (line.front() == '"' || line.front() == '\'') && line.back() == line.front()) {
      line = line.substr(1, line.size() - 2);
    }
    if (!line.empty()) return std::string(line);
  }
  return std::nullopt;
}

SystemFacts ProbeSystem() {
  SystemFacts f;
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0) f.hostname = host;
  struct utsname u {};
  if (::uname(&u) == 0) {
    f.sysname = u.sysname;
    f.kernel_release = u.release;
    f.kernel_version = u.version;
    f.machine = u.machine;
  }
  std::string os_release = ReadFile("/etc/os-release");
  if (os_release.empty()) os_release = ReadFile("/usr/lib/os-release");
  f.os_name = ParseOsReleasePrettyName(os_release).value_or(f.sysname);
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  f.cpu_count = cpus > 0 ? static_cast<int>(cpus) : 1;
  const std::string meminfo = ReadFile("/proc/meminfo");
  f.memory_total_bytes = ParseMeminfoBytes(meminfo, "MemTotal");
  f.memory_available_bytes = ParseMeminfoBytes(meminfo, "MemAvailable");
  double one = 0, five = 0, fifteen = 0;
  if (ParseLoadavg(ReadFile("/proc/loadavg"), &one, &five, &fifteen)) {
    f.load1 = one;
    f.load5 = five;
    f.load15 = fifteen;
  }
  std::vector<std::string> uptime = absl::StrSplit(ReadFile("/proc/uptime"), ' ', absl::SkipWhitespace());
  double up = 0;
  if (!uptime.empty() && absl::SimpleAtod(uptime[0], &up)) f.uptime_seconds = up;
  return f;
}

}  // namespace edge::runtime::diagnostics
