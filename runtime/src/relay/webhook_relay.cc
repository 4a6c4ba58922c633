// WebhookRelay: wires the registry, queue, handler, server and sender together.
#include "relay/webhook_relay.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "relay/disk_queue.h"
#include "relay/listen_address.h"
#include "relay/relay_handler.h"
#include "relay/relay_server.h"
#include "relay/webhook_registry.h"

namespace edge::runtime::relay {
namespace {

std::string LocalHostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

struct WebhookRelay::Parts {
  std::unique_ptr<WebhookRegistry> registry;
  std::unique_ptr<DiskQueue> queue;
  std::unique_ptr<Sender> sender;
  std::unique_ptr<RelayHandler> handler;
  std::unique_ptr<RelayServer> server;
};

WebhookRelay::WebhookRelay(RelayOptions options, RelaySendFn send)
    : options_(std::move(options)),
      send_(std::move(send)),
      logger_(options_.logger != nullptr ? *options_.logger : Logger::Default()) {}

WebhookRelay::~WebhookRelay() { Stop(); }

absl::Status WebhookRelay::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (parts_ != nullptr) return absl::FailedPreconditionError("the webhook relay is already running");
  }
  absl::Status status = [&]() -> absl::Status {
    // 0700 also when it exists: webhooks.json holds HMAC secrets and the queue holds webhook bodies.
    if ((mkdir(options_.relay_dir.c_str(), 0700) != 0 && errno != EEXIST) ||
        chmod(options_.relay_dir.c_str(), 0700) != 0) {
      return absl::FailedPreconditionError(absl::StrCat("cannot create ", options_.relay_dir.string(), " (0700): ",
                                                        std::strerror(errno), "; fix the install directory's "
                                                        "permissions"));
    }
    auto parts = std::make_unique<Parts>();
    parts->registry = std::make_unique<WebhookRegistry>(options_.relay_dir / "webhooks.json");
    if (absl::Status s = parts->registry->Load(); !s.ok()) {
      // Not fatal: the platform sends the list again after the next register.
      logger_.Warn(kComponent, s.message());
    } else if (parts->registry->ready()) {
      logger_.Info(kComponent, "loaded ", parts->registry->size(), " webhook(s) from ",
                   parts->registry->file().string());
    }
    absl::StatusOr<std::unique_ptr<DiskQueue>> queue =
        DiskQueue::Open(options_.relay_dir, QueueLimits{options_.queue_max_deliveries, options_.queue_max_bytes},
                        &logger_);
    if (!queue.ok()) return queue.status();
    parts->queue = *std::move(queue);
    parts->sender = std::make_unique<Sender>(parts->queue.get(), send_, options_.max_outstanding, &logger_);
    RelayHandlerOptions handler_options;
    handler_options.max_body_bytes = options_.max_body_bytes;
    handler_options.rate_limit_per_minute = options_.rate_limit_per_minute;
    handler_options.forward_headers = options_.forward_headers;
    handler_options.logger = &logger_;
    Sender* sender = parts->sender.get();
    parts->handler = std::make_unique<RelayHandler>(std::move(handler_options), parts->registry.get(),
                                                    parts->queue.get(), [sender] { sender->Wake(); });
    // Deliveries acknowledged before a restart are sent even when the port cannot be bound this time.
    parts->sender->Start();
    const ListenPlan plan = PlanListen(options_.expose_lan);
    auto server = std::make_unique<RelayServer>(RelayServerOptions{plan.bind_host, options_.port, &logger_},
                                                parts->handler.get());
    absl::Status bound = server->Start();
    if (!bound.ok()) {
      absl::MutexLock lock(&mu_);
      parts_ = std::move(parts);
      return bound;
    }
    parts->server = std::move(server);
    const int port = parts->server->port();
    const std::string url = RelayUrl(plan, options_.public_url, port, FirstLanIpv4(LocalIpv4Addresses()),
                                     LocalHostname());
    {
      absl::MutexLock lock(&mu_);
      info_ = protocol::RelayInfo{url, plan.mode};
      listen_ = absl::StrCat(plan.bind_host, ":", port);
      start_error_.clear();
      parts_ = std::move(parts);
    }
    logger_.Info(kComponent, "Webhook relay listening on ", plan.bind_host, ":", port, " (mode ", plan.mode,
                 ", url ", url, ")");
    if (!options_.public_url.empty() && plan.mode == kModeLoopback) {
      logger_.Warn(kComponent, "webhookRelayPublicUrl (", options_.public_url, ") is ignored: the relay listens "
                   "on loopback only (NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN=0)");
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    start_error_ = std::string(status.message());
  }
  return status;
}

void WebhookRelay::Stop() {
  std::unique_ptr<Parts> parts;
  {
    absl::MutexLock lock(&mu_);
    parts = std::move(parts_);
    info_.reset();
    listen_.clear();
  }
  if (parts == nullptr) return;
  if (parts->server != nullptr) parts->server->Stop();  // no new deliveries
  parts->sender->Stop();  // outstanding requests stay queued on disk
  const QueueStats stats = parts->queue->Stats();
  logger_.Info(kComponent, "webhook relay stopped (", stats.deliveries, " deliveries stay queued in ",
               parts->queue->queue_dir().string(), ")");
}

std::optional<protocol::RelayInfo> WebhookRelay::Info() const {
  absl::MutexLock lock(&mu_);
  return info_;
}

void WebhookRelay::OnWebhooksConfig(protocol::WebhooksConfigParams list) {
  absl::MutexLock lock(&mu_);
  if (parts_ == nullptr) return;
  WebhookRegistry* registry = parts_->registry.get();
  registry->Replace(std::move(list));
  // The fsync'd save happens on the sender's thread, away from the link's loop.
  Logger* logger = &logger_;
  parts_->sender->Post([registry, logger] {
    if (absl::Status s = registry->Save(); !s.ok()) {
      logger->Warn(kComponent, "cannot cache the webhook list: ", s.message(),
                   " (the relay uses it; after a restart it waits for the platform to send it again)");
    }
  });
}

void WebhookRelay::OnServing() {
  absl::MutexLock lock(&mu_);
  if (parts_ != nullptr) parts_->sender->Wake();
}

RelayStatus WebhookRelay::Status() const {
  RelayStatus s;
  s.enabled = true;
  s.mode = options_.expose_lan ? kModeLan : kModeLoopback;
  absl::MutexLock lock(&mu_);
  if (info_.has_value()) s.url = info_->url;
  s.listen = listen_;
  s.last_error = start_error_;
  if (parts_ != nullptr) {
    const QueueStats q = parts_->queue->Stats();
    s.queue_deliveries = q.deliveries;
    s.queue_bytes = q.bytes;
    s.dead_lettered = q.dead_lettered;
    const SenderStats sender = parts_->sender->Stats();
    s.delivered = sender.delivered;
    if (s.last_error.empty()) s.last_error = sender.last_error;
  }
  return s;
}

}  // namespace edge::runtime::relay
