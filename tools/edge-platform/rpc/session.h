// rpc/session.h: one accepted WebSocket connection of the hub: its identity, protocol state, receive buffer
// and write queue.
//
// The session is plain bookkeeping; the hub core (hub_core.h) decides what to do with messages. Writes go
// through a queue flushed on LWS_CALLBACK_SERVER_WRITEABLE; a requested close is sent after the queue drains.
#ifndef EDGE_PLATFORM_RPC_SESSION_H_
#define EDGE_PLATFORM_RPC_SESSION_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "edge/protocol/messages.h"
#include "rpc/upgrade_auth.h"

struct lws;

namespace edge::platform::rpc_internal {

class Session;

// The per-session data lws allocates (raw zeroed memory): only a pointer to the C++ object.
struct PerSession {
  Session* session;
};

enum class SessionState {
  kAwaitHello,  // accepted, waiting for connector.hello
  kHello,       // hello answered, no successful tools.register yet
  kServing,     // routable
  kDraining,    // connector.draining received: no new calls
  kEnded,       // closed or being closed: no longer part of the hub
};
const char* SessionStateName(SessionState state);

// An outstanding platform -> connector tool.invoke on this session.
struct OutstandingRequest {
  std::string call_id;
};

class Session {
 public:
  Session(lws* wsi, UpgradeIdentity identity, int64_t now_mono_ms, int64_t now_wall_ms);

  lws* wsi() const { return wsi_; }

  // Queues one text message; dropped once a close was requested.
  void Send(std::string message);
  // Sends the close frame after what is queued. The first request wins.
  void RequestClose(uint16_t code, std::string reason);
  // For a close lws performs at once (returning -1 from RECEIVE): only stops further sends.
  void MarkClosedNow(uint16_t code) { if (!close_requested()) close_code_ = code; }
  bool close_requested() const { return close_code_ != 0; }
  uint16_t close_code() const { return close_code_; }
  // Flushes while lws can take data; -1 when the connection must now close.
  int OnWriteable();

  // Receive path: appends one lws chunk. Returns the whole message when complete.
  enum class Rx { kPartial, kComplete, kTooLarge };
  Rx Append(const void* data, size_t len, bool final_chunk);
  std::string& message() { return rx_; }

  // A new request id token (a JSON string, "p-<n>").
  std::string NextRequestId();

  UpgradeIdentity identity;
  std::string session_id;
  SessionState state = SessionState::kAwaitHello;
  bool fallback = false;   // the bare edge-tool-rpc subprotocol: closed with 4003 at once
  bool active = false;     // holds its deployment's slot in the hub
  bool hello_recorded = false;
  int64_t connected_mono_ms = 0;
  int64_t connected_wall_ms = 0;
  int64_t last_seen_mono_ms = 0;
  int64_t last_seen_wall_ms = 0;
  int64_t effective_timeout_ms = 0;
  int64_t next_heartbeat_mono_ms = 0;
  uint64_t heartbeat_seq = 0;
  std::optional<protocol::HelloParams> hello;
  uint64_t generation = 0;
  bool registered = false;
  std::vector<std::string> tool_names;
  std::set<std::string, std::less<>> tool_set;
  std::string last_status_json = "{}";
  std::optional<protocol::BundleRef> registered_bundle;  // from the last accepted tools.register
  std::optional<protocol::RelayInfo> relay_reported;  // webhooks: the last relay address passed to the directory
  std::unordered_map<std::string, OutstandingRequest> outstanding;  // tool.invoke requests, by raw id token
  std::deque<std::string> heartbeat_ids;  // the last few platform heartbeats (older answers are dropped)
  int64_t invokes_outstanding = 0;  // includes calls the platform gave up on but the connector still holds
  int peer_close_code = 0;
  std::string peer_close_reason;

 private:
  lws* wsi_;
  std::deque<std::string> outq_;
  std::vector<unsigned char> tx_;
  std::string rx_;
  bool in_message_ = false;
  bool rx_discard_ = false;
  uint16_t close_code_ = 0;
  std::string close_reason_;
  uint64_t next_id_ = 1;
};

}  // namespace edge::platform::rpc_internal

#endif  // EDGE_PLATFORM_RPC_SESSION_H_
