// RunDaemon: startup in the documented order, then the ordered, bounded shutdown (docs/daemon.md).
#include "edge/runtime/daemon.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "daemon/process_lock.h"
#include "daemon/statusz.h"
#include "daemon/tool_loading.h"
#include "edge/runtime/auth.h"
#include "edge/runtime/executor.h"
#include "edge/runtime/health.h"
#include "edge/runtime/link.h"
#include "edge/runtime/plugin_host.h"

namespace edge::runtime {
namespace fs = std::filesystem;
namespace {

std::string RandomUuid() {
  unsigned char b[16] = {};
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  urandom.read(reinterpret_cast<char*>(b), sizeof(b));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                         b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int64_t NowSeconds() { return absl::ToUnixSeconds(absl::Now()); }

// Everything /statusz, /healthz and edge.runtime_status read; filled in as startup proceeds, read from the
// health thread and executor threads.
struct DaemonState {
  std::string version;
  std::string instance_id;
  absl::Time started_at = absl::Now();
  std::shared_ptr<ToolCatalog> catalog;
  std::atomic<Link*> link{nullptr};
  std::atomic<Executor*> executor{nullptr};
  std::atomic<bool> draining{false};

  bool Ready(std::string* reason) const {
    if (draining.load()) {
      *reason = "draining: shutting down";
      return false;
    }
    Link* l = link.load();
    if (l == nullptr) {
      *reason = "starting";
      return false;
    }
    if (!l->Ready()) {
      LinkStatus s = l->Status();
      *reason = absl::StrCat("link ", ToAbsl(LinkStateName(s.state)), s.registered ? "" : ", tools not registered",
                             s.last_error.empty() ? "" : ": ", s.last_error);
      return false;
    }
    return true;
  }

  std::string Statusz() const {
    StatuszInputs in;
    in.ready = Ready(&in.ready_reason);
    in.state = in.ready ? "serving" : draining.load() ? "draining" : link.load() ? "not_ready" : "starting";
    in.version = version;
    in.instance_id = instance_id;
    in.started_at = started_at;
    if (Link* l = link.load()) in.link = l->Status();
    in.catalog = catalog.get();
    if (Executor* e = executor.load()) in.calls = e->Stats();
    return StatuszJson(in);
  }
};

LinkOptions LinkOptionsFrom(const ConnectorConfig& c, const DaemonState& state, Logger* logger) {
  LinkOptions o;
  o.url = c.tool_rpc_url;
  o.ca_file = c.ca_file;
  o.tls_skip_verify = c.tls_skip_verify;
  o.allow_insecure_ws = c.allow_insecure_ws;
  o.credentials = [c]() { return ResolveCredentials(c, NowSeconds()); };
  o.connector_version = state.version;
  o.connector_type = c.connector_type;
  o.instance_id = state.instance_id;
  o.heartbeat_interval_ms = c.heartbeat_interval_ms;
  o.heartbeat_timeout_ms = c.heartbeat_timeout_ms;
  o.reconnect_initial_ms = c.reconnect_initial_ms;
  o.reconnect_max_ms = c.reconnect_max_ms;
  o.stable_period_ms = c.stable_period_ms;
  o.slow_backoff_initial_ms = c.slow_backoff_initial_ms;
  o.slow_backoff_max_ms = c.slow_backoff_max_ms;
  o.connect_timeout_ms = c.connect_timeout_ms;
  o.overload_retry_after_ms = c.overload_retry_after_ms;
  o.max_concurrent_calls = c.max_concurrent_calls;
  o.max_queued_calls = c.max_queued_calls;
  o.logger = logger;
  return o;
}

// Waits for a shutdown signal; with a deadline (`until`), returns 0 when it passes first.
int WaitSignal(const sigset_t& signals, std::optional<absl::Time> until) {
  for (;;) {
    int sig = 0;
    if (!until) {
      if (sigwait(&signals, &sig) == 0) return sig;
      continue;
    }
    absl::Duration left = *until - absl::Now();
    if (left <= absl::ZeroDuration()) return 0;
    timespec ts = absl::ToTimespec(std::min(left, absl::Milliseconds(100)));
    sig = sigtimedwait(&signals, nullptr, &ts);
    if (sig > 0) return sig;
  }
}

}  // namespace

int RunDaemon(const LoadedConfig& loaded, const DaemonOptions& options) {
  Logger& log = options.logger ? *options.logger : Logger::Default();
  const ConnectorConfig& c = loaded.config;

  // Block the shutdown signals before any thread exists: every thread inherits the mask, so only sigwait
  // below ever sees them, and no handler runs at an arbitrary point inside a plugin.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto state = std::make_shared<DaemonState>();
  state->version = options.version;
  state->instance_id = RandomUuid();
  log.Info("daemon", "edge-connector ", options.version, " starting (", c.connector_type, ", install dir ",
           c.install_dir, ", pid ", getpid(), ")");
  for (const std::string& warning : loaded.warnings) log.Warn("config", warning);

  // The lock first: a second instance must not touch anything the first one owns.
  auto lock = ProcessLock::Acquire((fs::path(c.install_dir) / "edge-runtime.lock").string());
  if (!lock.ok()) {
    log.Error("daemon", lock.status().message());
    return kDaemonStartupFailed;
  }

  auto credentials = ResolveCredentials(c, NowSeconds());
  if (!credentials.ok()) {
    log.Error("auth", credentials.status().message());
    return kDaemonStartupFailed;
  }
  log.Info("auth", "authenticating with ", credentials->description);

  PluginHostOptions host_options;
  host_options.logger = &log;
  PluginHost host(host_options);
  const fs::path implementations = ImplementationsDir(c.install_dir, c.custom_implementations_path);
  auto tools = LoadTools(host, implementations, fs::path(c.install_dir) / "data",
                         [state]() { return state->Statusz(); }, log);
  if (!tools.ok()) {
    log.Error("daemon", "cannot build the tool set: ", tools.status().message());
    return kDaemonStartupFailed;
  }
  state->catalog = std::make_shared<ToolCatalog>();
  state->catalog->Publish(tools->registry);
  log.Info("daemon", "serving ", tools->registry->tools().size(), " tools (", tools->plugins.size(),
           " plugins from ", implementations.string(), ", ", tools->failures.size(), " failed)");

  ExecutorOptions executor_options;
  executor_options.max_concurrent_calls = c.max_concurrent_calls;
  executor_options.max_queued_calls = c.max_queued_calls;
  executor_options.default_inactivity_timeout = absl::Milliseconds(c.default_inactivity_timeout_ms);
  executor_options.default_max_duration = absl::Milliseconds(c.default_max_duration_ms);
  executor_options.logger = &log;
  std::unique_ptr<Executor> executor = NewInProcessExecutor(state->catalog, executor_options);
  state->executor.store(executor.get());

  Link link(LinkOptionsFrom(c, *state, &log), state->catalog, executor.get());
  if (absl::Status s = link.Start(); !s.ok()) {
    log.Error("link", "cannot start the link: ", s.message());
    return kDaemonStartupFailed;
  }
  state->link.store(&link);

  HealthOptions health_options;
  health_options.host = c.health_host;
  health_options.port = c.health_port;
  health_options.ready = [state](std::string* reason) { return state->Ready(reason); };
  health_options.statusz = [state]() { return state->Statusz(); };
  health_options.logger = &log;
  HealthServer health(health_options);
  if (absl::Status s = health.Start(); !s.ok()) {
    log.Error("health", s.message());
    state->link.store(nullptr);
    link.Stop();
    return kDaemonStartupFailed;
  }
  log.Info("health", "health server on http://", c.health_host, ":", health.port(),
           " (/livez /healthz /statusz)");

  const int sig = WaitSignal(signals, std::nullopt);
  const absl::Duration grace = absl::Milliseconds(c.drain_grace_ms);
  log.Info("daemon", "received ", sig == SIGTERM ? "SIGTERM" : "SIGINT", ": draining in-flight calls (grace ",
           absl::FormatDuration(grace), "); a second signal forces the exit");
  // 1. readiness off, 2. stop taking calls, 3. drain the calls themselves.
  state->draining.store(true);
  link.BeginDrain(grace);
  std::atomic<bool> drained{false};
  absl::Status drain_status;
  std::thread drainer([&] {
    drain_status = executor->Drain(grace);
    drained.store(true);
  });
  while (!drained.load()) {
    if (WaitSignal(signals, absl::Now() + absl::Milliseconds(100)) > 0) {
      log.Warn("daemon", "second signal: forcing the exit with calls still in flight");
      std::fflush(nullptr);
      _exit(kDaemonForced);  // the kernel releases the lock; in-flight calls are abandoned on purpose
    }
  }
  drainer.join();
  if (!drain_status.ok()) {
    log.Warn("daemon", "drain grace ended: ", drain_status.message());
  } else {
    log.Info("daemon", "all calls drained");
  }
  // 4. close the link with 1001 (pending responses are flushed first), 5. release the lock and exit.
  link.Stop(absl::Seconds(2));
  state->link.store(nullptr);
  health.Stop();
  state->executor.store(nullptr);
  log.Info("daemon", "stopped");
  return kDaemonOk;
}

}  // namespace edge::runtime
