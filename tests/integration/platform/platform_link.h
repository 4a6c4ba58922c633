// platform_link.h: a real edge-platform with one org and an admin token, plus the hub's test connectors
// (tests/unit/platform/test_connector.h) linked to its RPC port through a client lws context that the test
// thread services. Shared by the bundle.updated push and webhook tests.
#ifndef EDGE_TESTS_INTEGRATION_PLATFORM_PLATFORM_LINK_H_
#define EDGE_TESTS_INTEGRATION_PLATFORM_PLATFORM_LINK_H_

#include <gtest/gtest.h>
#include <libwebsockets.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "platform_env.h"
#include "test_connector.h"

namespace edge::testing {

// A client-only lws context serviced by the test thread.
class ClientLoop {
 public:
  ClientLoop();
  ~ClientLoop();
  ClientLoop(const ClientLoop&) = delete;
  ClientLoop& operator=(const ClientLoop&) = delete;

  lws_context* context() const { return context_; }
  lws_vhost* vhost() const { return vhost_; }
  // Services the context until `done` holds (true) or timeout_ms passes (false).
  bool RunUntil(const std::function<bool()>& done, int64_t timeout_ms = 10000);

 private:
  struct Tick {
    lws_sorted_usec_list_t sul;  // first member: the callback casts back
    ClientLoop* loop;
  };
  static void OnTick(lws_sorted_usec_list_t* sul);

  lws_context* context_ = nullptr;
  lws_vhost* vhost_ = nullptr;
  Tick tick_{};
};

// Per test: a temp data dir with org "org_acme" and its token, `edge-platform serve` with ServerFlags(), and a
// ClientLoop for test connectors.
class PlatformLinkTest : public ::testing::Test {
 protected:
  // `serve` flags beyond the data dir.
  virtual std::vector<std::string> ServerFlags() const { return {"--log-level", "warn"}; }
  void SetUp() override;
  void TearDown() override;

  // An admin-token request to the REST API (`path` below api_).
  HttpResult Send(const std::string& method, const std::string& path, const std::string& body = "");
  // A test connector with deployment credentials, owned by the fixture; returns once its link is up or failed.
  platform::testing::TestConnector* Link(const std::string& id, const std::string& secret);

  std::string root_, dir_, token_, api_;
  int rpc_port_ = 0;
  std::unique_ptr<PlatformServer> server_;
  std::unique_ptr<ClientLoop> loop_ = std::make_unique<ClientLoop>();
  std::vector<std::unique_ptr<platform::testing::TestConnector>> connectors_;
};

}  // namespace edge::testing

#endif  // EDGE_TESTS_INTEGRATION_PLATFORM_PLATFORM_LINK_H_
