// commands/cloud_command.h: shared by the `edge-connector cloud` subcommands (cloud_command.cc: the commands;
// cloud_wait.cc: --wait). They drive a deployment's cloud connector through the platform's REST API
// (docs/cloud-connectors.md §6 and §7).
#ifndef EDGE_CLI_COMMANDS_CLOUD_COMMAND_H_
#define EDGE_CLI_COMMANDS_CLOUD_COMMAND_H_

#include <rapidjson/document.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "commands/platform_client.h"

namespace edge::cli {

struct CloudOptions {
  PlatformOptions platform;
  std::string deployment;
  bool json = false;
  bool wait = false;
  double timeout_s = 180;
};

// One answer of the API, whatever its status.
struct CloudAnswer {
  long status = 0;
  std::string body;        // as received (printed by --json, also for errors)
  rapidjson::Document doc;  // parsed; not an object when the body was not JSON
  bool ok() const { return status >= 200 && status < 300 && doc.IsObject(); }
};

// `path` is below /api/v1/deployments/{id}/cloud-connector ("" or "/start"). A transport failure is
// Unavailable naming the URL; any HTTP status is an answer.
absl::Status CloudRequest(const PlatformConnection& connection, const std::string& method,
                          const std::string& deployment, const std::string& path, absl::Duration timeout,
                          CloudAnswer* answer);

// Prints an error answer (--json: its body on stdout as well) and returns exit code 1.
int ReportCloudError(const char* command, const CloudOptions& options, const CloudAnswer& answer);

// --wait: polls until the connector is in `target` ("Running" or "Stopped"), starting from `first` (the answer
// of the request that began the operation) and ending by `deadline`. Prints progress on stderr and, at the
// end, the outcome (the connector's JSON with --json). Returns the exit code: 0 when it got there, 1 when it
// is stuck, failed, somewhere else, gone, or the deadline passed.
int WaitForCloudState(const char* command, const PlatformConnection& connection, const CloudOptions& options,
                      const std::string& target, CloudAnswer first, absl::Time deadline);

// "Cloud connector cc_7Hq2 of deployment dep_42 is Running (pid 4242)."
std::string CloudOutcomeLine(const rapidjson::Value& connector);

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_CLOUD_COMMAND_H_
