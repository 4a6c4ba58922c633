// The benchmark driver (the platform's side) and the echo floor client.
#include "driver_server.h"

#include <libwebsockets.h>

#include <cstdio>
#include <cstring>

#include "absl/strings/numbers.h"
#include "edge/protocol/messages.h"

namespace edge::bench {
namespace {

using Clock = std::chrono::steady_clock;

int ServerCallback(lws* wsi, enum lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
  auto* self = static_cast<DriverServer*>(lws_context_user(lws_get_context(wsi)));
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      self->OnEstablished(wsi);
      break;
    case LWS_CALLBACK_RECEIVE:
      if (lws_is_first_fragment(wsi)) self->rx().clear();
      self->rx().append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) self->OnMessage(self->rx());
      break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      self->OnWriteable(wsi);
      break;
    case LWS_CALLBACK_CLOSED:
      self->OnClosed(wsi);
      break;
    default:
      break;
  }
  return 0;
}

const lws_protocols kServerProtocols[] = {
    {"edge-tool-rpc.v1", ServerCallback, 0, 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

DriverServer::DriverServer() {
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = 0;
  info.iface = "127.0.0.1";
  info.protocols = kServerProtocols;
  info.user = this;
  info.fd_limit_per_thread = 64;
  context_ = lws_create_context(&info);
  if (context_ != nullptr) port_ = lws_get_vhost_listen_port(lws_get_vhost_by_name(context_, "default"));
}

DriverServer::~DriverServer() {
  if (context_ != nullptr) lws_context_destroy(context_);
}

bool DriverServer::WaitPeer(std::chrono::milliseconds timeout, bool protocol_peer) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (peer_ != nullptr && (!protocol_peer || registered_)) return true;
    lws_service(context_, 0);
  }
  return false;
}

void DriverServer::OnEstablished(lws* wsi) { peer_ = wsi; }

void DriverServer::OnClosed(lws* wsi) {
  if (wsi == peer_) peer_ = nullptr;
}

void DriverServer::Send(std::string message) {
  out_.push_back(std::move(message));
  if (peer_ != nullptr) lws_callback_on_writable(peer_);
}

void DriverServer::OnWriteable(lws* wsi) {
  while (!out_.empty() && !lws_send_pipe_choked(wsi)) {
    const std::string& m = out_.front();
    tx_.resize(LWS_PRE + m.size());
    std::memcpy(tx_.data() + LWS_PRE, m.data(), m.size());
    lws_write(wsi, reinterpret_cast<unsigned char*>(tx_.data() + LWS_PRE), m.size(), LWS_WRITE_TEXT);
    out_.pop_front();
  }
  if (!out_.empty()) lws_callback_on_writable(wsi);
}

void DriverServer::OnMessage(const std::string& message) {
  auto envelope = protocol::DecodeMessage(message);
  if (!envelope.ok()) return;
  if (envelope->kind == protocol::MessageKind::kRequest) {
    if (envelope->method == protocol::method::kHello) {
      protocol::HelloResult hello;
      hello.session_id = "s_bench";
      hello.org_id = "org_bench";
      hello.deployment_id = "dep_bench";
      hello.platform_version = "bench";
      Send(protocol::EncodeResult(envelope->id, protocol::ToJson(hello)));
      return;
    }
    if (envelope->method == protocol::method::kRegister) {
      auto params = protocol::ParseRegisterParams(envelope->params);
      protocol::RegisterResult result;
      result.generation = params.ok() ? params->generation : 0;
      result.tool_count = params.ok() ? static_cast<int64_t>(params->tools.size()) : 0;
      Send(protocol::EncodeResult(envelope->id, protocol::ToJson(result)));
      registered_ = true;
      return;
    }
    if (envelope->method == protocol::method::kHeartbeat) {
      protocol::HeartbeatResult beat;
      Send(protocol::EncodeResult(envelope->id, protocol::ToJson(beat)));
      return;
    }
    if (envelope->method != protocol::method::kInvoke) return;
    // An echoed tool.invoke (the floor peer) counts as its own answer.
  } else if (envelope->kind == protocol::MessageKind::kError) {
    ++result_.errors;
  } else if (envelope->kind != protocol::MessageKind::kResult) {
    return;  // notifications (progress, draining)
  }
  int64_t id = 0;
  if (!absl::SimpleAtoi(absl::string_view(envelope->id.data(), envelope->id.size()), &id) || id < 0 ||
      id >= static_cast<int64_t>(sent_at_.size())) {
    return;  // the connector's own requests (heartbeats) use other ids
  }
  result_.latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent_at_[id]).count());
  ++answered_;
  SendNext();
}

void DriverServer::SendNext() {
  if (sent_ >= total_) return;
  const int id = sent_++;
  std::string m = "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id) +
                  ",\"method\":\"tool.invoke\",\"params\":{\"callId\":\"c" + std::to_string(id) + "\",\"tool\":\"" +
                  tool_ + "\",\"arguments\":" + arguments_ +
                  ",\"context\":{\"orgId\":\"org_bench\",\"deploymentId\":\"dep_bench\"}}}";
  sent_at_[id] = Clock::now();
  Send(std::move(m));
}

RoundResult DriverServer::Run(int total, int depth, const std::string& tool, const std::string& arguments_json) {
  tool_ = tool;
  arguments_ = arguments_json;
  total_ = total;
  sent_ = answered_ = 0;
  sent_at_.assign(static_cast<size_t>(total), Clock::time_point{});
  result_ = RoundResult{};
  result_.latencies_us.reserve(static_cast<size_t>(total));
  const auto start = Clock::now();
  for (int i = 0; i < depth && i < total; ++i) SendNext();
  const auto deadline = start + std::chrono::seconds(120);
  while (answered_ < total && peer_ != nullptr && Clock::now() < deadline) lws_service(context_, 0);
  result_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return std::move(result_);
}

// ---- the echo floor ------------------------------------------------------------------------------------

namespace {

struct EchoState {
  lws* wsi = nullptr;
  bool closed = false;
  std::string rx;
  std::deque<std::string> out;
  std::string tx;
};

int EchoCallback(lws* wsi, enum lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
  auto* state = static_cast<EchoState*>(lws_context_user(lws_get_context(wsi)));
  if (state == nullptr) return 0;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_RECEIVE:
      if (lws_is_first_fragment(wsi)) state->rx.clear();
      state->rx.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        state->out.push_back(state->rx);
        lws_callback_on_writable(wsi);
      }
      break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      while (!state->out.empty() && !lws_send_pipe_choked(wsi)) {
        const std::string& m = state->out.front();
        state->tx.resize(LWS_PRE + m.size());
        std::memcpy(state->tx.data() + LWS_PRE, m.data(), m.size());
        lws_write(wsi, reinterpret_cast<unsigned char*>(state->tx.data() + LWS_PRE), m.size(), LWS_WRITE_TEXT);
        state->out.pop_front();
      }
      if (!state->out.empty()) lws_callback_on_writable(wsi);
      break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
      state->closed = true;
      break;
    default:
      break;
  }
  return 0;
}

const lws_protocols kEchoProtocols[] = {
    {"edge-tool-rpc.v1", EchoCallback, 0, 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

int RunEchoClient(int port) {
  lws_set_log_level(LLL_ERR, nullptr);
  EchoState state;
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kEchoProtocols;
  info.user = &state;
  info.fd_limit_per_thread = 16;
  lws_context* context = lws_create_context(&info);
  if (context == nullptr) return 1;
  lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof(ci));
  ci.context = context;
  ci.address = "127.0.0.1";
  ci.port = port;
  ci.path = "/";
  ci.host = "127.0.0.1";
  ci.origin = "127.0.0.1";
  ci.protocol = "edge-tool-rpc.v1";
  ci.local_protocol_name = "edge-tool-rpc.v1";
  ci.pwsi = &state.wsi;
  lws_client_connect_via_info(&ci);
  while (!state.closed) lws_service(context, 0);
  lws_context_destroy(context);
  return 0;
}

}  // namespace edge::bench
