// e2e_env.h: a real edge-platform and real edge-connector processes on loopback, for end-to-end tests.
//
// Processes write their logs to files (never to pipes, which a long-running daemon could fill), and tests wait
// for log lines or HTTP answers. Every wait is bounded; destructors kill whatever still runs.
#ifndef EDGE_TESTS_INTEGRATION_E2E_E2E_ENV_H_
#define EDGE_TESTS_INTEGRATION_E2E_E2E_ENV_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace edge::e2e {

using std::chrono::milliseconds;

// A child process with stdout+stderr appended to `log_path`.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::string& log_path);
  ~Process();  // SIGKILL + reap when still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  std::string Log() const;
  // Waits until the log contains `needle` (searching from byte `from`); returns its offset or npos.
  size_t WaitLog(const std::string& needle, milliseconds timeout, size_t from = 0) const;
  // Waits for exit: the exit code, or 128+signal; -1 on timeout (the process is left running).
  int WaitExit(milliseconds timeout);
  bool Running();

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
  std::string log_path_;
};

struct HttpResponse {
  long status = 0;  // 0: transport failure (see error)
  std::string body;
  std::string error;
  std::map<std::string, std::string> headers;  // lower-case names
};
HttpResponse Http(const std::string& method, const std::string& url, const std::string& body = "",
                  const std::string& bearer = "", milliseconds timeout = milliseconds(30000));

// Runs a command to completion, returning stdout (stderr goes to the test log on failure).
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult RunCommand(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                         milliseconds timeout = milliseconds(30000));

// Reads one top-level JSON field as text (strings unquoted); "" when absent. For test assertions only.
std::string JsonField(const std::string& json, const std::string& pointer);

class Platform {
 public:
  // Starts `edge-platform serve` on 127.0.0.1 port 0 with `data_dir`; waits for its listening line.
  Platform(const std::string& data_dir, const std::vector<std::string>& extra_flags = {});
  const std::string& api_url() const { return api_url_; }
  const std::string& rpc_url() const { return rpc_url_; }
  Process& process() { return *process_; }
  bool started() const { return !api_url_.empty(); }
  // `edge-platform admin --data-dir D <args>`: stdout, trimmed. Fails the test on a non-zero exit.
  static std::string Admin(const std::string& data_dir, const std::vector<std::string>& args);

 private:
  std::unique_ptr<Process> process_;
  std::string api_url_;
  std::string rpc_url_;
};

// An installation directory with config.json, the example plugins (and their configs) in impl/, and a
// running `edge-connector run`.
class Connector {
 public:
  Connector(const std::string& install_dir, const std::map<std::string, std::string>& config,
            const std::map<std::string, std::string>& env, bool wait_ready = true);
  Process& process() { return *process_; }
  int health_port() const { return health_port_; }
  std::string health_url() const { return "http://127.0.0.1:" + std::to_string(health_port_); }
  // Waits until /healthz answers 200.
  bool WaitReady(milliseconds timeout);
  std::string Statusz();

 private:
  std::unique_ptr<Process> process_;
  int health_port_ = 0;
};

// Timing config for fast tests: heartbeats 200 ms / 1.5 s, reconnect 100-500 ms, slow backoff 0.5-1 s.
std::map<std::string, std::string> FastConnectorConfig(const std::string& rpc_url, const std::string& api_url);

std::string MakeTempDir(const std::string& prefix);

}  // namespace edge::e2e

#endif  // EDGE_TESTS_INTEGRATION_E2E_E2E_ENV_H_
