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
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "bundles/layout.h"
#include "bundles/swap.h"
#include "bundles/sync.h"
#include "common/thread_name.h"
#include "daemon/process_lock.h"
#include "daemon/startup_tools.h"
#include "daemon/statusz.h"
#include "daemon/tool_loading.h"
#include "edge/runtime/diagnostics.h"
#include "edge/runtime/auth.h"
#include "edge/runtime/executor.h"
#include "edge/runtime/health.h"
#include "edge/runtime/link.h"
#include "edge/runtime/plugin_host.h"
#include "relay/relay_options.h"
#include "relay/webhook_relay.h"

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
  std::atomic<bundles::ServingBundle*> serving{nullptr};
  std::atomic<bundles::BundleSync*> sync{nullptr};
  std::atomic<relay::WebhookRelay*> relay{nullptr};
  std::string sync_disabled_reason;  // set before any reader exists
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
    if (bundles::ServingBundle* sv = serving.load()) {
      BundleStatusz b;
      b.serving = sv->View();
      bundles::BundleSync* bs = sync.load();
      b.sync_enabled = bs != nullptr;
      b.sync_disabled_reason = sync_disabled_reason;
      if (bs != nullptr) b.sync = bs->Status();
      in.bundle = std::move(b);
    }
    if (relay::WebhookRelay* r = relay.load()) in.relay = r->Status();
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

// Why bundle sync stays off, or "" when it runs.
std::string BundleSyncOffReason(const ConnectorConfig& c) {
  if (!c.bundle_sync_enabled) return "bundleSyncEnabled is false";
  const fs::path dist = (fs::path(c.install_dir) / "dist").lexically_normal();
  const fs::path impl = ImplementationsDir(c.install_dir, c.custom_implementations_path).lexically_normal();
  if (impl != dist) {
    return absl::StrCat("customImplementationsPath is set (", impl.string(),
                        "): its plugins are served as they are; unset it to receive bundles into ", dist.string());
  }
  return "";
}

bundles::BundleSyncOptions SyncOptionsFrom(const ConnectorConfig& c, std::shared_ptr<DaemonState> state,
                                           std::vector<std::shared_ptr<const Tool>> builtins, Logger* logger) {
  bundles::BundleSyncOptions o;
  o.install_dir = c.install_dir;
  o.platform_api_url = c.platform_api_url;
  o.credentials = [c]() { return ResolveCredentials(c, NowSeconds()); };
  o.org_id = [state]() {
    Link* l = state->link.load();
    return l != nullptr ? l->Status().org_id : std::string();
  };
  o.http.ca_file = c.ca_file;
  o.http.tls_skip_verify = c.tls_skip_verify;
  o.http.allow_insecure = c.allow_insecure_ws;
  o.http.connect_timeout_ms = c.connect_timeout_ms;
  o.http.download_timeout_ms = c.bundle_download_timeout_ms;
  o.http.stall_timeout_ms = c.bundle_stall_timeout_ms;
  o.max_bytes = static_cast<uint64_t>(c.bundle_max_bytes);
  o.limits.max_entries = static_cast<uint64_t>(c.bundle_max_entries);
  o.limits.max_total_bytes = static_cast<uint64_t>(c.bundle_max_uncompressed_bytes);
  o.limits.max_entry_bytes = std::min(o.limits.max_entry_bytes, o.limits.max_total_bytes);
  o.trusted_keys_path = c.bundle_trusted_keys_path;
  o.poll_interval_ms = c.bundle_poll_interval_ms;
  o.retry_initial_ms = c.bundle_retry_initial_ms;
  o.retry_max_ms = c.bundle_retry_max_ms;
  o.keep_generations = c.bundle_keep_generations;
  o.pause_at = c.test_bundle_pause_at;
  o.generation.data_root = fs::path(c.install_dir) / "data";
  o.generation.builtins = std::move(builtins);
  o.logger = logger;
  return o;
}

// Stops the webhook relay when it goes out of scope: declared right after the link, so on every return path the
// relay's sender is gone before the link it sends through is destroyed.
class RelayStopper {
 public:
  RelayStopper(relay::WebhookRelay* relay, DaemonState* state) : relay_(relay), state_(state) {}
  ~RelayStopper() { Stop(); }
  void Stop() {
    state_->relay.store(nullptr);
    if (relay_ != nullptr) relay_->Stop();
  }

 private:
  relay::WebhookRelay* relay_;
  DaemonState* state_;
};

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

  // Bundle layout recovery before anything loads from it.
  std::string sync_off = BundleSyncOffReason(c);
  std::optional<bundles::Layout> layout;
  std::optional<bundles::RecoveryReport> recovery;
  if (sync_off.empty()) {
    layout.emplace(fs::path(c.install_dir));
    absl::StatusOr<bundles::RecoveryReport> report = layout->Recover();
    if (!report.ok()) {
      log.Error("bundles", "cannot prepare ", layout->bundles_dir().string(), ": ", report.status().message());
      return kDaemonStartupFailed;
    }
    if (!report->cleaned.empty()) {
      log.Info("bundles", "start-up recovery removed ", absl::StrJoin(report->cleaned, ", "), " from ",
               layout->bundles_dir().string());
    }
    recovery = *std::move(report);
  }
  state->sync_disabled_reason = sync_off;
  if (!sync_off.empty()) log.Info("bundles", "bundle sync is off: ", sync_off);

  auto credentials = ResolveCredentials(c, NowSeconds());
  if (!credentials.ok()) {
    log.Error("auth", credentials.status().message());
    return kDaemonStartupFailed;
  }
  log.Info("auth", "authenticating with ", credentials->description);

  PluginHostOptions host_options;
  host_options.logger = &log;
  PluginHost host(host_options);
  const std::vector<std::shared_ptr<const Tool>> builtins =
      BuiltinDiagnosticsTools([state]() { return state->Statusz(); });
  StartupToolsInputs startup;
  startup.implementations_dir = ImplementationsDir(c.install_dir, c.custom_implementations_path);
  startup.data_root = fs::path(c.install_dir) / "data";
  startup.layout = layout ? &*layout : nullptr;
  startup.recovery = recovery ? &*recovery : nullptr;
  startup.builtins = builtins;
  absl::StatusOr<bundles::ServedGeneration> served = LoadStartupTools(host, startup, log);
  if (!served.ok()) {
    log.Error("daemon", "cannot build the tool set: ", served.status().message());
    return kDaemonStartupFailed;
  }
  state->catalog = std::make_shared<ToolCatalog>();
  bundles::ServingBundle serving(state->catalog, &log);
  serving.Serve(*std::move(served));
  state->serving.store(&serving);

  ExecutorOptions executor_options;
  executor_options.max_concurrent_calls = c.max_concurrent_calls;
  executor_options.max_queued_calls = c.max_queued_calls;
  executor_options.default_inactivity_timeout = absl::Milliseconds(c.default_inactivity_timeout_ms);
  executor_options.default_max_duration = absl::Milliseconds(c.default_max_duration_ms);
  executor_options.logger = &log;
  std::unique_ptr<Executor> executor = NewInProcessExecutor(state->catalog, executor_options);
  state->executor.store(executor.get());

  // The sync exists before the link so the link's callbacks always have a target; it starts after the link.
  std::unique_ptr<bundles::BundleSync> sync;
  Link* link_ptr = nullptr;
  if (sync_off.empty()) {
    sync = std::make_unique<bundles::BundleSync>(SyncOptionsFrom(c, state, builtins, &log), host, serving,
                                                 [&link_ptr]() {
                                                   if (link_ptr != nullptr) link_ptr->Reregister();
                                                 });
  }
  // The webhook relay exists before the link (the link reports its address in hello) and starts after the link
  // object exists (it sends through it). Its failures never stop the connector.
  std::unique_ptr<relay::WebhookRelay> webhook_relay;
  if (c.webhook_relay_enabled) {
    webhook_relay = std::make_unique<relay::WebhookRelay>(
        relay::RelayOptionsFrom(c, &log), [&link_ptr](std::string params_json, WebhookRelayDone done) {
          link_ptr->SendWebhookRelay(std::move(params_json), std::move(done));
        });
  } else {
    log.Info("relay", "the webhook relay is off (webhookRelayEnabled is false)");
  }
  relay::WebhookRelay* relay_ptr = webhook_relay.get();
  LinkOptions link_options = LinkOptionsFrom(c, *state, &log);
  link_options.bundle_ref = [&serving]() { return serving.Ref(); };
  bundles::BundleSync* sync_ptr = sync.get();
  if (sync_ptr != nullptr) {
    link_options.on_bundle_updated = [sync_ptr](const protocol::BundleUpdatedParams&) {
      sync_ptr->Trigger("bundle.updated");
    };
  }
  if (sync_ptr != nullptr || relay_ptr != nullptr) {
    link_options.on_serving = [sync_ptr, relay_ptr]() {
      if (sync_ptr != nullptr) sync_ptr->Trigger("the link is serving");
      if (relay_ptr != nullptr) relay_ptr->OnServing();
    };
  }
  if (relay_ptr != nullptr) {
    link_options.relay_info = [relay_ptr]() { return relay_ptr->Info(); };
    link_options.on_webhooks_config = [relay_ptr](protocol::WebhooksConfigParams list) {
      relay_ptr->OnWebhooksConfig(std::move(list));
    };
  }
  Link link(std::move(link_options), state->catalog, executor.get());
  link_ptr = &link;
  RelayStopper relay_stopper(relay_ptr, state.get());
  if (relay_ptr != nullptr) {
    if (absl::Status s = relay_ptr->Start(); !s.ok()) {
      log.Error("relay", s.message(), "; the connector runs on without the webhook relay");
    }
    state->relay.store(relay_ptr);
  }
  if (absl::Status s = link.Start(); !s.ok()) {
    log.Error("link", "cannot start the link: ", s.message());
    return kDaemonStartupFailed;
  }
  state->link.store(&link);
  if (sync) {
    if (absl::Status s = sync->Start(); !s.ok()) {
      log.Error("bundles", s.message());
      state->link.store(nullptr);
      link.Stop();
      return kDaemonStartupFailed;
    }
    state->sync.store(sync.get());
    log.Info("bundles", "bundle sync on: checking ", c.platform_api_url, " after each connect, on bundle.updated "
             "and every ", absl::FormatDuration(absl::Milliseconds(c.bundle_poll_interval_ms)));
  }

  HealthOptions health_options;
  health_options.host = c.health_host;
  health_options.port = c.health_port;
  health_options.ready = [state](std::string* reason) { return state->Ready(reason); };
  health_options.statusz = [state]() { return state->Statusz(); };
  health_options.logger = &log;
  HealthServer health(health_options);
  if (absl::Status s = health.Start(); !s.ok()) {
    log.Error("health", s.message());
    state->sync.store(nullptr);
    if (sync) sync->Stop();
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
  // 0. no new bundle work (an in-flight download is aborted), 1. readiness off, 2. stop taking calls, 3. drain
  // the calls themselves.
  if (sync) sync->Stop();
  state->draining.store(true);
  link.BeginDrain(grace);
  std::atomic<bool> drained{false};
  absl::Status drain_status;
  std::thread drainer([&] {
    drain_status = executor->Drain(grace);
    drained.store(true);
  });
  NameThread(drainer, "ec-drain");
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
  // Webhooks still queued stay on disk and are sent after the next start.
  relay_stopper.Stop();
  // 4. close the link with 1001 (pending responses are flushed first), 5. release the lock and exit.
  link.Stop(absl::Seconds(2));
  state->link.store(nullptr);
  health.Stop();
  state->executor.store(nullptr);
  state->sync.store(nullptr);
  state->serving.store(nullptr);
  log.Info("daemon", "stopped");
  return kDaemonOk;
}

}  // namespace edge::runtime
