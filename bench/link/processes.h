// processes.h: the real programs the link benchmark measures, started as child processes with their output
// in a log file, and a keep-alive HTTP client for the platform's API.
#ifndef EDGE_BENCH_LINK_PROCESSES_H_
#define EDGE_BENCH_LINK_PROCESSES_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace edge::bench {

// Pins the calling thread to `cpu` (-1: every CPU again). Threads it starts later inherit the setting.
bool PinThisThread(int cpu);

// Pins each thread of process `pid`: the one named `thread_name` (see the daemon's thread names, docs/daemon.md)
// on `named_cpu`, every other thread on `other_cpu`. Returns how many threads had that name (0: none pinned
// there, or the process is gone).
int PinThreadsOf(pid_t pid, const std::string& thread_name, int named_cpu, int other_cpu);

class Child {
 public:
  // `cpu` >= 0 pins the child, and so every thread it starts, to that CPU.
  Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
        const std::string& log_path, int cpu = -1);
  ~Child();  // SIGTERM, then SIGKILL after 10 s
  pid_t pid() const { return pid_; }
  // Waits until the log contains `needle`; the line holding it, or "" on timeout.
  std::string WaitLine(const std::string& needle, std::chrono::milliseconds timeout) const;
  int64_t RssBytes() const;  // VmRSS from /proc/<pid>/status

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// One keep-alive connection (a libcurl easy handle).
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  // Returns the HTTP status (0 on transport failure).
  long Post(const std::string& url, const std::string& body, const std::string& bearer, std::string* response);
  long Get(const std::string& url, std::string* response);

 private:
  void* curl_;
};

// Runs a command to completion and returns its stdout, trimmed ("" on failure).
std::string RunOutput(const std::vector<std::string>& argv);
std::string TempDir();

}  // namespace edge::bench

#endif  // EDGE_BENCH_LINK_PROCESSES_H_
