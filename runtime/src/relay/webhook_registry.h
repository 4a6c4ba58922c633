// relay/webhook_registry.h: the webhooks this connector relays, as the platform last sent them in
// webhooks.config (docs/webhook-relay.md §3), kept in memory for the request path and cached on disk in
// <relay>/webhooks.json (0600: it holds the HMAC secrets) so a restarted connector serves its webhooks before
// the platform is reachable.
#ifndef EDGE_RUNTIME_RELAY_WEBHOOK_REGISTRY_H_
#define EDGE_RUNTIME_RELAY_WEBHOOK_REGISTRY_H_

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "edge/protocol/messages.h"

namespace edge::runtime::relay {

class WebhookRegistry {
 public:
  explicit WebhookRegistry(std::filesystem::path file) : file_(std::move(file)) {}

  // Reads the cached list. No file: no list yet (not ready), OK. A file that does not parse: an error naming it;
  // the registry stays without a list until the platform sends one.
  absl::Status Load();
  // Replaces the whole list in memory; takes effect for the next request. Thread-safe and cheap.
  void Replace(protocol::WebhooksConfigParams list);
  // Writes the current list to the file atomically (temp file, fsync, rename), mode 0600. Thread-safe.
  absl::Status Save() const;

  // Whether a list was received or loaded (an empty list counts: the relay then answers 404).
  bool ready() const;
  size_t size() const;
  std::optional<protocol::WebhookConfigEntry> Find(std::string_view webhook_id) const;
  const std::filesystem::path& file() const { return file_; }

 private:
  const std::filesystem::path file_;
  mutable absl::Mutex save_mu_;  // one writer of the file at a time
  mutable absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  protocol::WebhooksConfigParams list_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> index_ ABSL_GUARDED_BY(mu_);  // webhookId -> position in list_
};

}  // namespace edge::runtime::relay

#endif  // EDGE_RUNTIME_RELAY_WEBHOOK_REGISTRY_H_
