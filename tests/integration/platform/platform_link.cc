// The platform + test connector fixture of platform_link.h.
#include "platform_link.h"

#include <chrono>
#include <utility>

#include "edge/protocol/auth.h"

namespace edge::testing {
namespace {

using platform::testing::ConnectorOptions;
using platform::testing::TestConnector;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ClientLoop::ClientLoop() {
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info{};
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.port = CONTEXT_PORT_NO_LISTEN;
  context_ = lws_create_context(&info);
  if (context_ == nullptr) return;
  lws_context_creation_info client{};
  client.port = CONTEXT_PORT_NO_LISTEN;
  client.vhost_name = "client";
  client.protocols = TestConnector::Protocols();
  vhost_ = lws_create_vhost(context_, &client);
  tick_.loop = this;
  lws_sul_schedule(context_, 0, &tick_.sul, &ClientLoop::OnTick, 10 * LWS_US_PER_MS);
}

ClientLoop::~ClientLoop() {
  if (context_ == nullptr) return;
  lws_sul_cancel(&tick_.sul);
  lws_context_destroy(context_);
}

bool ClientLoop::RunUntil(const std::function<bool()>& done, int64_t timeout_ms) {
  const int64_t deadline = SteadyMs() + timeout_ms;
  while (!done()) {
    if (SteadyMs() > deadline || context_ == nullptr) return false;
    lws_service(context_, 0);
  }
  return true;
}

// Keeps lws_service returning often, so RunUntil sees its deadline.
void ClientLoop::OnTick(lws_sorted_usec_list_t* sul) {
  auto* tick = reinterpret_cast<Tick*>(sul);
  lws_sul_schedule(tick->loop->context_, 0, &tick->sul, &ClientLoop::OnTick, 10 * LWS_US_PER_MS);
}

void PlatformLinkTest::SetUp() {
  root_ = MakeTempDir();
  dir_ = root_ + "/data";
  AdminOk(dir_, {"create-org", "--name", "Acme", "--id", "org_acme"});
  token_ = AdminOk(dir_, {"issue-token", "--org", "org_acme"});
  server_ = std::make_unique<PlatformServer>(dir_, ServerFlags());
  ASSERT_TRUE(server_->Start());
  api_ = server_->api_url();
  rpc_port_ = std::stoi(server_->rpc_url().substr(server_->rpc_url().rfind(':') + 1));
}

void PlatformLinkTest::TearDown() {
  connectors_.clear();
  loop_.reset();
  if (server_) {
    EXPECT_EQ(server_->Stop().exit_code, 0);
  }
  RemoveTree(root_);
}

HttpResult PlatformLinkTest::Send(const std::string& method, const std::string& path, const std::string& body) {
  return Http(method, api_ + path, body, Bearer(token_));
}

TestConnector* PlatformLinkTest::Link(const std::string& id, const std::string& secret) {
  ConnectorOptions options;
  options.authorization = protocol::BasicAuthorization(id, secret);
  auto c = std::make_unique<TestConnector>(loop_->context(), loop_->vhost(), rpc_port_, options);
  TestConnector* raw = c.get();
  connectors_.push_back(std::move(c));
  EXPECT_TRUE(loop_->RunUntil([&] { return raw->established || raw->failed; }) && raw->established) << raw->error;
  return raw;
}

}  // namespace edge::testing
