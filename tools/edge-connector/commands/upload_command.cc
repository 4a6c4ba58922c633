// `edge-connector upload [--file F] [--name N | --bundle-id B]`: publishes a bundle archive to the platform
// (POST /api/v1/bundles, docs/bundles.md section 6), packaging it first when no --file is given.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "commands/bundle_package.h"
#include "commands/bundle_progress.h"
#include "commands/commands.h"
#include "commands/http_client.h"
#include "commands/platform_client.h"
#include "edge/runtime/log.h"

namespace edge::cli {
namespace {

struct UploadOptions {
  std::string file;
  PackageFlags package;
  PlatformOptions platform;
  std::string name;
  std::string bundle_id;
  bool json = false;
};

constexpr char kFooter[] = R"(Without --file, upload first packages --implementations DIR exactly as `package` does (same
checks and options) and uploads the archive it wrote to --out.

The platform stores each upload as a new version of the bundle (by default the one named "default"); an
archive whose content checksum equals an existing version of that bundle is not stored twice: that version
is returned (deduplicated). Archives over 50 MiB are refused before sending, and by the platform (HTTP 413).

Progress goes to stderr: a bar on a terminal, a line per 25% otherwise.

Exit codes: 0 uploaded (or deduplicated), 1 refused (by the platform, or too large, or packaging failed) or the
platform is unreachable, 64 usage error, 78 configuration error (no token, bad URL).)";

int Usage(std::string_view message) {
  PrintCommandError("upload", absl::string_view(message.data(), message.size()));
  std::fprintf(stderr, "Run 'edge-connector upload --help' for usage.\n");
  return kExitUsage;
}

// Prints what the platform answered (201 new version, 200 deduplicated).
void PrintUploaded(const rapidjson::Document& doc, const std::filesystem::path& file) {
  static const rapidjson::Value kNull;
  const rapidjson::Value& version = doc.HasMember("version") ? doc["version"] : kNull;
  const std::string bundle_name = StringAt(doc, {"bundle", "name"});
  const std::string bundle_id = StringAt(doc, {"bundle", "id"});
  const int64_t number = version.IsObject() && version.HasMember("version") && version["version"].IsInt64()
                             ? version["version"].GetInt64()
                             : 0;
  const std::string checksum = StringAt(doc, {"version", "checksum"});
  const bool deduplicated = doc.HasMember("deduplicated") && doc["deduplicated"].IsBool() && doc["deduplicated"].GetBool();
  if (deduplicated) {
    std::printf("Already uploaded: version %lld of bundle '%s' (%s) has the same content, so no new version was "
                "stored\n",
                static_cast<long long>(number), bundle_name.c_str(), bundle_id.c_str());
  } else {
    std::printf("Uploaded %s as version %lld of bundle '%s' (%s)\n", file.filename().string().c_str(),
                static_cast<long long>(number), bundle_name.c_str(), bundle_id.c_str());
  }
  std::printf("Checksum: %s\n", checksum.c_str());
  std::vector<std::string> tools;
  if (version.IsObject() && version.HasMember("tools") && version["tools"].IsArray()) {
    for (const auto& t : version["tools"].GetArray()) {
      if (t.IsString()) tools.emplace_back(t.GetString(), t.GetStringLength());
    }
  }
  std::printf("Tools: %s\n", tools.empty() ? "-" : absl::StrJoin(tools, ", ").c_str());
}

int Run(const UploadOptions& o, const CLI::App& cmd) {
  runtime::Logger::Default().SetLevel(runtime::LogLevel::kWarn);
  if (!o.name.empty() && !o.bundle_id.empty()) {
    return Usage("--name and --bundle-id both choose the bundle: give one (none: the bundle named \"default\")");
  }
  const bool packaging = cmd.count("--implementations") > 0;
  if (!o.file.empty() && (packaging || cmd.count("--org") > 0 || cmd.count("--sign-key") > 0 ||
                          cmd.count("--built-at") > 0 || cmd.count("--out") > 0)) {
    return Usage("--file uploads an existing archive, while --implementations, --org, --sign-key, --built-at and "
                 "--out package a new one: choose one way");
  }
  if (o.file.empty() && !packaging) {
    return Usage("nothing to upload: give --file BUNDLE.tgz, or --implementations DIR to package one first");
  }
  // Before packaging: a missing token or a bad URL should not cost a build first.
  auto connection = ConnectPlatform(o.platform);
  if (!connection.ok()) {
    PrintCommandError("upload", connection.status().message());
    return kExitConfig;
  }
  std::filesystem::path file = o.file;
  if (file.empty()) {
    auto options = ResolvePackageFlags(o.package, o.platform);
    if (!options.ok()) return Usage(runtime::ToStd(options.status().message()));
    options->on_status = [](std::string_view line) {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    };
    auto built = BuildPackage(*options);  // forks for its checks: before libcurl and any thread
    if (!built.ok()) {
      PrintCommandError("upload", built.status().message());
      return built.status().code() == absl::StatusCode::kNotFound ? kExitUsage : kExitToolError;
    }
    std::fprintf(stderr, "Packaged %s (%s), checksum %s\n", built->archive.string().c_str(),
                 HumanBytes(built->archive_bytes).c_str(), built->manifest.checksum.c_str());
    file = built->archive;
  }
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);
  if (ec || !std::filesystem::is_regular_file(file, ec)) {
    return Usage(absl::StrCat("--file ", file.string(), " is not a readable file",
                              ec ? absl::StrCat(" (", ec.message(), ")") : ""));
  }
  if (size > o.package.max_bytes) {
    PrintCommandError("upload", TooLargeMessage(size, o.package.max_bytes));
    return kExitToolError;
  }

  HttpRequest request;
  request.method = "POST";
  request.url = connection->api + "/api/v1/bundles";
  if (!o.name.empty()) request.url += "?name=" + UrlEscape(o.name);
  if (!o.bundle_id.empty()) request.url += "?bundleId=" + UrlEscape(o.bundle_id);
  request.bearer_token = connection->token;
  request.ca_file = connection->ca_file;
  request.body_file = file;
  request.body_content_type = "application/gzip";
  request.max_body_bytes = 1 << 20;
  request.stall_timeout_s = 30;
  TransferProgress progress("Uploading", file.filename().string(), size, isatty(STDERR_FILENO) == 1);
  request.on_progress = [&progress](const HttpProgress& p) { progress.Update(p.upload_now); };
  HttpResponse response;
  absl::Status sent = HttpFetch(request, &response);
  progress.Finish(sent.ok() && response.status >= 200 && response.status < 300);
  if (!sent.ok()) {
    PrintCommandError("upload", sent.code() == absl::StatusCode::kUnavailable
                                    ? absl::StrCat("uploading to ", connection->api, " failed: ", sent.message())
                                    : std::string(sent.message()));
    return kExitToolError;
  }
  if (response.status < 200 || response.status >= 300) {
    PrintCommandError("upload", DescribeApiError(response));  // a 413's message names the size, limit and fix
    return kExitToolError;
  }
  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    PrintCommandError("upload", absl::StrCat("the platform answered HTTP ", response.status,
                                             " with a body that is not JSON: is ", connection->api,
                                             " the platform API?"));
    return kExitToolError;
  }
  if (o.json) {
    std::printf("%s\n", response.body.c_str());
  } else {
    PrintUploaded(doc, file);
  }
  return kExitOk;
}

}  // namespace

void AddUploadCommand(CLI::App& root, CommandRun* run) {
  auto options = std::make_shared<UploadOptions>();
  CLI::App* cmd = root.add_subcommand("upload", "Upload a bundle to the platform (packaging it first without --file).");
  cmd->add_option("--file", options->file, "The bundle archive (.tgz) to upload")->type_name("FILE");
  cmd->add_option("--name", options->name, "Add it as a new version of the bundle with this name (created if new)")
      ->type_name("NAME");
  cmd->add_option("--bundle-id", options->bundle_id, "Add it as a new version of this existing bundle")
      ->type_name("ID");
  AddPlatformOptions(cmd, &options->platform);
  AddPackageFlags(cmd, &options->package);
  cmd->add_flag("--json", options->json, "Print the platform's JSON answer {bundle, version, deduplicated}");
  cmd->footer(kFooter);
  cmd->callback([run, options, cmd] { *run = [options, cmd] { return Run(*options, *cmd); }; });
}

}  // namespace edge::cli
