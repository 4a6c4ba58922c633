// The local driver: install dirs, posix_spawn in a new session, signals, and /proc observation.
#include "cloud/local_driver.h"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cloud/proc.h"
#include "edge/protocol/json_writer.h"
#include "store/data_dir.h"

extern char** environ;

namespace edge::platform::cloud {
namespace {

namespace fs = std::filesystem;

constexpr unsigned kDirMode = 0700;
constexpr unsigned kFileMode = 0600;

// The environment a connector gets: enough to run, nothing that configures it. Connector settings from the
// platform's own environment (DEPLOYMENT_ID, TOOL_RPC_URL, HEALTH_PORT, ...) would override config.json.
bool KeepVariable(std::string_view entry) {
  static constexpr std::string_view kKept[] = {"PATH", "HOME", "USER", "LANG", "TZ", "TMPDIR", "LD_LIBRARY_PATH",
                                               "ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS",
                                               "LLVM_PROFILE_FILE", "GCOV_PREFIX", "GCOV_PREFIX_STRIP"};
  const size_t eq = entry.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view name = entry.substr(0, eq);
  if (name.substr(0, 3) == "LC_") return true;
  for (std::string_view k : kKept) {
    if (name == k) return true;
  }
  return false;
}

bool SafeId(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.' || id[0] == '-') return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), kDirMode) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno),
                                               "; check that the data dir is writable"));
  }
  chmod(path.c_str(), kDirMode);  // an existing dir (an earlier, interrupted provision) gets the mode too
  return absl::OkStatus();
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("process exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("process killed by signal ", WTERMSIG(status));
  return absl::StrCat("process ended (wait status ", status, ")");
}

// The same process as the handle: pid alive, not a zombie, same start time.
bool SameProcess(const ProcessHandle& handle) {
  std::optional<ProcStat> stat = ReadProcStat(handle.pid);
  return stat && stat->state != 'Z' && stat->start_time == handle.start_time;
}

// The handle's process is still there to signal: the same start time (pid numbers wrap, and after a reap the
// pid may be another process's), alive, or for our own child also a zombie not yet reaped (its group may
// still hold plugin workers). A child whose start time could not be read at spawn is trusted until reaped.
bool StillThere(const ProcessHandle& handle) {
  if (!handle.own_child) return SameProcess(handle);
  std::optional<ProcStat> stat = ReadProcStat(handle.pid);
  return stat && (handle.start_time == 0 || stat->start_time == handle.start_time);
}

// SIGKILL to the process group (a connector's plugin workers included), and to the pid in case it left it.
void KillGroup(pid_t pid) {
  if (pid <= 1) return;
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
}

}  // namespace

absl::Status ValidateExtraConfig(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cloud-connector-config must hold one JSON object of connector settings (docs/configuration.md",
                     " section 2), e.g. {\"heartbeatIntervalMs\":1000}; ",
                     doc.HasParseError() ? absl::StrCat("it is not valid JSON (offset ", doc.GetErrorOffset(), ")")
                                         : std::string("it is not an object")));
  }
  return absl::OkStatus();
}

LocalDriver::LocalDriver(LocalDriverOptions options) : options_(std::move(options)) {}

std::string LocalDriver::InstallDir(const std::string& connector_id) const {
  return options_.cloud_root + "/" + connector_id;
}

absl::StatusOr<std::string> LocalDriver::ConfigJson() const {
  rapidjson::Document doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  doc.AddMember("toolRpcUrl", rapidjson::Value(options_.tool_rpc_url.c_str(), a), a);
  doc.AddMember("platformApiUrl", rapidjson::Value(options_.platform_api_url.c_str(), a), a);
  doc.AddMember("connectorType", "SERVER", a);
  doc.AddMember("healthHost", "127.0.0.1", a);  // its probes are for this host only
  doc.AddMember("healthPort", 0, a);
  doc.AddMember("webhookRelayEnabled", false, a);  // cloud connectors use cloud-public webhooks
  if (!options_.extra_config_json.empty()) {
    if (absl::Status s = ValidateExtraConfig(options_.extra_config_json); !s.ok()) return s;
    rapidjson::Document extra;
    extra.Parse(options_.extra_config_json.data(), options_.extra_config_json.size());
    for (auto& member : extra.GetObject()) {
      rapidjson::Value value(member.value, a);
      auto existing = doc.FindMember(member.name);
      if (existing != doc.MemberEnd()) {
        existing->value = value;
      } else {
        doc.AddMember(rapidjson::Value(member.name, a), value, a);
      }
    }
  }
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

absl::StatusOr<StepResult> LocalDriver::Provision(const InstanceSpec& spec) {
  if (!SafeId(spec.connector_id)) return absl::InvalidArgumentError("invalid cloud connector id " + spec.connector_id);
  const std::string dir = InstallDir(spec.connector_id);
  if (absl::Status s = MakeDir(options_.cloud_root); !s.ok()) return s;
  if (absl::Status s = MakeDir(dir); !s.ok()) return s;
  absl::StatusOr<std::string> config = ConfigJson();
  if (!config.ok()) return config.status();
  if (absl::Status s = store::WriteFileAtomic(dir + "/config.json", *config, kFileMode); !s.ok()) return s;
  std::string credentials;
  protocol::JsonWriter(credentials).BeginObject().Key("deploymentId").String(spec.deployment_id)
      .Key("deploymentSecret").String(spec.secret).EndObject();
  credentials += '\n';
  if (absl::Status s = store::WriteFileAtomic(dir + "/deployment-credentials.json", credentials, kFileMode);
      !s.ok()) {
    return s;
  }
  return StepResult{};
}

absl::StatusOr<std::optional<ProcessHandle>> LocalDriver::Start(const InstanceSpec& spec) {
  if (!SafeId(spec.connector_id)) return absl::InvalidArgumentError("invalid cloud connector id " + spec.connector_id);
  const std::string dir = InstallDir(spec.connector_id);
  struct stat st {};
  if (stat((dir + "/deployment-credentials.json").c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the instance in ", dir, " is incomplete (no deployment-credentials.json): its provision step "
                     "did not finish; delete the cloud connector and provision it again"));
  }
  // The configuration follows the platform's current flags (its URLs may have changed since the provision).
  absl::StatusOr<std::string> config = ConfigJson();
  if (!config.ok()) return config.status();
  if (absl::Status s = store::WriteFileAtomic(dir + "/config.json", *config, kFileMode); !s.ok()) return s;

  const std::string log_path = dir + "/connector.log";
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, kFileMode);
  if (log_fd < 0) return absl::UnavailableError(absl::StrCat("cannot open ", log_path, ": ", std::strerror(errno)));

  std::vector<std::string> args = {options_.connector_bin, "run", "--install-dir", dir};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (KeepVariable(*e)) envp.push_back(*e);
  }
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  // The platform's sockets must not leak into the connector: it would keep the listeners bound after a crash.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own session and process group: it outlives a platform crash, and SIGKILL to the group ends it all.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t mask;
  sigemptyset(&mask);
  posix_spawnattr_setsigmask(&attr, &mask);
  sigset_t defaults;  // ignored signals survive exec: the platform ignores SIGPIPE
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigdefault(&attr, &defaults);
  pid_t pid = 0;
  const bool has_path = options_.connector_bin.find('/') != std::string::npos;
  const int rc = has_path ? posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data())
                          : posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  close(log_fd);
  if (rc != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot run the connector program ", options_.connector_bin,
                                                      ": ", std::strerror(rc),
                                                      "; point --cloud-connector-bin at an edge-connector executable"));
  }
  ProcessHandle handle;
  handle.pid = pid;
  handle.own_child = true;
  // Our unreaped child: its /proc entry exists even if it already exited.
  if (std::optional<ProcStat> stat = ReadProcStat(pid)) handle.start_time = stat->start_time;
  return std::optional<ProcessHandle>(handle);
}

absl::StatusOr<StepResult> LocalDriver::Stop(const ProcessHandle& handle) {
  if (!StillThere(handle)) return StepResult{};  // already gone (or reaped, its pid reused): nothing to stop
  if (kill(handle.pid, SIGTERM) != 0 && errno != ESRCH) {
    return absl::InternalError(absl::StrCat("cannot send SIGTERM to process ", handle.pid, ": ", std::strerror(errno)));
  }
  return StepResult{};
}

void LocalDriver::Kill(const ProcessHandle& handle) {
  if (!StillThere(handle)) return;  // never signal a reused pid
  KillGroup(handle.pid);
}

Observation LocalDriver::Observe(const ProcessHandle& handle) {
  Observation o;
  if (handle.own_child) {
    int status = 0;
    const pid_t r = waitpid(handle.pid, &status, WNOHANG);
    if (r == 0) {
      o.running = true;
      return o;
    }
    if (r == handle.pid) {
      o.exit_description = DescribeStatus(status);
      return o;
    }
    // ECHILD: not (or no longer) ours to wait for; /proc decides.
  }
  if (SameProcess(handle)) {
    o.running = true;
    return o;
  }
  o.exit_description = absl::StrCat("process ", handle.pid,
                                    " is gone (its exit status is unknown: an earlier platform process started it)");
  return o;
}

absl::Status LocalDriver::Release(const InstanceSpec& spec) {
  if (!SafeId(spec.connector_id)) return absl::InvalidArgumentError("invalid cloud connector id " + spec.connector_id);
  std::error_code ec;
  fs::remove_all(InstallDir(spec.connector_id), ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot remove ", InstallDir(spec.connector_id), ": ", ec.message(),
                                               "; fix its permissions and delete again"));
  }
  return absl::OkStatus();
}

std::optional<ProcessHandle> LocalDriver::Adopt(pid_t pid, uint64_t start_time) {
  ProcessHandle handle;
  handle.pid = pid;
  handle.start_time = start_time;
  handle.own_child = false;
  if (!SameProcess(handle)) return std::nullopt;
  return handle;
}

std::string LocalDriver::CloudInstallDirOf(const std::vector<std::string>& args) const {
  const std::string prefix = options_.cloud_root + "/";
  for (size_t i = 0; i < args.size(); ++i) {
    std::string dir;
    if (args[i] == "--install-dir" && i + 1 < args.size()) dir = args[i + 1];
    if (args[i].rfind("--install-dir=", 0) == 0) dir = args[i].substr(14);
    if (dir.size() > prefix.size() && dir.compare(0, prefix.size(), prefix) == 0) return dir;
  }
  return {};
}

std::vector<std::string> LocalDriver::KillStrays(const std::vector<ProcessHandle>& known) {
  std::vector<std::string> killed;
  std::vector<pid_t> pids;
  for (pid_t pid : ListPids()) {
    if (pid == getpid()) continue;
    const std::string dir = CloudInstallDirOf(ReadCmdline(pid));
    if (dir.empty()) continue;
    std::optional<ProcStat> stat = ReadProcStat(pid);
    if (!stat || stat->state == 'Z') continue;
    bool is_known = false;
    for (const ProcessHandle& h : known) {
      // The known process itself, or one of its own children (they stay in its process group).
      is_known = is_known || (h.pid == pid && h.start_time == stat->start_time) || stat->process_group == h.pid;
    }
    if (is_known) continue;
    KillGroup(pid);
    pids.push_back(pid);
    killed.push_back(absl::StrCat("killed stray connector process ", pid, " running from ", dir));
  }
  // Runs before the platform serves: wait (briefly) until they are gone, so a restart does not race their lock.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (pid_t pid : pids) {
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<ProcStat> stat = ReadProcStat(pid);
      if (!stat || stat->state == 'Z') break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return killed;
}

}  // namespace edge::platform::cloud
