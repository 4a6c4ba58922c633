// rpc/lws_callbacks.cc: the lws protocol callback of both hub subprotocols, and the connection events.
#include <cstring>

#include "rpc/hub_core.h"

namespace edge::platform::rpc_internal {
namespace {

std::string PeerAddress(lws* wsi) {
  char buf[128] = {};
  const char* a = lws_get_peer_simple(wsi, buf, sizeof(buf));
  return a != nullptr ? std::string(a) : std::string("?");
}

}  // namespace

int HubCore::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  const lws_protocols* protocol = lws_get_protocol(wsi);
  auto* core = protocol != nullptr ? static_cast<HubCore*>(protocol->user) : nullptr;
  if (core == nullptr) return lws_callback_http_dummy(wsi, reason, user, in, len);
  return core->OnCallback(wsi, reason, user, in, len);
}

int HubCore::OnCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* ps = static_cast<PerSession*>(user);
  switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      return OnFilter(wsi);
    case LWS_CALLBACK_ESTABLISHED:
      if (ps != nullptr) OnEstablished(wsi, ps);
      return 0;
    case LWS_CALLBACK_RECEIVE:
      if (ps == nullptr || ps->session == nullptr) return 0;
      return OnReceive(*ps->session, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (ps == nullptr || ps->session == nullptr) return 0;
      return ps->session->OnWriteable();
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (ps != nullptr && ps->session != nullptr && len >= 2) {
        const auto* b = static_cast<const unsigned char*>(in);
        ps->session->peer_close_code = (b[0] << 8) | b[1];
        ps->session->peer_close_reason.assign(reinterpret_cast<const char*>(b + 2), len - 2);
      }
      return 0;
    case LWS_CALLBACK_CLOSED:
      OnClosed(wsi, ps);
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      upgrades_.erase(wsi);  // an upgrade that passed the filter but never became a session
      return 0;
    case LWS_CALLBACK_PROTOCOL_DESTROY:
      // The context is going away: its sul list with it.
      if (context_ != nullptr) lws_sul_cancel(&sweep_.sul);
      context_ = nullptr;
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

int HubCore::OnFilter(lws* wsi) {
  const UpgradeHeaders headers = ReadUpgradeHeaders(wsi);
  AuthDecision d = AuthenticateUpgrade(headers, directory_, key_, WallNowMs());
  if (!d.ok) {
    log().Warn(kLogComponent, "rejected upgrade from ", PeerAddress(wsi), ": ",
               protocol::AuthFailureReason(d.failure), " (", d.detail, ")",
               headers.deployment_id.empty() ? "" : " deployment=", headers.deployment_id);
    RejectUpgrade(wsi, d);
    return 1;
  }
  d.identity.connector_version = headers.connector_version;
  d.identity.connector_type = headers.connector_type;
  upgrades_[wsi] = std::move(d.identity);
  return 0;
}

void HubCore::OnEstablished(lws* wsi, PerSession* ps) {
  const int64_t now = MonoNowMs();
  UpgradeIdentity identity;
  auto up = upgrades_.find(wsi);
  const bool authenticated = up != upgrades_.end();
  if (authenticated) {
    identity = std::move(up->second);
    upgrades_.erase(up);
  }
  auto owned = std::make_unique<Session>(wsi, std::move(identity), now, WallNowMs());
  Session& s = *owned;
  s.session_id = "s_" + NewId();
  s.effective_timeout_ms = options_.heartbeat_timeout_ms;
  sessions_.emplace(&s, std::move(owned));
  ps->session = &s;

  const lws_protocols* protocol = lws_get_protocol(wsi);
  if (protocol != nullptr && std::strcmp(protocol->name, "edge-tool-rpc") == 0) {
    s.fallback = true;
    s.state = SessionState::kEnded;
    log().Warn(kLogComponent, "refused deployment=", s.identity.deployment_id,
               ": the connector offers no supported protocol version (close 4003)");
    s.RequestClose(protocol::kCloseUnsupportedVersion,
                   protocol::FormatCloseReason(protocol::kCloseUnsupportedVersion,
                                               {{"supported", std::string(protocol::kSubprotocolV1)}}));
    return;
  }
  if (!authenticated || shut_down_) {
    s.state = SessionState::kEnded;
    if (shut_down_) {
      s.RequestClose(protocol::kCloseGoingAway, protocol::FormatCloseReason(protocol::kCloseGoingAway));
    } else {
      s.RequestClose(protocol::kCloseAuthFailed,
                     protocol::FormatCloseReason(protocol::kCloseAuthFailed, {{"reason", "credentials_missing"}}));
    }
    return;
  }

  // §2.3: one connection per deployment and identity (slot), decided right after the handshake.
  const std::string& dep = s.identity.deployment_id;
  const std::string slot = SlotKey(dep, s.identity.connector_id);
  auto existing = slots_.find(slot);
  if (existing != slots_.end()) {
    Session& old = *existing->second;
    const int64_t silent = now - old.last_seen_mono_ms;
    if (silent > options_.heartbeat_timeout_ms) {
      CloseSession(old, protocol::kCloseHeartbeatTimeout,
                   protocol::FormatCloseReason(protocol::kCloseHeartbeatTimeout),
                   "replaced by a new connection after " + std::to_string(silent) + " ms of silence");
    } else {
      const int64_t retry = options_.heartbeat_timeout_ms - silent;
      s.state = SessionState::kEnded;
      log().Warn(kLogComponent, "refused duplicate connection for deployment=", dep, " from ", PeerAddress(wsi),
                 ": session ", old.session_id, " is alive (close 4009, retryAfterMs=", retry, ")");
      s.RequestClose(protocol::kCloseAlreadyConnected,
                     protocol::FormatCloseReason(protocol::kCloseAlreadyConnected,
                                                 {{"retryAfterMs", std::to_string(retry)}}));
      return;
    }
  }
  s.active = true;
  slots_[slot] = &s;
  log().Info(kLogComponent, "connected deployment=", dep,
             s.identity.connector_id.empty() ? "" : " cloud-connector=", s.identity.connector_id,
             " org=", s.identity.org_id, " auth=", s.identity.auth,
             " version=", s.identity.connector_version, " type=", s.identity.connector_type, " from ",
             PeerAddress(wsi), " session=", s.session_id);
}

void HubCore::OnClosed(lws* wsi, PerSession* ps) {
  upgrades_.erase(wsi);
  if (ps == nullptr || ps->session == nullptr) return;  // refused at the filter: never a session
  Session* s = ps->session;
  ps->session = nullptr;
  if (s->state != SessionState::kEnded) {
    std::string why = s->peer_close_code != 0
                          ? "connector closed the connection (" + std::to_string(s->peer_close_code) + " " +
                                s->peer_close_reason + ")"
                          : std::string("connection lost (1006)");
    EndSession(*s, why);
  }
  sessions_.erase(s);
}

int HubCore::OnReceive(Session& s, void* in, size_t len) {
  if (s.state == SessionState::kEnded) return 0;  // closing: the rest of the input does not matter
  s.last_seen_mono_ms = MonoNowMs();
  s.last_seen_wall_ms = WallNowMs();
  lws* wsi = s.wsi();
  if (lws_frame_is_binary(wsi)) {
    std::string reason = protocol::FormatCloseReason(protocol::kCloseUnsupportedData);
    EndSession(s, "binary message (close 1003)");
    s.MarkClosedNow(protocol::kCloseUnsupportedData);
    lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, reinterpret_cast<unsigned char*>(reason.data()),
                     reason.size());
    return -1;
  }
  const bool final_chunk = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
  switch (s.Append(in, len, final_chunk)) {
    case Session::Rx::kPartial:
      return 0;
    case Session::Rx::kTooLarge: {
      // lws has no limit of its own (P5): stop at ours and close at once.
      std::string reason = protocol::FormatCloseReason(
          protocol::kCloseMessageTooLarge, {{"limit", std::to_string(protocol::kMaxMessageBytes)}});
      EndSession(s, "message larger than " + std::to_string(protocol::kMaxMessageBytes) + " bytes (close 1009)");
      s.MarkClosedNow(protocol::kCloseMessageTooLarge);
      lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, reinterpret_cast<unsigned char*>(reason.data()),
                       reason.size());
      return -1;
    }
    case Session::Rx::kComplete:
      OnMessage(s, s.message());
      return 0;
  }
  return 0;
}

}  // namespace edge::platform::rpc_internal
