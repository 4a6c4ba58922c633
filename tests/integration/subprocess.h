// subprocess.h: runs the real edge-connector binary for the integration tests and captures what it does.
#ifndef EDGE_TESTS_INTEGRATION_SUBPROCESS_H_
#define EDGE_TESTS_INTEGRATION_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace edge::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal (then `signal` is set)
  int signal = 0;
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
};

// A running child with its stdout and stderr captured.
class Subprocess {
 public:
  // argv[0] is the program path. Aborts the test (via ADD_FAILURE) when spawning fails.
  explicit Subprocess(const std::vector<std::string>& argv);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Reads output until `done(out, err)` is true or `timeout` passes; true when the predicate held.
  bool ReadUntil(const std::function<bool(const std::string& out, const std::string& err)>& done,
                 std::chrono::milliseconds timeout);
  void Signal(int sig);
  // Reads everything until the child closes its output and exits; kills it after `timeout`.
  ProcessResult Wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  bool Pump(std::chrono::milliseconds timeout);  // false on timeout or when both pipes closed

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_, err_;
  std::chrono::steady_clock::time_point start_;
};

// Runs `edge-connector <args...>` to completion.
ProcessResult RunCli(const std::vector<std::string>& args, std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace edge::testing

#endif  // EDGE_TESTS_INTEGRATION_SUBPROCESS_H_
