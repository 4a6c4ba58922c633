// cloud/proc.h: what the local driver reads from /proc: a process's state and start time (to tell a live
// process from a reused pid), its command line (to find processes started from a cloud install dir), and the
// pids that exist.
#ifndef EDGE_PLATFORM_CLOUD_PROC_H_
#define EDGE_PLATFORM_CLOUD_PROC_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edge::platform::cloud {

struct ProcStat {
  char state = '?';         // R, S, D, Z (zombie), T, ...
  pid_t process_group = 0;  // field 5
  uint64_t start_time = 0;  // field 22: clock ticks after boot
};

// Parses /proc/<pid>/stat; nullopt when the process does not exist.
std::optional<ProcStat> ReadProcStat(pid_t pid);
// Parses one stat line (the command name may contain spaces and parentheses).
std::optional<ProcStat> ParseProcStat(const std::string& line);
// The NUL-separated arguments of /proc/<pid>/cmdline (empty for zombies, kernel threads and gone processes).
std::vector<std::string> ReadCmdline(pid_t pid);
std::vector<pid_t> ListPids();

}  // namespace edge::platform::cloud

#endif  // EDGE_PLATFORM_CLOUD_PROC_H_
