// relay/webhook_relay.h: the connector's local webhook relay as one object the daemon owns
// (docs/webhook-relay.md §2–3): the listener, the webhook list, the disk queue and the sender.
//
// Start() opens <install>/relay (0700), the cached webhook list and the queue (recovering what a crash left),
// starts sending, then binds. A failure leaves the relay without a listener (deliveries queued before still go
// out), with the reason in Status().last_error: the daemon logs it and runs on, because tools matter more than
// webhooks. The link reaches the relay only through
// the cheap, thread-safe OnWebhooksConfig / OnServing / Info; slow work (saving the list, disk reads) happens
// on the relay's own threads.
#ifndef EDGE_RUNTIME_RELAY_WEBHOOK_RELAY_H_
#define EDGE_RUNTIME_RELAY_WEBHOOK_RELAY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "edge/protocol/messages.h"
#include "relay/relay_options.h"
#include "relay/sender.h"

namespace edge::runtime::relay {

// The /statusz `relay` object.
struct RelayStatus {
  bool enabled = false;
  std::string mode;    // "lan" | "loopback"; "" when disabled
  std::string listen;  // "0.0.0.0:8787" once bound, else ""
  std::string url;     // what providers use, once bound, else ""
  int64_t queue_deliveries = 0;
  int64_t queue_bytes = 0;
  uint64_t delivered = 0;
  int64_t dead_lettered = 0;  // files in dead-letter/
  std::string last_error;
};

class WebhookRelay {
 public:
  WebhookRelay(RelayOptions options, RelaySendFn send);
  ~WebhookRelay();  // Stop()s
  WebhookRelay(const WebhookRelay&) = delete;
  WebhookRelay& operator=(const WebhookRelay&) = delete;

  absl::Status Start();
  // Stops listening, then sending. Queued deliveries stay on disk for the next start.
  void Stop();

  // Thread-safe and cheap (called on the link thread).
  std::optional<protocol::RelayInfo> Info() const;  // nullopt while not listening
  void OnWebhooksConfig(protocol::WebhooksConfigParams list);
  void OnServing();
  RelayStatus Status() const;

 private:
  struct Parts;
  const RelayOptions options_;
  const RelaySendFn send_;
  Logger& logger_;

  mutable absl::Mutex mu_;
  std::unique_ptr<Parts> parts_ ABSL_GUARDED_BY(mu_);  // set by Start once the queue is open, taken by Stop
  std::optional<protocol::RelayInfo> info_ ABSL_GUARDED_BY(mu_);
  std::string listen_ ABSL_GUARDED_BY(mu_);
  std::string start_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edge::runtime::relay

#endif  // EDGE_RUNTIME_RELAY_WEBHOOK_RELAY_H_
