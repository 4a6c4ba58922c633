#include "test_connector.h"

#include <chrono>
#include <cstring>

#include "edge/protocol/json_writer.h"
#include "edge/runtime/log.h"

namespace edge::platform::testing {
namespace {

using runtime::ToStd;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

lws_protocols kClientProtocols[] = {
    {"test-connector", nullptr, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

// ---- InMemoryHubDirectory --------------------------------------------------------------------------------

absl::StatusOr<std::string> InMemoryHubDirectory::DeploymentOrg(std::string_view deployment_id) {
  auto it = deployments.find(std::string(deployment_id));
  if (it == deployments.end()) return absl::NotFoundError("no such deployment");
  return it->second.org;
}
bool InMemoryHubDirectory::CheckDeploymentSecret(std::string_view deployment_id, std::string_view secret) {
  auto it = deployments.find(std::string(deployment_id));
  return it != deployments.end() && it->second.secret == secret;
}
void InMemoryHubDirectory::RecordConnected(std::string_view deployment_id, std::string_view, std::string_view,
                                           int64_t) {
  ++connected[std::string(deployment_id)];
}
void InMemoryHubDirectory::RecordHeartbeat(std::string_view deployment_id, int64_t, std::string_view) {
  ++heartbeats[std::string(deployment_id)];
}
void InMemoryHubDirectory::RecordTools(std::string_view deployment_id, uint64_t generation,
                                       const std::vector<protocol::RegisteredTool>& list) {
  Tools& t = tools[std::string(deployment_id)];
  t.generation = generation;
  t.names.clear();
  for (const auto& tool : list) t.names.push_back(tool.name);
}
void InMemoryHubDirectory::RecordDisconnected(std::string_view deployment_id, int64_t, std::string_view reason) {
  disconnected[std::string(deployment_id)].emplace_back(reason);
}

// ---- TestConnector ---------------------------------------------------------------------------------------

const lws_protocols* TestConnector::Protocols() {
  kClientProtocols[0].callback = &TestConnector::Callback;
  return kClientProtocols;
}

TestConnector::TestConnector(lws_context* context, lws_vhost* vhost, int port, ConnectorOptions options)
    : options_(std::move(options)) {
  lws_client_connect_info ci{};
  ci.context = context;
  ci.vhost = vhost;
  ci.address = "127.0.0.1";
  ci.port = port;
  ci.path = "/";
  ci.host = "127.0.0.1";
  ci.origin = "127.0.0.1";
  ci.protocol = options_.subprotocols.c_str();
  ci.local_protocol_name = "test-connector";
  ci.opaque_user_data = this;
  ci.pwsi = &wsi_;
  if (lws_client_connect_via_info(&ci) == nullptr && !failed) {
    failed = true;
    if (error.empty()) error = "connect failed";
  }
}

TestConnector::~TestConnector() {
  // The context may outlive this object: its callbacks must not find it any more.
  if (wsi_ != nullptr) lws_set_opaque_user_data(wsi_, nullptr);
}

int TestConnector::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* self = static_cast<TestConnector*>(lws_get_opaque_user_data(wsi));
  if (self == nullptr) {
    if (reason == LWS_CALLBACK_CLIENT_WRITEABLE) return -1;  // an orphan: close it
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
  return self->OnCallback(wsi, reason, in, len);
}

int TestConnector::OnCallback(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len;
      auto add = [&](const char* name, const std::string& value) {
        if (value.empty()) return 0;
        return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                           reinterpret_cast<const unsigned char*>(value.data()),
                                           static_cast<int>(value.size()), p, end);
      };
      if (add("authorization:", options_.authorization) || add("x-edge-deployment-id:", options_.deployment_header) ||
          add("x-edge-connector-version:", "0.0.1-test") || add("x-edge-connector-type:", "SERVER")) {
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      established = true;
      if (!outq_.empty()) lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      failed = true;
      error = in != nullptr ? std::string(static_cast<const char*>(in), strnlen(static_cast<const char*>(in), len ? len : 256)) : "";
      wsi_ = nullptr;
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      if (!in_message_) {
        rx_.clear();
        in_message_ = true;
      }
      rx_.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        in_message_ = false;
        std::string text;
        text.swap(rx_);
        OnMessage(text);
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      while (!outq_.empty() && !lws_send_pipe_choked(wsi)) {
        Out& o = outq_.front();
        std::vector<unsigned char> buf(LWS_PRE + o.data.size());
        std::memcpy(buf.data() + LWS_PRE, o.data.data(), o.data.size());
        const int n = lws_write(wsi, buf.data() + LWS_PRE, o.data.size(), o.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        if (n < static_cast<int>(o.data.size())) return -1;
        outq_.pop_front();
      }
      if (!outq_.empty()) lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (len >= 2) {
        const auto* b = static_cast<const unsigned char*>(in);
        close_code = (b[0] << 8) | b[1];
        close_reason.assign(reinterpret_cast<const char*>(b + 2), len - 2);
      }
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      closed = true;
      wsi_ = nullptr;
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
  }
}

void TestConnector::OnMessage(const std::string& text) {
  raw.push_back(text);
  auto env = protocol::DecodeMessage(text);
  if (!env.ok()) return;
  if (env->kind == protocol::MessageKind::kResult || env->kind == protocol::MessageKind::kError) {
    responses[env->id] = *env;
    return;
  }
  if (env->kind == protocol::MessageKind::kRequest && env->method == protocol::method::kHeartbeat &&
      answer_heartbeats) {
    auto p = protocol::ParsePlatformHeartbeatParams(env->params);
    if (p.ok()) Send(protocol::EncodeResult(env->id, "{\"seq\":" + std::to_string(p->seq) + "}"));
  }
  messages.push_back(*std::move(env));
}

void TestConnector::Send(std::string text) {
  outq_.push_back({std::move(text), false});
  if (wsi_ != nullptr && established) lws_callback_on_writable(wsi_);
}

void TestConnector::SendBinary(std::string data) {
  outq_.push_back({std::move(data), true});
  if (wsi_ != nullptr && established) lws_callback_on_writable(wsi_);
}

std::string TestConnector::Request(std::string_view method, std::string_view params_json) {
  std::string id = std::to_string(next_id_++);
  Send(protocol::EncodeRequest(id, method, params_json));
  return id;
}

std::optional<protocol::Envelope> TestConnector::Response(const std::string& id) const {
  auto it = responses.find(id);
  if (it == responses.end()) return std::nullopt;
  return it->second;
}

std::vector<protocol::Envelope> TestConnector::Received(std::string_view method) const {
  std::vector<protocol::Envelope> out;
  for (const auto& m : messages) {
    if (m.method == method) out.push_back(m);
  }
  return out;
}

// ---- HubTestEnv ------------------------------------------------------------------------------------------

HubTestEnv::HubTestEnv(HubOptions options) {
  lws_set_log_level(LLL_ERR, nullptr);
  auto key = protocol::SigningKey::Generate();
  if (key.ok()) {
    signing_.emplace(std::move(*key));
    verifying_.emplace(protocol::VerifyingKey::Of(*signing_));
  }
  hub_ = std::make_unique<Hub>(std::move(options), &directory_, verifying_ ? &*verifying_ : nullptr);

  lws_context_creation_info info{};
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.port = CONTEXT_PORT_NO_LISTEN;
  context_ = lws_create_context(&info);
  if (context_ == nullptr) return;

  lws_context_creation_info server{};
  server.port = 0;  // the OS picks one
  server.iface = "127.0.0.1";
  server.vhost_name = "rpc";
  server.protocols = hub_->Protocols();
  lws_vhost* vh = lws_create_vhost(context_, &server);
  if (vh != nullptr) port_ = lws_get_vhost_listen_port(vh);

  lws_context_creation_info client{};
  client.port = CONTEXT_PORT_NO_LISTEN;
  client.vhost_name = "client";
  client.protocols = TestConnector::Protocols();
  client_vhost_ = lws_create_vhost(context_, &client);

  hub_->Attach(context_);
  tick_.env = this;
  lws_sul_schedule(context_, 0, &tick_.sul, &HubTestEnv::OnTick, 10 * LWS_US_PER_MS);
}

HubTestEnv::~HubTestEnv() {
  if (context_ != nullptr) {
    lws_sul_cancel(&tick_.sul);
    lws_context_destroy(context_);
  }
}

// Keeps lws_service returning often, so RunUntil sees its deadline.
void HubTestEnv::OnTick(lws_sorted_usec_list_t* sul) {
  auto* tick = reinterpret_cast<Tick*>(sul);
  lws_sul_schedule(tick->env->context_, 0, &tick->sul, &HubTestEnv::OnTick, 10 * LWS_US_PER_MS);
}

bool HubTestEnv::RunUntil(const std::function<bool()>& done, int64_t timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  while (!done()) {
    if (NowMs() > deadline || context_ == nullptr) return false;
    lws_service(context_, 0);
  }
  return true;
}

void HubTestEnv::RunFor(int64_t ms) {
  const int64_t until = NowMs() + ms;
  RunUntil([&] { return NowMs() >= until; }, ms + 1000);
}

std::unique_ptr<TestConnector> HubTestEnv::Connect(ConnectorOptions options) {
  return std::make_unique<TestConnector>(context_, client_vhost_, port_, std::move(options));
}

ConnectorOptions HubTestEnv::Basic(const std::string& deployment) const {
  ConnectorOptions o;
  auto it = directory_.deployments.find(deployment);
  o.authorization = protocol::BasicAuthorization(deployment, it != directory_.deployments.end() ? it->second.secret : "");
  return o;
}

std::string HubTestEnv::HelloJson(int64_t hb_interval_ms, int64_t max_concurrent, int64_t max_queued) {
  protocol::HelloParams p;
  p.version = "0.0.1-test";
  p.instance_id = "6f1c2a7e-3b7d-4c1e-9a55-0d2f3c4b5a69";
  p.hostname = "test-host";
  p.platform = "linux-x86_64";
  p.max_concurrent_calls = max_concurrent;
  p.max_queued_calls = max_queued;
  p.heartbeat.interval_ms = hb_interval_ms;
  p.heartbeat.timeout_ms = 10 * hb_interval_ms;
  return protocol::ToJson(p);
}

std::string HubTestEnv::RegisterJson(uint64_t generation, const std::vector<std::string>& tools) {
  std::string out;
  protocol::JsonWriter w(out);
  w.BeginObject().Key("generation").Uint(generation).Key("bundle").Null().Key("tools").BeginArray();
  for (const auto& name : tools) {
    w.BeginObject().Key("name").String(name).Key("description").String("a test tool")
        .Key("inputSchema").Raw(R"({"type":"object","properties":{}})")
        .Key("annotations").Raw("{}").Key("x-edge").Raw(R"({"concurrent":true})").EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

std::unique_ptr<TestConnector> HubTestEnv::ConnectServing(const std::string& deployment,
                                                          const std::vector<std::string>& tools,
                                                          int64_t hb_interval_ms) {
  auto c = Connect(Basic(deployment));
  if (!RunUntil([&] { return c->established || c->failed; }) || !c->established) return nullptr;
  const std::string hello = c->Request(protocol::method::kHello, HelloJson(hb_interval_ms));
  const std::string reg = c->Request(protocol::method::kRegister, RegisterJson(1, tools));
  if (!RunUntil([&] { return c->Response(reg).has_value() || c->closed; })) return nullptr;
  auto h = c->Response(hello);
  auto r = c->Response(reg);
  if (!h || h->kind != protocol::MessageKind::kResult || !r || r->kind != protocol::MessageKind::kResult) {
    return nullptr;
  }
  return c;
}

}  // namespace edge::platform::testing
