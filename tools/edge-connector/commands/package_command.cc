// `edge-connector package --implementations DIR [--out DIR] [--org ORG] [--sign-key key.pem]`: builds a bundle
// (docs/bundles.md) from the built plugins, after checking that each loads and declares valid tools.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "commands/bundle_package.h"
#include "commands/bundle_progress.h"
#include "commands/commands.h"
#include "commands/platform_client.h"
#include "edge/runtime/log.h"
#include "harness/json_util.h"

namespace edge::cli {
namespace {

struct PackageCommandOptions {
  PackageFlags flags;
  PlatformOptions platform;  // --token and --install-dir only: the org default
  bool json = false;
};

constexpr char kFooter[] = R"(What package does:
  1. collects every *.so of --implementations DIR and of DIR/tools, with the <stem>.json configuration beside
     each (handed to the plugin's init, as the connector does), into dist/tools/;
  2. checks each plugin in a child process, with its configuration: it loads (ABI negotiated, init succeeds),
     every descriptor, inputSchema, outputSchema and example is valid (the host refuses the plugin otherwise),
     it declares at least one tool, and it shuts down cleanly. These are the `test --check` checks load,
     descriptors and shutdown; the checks that call tools (examples, invalid-args, cancel, reload) are left to
     `test --check`, since they may need databases or hosts only the target machine has;
  3. loads the plugins through the real host and records each tool's descriptor exactly as a connector will
     see it, refusing two plugins that declare the same tool name;
  4. writes manifest.json (+ manifest.json.sig with --sign-key) and OUT/edge-bundle-<org>-<time>.tgz, refusing
     an archive larger than --max-bytes (50 MiB, the platform's limit) before the file is created.

Two packages of the same inputs with the same --built-at are byte-identical.

Exit codes: 0 written, 1 refused (a plugin failed a check, no plugins, duplicate tool names, too large) or
write error, 64 usage error (missing or bad option, no --org and no admin token to take it from).)";

void PrintSummary(const PackageResult& r) {
  const bundle::Manifest& m = r.manifest;
  std::printf("Bundle: %s (%s)\n", r.archive.string().c_str(), HumanBytes(r.archive_bytes).c_str());
  std::printf("Checksum: %s\n", m.checksum.c_str());
  std::printf("Org %s, plugin ABI %u.%u, %s/%s, built %s, %s\n", m.org_id.c_str(), m.abi_major, m.abi_minor,
              m.os.c_str(), m.arch.c_str(), m.built_at.c_str(),
              r.key_id.empty() ? "unsigned" : absl::StrCat("signed with key ", r.key_id).c_str());
  std::printf("Tools (%zu):\n", m.tools.size());
  size_t width = 0;
  for (const auto& t : m.tools) width = std::max(width, t.name.size());
  for (const auto& t : m.tools) {
    std::printf("  %-*s  %s %s  (%s)\n", static_cast<int>(width), t.name.c_str(), t.plugin.c_str(),
                t.plugin_version.c_str(), t.file.c_str());
  }
}

std::string SummaryJson(const PackageResult& r) {
  return absl::StrCat("{\"archive\":", harness::JsonQuote(r.archive.string()), ",\"size\":", r.archive_bytes,
                      ",\"checksum\":", harness::JsonQuote(r.manifest.checksum),
                      ",\"signed\":", r.key_id.empty() ? "false" : "true",
                      ",\"keyId\":", r.key_id.empty() ? "null" : harness::JsonQuote(r.key_id),
                      ",\"manifest\":", r.manifest_json, "}");
}

int Run(const PackageCommandOptions& o) {
  runtime::Logger::Default().SetLevel(runtime::LogLevel::kWarn);  // plugins' info logs are not package output
  auto options = ResolvePackageFlags(o.flags, o.platform);
  if (!options.ok()) {
    PrintCommandError("package", options.status().message());
    return kExitUsage;
  }
  options->on_status = [](std::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  };
  auto result = BuildPackage(*options);
  if (!result.ok()) {
    PrintCommandError("package", result.status().message());
    // NotFound: --implementations is not a directory, a usage error; the rest are refusals.
    return result.status().code() == absl::StatusCode::kNotFound ? kExitUsage : kExitToolError;
  }
  if (o.json) {
    std::printf("%s\n", SummaryJson(*result).c_str());
  } else {
    PrintSummary(*result);
  }
  return kExitOk;
}

}  // namespace

void AddPackageCommand(CLI::App& root, CommandRun* run) {
  auto options = std::make_shared<PackageCommandOptions>();
  CLI::App* cmd = root.add_subcommand("package", "Build a bundle (.tgz) from the built plugins of a directory.");
  AddPackageFlags(cmd, &options->flags);
  cmd->add_option("--token", options->platform.token,
                  "Admin token whose org is the default --org (default: EDGE_ADMIN_TOKEN, then auth-token.json)")
      ->type_name("JWT");
  cmd->add_option("--install-dir", options->platform.install_dir,
                  "Installation directory whose auth-token.json gives the default --org")
      ->type_name("DIR");
  cmd->add_flag("--json", options->json, "Print {archive, size, checksum, signed, keyId, manifest} as JSON");
  cmd->footer(kFooter);
  cmd->callback([run, options] { *run = [options] { return Run(*options); }; });
}

}  // namespace edge::cli
