// relay/sender.h: sends the disk queue to the platform (docs/webhook-relay.md §2 "The disk queue").
//
// One thread. Whenever the link serves, it sends queued deliveries in receipt order with at most
// `max_outstanding` webhook.relay requests waiting. A result (stored or duplicate) deletes the file; -32602
// moves it to dead-letter/ (logged); any other error, or a link that drops, leaves it queued: it is sent again,
// with the same deliveryId, after Wake() (a new delivery, or the link serving again) or after a retry delay
// that doubles from 1 s to 30 s. Outcomes arrive from the link thread through a locked list, so the link's loop
// only ever appends to it.
#ifndef EDGE_RUNTIME_RELAY_SENDER_H_
#define EDGE_RUNTIME_RELAY_SENDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "edge/runtime/link.h"
#include "edge/runtime/log.h"
#include "relay/disk_queue.h"

namespace edge::runtime::relay {

// Sends one webhook.relay request; `done` runs once, on any thread (Link::SendWebhookRelay in production).
using RelaySendFn = std::function<void(std::string params_json, WebhookRelayDone done)>;

struct SenderStats {
  uint64_t delivered = 0;      // results received (stored or duplicate)
  uint64_t dead_lettered = 0;  // refused with -32602 since start
  int64_t outstanding = 0;
  std::string last_error;      // the last failed attempt, "" when none yet
};

class Sender {
 public:
  Sender(DiskQueue* queue, RelaySendFn send, int max_outstanding, Logger* logger);
  ~Sender();  // Stop()s
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  void Start();
  // Joins the thread. Requests still outstanding stay queued on disk; their late outcomes are ignored.
  void Stop();
  // Any thread, cheap: try to send now (a delivery was queued, or the link serves again).
  void Wake();
  // Any thread: runs `task` on the sender's thread (used for slow chores such as saving the webhook list).
  void Post(absl::AnyInvocable<void()> task);
  SenderStats Stats() const;

  // The retry delays after a failed attempt (the link not serving, or an error other than -32602).
  static constexpr absl::Duration kRetryInitial = absl::Seconds(1);
  static constexpr absl::Duration kRetryMax = absl::Seconds(30);

 private:
  struct Shared;  // state shared with in-flight callbacks, which may outlive the Sender
  void Loop();
  void SendMore();
  void HandleOutcomes();

  DiskQueue* const queue_;
  const RelaySendFn send_;
  const int max_outstanding_;
  Logger& logger_;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace edge::runtime::relay

#endif  // EDGE_RUNTIME_RELAY_SENDER_H_
