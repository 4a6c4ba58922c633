// The link tests' stand-in platform: an lws server on its own thread speaking the protocol via the codec.
#include "test_peer.h"

#include <libwebsockets.h>

#include <cstring>
#include <deque>
#include <thread>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "edge/protocol/protocol.h"

namespace edge::runtime::testing {

struct PeerConn {  // per-connection state owned by the peer thread
  int index = 0;
  lws* wsi = nullptr;
  std::deque<std::string> outq;
  std::string rx;
  std::string tx;
  bool close_requested = false;
  int close_code = 0;
  std::string close_reason;
};

struct TestPeer::Impl {
  TestPeerOptions options;
  lws_context* context = nullptr;
  std::thread thread;
  std::atomic<bool> quit{false};

  mutable absl::Mutex mu;
  std::deque<absl::AnyInvocable<void() &&>> inbox ABSL_GUARDED_BY(mu);
  std::vector<PeerMessage> messages ABSL_GUARDED_BY(mu);
  std::vector<PeerConnection> connections ABSL_GUARDED_BY(mu);
  int upgrade_attempts ABSL_GUARDED_BY(mu) = 0;
  std::string reject_reason ABSL_GUARDED_BY(mu);
  bool answer_hello ABSL_GUARDED_BY(mu) = true;
  bool answer_register ABSL_GUARDED_BY(mu) = true;
  bool reject_register ABSL_GUARDED_BY(mu) = false;
  bool answer_heartbeats ABSL_GUARDED_BY(mu) = true;
  int close_new_code ABSL_GUARDED_BY(mu) = 0;
  std::string close_new_reason ABSL_GUARDED_BY(mu);

  // Peer thread only.
  std::vector<std::unique_ptr<PeerConn>> conns;
  int next_index = 0;
  std::map<std::string, std::string> pending_headers;  // from the filter callback to ESTABLISHED
  int64_t next_session = 1;

  void Post(absl::AnyInvocable<void() &&> fn) {
    absl::MutexLock lock(&mu);
    inbox.push_back(std::move(fn));
    if (context != nullptr) lws_cancel_service(context);
  }
  PeerConn* Newest() {
    for (auto it = conns.rbegin(); it != conns.rend(); ++it) {
      if ((*it)->wsi != nullptr && !(*it)->close_requested) return it->get();
    }
    return nullptr;
  }
  void Queue(PeerConn* c, std::string text) {
    if (c == nullptr || c->wsi == nullptr) return;
    c->outq.push_back(std::move(text));
    lws_callback_on_writable(c->wsi);
  }
  void RequestClose(PeerConn* c, int code, std::string reason) {
    if (c == nullptr || c->wsi == nullptr) return;
    c->close_requested = true;
    c->close_code = code;
    c->close_reason = std::move(reason);
    lws_callback_on_writable(c->wsi);
  }
  void OnMessage(PeerConn* c, std::string text);
  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
};

namespace {

std::string CustomHeader(lws* wsi, const char* name) {
  char buf[1024] = {};
  int n = lws_hdr_custom_copy(wsi, buf, sizeof(buf), name, static_cast<int>(std::strlen(name)));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string TokenHeader(lws* wsi, lws_token_indexes token) {
  char buf[1024] = {};
  int n = lws_hdr_copy(wsi, buf, sizeof(buf), token);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// A 401 with X-Edge-Auth-Error and the JSON body (docs/protocol.md §2.2).
void Write401(lws* wsi, const std::string& reason) {
  std::string body = absl::StrCat(R"({"error":"unauthorized","reason":")", reason, R"("})");
  unsigned char buf[LWS_PRE + 2048];
  unsigned char* start = buf + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf + sizeof(buf) - 1 - body.size();
  if (lws_add_http_header_status(wsi, HTTP_STATUS_UNAUTHORIZED, &p, end) ||
      lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("x-edge-auth-error:"),
                                  reinterpret_cast<const unsigned char*>(reason.data()),
                                  static_cast<int>(reason.size()), &p, end) ||
      lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                   reinterpret_cast<const unsigned char*>("application/json"), 16, &p, end) ||
      lws_add_http_header_content_length(wsi, body.size(), &p, end) || lws_finalize_http_header(wsi, &p, end)) {
    return;
  }
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  lws_write(wsi, start, static_cast<size_t>(p - start), LWS_WRITE_HTTP_HEADERS);
}

const lws_protocols kPeerProtocols[] = {
    {"http", lws_callback_http_dummy, 0, 0, 0, nullptr, 0},
    {"edge-tool-rpc.v1", &TestPeer::Impl::Callback, sizeof(PeerConn*), 0, 0, nullptr, 0},
    {"edge-tool-rpc", &TestPeer::Impl::Callback, sizeof(PeerConn*), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};
const lws_protocols kPeerProtocolsFallbackOnly[] = {
    {"http", lws_callback_http_dummy, 0, 0, 0, nullptr, 0},
    {"edge-tool-rpc", &TestPeer::Impl::Callback, sizeof(PeerConn*), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

void TestPeer::Impl::OnMessage(PeerConn* c, std::string text) {
  PeerMessage m;
  m.conn = c->index;
  m.at = absl::Now();
  absl::StatusOr<protocol::Envelope> env = protocol::DecodeMessage(text);
  m.text = std::move(text);
  if (env.ok()) {
    m.decoded = true;
    m.envelope = *env;
  }
  bool hello, reg, reject_reg, heartbeats;
  {
    absl::MutexLock lock(&mu);
    messages.push_back(m);
    hello = answer_hello;
    reg = answer_register;
    reject_reg = reject_register;
    heartbeats = answer_heartbeats;
  }
  if (!env.ok() || env->kind != protocol::MessageKind::kRequest) return;
  if (env->method == protocol::method::kHello && hello) {
    protocol::HelloResult r;
    r.session_id = absl::StrCat("s_", next_session++);
    r.org_id = options.org_id;
    r.deployment_id = options.deployment_id;
    r.server_time_ms = absl::ToUnixMillis(absl::Now());
    r.heartbeat.interval_ms = options.heartbeat_interval_ms;
    r.heartbeat.timeout_ms = options.heartbeat_timeout_ms;
    r.platform_name = "test-peer";
    r.platform_version = "0.0.0";
    Queue(c, protocol::EncodeResult(env->id, protocol::ToJson(r)));
  } else if (env->method == protocol::method::kRegister && reg) {
    absl::StatusOr<protocol::RegisterParams> p = protocol::ParseRegisterParams(env->params);
    if (reject_reg || !p.ok()) {
      protocol::RpcError e;
      e.code = protocol::kInvalidParams;
      e.message = p.ok() ? "inputSchema must be an object schema" : std::string(p.status().message());
      e.data_json = R"({"param":"/tools/0/inputSchema"})";
      Queue(c, protocol::EncodeError(env->id, e));
      return;
    }
    protocol::RegisterResult r;
    r.generation = p->generation;
    r.tool_count = static_cast<int64_t>(p->tools.size());
    Queue(c, protocol::EncodeResult(env->id, protocol::ToJson(r)));
  } else if (env->method == protocol::method::kHeartbeat && heartbeats) {
    absl::StatusOr<protocol::HeartbeatParams> p = protocol::ParseHeartbeatParams(env->params);
    protocol::HeartbeatResult r;
    r.seq = p.ok() ? p->seq : 0;
    r.server_time_ms = absl::ToUnixMillis(absl::Now());
    Queue(c, protocol::EncodeResult(env->id, protocol::ToJson(r)));
  }
}

int TestPeer::Impl::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* impl = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
  auto** slot = static_cast<PeerConn**>(user);
  PeerConn* c = slot != nullptr ? *slot : nullptr;
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
      std::deque<absl::AnyInvocable<void() &&>> batch;
      {
        absl::MutexLock lock(&impl->mu);
        batch.swap(impl->inbox);
      }
      for (auto& fn : batch) std::move(fn)();
      return 0;
    }
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
      std::map<std::string, std::string> headers;
      headers["authorization"] = TokenHeader(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
      headers["user-agent"] = TokenHeader(wsi, WSI_TOKEN_HTTP_USER_AGENT);
      headers["sec-websocket-protocol"] = TokenHeader(wsi, WSI_TOKEN_PROTOCOL);
      for (const char* name : {"x-edge-deployment-id:", "x-edge-connector-version:", "x-edge-connector-type:"}) {
        std::string key(name);
        key.pop_back();
        headers[key] = CustomHeader(wsi, name);
      }
      std::string reject;
      {
        absl::MutexLock lock(&impl->mu);
        ++impl->upgrade_attempts;
        reject = impl->reject_reason;
      }
      impl->pending_headers = std::move(headers);
      if (!reject.empty()) {
        Write401(wsi, reject);
        return 1;
      }
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
      auto conn = std::make_unique<PeerConn>();
      conn->index = impl->next_index++;
      conn->wsi = wsi;
      *slot = conn.get();
      PeerConnection info;
      info.index = conn->index;
      info.headers = std::move(impl->pending_headers);
      info.protocol = lws_get_protocol(wsi)->name;
      info.opened_at = absl::Now();
      int close_code = 0;
      std::string close_reason;
      {
        absl::MutexLock lock(&impl->mu);
        impl->connections.push_back(info);
        close_code = impl->close_new_code;
        close_reason = impl->close_new_reason;
      }
      PeerConn* raw = conn.get();
      impl->conns.push_back(std::move(conn));
      if (info.protocol == protocol::kSubprotocolFallback) {
        impl->RequestClose(raw, protocol::kCloseUnsupportedVersion,
                           protocol::FormatCloseReason(protocol::kCloseUnsupportedVersion,
                                                       {{"supported", "edge-tool-rpc.v1"}}));
      } else if (close_code != 0) {
        impl->RequestClose(raw, close_code, close_reason);
      }
      return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
      if (c == nullptr) return 0;
      if (lws_is_first_fragment(wsi)) c->rx.clear();
      c->rx.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        std::string text;
        text.swap(c->rx);
        impl->OnMessage(c, std::move(text));
      }
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      if (c == nullptr) return 0;
      while (!c->outq.empty() && !lws_send_pipe_choked(wsi)) {
        const std::string& m = c->outq.front();
        c->tx.assign(LWS_PRE, '\0');
        c->tx.append(m);
        if (lws_write(wsi, reinterpret_cast<unsigned char*>(c->tx.data()) + LWS_PRE, m.size(), LWS_WRITE_TEXT) <
            static_cast<int>(m.size())) {
          return -1;
        }
        c->outq.pop_front();
      }
      if (!c->outq.empty() || (c->close_requested && lws_send_pipe_choked(wsi))) {
        lws_callback_on_writable(wsi);
        return 0;
      }
      if (c->close_requested) {
        lws_close_reason(wsi, static_cast<lws_close_status>(c->close_code),
                         reinterpret_cast<unsigned char*>(c->close_reason.data()), c->close_reason.size());
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      if (c == nullptr) return 0;
      const auto* b = static_cast<const unsigned char*>(in);
      int code = len >= 2 ? (b[0] << 8) | b[1] : 1005;
      std::string text = len > 2 ? std::string(reinterpret_cast<const char*>(b) + 2, len - 2) : "";
      absl::MutexLock lock(&impl->mu);
      impl->connections[static_cast<size_t>(c->index)].close_code_from_link = code;
      impl->connections[static_cast<size_t>(c->index)].close_reason_from_link = text;
      return 0;
    }
    case LWS_CALLBACK_CLOSED: {
      if (c == nullptr) return 0;
      c->wsi = nullptr;
      absl::MutexLock lock(&impl->mu);
      impl->connections[static_cast<size_t>(c->index)].open = false;
      impl->connections[static_cast<size_t>(c->index)].closed_at = absl::Now();
      return 0;
    }
    default:
      return 0;
  }
}

TestPeer::TestPeer(TestPeerOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = options; }

TestPeer::~TestPeer() { Stop(); }

absl::Status TestPeer::Start() {
  lws_context_creation_info info{};
  info.port = 0;  // any free port; read back below
  info.iface = "127.0.0.1";
  info.protocols = impl_->options.serve_v1 ? kPeerProtocols : kPeerProtocolsFallbackOnly;
  info.gid = -1;
  info.uid = -1;
  info.user = impl_.get();
  info.fd_limit_per_thread = 64;
  lws_context* ctx = lws_create_context(&info);
  if (ctx == nullptr) return absl::InternalError("test peer: lws_create_context failed");
  port_ = lws_get_vhost_listen_port(lws_get_vhost_by_name(ctx, "default"));
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->context = ctx;
  }
  impl_->thread = std::thread([impl = impl_.get()] {
    while (!impl->quit.load()) lws_service(impl->context, 0);
  });
  return port_ > 0 ? absl::OkStatus() : absl::InternalError("test peer: no listen port");
}

void TestPeer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->quit.store(true);
  {
    absl::MutexLock lock(&impl_->mu);
    lws_cancel_service(impl_->context);
  }
  impl_->thread.join();
  lws_context* ctx;
  {
    absl::MutexLock lock(&impl_->mu);
    ctx = impl_->context;
    impl_->context = nullptr;
    impl_->inbox.clear();
  }
  lws_context_destroy(ctx);
  impl_->conns.clear();
}

std::string TestPeer::url() const { return absl::StrCat("ws://127.0.0.1:", port_, "/"); }

void TestPeer::RejectUpgrades(std::string reason) {
  absl::MutexLock lock(&impl_->mu);
  impl_->reject_reason = std::move(reason);
}
void TestPeer::AnswerHello(bool on) {
  absl::MutexLock lock(&impl_->mu);
  impl_->answer_hello = on;
}
void TestPeer::AnswerRegister(bool on) {
  absl::MutexLock lock(&impl_->mu);
  impl_->answer_register = on;
}
void TestPeer::RejectRegister(bool on) {
  absl::MutexLock lock(&impl_->mu);
  impl_->reject_register = on;
}
void TestPeer::AnswerHeartbeats(bool on) {
  absl::MutexLock lock(&impl_->mu);
  impl_->answer_heartbeats = on;
}
void TestPeer::CloseNewConnections(int code, std::string reason) {
  absl::MutexLock lock(&impl_->mu);
  impl_->close_new_code = code;
  impl_->close_new_reason = std::move(reason);
}

void TestPeer::SendText(std::string text) {
  impl_->Post([impl = impl_.get(), text = std::move(text)]() mutable { impl->Queue(impl->Newest(), std::move(text)); });
}

protocol::InvokeParams TestPeer::InvokeFor(std::string call_id, std::string tool, std::string arguments_json) const {
  protocol::InvokeParams p;
  p.call_id = std::move(call_id);
  p.tool = std::move(tool);
  p.arguments_json = std::move(arguments_json);
  p.user_id = "u_test";
  p.org_id = impl_->options.org_id;
  p.deployment_id = impl_->options.deployment_id;
  return p;
}

void TestPeer::SendInvokeParams(std::string id, const protocol::InvokeParams& params) {
  SendText(protocol::EncodeRequest(protocol::StringId(id), protocol::method::kInvoke, protocol::ToJson(params)));
}

void TestPeer::SendInvoke(std::string id, std::string call_id, std::string tool, std::string arguments_json) {
  SendInvokeParams(std::move(id), InvokeFor(std::move(call_id), std::move(tool), std::move(arguments_json)));
}

void TestPeer::SendCancel(std::string call_id) {
  protocol::CancelParams p;
  p.call_id = std::move(call_id);
  SendText(protocol::EncodeNotification(protocol::method::kCancel, protocol::ToJson(p)));
}

void TestPeer::SendPlatformHeartbeat(std::string id, uint64_t seq) {
  protocol::PlatformHeartbeatParams p;
  p.seq = seq;
  p.server_time_ms = absl::ToUnixMillis(absl::Now());
  SendText(protocol::EncodeRequest(protocol::StringId(id), protocol::method::kHeartbeat, protocol::ToJson(p)));
}

void TestPeer::Close(int code, std::string reason) {
  impl_->Post([impl = impl_.get(), code, reason = std::move(reason)]() mutable {
    impl->RequestClose(impl->Newest(), code, std::move(reason));
  });
}

std::vector<PeerMessage> TestPeer::Messages() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->messages;
}

std::vector<PeerConnection> TestPeer::Connections() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->connections;
}

int TestPeer::upgrade_attempts() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->upgrade_attempts;
}

bool TestPeer::WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

std::optional<PeerMessage> TestPeer::WaitForMethod(std::string_view method, absl::Duration timeout,
                                                   size_t from) const {
  std::optional<PeerMessage> found;
  WaitUntil(
      [&] {
        std::vector<PeerMessage> all = Messages();
        for (size_t i = from; i < all.size(); ++i) {
          if (all[i].decoded && all[i].envelope.method == method) {
            found = all[i];
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

std::optional<PeerMessage> TestPeer::WaitForResponse(std::string_view id, absl::Duration timeout) const {
  std::optional<PeerMessage> found;
  WaitUntil(
      [&] {
        for (const PeerMessage& m : Messages()) {
          if (m.decoded && m.envelope.id == id &&
              (m.envelope.kind == protocol::MessageKind::kResult || m.envelope.kind == protocol::MessageKind::kError)) {
            found = m;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

}  // namespace edge::runtime::testing
