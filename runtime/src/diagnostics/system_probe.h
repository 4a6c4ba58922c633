// diagnostics/system_probe.h: reads facts about the machine for edge.system_info (uname, /proc, os-release).
//
// Every field is optional: containers and unusual kernels may hide /proc files, and a missing fact must not
// fail the tool. The parsers take file contents, so tests can feed them fixed text.
#ifndef EDGE_RUNTIME_DIAGNOSTICS_SYSTEM_PROBE_H_
#define EDGE_RUNTIME_DIAGNOSTICS_SYSTEM_PROBE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edge::runtime::diagnostics {

struct SystemFacts {
  std::string hostname;
  std::string os_name;  // PRETTY_NAME from os-release, else the kernel's sysname
  std::string sysname, kernel_release, kernel_version, machine;
  int cpu_count = 0;
  std::optional<uint64_t> memory_total_bytes, memory_available_bytes;
  std::optional<double> load1, load5, load15;
  std::optional<double> uptime_seconds;
};

SystemFacts ProbeSystem();

// "MemTotal:  16314412 kB" lines; returns bytes, or nullopt when the key is absent.
std::optional<uint64_t> ParseMeminfoBytes(std::string_view meminfo, std::string_view key);
// "0.52 0.58 0.59 1/1234 5678": the three load averages.
bool ParseLoadavg(std::string_view loadavg, double* one, double* five, double* fifteen);
// PRETTY_NAME="Debian GNU/Linux 12 (bookworm)" (quotes optional).
std::optional<std::string> ParseOsReleasePrettyName(std::string_view os_release);

}  // namespace edge::runtime::diagnostics

#endif  // EDGE_RUNTIME_DIAGNOSTICS_SYSTEM_PROBE_H_
