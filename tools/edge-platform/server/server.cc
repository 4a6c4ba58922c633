// Serve: startup, the service loop, and shutdown.
#include "server/server.h"

#include <libwebsockets.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "console/sessions.h"
#include "bundles/archive_store.h"
#include "cloud/setup.h"
#include "edge/protocol/json_writer.h"
#include "server/http_protocol.h"
#include "server/listen.h"
#include "store/data_dir.h"
#include "store/hub_directory.h"
#include "store/store.h"
#include "webhooks/webhook_rules.h"

namespace edge::platform::server {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<lws_context*> g_context{nullptr};
runtime::Logger* g_lws_logger = nullptr;

void OnSignal(int) {
  g_stop.store(true);
  // Writes to lws's wake-up pipe: the one lws call that is safe here (and async-signal-safe).
  if (lws_context* ctx = g_context.load()) lws_cancel_service(ctx);
}

void LwsLog(int level, const char* line) {
  if (g_lws_logger == nullptr) return;
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  g_lws_logger->Log(level == LLL_ERR ? runtime::LogLevel::kError : runtime::LogLevel::kWarn, "lws", text);
}

// A sul that ends the final drain after shutdown.
struct DrainTimer {
  lws_sorted_usec_list_t sul;  // first member: the callback casts back
  lws_context* context;
  bool* done;
};
void OnDrainTimer(lws_sorted_usec_list_t* sul) {
  auto* t = reinterpret_cast<DrainTimer*>(sul);
  *t->done = true;
  // Ripe timers run before lws_service polls: wake that poll, or it sleeps until the next socket event.
  lws_cancel_service(t->context);
}

// Services the context (sockets and timers) for `ms`, then returns.
void ServiceFor(lws_context* context, int64_t ms) {
  bool done = false;
  DrainTimer timer{};
  timer.context = context;
  timer.done = &done;
  lws_sul_schedule(context, 0, &timer.sul, OnDrainTimer, static_cast<lws_usec_t>(ms) * LWS_US_PER_MS);
  while (!done) {
    if (lws_service(context, 0) < 0) break;
  }
  lws_sul_cancel(&timer.sul);
}

int Fail(runtime::Logger& logger, const absl::Status& status) {
  logger.Error("serve", status.message());
  std::fprintf(stderr, "edge-platform: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int Serve(const ServeOptions& options) {
  runtime::Logger logger;
  logger.SetLevel(options.log_level);
  g_lws_logger = &logger;
  lws_set_log_level(LLL_ERR | LLL_WARN, LwsLog);

  if (options.rpc_tls_cert.empty() != options.rpc_tls_key.empty()) {
    return Fail(logger, absl::InvalidArgumentError(
                            "--rpc-tls-cert and --rpc-tls-key go together; give both (wss://) or neither (ws://)"));
  }
  const bool tls = !options.rpc_tls_cert.empty();
  absl::StatusOr<ListenAddress> api_addr = ParseListen(options.api_listen, "--api-listen");
  if (!api_addr.ok()) return Fail(logger, api_addr.status());
  absl::StatusOr<ListenAddress> rpc_addr = ParseListen(options.rpc_listen, "--rpc-listen");
  if (!rpc_addr.ok()) return Fail(logger, rpc_addr.status());

  if (!options.public_url.empty()) {  // webhooks: cloud-public URLs are built on it
    if (absl::StatusOr<std::string> host = webhooks::HttpUrlHost(options.public_url); !host.ok()) {
      return Fail(logger, absl::InvalidArgumentError(absl::StrCat("--public-url: ", host.status().message())));
    }
  }
  absl::StatusOr<cloud::CheckedOptions> cloud_options = cloud::CheckOptions(options.cloud);
  if (!cloud_options.ok()) return Fail(logger, cloud_options.status());
  absl::StatusOr<store::DataDir> dir = store::EnsureDataDir(options.data_dir);
  if (!dir.ok()) return Fail(logger, dir.status());
  absl::StatusOr<protocol::SigningKey> signing_key = store::LoadOrCreateSigningKey(*dir);
  if (!signing_key.ok()) return Fail(logger, signing_key.status());
  const protocol::VerifyingKey verifying_key = protocol::VerifyingKey::Of(*signing_key);
  absl::StatusOr<std::unique_ptr<store::Store>> db = store::Store::Open(dir->DatabasePath());
  if (!db.ok()) return Fail(logger, db.status());
  // Connections of a previous process are gone, whatever the database last recorded.
  if (absl::Status s = (*db)->MarkAllOffline(); !s.ok()) return Fail(logger, s);

  bundles::ArchiveStore archives(dir->root);
  if (absl::Status s = archives.Prepare(); !s.ok()) return Fail(logger, s);

  cloud::CloudHubDirectory directory(db->get(), &logger);  // the store's, plus cloud connectors
  HubOptions hub_options;
  hub_options.heartbeat_interval_ms = options.heartbeat_interval_ms;
  hub_options.heartbeat_timeout_ms = options.heartbeat_timeout_ms;
  hub_options.hello_timeout_ms = options.hello_timeout_ms;
  hub_options.call_slack_ms = options.call_slack_ms;
  hub_options.platform_version = options.version;
  hub_options.enable_test_hooks = options.enable_test_hooks;
  hub_options.logger = &logger;
  auto hub = std::make_unique<Hub>(hub_options, &directory, &verifying_key);
  api::ApiOptions api_options;
  api_options.enable_test_hooks = options.enable_test_hooks;
  api_options.platform_version = options.version;
  api_options.max_bundle_bytes = options.max_bundle_bytes;
  api_options.webhook_max_body_bytes = options.webhook_max_body_bytes;  // webhooks
  api_options.webhook_rate_limit_per_minute = options.webhook_rate_limit_per_minute;
  if (absl::StatusOr<int64_t> ttl = console::ParseTtlMs(options.console_session_ttl, "--console-session-ttl");
      ttl.ok()) {  // console sessions (docs/console.md)
    api_options.console_session_ttl_ms = *ttl;
  } else {
    return Fail(logger, ttl.status());
  }
  if (absl::StatusOr<int64_t> ttl = console::ParseTtlMs(options.device_code_ttl, "--device-code-ttl"); ttl.ok()) {
    api_options.device_code_ttl_ms = *ttl;
  } else {
    return Fail(logger, ttl.status());
  }
  if (absl::StatusOr<int64_t> ttl = console::ParseTtlMs(options.device_token_ttl, "--device-token-ttl"); ttl.ok()) {
    api_options.device_token_ttl_ms = *ttl;
  } else {
    return Fail(logger, ttl.status());
  }
  auto api = std::make_unique<api::Api>(api_options, db->get(), hub.get(), &archives, &*signing_key, &verifying_key,
                                        &logger);
  HttpProtocol http(api.get());

  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  if (tls) info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  // With IPv6 on, lws binds dual-stack sockets; plain IPv4 listen addresses are simpler without it.
  if (!api_addr->ipv6() && !rpc_addr->ipv6()) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  lws_context* context = lws_create_context(&info);
  if (context == nullptr) return Fail(logger, absl::InternalError("cannot create the lws context"));

  // lws keeps pointers into the vhost infos (stack-notes P8): they live until the context is destroyed.
  lws_context_creation_info api_info{};
  api_info.vhost_name = "api";
  api_info.port = api_addr->port;
  api_info.iface = api_addr->any() ? nullptr : api_addr->host.c_str();
  api_info.protocols = http.Protocols();
  lws_vhost* api_vhost = lws_create_vhost(context, &api_info);
  if (api_vhost == nullptr) {
    lws_context_destroy(context);
    return Fail(logger, absl::UnavailableError(DescribeBindFailure(*api_addr)));
  }
  lws_context_creation_info rpc_info{};
  rpc_info.vhost_name = "rpc";
  rpc_info.port = rpc_addr->port;
  rpc_info.iface = rpc_addr->any() ? nullptr : rpc_addr->host.c_str();
  rpc_info.protocols = hub->Protocols();
  if (tls) {
    rpc_info.ssl_cert_filepath = options.rpc_tls_cert.c_str();
    rpc_info.ssl_private_key_filepath = options.rpc_tls_key.c_str();
    rpc_info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  }
  lws_vhost* rpc_vhost = lws_create_vhost(context, &rpc_info);
  if (rpc_vhost == nullptr) {
    lws_context_destroy(context);
    std::string why = DescribeBindFailure(*rpc_addr);
    if (tls) {
      why = absl::StrCat("cannot start the RPC endpoint on ", options.rpc_listen, ": either ", why,
                         ", or the TLS files (--rpc-tls-cert ", options.rpc_tls_cert, ", --rpc-tls-key ",
                         options.rpc_tls_key, ") are unreadable or do not match (see the lws error above)");
    }
    return Fail(logger, absl::UnavailableError(why));
  }
  hub->Attach(context);

  const std::string api_url = absl::StrCat("http://", api_addr->UrlHost(), ":", lws_get_vhost_listen_port(api_vhost));
  api->set_public_url(options.public_url.empty() ? api_url : options.public_url);  // webhooks (cloud-public URLs)
  const std::string rpc_url =
      absl::StrCat(tls ? "wss://" : "ws://", rpc_addr->UrlHost(), ":", lws_get_vhost_listen_port(rpc_vhost));
  // Cloud connectors: reconciled with their processes before the platform serves.
  absl::StatusOr<std::unique_ptr<cloud::CloudRuntime>> cloud =
      cloud::StartCloud(*cloud_options, dir->root, api_url, rpc_url, db->get(), hub.get(), &directory, &logger);
  if (!cloud.ok()) {
    lws_context_destroy(context);
    return Fail(logger, cloud.status());
  }
  cloud::Manager* cloud_manager = *cloud ? (*cloud)->manager.get() : nullptr;
  if (cloud_manager != nullptr) {
    api->AttachCloud(cloud_manager, options.enable_test_hooks ? (*cloud)->faults.get() : nullptr);
    cloud_manager->Attach(context);
  }
  std::string platform_json;
  protocol::JsonWriter w(platform_json);
  w.BeginObject().Key("pid").Int(getpid()).Key("apiUrl").String(api_url).Key("rpcUrl").String(rpc_url);
  w.Key("publicUrl").String(options.public_url.empty() ? api_url : options.public_url).EndObject();  // console-link
  platform_json += '\n';
  if (absl::Status s = store::WriteFileAtomic(dir->PlatformJsonPath(), platform_json, 0644); !s.ok()) {
    lws_context_destroy(context);
    return Fail(logger, s);
  }

  g_context.store(context);
  struct sigaction sa{};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::printf("edge-platform listening api=%s rpc=%s\n", api_url.c_str(), rpc_url.c_str());
  std::fflush(stdout);
  logger.Info("serve", "edge-platform ", options.version, " serving data dir ", dir->root);

  while (!g_stop.load()) {
    if (lws_service(context, 0) < 0) break;
  }
  if (cloud_manager != nullptr) {
    // --cloud-stop-on-exit: the cloud connectors drain their calls (served meanwhile) and exit first.
    cloud_manager->BeginShutdown(options.cloud.stop_on_exit);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.cloud.stop_timeout_ms);
    if (options.cloud.stop_on_exit) logger.Info("serve", "stopping: waiting for the cloud connectors to exit");
    while (options.cloud.stop_on_exit && cloud_manager->ProcessesRunning() &&
           std::chrono::steady_clock::now() < deadline) {
      ServiceFor(context, 100);
    }
  }
  logger.Info("serve", "stopping: closing connections");
  hub->Shutdown();
  // Let the close frames and the answers of failed calls go out, briefly.
  ServiceFor(context, 300);
  g_context.store(nullptr);
  // The context first (its callbacks use the hub and the API), then the hub (its pending callbacks use the API).
  lws_context_destroy(context);
  hub.reset();
  api.reset();
  directory.set_manager(nullptr);
  cloud->reset();  // after the hub: its last events reach the manager
  unlink(dir->PlatformJsonPath().c_str());
  logger.Info("serve", "stopped");
  g_lws_logger = nullptr;
  return 0;
}

}  // namespace edge::platform::server
