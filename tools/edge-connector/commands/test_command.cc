// `edge-connector test`: the SDK test harness. Loads a plugin exactly as the runtime does, then lists its
// tools (--list), calls one (--tool) or runs the conformance checks (--check).
#include <CLI/CLI.hpp>

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "commands/commands.h"
#include "commands/test_command.h"
#include "edge/runtime/log.h"
#include "harness/json_util.h"

namespace edge::cli {
namespace {

// Raw option values as typed; turned into TestOptions after parsing.
struct RawTestOptions {
  std::string plugin;
  std::string store;
  std::string config;
  bool list = false;
  bool check = false;
  bool json = false;
  std::string tool;
  std::string args;
  std::string timeout;
  std::string cancel_delay = "20ms";
  std::string cancel_bound = "2s";
  std::string step_timeout = "60s";
  std::string log_level = "warn";
};

constexpr char kFooter[] = R"(Modes (pick one):
  --list                 print the plugin's tools and schemas (--json: MCP-shaped {"tools":[...]})
  --tool NAME --args J   call one tool through the real executor; progress goes to stderr, the result to
                         stdout (--json: the MCP result object); Ctrl-C cancels the call
  --check                run the conformance checks in a child process and print a report

JSON options take inline JSON or @FILE, e.g. --args '{"text":"hi"}' or --args @args.json.
Durations look like 500ms, 2s or 1m30s.

Exit codes:
  0    success (all checks passed)
  1    the tool returned an error result (isError), or a check failed
  2    host-level call error: invalid arguments, timeout, cancelled, tool not found, ...
  3    the plugin failed to load (the host's message is printed as is; --check reports it as FAIL load)
  64   usage error (bad option, invalid JSON, missing @file)
  130  interrupted by Ctrl-C (the call was cancelled first))";

// The temporary store of this run; the host would clean its own, but not when a stuck plugin forces _Exit.
std::filesystem::path g_temporary_store;

int Usage(std::string_view message) {
  std::fprintf(stderr, "error: %.*s\nRun 'edge-connector test --help' for usage.\n", static_cast<int>(message.size()),
               message.data());
  return kExitUsage;
}

bool ParseDurationOption(const char* option, const std::string& text, absl::Duration* out, std::string* error) {
  if (absl::ParseDuration(text, out) && *out > absl::ZeroDuration()) return true;
  *error = absl::StrCat(option, " '", text, "' is not a positive duration; write it like 500ms, 2s or 1m30s");
  return false;
}

int Run(const RawTestOptions& raw, const CLI::App& cmd) {
  const bool tool_mode = !raw.tool.empty();
  const int modes = (raw.list ? 1 : 0) + (raw.check ? 1 : 0) + (tool_mode ? 1 : 0);
  if (modes != 1) {
    return Usage(modes == 0 ? "choose what to do: --list, --tool NAME --args JSON, or --check"
                            : "--list, --tool and --check are exclusive; choose one");
  }
  if (!tool_mode && (cmd.count("--args") > 0 || cmd.count("--timeout") > 0)) {
    return Usage("--args and --timeout apply to a call; add --tool NAME");
  }
  if (!raw.check && (cmd.count("--cancel-bound") > 0 || cmd.count("--cancel-delay") > 0 ||
                     cmd.count("--step-timeout") > 0)) {
    return Usage("--cancel-bound, --cancel-delay and --step-timeout apply to --check");
  }
  runtime::LogLevel level;
  if (!runtime::ParseLogLevel(raw.log_level, &level)) {
    return Usage(absl::StrCat("--log-level '", raw.log_level, "' is unknown; use trace, debug, info, warn, error or off"));
  }
  runtime::Logger::Default().SetLevel(level);

  TestOptions options;
  options.plugin = raw.plugin;
  options.json = raw.json;
  options.session.store_dir = raw.store;
  if (!raw.config.empty()) {
    auto config = harness::ReadJsonOption("--config", raw.config);
    if (!config.ok()) return Usage(runtime::ToStd(config.status().message()));
    if (config->find_first_not_of(" \t\r\n") == std::string::npos || (*config)[config->find_first_not_of(" \t\r\n")] != '{') {
      return Usage("--config must be a JSON object, e.g. --config '{\"database\":\"/tmp/x.db\"}'");
    }
    options.session.config_json = *config;
  }
  if (raw.store.empty() && !raw.check) {  // --check's child process gets a store from its parent
    std::string pattern = (std::filesystem::temp_directory_path() / "edge-connector-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) g_temporary_store = options.session.store_dir = pattern;
  }
  auto cleanup = absl::MakeCleanup(&RemoveTemporaryStore);
  std::string error;
  if (tool_mode) {
    options.tool = raw.tool;
    if (cmd.count("--args") > 0) {
      auto args = harness::ReadJsonOption("--args", raw.args);
      if (!args.ok()) return Usage(runtime::ToStd(args.status().message()));
      options.args_json = *args;
    }
    if (cmd.count("--timeout") > 0) {
      absl::Duration timeout;
      if (!ParseDurationOption("--timeout", raw.timeout, &timeout, &error)) return Usage(error);
      options.timeout = timeout;
    }
    return RunTestCall(options);
  }
  if (raw.check) {
    if (!ParseDurationOption("--cancel-delay", raw.cancel_delay, &options.cancel_delay, &error) ||
        !ParseDurationOption("--cancel-bound", raw.cancel_bound, &options.cancel_bound, &error) ||
        !ParseDurationOption("--step-timeout", raw.step_timeout, &options.step_timeout, &error)) {
      return Usage(error);
    }
    return RunTestCheck(options);
  }
  return RunTestList(options);
}

}  // namespace

void RemoveTemporaryStore() {
  std::error_code ec;
  if (!g_temporary_store.empty()) std::filesystem::remove_all(g_temporary_store, ec);
  g_temporary_store.clear();
}

int ReportLoadError(const absl::Status& status) {
  std::fprintf(stderr, "error: %.*s\n", static_cast<int>(status.message().size()), status.message().data());
  return kExitLoadError;
}

void AddTestCommand(CLI::App& root, CommandRun* run) {
  CLI::App* cmd = root.add_subcommand("test", "Load a tool plugin as the runtime does; list, call or check its tools.");
  cmd->footer(kFooter);
  auto raw = std::make_shared<RawTestOptions>();
  cmd->add_option("--plugin", raw->plugin, "Path of the plugin shared library (.so)")->required()->type_name("PATH");
  cmd->add_flag("--list", raw->list, "List the plugin's tools with their schemas");
  cmd->add_option("--tool", raw->tool, "Call this tool")->type_name("NAME");
  cmd->add_option("--args", raw->args, "The call's arguments: a JSON object, or @FILE (default {})")
      ->type_name("JSON|@FILE");
  cmd->add_option("--timeout", raw->timeout,
                  "Cap the whole call at this long (default: the tool's timeout, else 60s without progress)")
      ->type_name("DURATION");
  cmd->add_flag("--check", raw->check, "Run the conformance checks and print a report");
  cmd->add_option("--cancel-delay", raw->cancel_delay, "--check: cancel each example call after this long")
      ->capture_default_str()
      ->type_name("DURATION");
  cmd->add_option("--cancel-bound", raw->cancel_bound, "--check: invoke must return this soon after a cancel")
      ->capture_default_str()
      ->type_name("DURATION");
  cmd->add_option("--step-timeout", raw->step_timeout, "--check: a step silent this long counts as a hang")
      ->capture_default_str()
      ->type_name("DURATION");
  cmd->add_option("--config", raw->config, "The plugin's configuration: a JSON object, or @FILE (default {})")
      ->type_name("JSON|@FILE");
  cmd->add_option("--store", raw->store,
                  "Content store directory the plugin is copied into before loading (default: a temporary one)")
      ->type_name("DIR");
  cmd->add_flag("--json", raw->json, "Print machine-readable JSON instead of text");
  cmd->add_option("--log-level", raw->log_level, "Runtime and plugin log level on stderr")
      ->capture_default_str()
      ->type_name("LEVEL");
  cmd->callback([raw, cmd, run] { *run = [raw, cmd] { return Run(*raw, *cmd); }; });
}

}  // namespace edge::cli
