// example_setup.h: what each example plugin needs before `--check` can pass on it.
//
// Some examples refuse to load without configuration, or their examples reach something outside the plugin:
// sqlite_query needs a database file, http_request an allowed host that answers. ExampleSetup provides both
// (a temporary SQLite file, a loopback HTTP server) and returns the --config JSON to use.
#ifndef EDGE_TESTS_INTEGRATION_EXAMPLE_SETUP_H_
#define EDGE_TESTS_INTEGRATION_EXAMPLE_SETUP_H_

#include <atomic>
#include <string>
#include <thread>

namespace edge::testing {

// Answers every request on 127.0.0.1 with 200 and a small JSON body, one request per connection.
class LoopbackHttpServer {
 public:
  LoopbackHttpServer();
  ~LoopbackHttpServer();
  int port() const { return port_; }

 private:
  void Loop();
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class ExampleSetup {
 public:
  ExampleSetup();
  ~ExampleSetup();
  // The --config JSON for example plugin `name`, or "" when it needs none. Fails the test on setup errors.
  std::string ConfigFor(const std::string& name);

 private:
  std::string dir_;
  std::unique_ptr<LoopbackHttpServer> http_;
};

}  // namespace edge::testing

#endif  // EDGE_TESTS_INTEGRATION_EXAMPLE_SETUP_H_
