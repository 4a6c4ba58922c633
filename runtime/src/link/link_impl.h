// link/link_impl.h: Link::Impl, shared by the link's source files.
//
// One service thread owns everything below `loop-only`: the lws context, the current Session, the timers
// (lws suls) and the backoff. Other threads (the daemon, executor workers) reach it only through `Inbox`:
// a locked queue of closures plus lws_cancel_service, drained whole after every lws_service (DrainInbox).
// The Inbox is shared with executor callbacks and outlives the Impl, so a call completing after Stop is
// dropped instead of touching freed memory. Readers see the link only through the mutex-guarded LinkStatus.
//
// Files: link.cc (public API, thread, status), lws_client.cc (lws callback, connect, write/receive, close,
// retry), session.cc (hello, register, heartbeats, dispatch, drain), invoke.cc (tool.invoke/cancel,
// completions, progress), webhook_relay.cc (webhook.relay requests, webhooks.config).
#ifndef EDGE_RUNTIME_LINK_LINK_IMPL_H_
#define EDGE_RUNTIME_LINK_LINK_IMPL_H_

#include <libwebsockets.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "edge/protocol/messages.h"
#include "edge/runtime/link.h"
#include "link/backoff.h"
#include "link/call_bridge.h"
#include "link/connect.h"
#include "link/frame_batch.h"

namespace edge::runtime {

namespace link {

inline constexpr std::string_view kComponent = "link";
inline constexpr char kLocalProtocolName[] = "edge-tool-rpc-client";

// Routes lws's own warnings and errors to `logger` (component "lws"); process-wide, like lws's log level.
void InstallLwsLogger(Logger* logger);
// Routes lws lines back to Logger::Default() if `logger` is still installed (it may be about to die).
void UninstallLwsLogger(Logger* logger);

// TCP_CORK on `fd` (when >= 0) until Release or destruction: several lws_writes leave as one push.
class Cork {
 public:
  explicit Cork(int fd);
  ~Cork() { Release(); }
  Cork(const Cork&) = delete;
  Cork& operator=(const Cork&) = delete;
  void Release();

 private:
  int fd_;
};

enum class PendingKind { kHello, kRegister, kHeartbeat, kWebhookRelay };
struct PendingRequest {
  PendingKind kind;
  uint64_t generation = 0;  // kRegister
};

// The invoke's id token and tool live in its Impl::InvokeChannel, which the completion brings back.
struct InFlightCall {
  ProgressCoalescer progress{absl::Milliseconds(protocol::defaults::kProgressCoalesceMs)};
};

// How the next attempt waits after a session ends.
enum class RetryKind { kNormal, kSlow, kRetryAfter };

// One connection attempt and, once established, its session. Never reused across attempts.
struct Session {
  uint64_t serial = 0;  // lws opaque_user_data: callbacks for an older attempt's wsi are ignored
  lws* wsi = nullptr;
  LinkCredentials credentials;
  std::vector<std::pair<std::string, std::string>> headers;
  bool established = false;
  bool hello_done = false;
  bool registered = false;
  bool ended = false;
  std::string session_id, org_id, deployment_id;

  std::deque<std::string> outq;
  std::string tx;  // LWS_PRE + one message; the client masks it in place
  FrameBatch batch{LWS_PRE};  // several small queued messages, framed for one raw write
  std::string rx;  // reassembly
  int64_t next_request_id = 1;
  absl::flat_hash_map<std::string, PendingRequest> pending;  // our requests by raw id token
  absl::flat_hash_map<std::string, InFlightCall> calls;      // invokes by callId
  absl::flat_hash_map<std::string, WebhookRelayDone> webhook_relays;  // webhook.relay callbacks by raw id

  uint64_t heartbeat_seq = 0;
  absl::Time heartbeat_reference;  // later of the hello result and the last heartbeat result
  absl::Duration heartbeat_timeout;

  // A close we initiate: written after the queue drains (WRITEABLE), then lws closes.
  bool close_requested = false;
  int close_code = 0;
  std::string close_reason;

  int peer_close_code = 0;
  std::string peer_close_reason;
  RetryKind retry = RetryKind::kNormal;
  int64_t retry_after_ms = 0;
  std::string failure;  // set by whoever first explains the end; becomes last_error
  std::string tls_error;
  std::string subprotocol;     // the server's Sec-WebSocket-Protocol answer
  bool logged = false;         // the failure was already logged where it was classified
  bool discarding = false;     // closing after an oversize message: ignore whatever else arrives
  bool duplicate = false;      // closed 4009
  bool deliberate = false;     // we closed it (Stop): not an error
};

}  // namespace link

struct Link::Impl {
  // A sul embedded first in a standard-layout struct, so its callback gets back to the Impl without
  // lws_container_of on a non-standard-layout class.
  struct Timer {
    lws_sorted_usec_list_t sul;
    Impl* impl;
  };
  struct Inbox {
    using Item = absl::AnyInvocable<void(Impl&) &&>;
    absl::Mutex mu;
    lws_context* context ABSL_GUARDED_BY(mu) = nullptr;  // nullptr: closed, posts are dropped
    std::vector<Item> items ABSL_GUARDED_BY(mu);
    // Whether a post must wake the service thread (lws_cancel_service: a pipe write, a poll wake-up and a
    // pipe read, about a microsecond of CPU on each side). Armed only when the service thread found the inbox
    // empty and may block in poll next; disarmed by the wake-up a post sends, and by the service thread itself
    // whenever it handles socket events, because it drains the inbox after every lws_service before it can
    // block again (ServiceLoop). Calls completing while the link thread is busy thus need no wake-up.
    std::atomic<bool> armed{true};

    // Any thread. False when the link is gone.
    bool Post(Item item);
    // Service thread, before it may block: moves everything queued into `out` (which must be empty), or,
    // when there is nothing, arms the wake-up instead and returns false.
    bool TakeAllOrArm(std::vector<Item>* out);
    // Service thread, while it handles events or a wake-up (it drains the inbox before it blocks again).
    void Disarm() {
      if (armed.load(std::memory_order_relaxed)) armed.store(false, std::memory_order_relaxed);
    }
  };

  // What the executor callbacks of one tool.invoke share. It is allocated on the link thread, and normally
  // freed there too (the callback a worker destroys only drops a reference): glibc then recycles it in the
  // link thread's cache instead of a worker taking the link thread's arena lock to free it (CallOutcome::
  // call_state explains the same for the executor's state). Each callback captures one shared_ptr to it,
  // which fits in AnyInvocable's inline storage, so the callbacks and the posted completion allocate nothing.
  struct InvokeChannel {
    std::shared_ptr<Inbox> box;
    uint64_t serial = 0;
    std::string call_id;
    std::string request_id;  // the invoke's raw id token
    std::string tool;
    int64_t retry_after_ms = 0;
    // Written by the worker before it posts the completion; read by the link thread after.
    CallOutcome outcome;
    std::string response;     // a recycled buffer (see spare_buffers); the encoded answer once `encoded`
    bool encoded = false;     // false: an overload, encoded by the link thread with the counts at answer time
    bool too_large = false;   // the result was replaced by result_too_large
  };

  Impl(LinkOptions options, std::shared_ptr<ToolCatalog> catalog, Executor* executor);

  // ---- link.cc
  void ServiceLoop();
  // Service thread, after each lws_service: runs everything posted (with a wake-up or without), until the
  // inbox is empty and armed.
  void DrainInbox();
  void SetState(LinkState state);
  template <typename F>
  void UpdateStatus(F&& update) {
    absl::MutexLock lock(&status_mu);
    update(status);
  }
  void OnStopCommand();
  void MarkClosed();

  // ---- lws_client.cc
  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  void StartAttempt();
  // Picks the wait for `kind`, arms the retry timer and returns the wait.
  int64_t ScheduleRetry(link::RetryKind kind, int64_t hint_ms);
  void FailAttempt(std::string error);
  link::Session* SessionFor(lws* wsi);
  void EndSession();
  void Send(std::string message, bool urgent = false);
  // Drops the first queued message once written, keeping its buffer for reuse when there is room
  // (see spare_buffers).
  void PopWritten(link::Session& s);
  std::string TakeSpareBuffer();
  void RequestClose(int code, std::string reason, absl::Duration kill_after);
  void KillSession();
  void ArmTimer(Timer& timer, absl::Duration delay, sul_cb_t cb);
  void DisarmTimers();
  // Writes a run of small queued messages as one batch: how many it sent (0: none, SIZE_MAX: failed).
  size_t WriteBatch();
  int OnWritable();
  int OnReceive(const char* data, size_t len);
  void OnPeerClose(const unsigned char* data, size_t len);
  void OnConnectionError(lws* wsi, std::string_view text);
  void FailAuth(std::string_view reason);

  // ---- session.cc
  void OnEstablished();
  void OnMessage(std::string& text);
  void OnResponse(const protocol::Envelope& envelope);
  void OnHelloResponse(const protocol::Envelope& envelope);
  void OnRegisterResponse(const protocol::Envelope& envelope, uint64_t generation);
  void OnHeartbeatResponse(const protocol::Envelope& envelope);
  void OnRequest(const protocol::Envelope& envelope);
  void OnNotification(const protocol::Envelope& envelope);
  std::string NextRequestId(link::PendingRequest pending);
  void SendRegister();
  void SendDraining();
  void OnHeartbeatTimer();
  void OnStableTimer();
  void DoReregister();
  void DoBeginDrain(absl::Duration grace);
  protocol::ConnectorStatus CurrentConnectorStatus() const;

  // ---- invoke.cc
  void OnInvoke(const protocol::Envelope& envelope);
  void OnCancel(const protocol::Envelope& envelope);
  void OnCallProgress(uint64_t serial, const std::string& call_id, const Progress& progress);
  void OnCallComplete(InvokeChannel& channel);
  void OnProgressTimer();
  void ScheduleProgressFlush();
  void CancelSessionCalls();

  // ---- webhook_relay.cc
  void DoSendWebhookRelay(std::string params_json, WebhookRelayDone done);
  void OnWebhookRelayResponse(const protocol::Envelope& envelope);
  void OnWebhooksConfig(const protocol::Envelope& envelope);
  // Fails every webhook.relay still waiting on this session (rpc_code 0), e.g. when it ends.
  void FailWebhookRelays(std::string_view why);

  // ---- configuration (immutable after Start)
  const LinkOptions options;
  const std::shared_ptr<ToolCatalog> catalog;
  Executor* const executor;
  Logger& logger;
  std::string instance_id, hostname, platform;
  link::HeaderIdentity identity;

  // ---- cross-thread
  std::shared_ptr<Inbox> inbox = std::make_shared<Inbox>();
  std::atomic<bool> quit{false};
  std::thread thread;
  lws_context* context = nullptr;
  bool started = false;  // caller's thread only (Start/Stop)
  bool stopped = false;

  mutable absl::Mutex status_mu;
  LinkStatus status ABSL_GUARDED_BY(status_mu);  // but for in_flight:
  // Written by the link thread at every invoke and answer, so kept out of status_mu (Status() reads it).
  std::atomic<int64_t> in_flight{0};
  bool closed ABSL_GUARDED_BY(status_mu) = false;  // no session and never another: Stop may proceed

  // ---- loop-only
  std::vector<Inbox::Item> inbox_batch;  // reused by DrainInbox
  // Buffers of messages already written, handed to the next invokes for their answers: a worker encodes
  // into one and the link thread writes it and takes it back, so answers need no allocation in steady
  // state (and no memory flows one way between threads). Bounded in count and size (lws_client.cc).
  std::vector<std::string> spare_buffers;
  link::Backoff backoff;
  std::unique_ptr<link::Session> session;
  uint64_t next_serial = 1;
  int64_t sessions_established = 0;
  bool stopping = false;
  bool draining = false;
  int64_t drain_grace_ms = 0;
  LinkState state = LinkState::kIdle;
  std::string last_logged_error;  // the credentials error is logged once per step, not per identical retry
  absl::Time last_duplicate_warning = absl::InfinitePast();
  Timer retry_timer{}, connect_timer{}, heartbeat_timer{}, progress_timer{}, stable_timer{}, kill_timer{};
};

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_LINK_LINK_IMPL_H_
