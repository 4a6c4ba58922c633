// test_connector.h: a test peer for the hub: an lws WebSocket client speaking Tool RPC through the codec, and
// the environment that runs the hub and its clients on one lws context driven by the test thread.
//
// Everything runs on the test thread: HubTestEnv::RunUntil services the context until a condition holds, so
// the hub's single-thread rule is kept without queues. InMemoryHubDirectory is a test double standing in for
// the SQLite store (which has its own tests).
#ifndef EDGE_TESTS_UNIT_PLATFORM_TEST_CONNECTOR_H_
#define EDGE_TESTS_UNIT_PLATFORM_TEST_CONNECTOR_H_

#include <libwebsockets.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edge/protocol/auth.h"
#include "edge/protocol/messages.h"
#include "rpc/hub.h"

namespace edge::platform::testing {

class InMemoryHubDirectory : public HubDirectory {
 public:
  struct Deployment {
    std::string org;
    std::string secret;
  };
  struct Tools {
    uint64_t generation = 0;
    std::vector<std::string> names;
  };
  void Add(const std::string& deployment, const std::string& org, const std::string& secret) {
    deployments[deployment] = {org, secret};
  }

  absl::StatusOr<std::string> DeploymentOrg(std::string_view deployment_id) override;
  bool CheckDeploymentSecret(std::string_view deployment_id, std::string_view secret) override;
  void RecordConnected(std::string_view deployment_id, std::string_view session_id,
                       std::string_view hello_params_json, int64_t at_ms) override;
  void RecordHeartbeat(std::string_view deployment_id, int64_t at_ms, std::string_view status_json) override;
  void RecordTools(std::string_view deployment_id, uint64_t generation,
                   const std::vector<protocol::RegisteredTool>& tools) override;
  void RecordDisconnected(std::string_view deployment_id, int64_t at_ms, std::string_view reason) override;

  std::map<std::string, Deployment> deployments;
  std::map<std::string, int> connected;     // deployment -> RecordConnected count
  std::map<std::string, int> heartbeats;    // deployment -> RecordHeartbeat count
  std::map<std::string, Tools> tools;
  std::map<std::string, std::vector<std::string>> disconnected;  // deployment -> reasons
};

struct ConnectorOptions {
  std::string authorization;      // the Authorization header value; empty: none
  std::string deployment_header;  // X-Edge-Deployment-Id; empty: none
  std::string subprotocols = "edge-tool-rpc.v1, edge-tool-rpc";
};

class TestConnector {
 public:
  TestConnector(lws_context* context, lws_vhost* vhost, int port, ConnectorOptions options);
  ~TestConnector();
  TestConnector(const TestConnector&) = delete;
  TestConnector& operator=(const TestConnector&) = delete;

  static const lws_protocols* Protocols();

  void Send(std::string text);
  void SendBinary(std::string data);
  // A request with a fresh id; returns the raw id token.
  std::string Request(std::string_view method, std::string_view params_json);
  std::optional<protocol::Envelope> Response(const std::string& id) const;
  // Received requests/notifications of one method, in order.
  std::vector<protocol::Envelope> Received(std::string_view method) const;

  bool established = false;
  bool failed = false;
  bool closed = false;
  std::string error;      // CLIENT_CONNECTION_ERROR text
  int close_code = 0;     // from the server's close frame
  std::string close_reason;
  bool answer_heartbeats = true;
  std::vector<std::string> raw;                   // every received message, whole
  std::vector<protocol::Envelope> messages;       // decoded requests and notifications
  std::map<std::string, protocol::Envelope> responses;  // by id token

 private:
  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  int OnCallback(lws* wsi, lws_callback_reasons reason, void* in, size_t len);
  void OnMessage(const std::string& text);

  ConnectorOptions options_;
  lws* wsi_ = nullptr;
  struct Out {
    std::string data;
    bool binary;
  };
  std::deque<Out> outq_;
  std::string rx_;
  bool in_message_ = false;
  int next_id_ = 1;
};

class HubTestEnv {
 public:
  explicit HubTestEnv(HubOptions options);
  ~HubTestEnv();

  Hub& hub() { return *hub_; }
  InMemoryHubDirectory& directory() { return directory_; }
  const protocol::SigningKey& signing_key() const { return *signing_; }
  int port() const { return port_; }
  lws_context* context() const { return context_; }

  // Services the context until `done` holds (true) or `timeout_ms` passes (false).
  bool RunUntil(const std::function<bool()>& done, int64_t timeout_ms = 5000);
  void RunFor(int64_t ms);

  std::unique_ptr<TestConnector> Connect(ConnectorOptions options);
  // Deployment credentials for a deployment the directory knows.
  ConnectorOptions Basic(const std::string& deployment) const;
  // Connects, says hello (heartbeat interval `hb_interval_ms`) and registers `tools`; null on failure.
  std::unique_ptr<TestConnector> ConnectServing(const std::string& deployment, const std::vector<std::string>& tools,
                                                int64_t hb_interval_ms = 100);
  // Hello params as a test connector announces them.
  static std::string HelloJson(int64_t hb_interval_ms, int64_t max_concurrent = 16, int64_t max_queued = 256);
  static std::string RegisterJson(uint64_t generation, const std::vector<std::string>& tools);

 private:
  struct Tick {
    lws_sorted_usec_list_t sul;
    HubTestEnv* env;
  };
  static void OnTick(lws_sorted_usec_list_t* sul);

  InMemoryHubDirectory directory_;
  std::optional<protocol::SigningKey> signing_;
  std::optional<protocol::VerifyingKey> verifying_;
  std::unique_ptr<Hub> hub_;
  lws_context* context_ = nullptr;
  lws_vhost* client_vhost_ = nullptr;
  int port_ = 0;
  Tick tick_{};
};

}  // namespace edge::platform::testing

#endif  // EDGE_TESTS_UNIT_PLATFORM_TEST_CONNECTOR_H_
