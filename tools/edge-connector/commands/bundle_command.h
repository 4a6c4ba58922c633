// commands/bundle_command.h: shared by the `edge-connector bundle` subcommands (bundle_command.cc: list,
// set-default, assign, rename; bundle_checkout.cc: checkout).
#ifndef EDGE_CLI_COMMANDS_BUNDLE_COMMAND_H_
#define EDGE_CLI_COMMANDS_BUNDLE_COMMAND_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>

#include "commands/commands.h"
#include "commands/platform_client.h"

namespace edge::cli {

// Options every bundle subcommand takes.
struct BundleCommonOptions {
  PlatformOptions platform;
  bool json = false;
};
void AddBundleCommonOptions(CLI::App* cmd, BundleCommonOptions* options);

// The connection, or std::nullopt after printing why (then `*exit_code` is 78, a configuration error).
std::optional<PlatformConnection> ConnectOrExplain(const char* command, const PlatformOptions& options, int* exit_code);

// An integer member (`fallback` when absent or not an integer).
int64_t IntAt(const rapidjson::Value& object, const char* key, int64_t fallback = 0);

// "3f1c2a9b0e7d" from "sha256:3f1c2a9b0e7d…": the first 12 hex characters, for tables.
std::string ShortChecksum(const std::string& checksum);

// `bundle checkout` (bundle_checkout.cc).
void AddBundleCheckoutCommand(CLI::App* bundle, CommandRun* run);

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_BUNDLE_COMMAND_H_
