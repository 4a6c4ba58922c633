// hub_test_util.h: shared helpers of the hub tests: default test options, a log capture, a raw HTTP upgrade
// over a plain socket (to read the 401's headers, which the lws client does not expose), and outcome capture.
#ifndef EDGE_TESTS_UNIT_PLATFORM_HUB_TEST_UTIL_H_
#define EDGE_TESTS_UNIT_PLATFORM_HUB_TEST_UTIL_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edge/runtime/log.h"
#include "rpc/hub.h"
#include "test_connector.h"

namespace edge::platform::testing {

struct LogCapture {
  std::vector<std::string> lines;
  runtime::Logger logger{[this](runtime::LogLevel, std::string_view c, std::string_view m) {
                           lines.push_back(std::string(c) + ": " + std::string(m));
                         },
                         runtime::LogLevel::kDebug};
  bool Contains(std::string_view text) const;
};

// Small intervals so every test stays short; the effective heartbeat timeout is still >= 5.2 s (§4.1 floor).
HubOptions TestOptions(runtime::Logger* logger);

// Sends a WebSocket upgrade with `extra_headers` ("Name: value\r\n"...) and returns the whole answer
// (lower-cased), read until the server closes or `timeout_ms` passes.
std::string RawUpgrade(HubTestEnv& env, const std::string& extra_headers, int64_t timeout_ms = 5000);

// Collects InvokeOutcomes and counts the done calls.
struct Outcomes {
  std::vector<InvokeOutcome> list;
  absl::AnyInvocable<void(InvokeOutcome)> Done() {
    return [this](InvokeOutcome o) { list.push_back(std::move(o)); };
  }
};

}  // namespace edge::platform::testing

#endif  // EDGE_TESTS_UNIT_PLATFORM_HUB_TEST_UTIL_H_
