// `edge-connector bundle list | set-default | assign | rename` (and checkout, bundle_checkout.cc): operating the
// platform's bundle store (docs/bundles.md section 6). Each prints a readable summary, or the platform's JSON
// with --json.
#include "commands/bundle_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "commands/commands.h"
#include "harness/json_util.h"

namespace edge::cli {
namespace {

using Json = rapidjson::Value;

std::string Pinning(const Json& doc, const char* version_key) {
  return doc.HasMember(version_key) && doc[version_key].IsInt64()
             ? absl::StrCat("pinned to version ", doc[version_key].GetInt64())
             : "following its latest version";
}

// One request; prints the answer (--json: as received) through `print`. Exit 0, or 1 with the API error.
template <typename Print>
int Request(const char* command, const BundleCommonOptions& o, std::string_view method, const std::string& path,
            const std::string& body, Print print) {
  int exit_code = kExitOk;
  auto connection = ConnectOrExplain(command, o.platform, &exit_code);
  if (!connection) return exit_code;
  rapidjson::Document doc;
  std::string raw;
  if (absl::Status s = CallApi(*connection, method, path, body, &doc, &raw); !s.ok()) {
    PrintCommandError(command, s.message());
    return kExitToolError;
  }
  if (o.json) {
    std::printf("%s\n", raw.c_str());
  } else {
    print(doc);
  }
  return kExitOk;
}

// ---- list

std::string Uploaded(int64_t ms) {
  if (ms <= 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

void PrintList(const Json& doc) {
  if (!doc.HasMember("bundles") || !doc["bundles"].IsArray() || doc["bundles"].Empty()) {
    std::printf("No bundles yet: publish one with `edge-connector upload --implementations DIR`.\n");
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NAME", "LATEST", "DEFAULT", "VERSIONS", "CHECKSUM", "UPLOADED"}};
  for (const Json& b : doc["bundles"].GetArray()) {
    const int64_t latest = IntAt(b, "latestVersion");
    std::string is_default = "-";
    if (b.HasMember("isDefault") && b["isDefault"].IsBool() && b["isDefault"].GetBool()) {
      is_default = b.HasMember("defaultVersion") && b["defaultVersion"].IsInt64()
                       ? absl::StrCat("yes, v", b["defaultVersion"].GetInt64(), " pinned")
                       : "yes";
    }
    size_t versions = 0;
    std::string checksum = "-", uploaded = "-";
    if (b.HasMember("versions") && b["versions"].IsArray()) {
      versions = b["versions"].Size();
      for (const Json& v : b["versions"].GetArray()) {
        if (IntAt(v, "version") != latest) continue;
        checksum = ShortChecksum(StringAt(v, {"checksum"}));
        uploaded = Uploaded(IntAt(v, "uploadedAtMs"));
      }
    }
    rows.push_back({StringAt(b, {"id"}), StringAt(b, {"name"}), latest > 0 ? absl::StrCat("v", latest) : "-",
                    is_default, std::to_string(versions), checksum, uploaded});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i], i + 1 < row.size() ? std::string(widths[i] - row[i].size() + 2, ' ') : "");
    }
    std::printf("%s\n", line.c_str());
  }
}

// ---- assign

void PrintTarget(const Json& t, const std::string& deployment, bool cleared) {
  const std::string bundle_id = StringAt(t, {"bundleId"});
  if (bundle_id.empty()) {
    std::printf("Deployment %s has no bundle: no assignment of its own and no org default (set one with "
                "`edge-connector bundle set-default`)\n",
                deployment.c_str());
    return;
  }
  const std::string source = StringAt(t, {"source"});
  const bool pinned = t.HasMember("pinned") && t["pinned"].IsBool() && t["pinned"].GetBool();
  std::printf("%s %s runs bundle '%s' (%s) version %lld, %s (%s)\n",
              cleared ? "Assignment removed: deployment" : "Deployment", deployment.c_str(),
              StringAt(t, {"bundleName"}).c_str(), bundle_id.c_str(), static_cast<long long>(IntAt(t, "version")),
              pinned ? "pinned" : "following the latest version",
              source == "default" ? "from the org default" : "its own assignment");
  std::printf("Checksum: %s\n", StringAt(t, {"checksum"}).c_str());
}

struct AssignOptions {
  BundleCommonOptions common;
  std::string bundle_id;
  std::string deployment;
  int64_t version = 0;
  bool clear = false;
};

int Assign(const AssignOptions& o) {
  const std::string path = "/api/v1/deployments/" + UrlEscape(o.deployment) + "/bundle";
  if (o.clear) {
    if (!o.bundle_id.empty() || o.version > 0) {
      PrintCommandError("bundle assign", "--clear drops the deployment's assignment: give no bundle id or --version");
      return kExitUsage;
    }
    return Request("bundle assign", o.common, "DELETE", path, "",
                   [&](const Json& doc) { PrintTarget(doc, o.deployment, true); });
  }
  if (o.bundle_id.empty()) {
    PrintCommandError("bundle assign", "give the bundle id to assign (see `edge-connector bundle list`), or --clear");
    return kExitUsage;
  }
  std::string body = "{\"bundleId\":" + harness::JsonQuote(o.bundle_id);
  if (o.version > 0) absl::StrAppend(&body, ",\"version\":", o.version);
  body += "}";
  return Request("bundle assign", o.common, "PUT", path, body,
                 [&](const Json& doc) { PrintTarget(doc, o.deployment, false); });
}

// ---- registration

void AddList(CLI::App* bundle, CommandRun* run) {
  auto o = std::make_shared<BundleCommonOptions>();
  CLI::App* cmd = bundle->add_subcommand("list", "List the org's bundles with their latest version.");
  AddBundleCommonOptions(cmd, o.get());
  cmd->callback([run, o] {
    *run = [o] { return Request("bundle list", *o, "GET", "/api/v1/bundles", "", &PrintList); };
  });
}

void AddSetDefault(CLI::App* bundle, CommandRun* run) {
  struct Options {
    BundleCommonOptions common;
    std::string id;
    int64_t version = 0;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = bundle->add_subcommand(
      "set-default", "Make a bundle the org default (for deployments without an assignment of their own).");
  cmd->add_option("id", o->id, "Bundle id")->required();
  cmd->add_option("--version", o->version, "Pin the default to this version (default: follow the latest)")
      ->check(CLI::PositiveNumber);
  AddBundleCommonOptions(cmd, &o->common);
  cmd->callback([run, o] {
    *run = [o] {
      const std::string body = o->version > 0 ? absl::StrCat("{\"version\":", o->version, "}") : "{}";
      return Request("bundle set-default", o->common, "POST", "/api/v1/bundles/" + UrlEscape(o->id) + "/default",
                     body, [](const Json& b) {
                       std::printf("Bundle '%s' (%s) is now the org default, %s (latest: version %lld)\n",
                                   StringAt(b, {"name"}).c_str(), StringAt(b, {"id"}).c_str(),
                                   Pinning(b, "defaultVersion").c_str(),
                                   static_cast<long long>(IntAt(b, "latestVersion")));
                     });
    };
  });
}

void AddAssign(CLI::App* bundle, CommandRun* run) {
  auto o = std::make_shared<AssignOptions>();
  CLI::App* cmd = bundle->add_subcommand("assign", "Choose the bundle a deployment runs (pinned or following).");
  cmd->add_option("id", o->bundle_id, "Bundle id");
  cmd->add_option("--deployment", o->deployment, "Deployment id")->required();
  cmd->add_option("--version", o->version,
                  "Pin this version (rollback, staged rollout); default: follow the bundle's latest version")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--clear", o->clear, "Drop the deployment's own assignment (it falls back to the org default)");
  AddBundleCommonOptions(cmd, &o->common);
  cmd->footer("Prints the deployment's resolved target. Its connector is told at once (bundle.updated) and "
              "installs it without a restart.");
  cmd->callback([run, o] { *run = [o] { return Assign(*o); }; });
}

void AddRename(CLI::App* bundle, CommandRun* run) {
  struct Options {
    BundleCommonOptions common;
    std::string id;
    std::string name;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = bundle->add_subcommand("rename", "Rename a bundle.");
  cmd->add_option("id", o->id, "Bundle id")->required();
  cmd->add_option("name", o->name, "New name")->required();
  AddBundleCommonOptions(cmd, &o->common);
  cmd->callback([run, o] {
    *run = [o] {
      return Request("bundle rename", o->common, "PATCH", "/api/v1/bundles/" + UrlEscape(o->id),
                     "{\"name\":" + harness::JsonQuote(o->name) + "}", [](const Json& b) {
                       std::printf("Bundle %s is now named '%s'\n", StringAt(b, {"id"}).c_str(),
                                   StringAt(b, {"name"}).c_str());
                     });
    };
  });
}

}  // namespace

void AddBundleCommonOptions(CLI::App* cmd, BundleCommonOptions* options) {
  AddPlatformOptions(cmd, &options->platform);
  cmd->add_flag("--json", options->json, "Print the platform's JSON answer");
  cmd->footer("Exit codes: 0 success, 1 the platform refused or could not be reached (the message says why), "
              "64 usage error, 78 configuration error (no token, bad URL).");
}

std::optional<PlatformConnection> ConnectOrExplain(const char* command, const PlatformOptions& options,
                                                   int* exit_code) {
  auto connection = ConnectPlatform(options);
  if (connection.ok()) return *std::move(connection);
  PrintCommandError(command, connection.status().message());
  *exit_code = kExitConfig;
  return std::nullopt;
}

int64_t IntAt(const rapidjson::Value& object, const char* key, int64_t fallback) {
  if (!object.IsObject() || !object.HasMember(key) || !object[key].IsInt64()) return fallback;
  return object[key].GetInt64();
}

std::string ShortChecksum(const std::string& checksum) {
  std::string hex = checksum.rfind("sha256:", 0) == 0 ? checksum.substr(7) : checksum;
  return hex.empty() ? "-" : hex.substr(0, 12);
}

void AddBundleCommand(CLI::App& root, CommandRun* run) {
  CLI::App* bundle = root.add_subcommand("bundle", "Manage the org's bundles on the platform: list, set-default, "
                                                   "assign, checkout, rename.");
  bundle->require_subcommand(1);
  bundle->footer("Each subcommand takes --api, --token, --install-dir and --json (the platform's JSON answer).\n"
                 "Exit codes: 0 success, 1 the platform refused or could not be reached (the message says why), "
                 "64 usage error, 78 configuration error (no token, bad URL).");
  AddList(bundle, run);
  AddSetDefault(bundle, run);
  AddAssign(bundle, run);
  AddBundleCheckoutCommand(bundle, run);
  AddRename(bundle, run);
}

}  // namespace edge::cli
