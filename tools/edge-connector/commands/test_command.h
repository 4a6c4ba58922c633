// commands/test_command.h: shared between the three modes of `edge-connector test` (list, call, check).
#ifndef EDGE_CLI_COMMANDS_TEST_COMMAND_H_
#define EDGE_CLI_COMMANDS_TEST_COMMAND_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "harness/session.h"

namespace edge::cli {

// The parsed and checked options of `test`.
struct TestOptions {
  std::string plugin;
  harness::SessionOptions session;  // store dir and plugin config
  bool json = false;
  // --tool mode
  std::string tool;
  std::string args_json = "{}";
  std::optional<absl::Duration> timeout;
  // --check mode
  absl::Duration cancel_delay = absl::Milliseconds(20);
  absl::Duration cancel_bound = absl::Seconds(2);
  absl::Duration step_timeout = absl::Seconds(60);
};

int RunTestList(const TestOptions& options);
int RunTestCall(const TestOptions& options);
int RunTestCheck(const TestOptions& options);

// Removes the temporary content store `test` created for this run (none when --store was given). Safe to call
// more than once; called before std::_Exit, which skips destructors.
void RemoveTemporaryStore();

// Prints a plugin load failure (the host's message, verbatim) and returns kExitLoadError.
int ReportLoadError(const absl::Status& status);

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_TEST_COMMAND_H_
