// driver_server.h: the benchmark driver: a libwebsockets server that plays the platform's side of the Tool
// RPC protocol just enough to measure a peer (hello, register and heartbeats are answered; tool.invoke is sent
// with a fixed number in flight and each answer is timed).
//
// The peer is either a real `edge-connector run` process or a bare lws echo client (the floor): the echo client
// sends every request straight back, so the same timing code measures both. Everything runs on the calling
// thread: Run() services the loop until the round is done.
#ifndef EDGE_BENCH_LINK_DRIVER_SERVER_H_
#define EDGE_BENCH_LINK_DRIVER_SERVER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

struct lws;
struct lws_context;

namespace edge::bench {

struct RoundResult {
  std::vector<double> latencies_us;  // one per answered request
  double seconds = 0;                // first send to last answer
  int64_t errors = 0;                // JSON-RPC errors received
};

class DriverServer {
 public:
  DriverServer();  // listens on 127.0.0.1, any free port
  ~DriverServer();
  int port() const { return port_; }

  // Services the loop until a peer is connected; for a protocol peer also until it has registered its tools.
  bool WaitPeer(std::chrono::milliseconds timeout, bool protocol_peer);
  // Sends `total` tool.invoke requests for `tool` with `arguments_json`, keeping `depth` in flight.
  RoundResult Run(int total, int depth, const std::string& tool, const std::string& arguments_json);

  // lws callback plumbing (public for the C callback).
  void OnEstablished(lws* wsi);
  void OnMessage(const std::string& message);
  void OnWriteable(lws* wsi);
  void OnClosed(lws* wsi);
  std::string& rx() { return rx_; }

 private:
  void Send(std::string message);
  void SendNext();

  lws_context* context_ = nullptr;
  lws* peer_ = nullptr;
  int port_ = 0;
  bool registered_ = false;
  std::string rx_;
  std::deque<std::string> out_;
  std::string tx_;
  // The current round.
  std::string tool_, arguments_;
  int total_ = 0, sent_ = 0, answered_ = 0;
  std::vector<std::chrono::steady_clock::time_point> sent_at_;
  RoundResult result_;
};

// The floor peer: connects to ws://127.0.0.1:<port>/ and echoes every text message verbatim until the server
// closes. Runs in the calling process (the benchmark forks a child for it).
int RunEchoClient(int port);

}  // namespace edge::bench

#endif  // EDGE_BENCH_LINK_DRIVER_SERVER_H_
