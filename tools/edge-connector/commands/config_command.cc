// `edge-connector config check`: every effective setting with where it came from (secrets redacted), then the
// warnings, so "why does it connect there?" has a one-command answer.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "commands/commands.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/config.h"
#include "edge/runtime/log.h"

namespace edge::cli {
namespace {

struct ConfigOptions {
  std::string install_dir;
  bool json = false;
};

void PrintTable(const runtime::LoadedConfig& loaded) {
  size_t key_width = 3, value_width = 5;
  for (const auto& e : loaded.entries) {
    key_width = std::max(key_width, e.key.size());
    value_width = std::max(value_width, e.value.size());
  }
  auto row = [&](const std::string& key, const std::string& value, const std::string& source) {
    std::printf("%-*s  %-*s  %s\n", static_cast<int>(key_width), key.c_str(), static_cast<int>(value_width),
                value.empty() ? "" : value.c_str(), source.c_str());
  };
  row("KEY", "VALUE", "SOURCE");
  for (const auto& e : loaded.entries) row(e.key, e.value, e.source);
  if (loaded.warnings.empty()) {
    std::printf("\nNo warnings.\n");
    return;
  }
  std::printf("\nWarnings:\n");
  for (const auto& w : loaded.warnings) std::printf("  - %s\n", w.c_str());
}

std::string ToJson(const runtime::LoadedConfig& loaded) {
  std::string out;
  protocol::JsonWriter w(out);
  w.BeginObject().Key("ok").Bool(true).Key("entries").BeginArray();
  for (const auto& e : loaded.entries) {
    w.BeginObject().Key("key").String(e.key).Key("value").String(e.value).Key("source").String(e.source).EndObject();
  }
  w.EndArray().Key("warnings").BeginArray();
  for (const auto& warning : loaded.warnings) w.String(warning);
  w.EndArray().EndObject();
  return out;
}

int Check(const ConfigOptions& o) {
  runtime::ConfigInputs inputs;
  inputs.install_dir = o.install_dir;
  inputs.env = runtime::ProcessEnvironment();
  auto loaded = runtime::LoadConfig(inputs);
  if (!loaded.ok()) {
    std::string message(runtime::ToStd(loaded.status().message()));
    if (o.json) {
      std::string out;
      protocol::JsonWriter(out).BeginObject().Key("ok").Bool(false).Key("error").String(message).EndObject();
      std::printf("%s\n", out.c_str());
    }
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return kExitConfig;
  }
  if (o.json) {
    std::printf("%s\n", ToJson(*loaded).c_str());
  } else {
    PrintTable(*loaded);
  }
  return kExitOk;
}

}  // namespace

void AddConfigCommand(CLI::App& root, CommandRun* run) {
  CLI::App* cmd = root.add_subcommand("config", "Inspect the connector's configuration.");
  cmd->require_subcommand(1);
  auto options = std::make_shared<ConfigOptions>();
  CLI::App* check = cmd->add_subcommand(
      "check", "Load the configuration as `run` would and print every setting with its source (secrets redacted).");
  check->add_option("--install-dir", options->install_dir,
                    "Installation directory: provisioning.json, config.json (default: the current directory)");
  check->add_flag("--json", options->json, "Print {\"ok\", \"entries\": [{key, value, source}], \"warnings\"}");
  check->footer("Layers, lowest first: defaults < provisioning.json < config.json < deployment-credentials.json < "
                "environment < flags (docs/configuration.md).\n"
                "Exit codes: 0 valid (warnings are printed), 78 invalid configuration (the error names the file, "
                "key and fix).");
  check->callback([options, run] { *run = [options] { return Check(*options); }; });
}

}  // namespace edge::cli
