// `edge-connector bundle checkout <id> [--version N] [--out DIR]`: downloads one version and extracts it for
// inspection, verifying on the way what a connector verifies: the archive's SHA-256, safe extraction, and the
// extracted tree against its manifest, whose checksum must be the one the platform lists.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "commands/bundle_command.h"
#include "commands/bundle_package.h"
#include "commands/bundle_progress.h"
#include "edge/bundle/archive.h"
#include "edge/bundle/manifest.h"
#include "edge/bundle/tree.h"
#include "harness/json_util.h"

namespace edge::cli {
namespace fs = std::filesystem;

namespace {

struct CheckoutOptions {
  BundleCommonOptions common;
  std::string id;
  int64_t version = 0;
  std::string out = ".";
};

// What the platform lists for the version to check out.
struct VersionInfo {
  std::string bundle_name;
  int64_t version = 0;
  std::string checksum;
  std::string archive_sha256;
  uint64_t size = 0;
};

absl::StatusOr<VersionInfo> FindVersion(const rapidjson::Document& bundle, int64_t wanted, const std::string& id) {
  VersionInfo info;
  info.bundle_name = StringAt(bundle, {"name"});
  info.version = wanted > 0 ? wanted : IntAt(bundle, "latestVersion");
  if (bundle.HasMember("versions") && bundle["versions"].IsArray()) {
    for (const auto& v : bundle["versions"].GetArray()) {
      if (IntAt(v, "version") != info.version) continue;
      info.checksum = StringAt(v, {"checksum"});
      info.archive_sha256 = StringAt(v, {"archiveSha256"});
      info.size = static_cast<uint64_t>(IntAt(v, "size"));
      return info;
    }
  }
  return absl::NotFoundError(absl::StrCat("bundle ", id, " has no version ", info.version,
                                          ": `edge-connector bundle list` shows its versions"));
}

// A directory name from a bundle name: letters, digits, '.', '-' and '_' kept, anything else '_'.
std::string SafeName(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  if (out.empty() || out[0] == '.') out = "bundle" + out;
  return out;
}

absl::StatusOr<bundle::Manifest> ReadManifest(const fs::path& dir) {
  std::FILE* f = std::fopen((dir / "manifest.json").c_str(), "rb");
  if (f == nullptr) return absl::DataLossError("the extracted bundle has no manifest.json");
  std::string text;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) text.append(buffer, n);
  std::fclose(f);
  return bundle::ParseManifest(text);
}

int Checkout(const CheckoutOptions& o) {
  const char* kCommand = "bundle checkout";
  int exit_code = kExitOk;
  auto connection = ConnectOrExplain(kCommand, o.common.platform, &exit_code);
  if (!connection) return exit_code;
  auto fail = [&](const absl::Status& s) {
    PrintCommandError(kCommand, s.message());
    return kExitToolError;
  };

  rapidjson::Document bundle_doc;
  if (absl::Status s = CallApi(*connection, "GET", "/api/v1/bundles/" + UrlEscape(o.id), "", &bundle_doc); !s.ok()) {
    return fail(s);
  }
  auto info = FindVersion(bundle_doc, o.version, o.id);
  if (!info.ok()) return fail(info.status());
  const fs::path dest = fs::path(o.out) / absl::StrCat(SafeName(info->bundle_name), "-v", info->version);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dest, ec))) {
    return fail(absl::AlreadyExistsError(absl::StrCat(dest.string(), " already exists: remove it, or check out "
                                                                      "into another directory with --out DIR")));
  }
  fs::create_directories(o.out, ec);
  if (ec) return fail(absl::InternalError(absl::StrCat("--out ", o.out, ": ", ec.message())));

  // The archive goes to a temporary file beside the destination and is removed once extracted.
  const fs::path archive = fs::path(o.out) / absl::StrCat(".", dest.filename().string(), ".tgz.", getpid(), ".part");
  auto remove_archive = absl::MakeCleanup([&archive] {
    std::error_code ignored;
    fs::remove(archive, ignored);
  });
  HttpRequest request;
  request.url = absl::StrCat(connection->api, "/api/v1/bundles/", UrlEscape(o.id), "/versions/", info->version,
                             "/download");
  request.bearer_token = connection->token;
  request.ca_file = connection->ca_file;
  request.download_to = archive;
  // The listed size is exact; without one, the platform's own limit.
  request.max_download_bytes = info->size > 0 ? info->size : kMaxBundleBytes;
  request.max_body_bytes = 1 << 20;
  request.stall_timeout_s = 30;
  TransferProgress progress("Downloading", absl::StrCat(info->bundle_name, " v", info->version), info->size,
                            isatty(STDERR_FILENO) == 1);
  request.on_progress = [&progress](const HttpProgress& p) { progress.Update(p.download_now); };
  HttpResponse response;
  absl::Status fetched = HttpFetch(request, &response);
  progress.Finish(fetched.ok() && response.status == 200);
  if (!fetched.ok()) {
    return fail(fetched.code() == absl::StatusCode::kUnavailable
                    ? absl::UnavailableError(absl::StrCat("downloading from ", connection->api, " failed: ",
                                                          fetched.message(), "; try again"))
                    : fetched);
  }
  if (response.status != 200) return fail(absl::UnknownError(DescribeApiError(response)));

  auto archive_sha = bundle::Sha256FileHex(archive);
  if (!archive_sha.ok()) return fail(archive_sha.status());
  const std::string announced = response.headers.count("x-edge-archive-sha256") > 0
                                    ? response.headers["x-edge-archive-sha256"]
                                    : info->archive_sha256;
  if (*archive_sha != announced || (!info->archive_sha256.empty() && *archive_sha != info->archive_sha256)) {
    return fail(absl::DataLossError(absl::StrCat("the downloaded archive's SHA-256 is ", *archive_sha,
                                                 ", but the platform announced ", announced,
                                                 ": the transfer was corrupted or altered; try again")));
  }
  if (absl::Status s = bundle::ExtractArchive(archive, dest); !s.ok()) return fail(s);
  auto remove_dest = absl::MakeCleanup([&dest] {
    std::error_code ignored;
    fs::remove_all(dest, ignored);
  });
  auto manifest = ReadManifest(dest);
  if (!manifest.ok()) return fail(manifest.status());
  if (absl::Status s = bundle::VerifyTree(*manifest, dest / "dist"); !s.ok()) return fail(s);
  if (!info->checksum.empty() && manifest->checksum != info->checksum) {
    return fail(absl::DataLossError(absl::StrCat("the manifest's checksum ", manifest->checksum,
                                                 " differs from the one the platform lists, ", info->checksum)));
  }
  if (auto header = response.headers.find("x-edge-bundle-checksum");
      header != response.headers.end() && header->second != manifest->checksum) {
    return fail(absl::DataLossError(absl::StrCat("the manifest's checksum ", manifest->checksum,
                                                 " differs from the download's X-Edge-Bundle-Checksum, ",
                                                 header->second)));
  }
  std::move(remove_dest).Cancel();

  const bool is_signed = fs::exists(dest / "manifest.json.sig", ec);
  std::vector<std::string> tools;
  for (const auto& t : manifest->tools) tools.push_back(t.name);
  if (o.common.json) {
    std::vector<std::string> quoted;
    for (const auto& t : tools) quoted.push_back(harness::JsonQuote(t));
    std::printf("{\"bundleId\":%s,\"bundleName\":%s,\"version\":%lld,\"dir\":%s,\"checksum\":%s,"
                "\"archiveSha256\":%s,\"verified\":true,\"signed\":%s,\"tools\":[%s]}\n",
                harness::JsonQuote(o.id).c_str(), harness::JsonQuote(info->bundle_name).c_str(),
                static_cast<long long>(info->version), harness::JsonQuote(dest.string()).c_str(),
                harness::JsonQuote(manifest->checksum).c_str(), harness::JsonQuote(*archive_sha).c_str(),
                is_signed ? "true" : "false", absl::StrJoin(quoted, ",").c_str());
  } else {
    std::printf("Checked out bundle '%s' (%s) version %lld into %s\n", info->bundle_name.c_str(), o.id.c_str(),
                static_cast<long long>(info->version), dest.string().c_str());
    std::printf("Checksum: %s (verified: the extracted tree matches its manifest)\n", manifest->checksum.c_str());
    std::printf("Archive SHA-256: %s, %s\n", archive_sha->c_str(), is_signed ? "signed" : "unsigned");
    std::printf("Tools: %s\n", tools.empty() ? "-" : absl::StrJoin(tools, ", ").c_str());
  }
  return kExitOk;
}

}  // namespace

void AddBundleCheckoutCommand(CLI::App* bundle, CommandRun* run) {
  auto o = std::make_shared<CheckoutOptions>();
  CLI::App* cmd = bundle->add_subcommand(
      "checkout", "Download a bundle version and extract it into OUT/<name>-v<N> for inspection (verified).");
  cmd->add_option("id", o->id, "Bundle id")->required();
  cmd->add_option("--version", o->version, "Version to check out (default: the latest)")->check(CLI::PositiveNumber);
  cmd->add_option("--out", o->out, "Directory to extract into (a new <name>-v<N> directory is created in it)")
      ->capture_default_str()
      ->type_name("DIR");
  AddBundleCommonOptions(cmd, &o->common);
  cmd->callback([run, o] { *run = [o] { return Checkout(*o); }; });
}

}  // namespace edge::cli
