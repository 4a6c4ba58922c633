// /proc readers for the local driver.
#include "cloud/proc.h"

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace edge::platform::cloud {
namespace {

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::optional<ProcStat> ParseProcStat(const std::string& line) {
  // "pid (comm) state ppid ..." where comm may hold anything: the fields start after the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  ProcStat stat;
  std::string field;
  // Field 3 is the state, field 5 the process group, field 22 the start time.
  for (int index = 3; index <= 22; ++index) {
    if (!(fields >> field)) return std::nullopt;
    if (index == 3) stat.state = field.empty() ? '?' : field[0];
    if (index == 5) stat.process_group = static_cast<pid_t>(std::strtol(field.c_str(), nullptr, 10));
    if (index == 22) {
      char* end = nullptr;
      stat.start_time = std::strtoull(field.c_str(), &end, 10);
      if (end == field.c_str() || *end != '\0') return std::nullopt;
    }
  }
  return stat;
}

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  const std::string line = ReadWhole("/proc/" + std::to_string(pid) + "/stat");
  if (line.empty()) return std::nullopt;
  return ParseProcStat(line);
}

std::vector<std::string> ReadCmdline(pid_t pid) {
  const std::string raw = ReadWhole("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> args;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    args.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

std::vector<pid_t> ListPids() {
  std::vector<pid_t> pids;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return pids;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0' && pid > 0) pids.push_back(static_cast<pid_t>(pid));
  }
  closedir(dir);
  return pids;
}

}  // namespace edge::platform::cloud
