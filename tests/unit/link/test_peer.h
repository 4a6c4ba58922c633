// test_peer.h: a TEST PEER standing in for the platform in the link's unit tests.
//
// It is a small libwebsockets server (own context and thread, 127.0.0.1, port 0) that speaks Tool RPC v1
// through the shared codec: it accepts or rejects the upgrade (401 + X-Edge-Auth-Error), answers hello,
// register and heartbeats (each switchable), and lets a test send tool.invoke / tool.cancel / heartbeat /
// raw text, close with a given code, and inspect everything it received. It is not the reference platform
// (tools/edge-platform); end-to-end tests against that live elsewhere.
#ifndef EDGE_TESTS_UNIT_LINK_TEST_PEER_H_
#define EDGE_TESTS_UNIT_LINK_TEST_PEER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "edge/protocol/messages.h"

namespace edge::runtime::testing {

struct TestPeerOptions {
  std::string org_id = "org_test";
  std::string deployment_id = "dep_test";
  int64_t heartbeat_interval_ms = 100;  // announced in the hello result
  int64_t heartbeat_timeout_ms = 500;
  bool serve_v1 = true;  // false: only the bare fallback, so connections are closed 4003
};

struct PeerMessage {
  int conn = 0;  // connection index, from 0
  std::string text;
  bool decoded = false;
  protocol::Envelope envelope;
  absl::Time at;
};

struct PeerConnection {
  int index = 0;
  std::map<std::string, std::string> headers;  // lowercase names: authorization, user-agent, x-edge-...
  std::string protocol;
  absl::Time opened_at;
  bool open = true;
  std::optional<absl::Time> closed_at;
  int close_code_from_link = 0;  // from the link's close frame
  std::string close_reason_from_link;
};

class TestPeer {
 public:
  explicit TestPeer(TestPeerOptions options = {});
  ~TestPeer();
  TestPeer(const TestPeer&) = delete;
  TestPeer& operator=(const TestPeer&) = delete;

  absl::Status Start();
  void Stop();
  int port() const { return port_; }
  std::string url() const;

  // Script (any thread; applies to what happens next).
  void RejectUpgrades(std::string auth_error_reason);  // empty: accept
  void AnswerHello(bool on);
  void AnswerRegister(bool on);
  void RejectRegister(bool on);  // answer -32602 /tools/0/inputSchema
  void AnswerHeartbeats(bool on);
  // Every new connection is closed right after the handshake with this code and reason (0: none).
  void CloseNewConnections(int code, std::string reason);

  // Sends to the newest open connection (from the peer's thread).
  void SendText(std::string text);
  void SendInvoke(std::string id, std::string call_id, std::string tool, std::string arguments_json = "{}");
  void SendInvokeParams(std::string id, const protocol::InvokeParams& params);
  void SendCancel(std::string call_id);
  void SendPlatformHeartbeat(std::string id, uint64_t seq);
  void Close(int code, std::string reason);
  protocol::InvokeParams InvokeFor(std::string call_id, std::string tool, std::string arguments_json = "{}") const;

  // Inspection.
  std::vector<PeerMessage> Messages() const;
  std::vector<PeerConnection> Connections() const;
  int upgrade_attempts() const;
  // Polls `done` until it is true or `timeout` passes.
  static bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout);
  // The first message with `method` (request or notification) at or after message index `from`.
  std::optional<PeerMessage> WaitForMethod(std::string_view method, absl::Duration timeout, size_t from = 0) const;
  // The response (result or error) whose raw id token is `id`.
  std::optional<PeerMessage> WaitForResponse(std::string_view id, absl::Duration timeout) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace edge::runtime::testing

#endif  // EDGE_TESTS_UNIT_LINK_TEST_PEER_H_
