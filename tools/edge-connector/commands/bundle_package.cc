// BuildPackage: stage the plugins as dist/tools/, check them, load them for their descriptors, then write the
// manifest and the deterministic archive, refusing anything over the size limit before the final file exists.
#include "commands/bundle_package.h"

#include <CLI/CLI.hpp>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "commands/bundle_plugins.h"
#include "commands/bundle_progress.h"
#include "edge/bundle/archive.h"
#include "edge/bundle/signature.h"
#include "edge/bundle/tree.h"
#include "edge/plugin.h"
#include "edge/protocol/auth.h"
#include "harness/json_util.h"

namespace edge::cli {
namespace fs = std::filesystem;

namespace {

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<absl::Time> ResolveBuiltAt(const std::string& flag) {
  absl::Time t = absl::Now();
  if (!flag.empty()) {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, flag, &t, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("--built-at '", flag, "' is not an RFC 3339 time (", error,
                                                     "); write it like 2026-11-23T16:42:00Z"));
    }
  } else if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(epoch, &seconds) || seconds < 0) {
      return absl::InvalidArgumentError(absl::StrCat("SOURCE_DATE_EPOCH '", epoch,
                                                     "' is not a number of seconds since 1970: fix or unset it"));
    }
    t = absl::FromUnixSeconds(seconds);
  }
  if (t < absl::UnixEpoch()) return absl::InvalidArgumentError("--built-at must not be before 1970");
  return absl::FromUnixSeconds(absl::ToUnixSeconds(t));  // the archive and manifest hold whole seconds
}

absl::StatusOr<std::string> OrgFromToken(const PlatformOptions& platform) {
  std::string source, config_error;
  const std::string token = FindAdminToken(platform, &source, &config_error);
  std::string why = "no admin token was found in --token, EDGE_ADMIN_TOKEN or auth-token.json";
  if (!token.empty()) {
    auto claims = protocol::DecodeJwtUnverified(token);
    if (claims.ok()) {
      std::string org = claims->org_id.empty() ? claims->SingleOrg() : claims->org_id;
      if (!org.empty()) return org;
      why = absl::StrCat("the admin token from ", source, " names no single org");
    } else {
      why = absl::StrCat("the admin token from ", source, " cannot be read: ", claims.status().message());
    }
  } else if (!config_error.empty()) {
    why = absl::StrCat("the configuration could not be read for auth-token.json: ", config_error);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("the manifest needs the org the bundle is for: pass --org ORG (", why, ")"));
}

std::string Rfc3339(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); }

// A temporary directory removed when the object goes away.
class StagingDir {
 public:
  StagingDir() {
    std::string pattern = (fs::temp_directory_path() / "edge-package-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~StagingDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Copies each plugin and its configuration to <dist>/tools/ with the modes the archive records.
absl::StatusOr<std::vector<StagedPlugin>> Stage(const std::vector<PluginSource>& sources, const fs::path& dist) {
  std::error_code ec;
  fs::create_directories(dist / "tools", ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", (dist / "tools").string(), ": ", ec.message()));
  std::vector<StagedPlugin> staged;
  for (const PluginSource& source : sources) {
    StagedPlugin plugin;
    plugin.source = source.library;
    plugin.relative_path = "tools/" + source.file_name;
    plugin.staged = dist / "tools" / source.file_name;
    if (!fs::copy_file(source.library, plugin.staged, ec)) {
      return absl::InternalError(absl::StrCat("cannot copy ", source.library.string(), ": ", ec.message()));
    }
    fs::permissions(plugin.staged, fs::perms(0755), ec);
    if (source.config) {
      auto text = ReadFile(*source.config);
      if (!text.ok()) return absl::InternalError(text.status().message());
      if (absl::Status s = harness::CheckJson(*text); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source.config->string(), " (the configuration of ", source.file_name, "): ", s.message()));
      }
      plugin.config_json = *text;
      fs::path config = plugin.staged;
      config.replace_extension(".json");
      if (!fs::copy_file(*source.config, config, ec)) {
        return absl::InternalError(absl::StrCat("cannot copy ", source.config->string(), ": ", ec.message()));
      }
      fs::permissions(config, fs::perms(0644), ec);
    }
    staged.push_back(std::move(plugin));
  }
  return staged;
}

absl::StatusOr<bundle::Manifest> MakeManifest(const PackageOptions& options, const Discovery& discovery,
                                              const fs::path& dist) {
  bundle::Manifest m;
  m.org_id = options.org;
  m.abi_major = EDGE_ABI_MAJOR;
  m.abi_minor = discovery.abi_minor;
  m.os = bundle::HostOs();
  m.arch = bundle::HostArch();
  m.built_at = Rfc3339(options.built_at);
  auto files = bundle::HashTree(dist);
  if (!files.ok()) return files.status();
  m.files = *std::move(files);
  m.checksum = bundle::TreeChecksum(m.files);
  for (const DiscoveredTool& tool : discovery.tools) {
    bundle::ManifestTool entry;
    entry.name = tool.name;
    entry.plugin = tool.plugin;
    entry.plugin_version = tool.plugin_version;
    entry.file = tool.relative_path;
    entry.descriptor_json = tool.descriptor_json;
    for (const bundle::ManifestFile& f : m.files) {
      if (f.path == tool.relative_path) {
        entry.sha256 = f.sha256;
        entry.size = f.size;
      }
    }
    m.tools.push_back(std::move(entry));
  }
  return m;
}

}  // namespace

void AddPackageFlags(CLI::App* cmd, PackageFlags* flags) {
  cmd->add_option("--implementations", flags->implementations,
                  "Directory with the built plugins (*.so, in it or in its tools/ subdirectory) and their optional "
                  "<stem>.json configurations")
      ->type_name("DIR");
  cmd->add_option("--out", flags->out, "Directory to write the .tgz to")->capture_default_str()->type_name("DIR");
  cmd->add_option("--org", flags->org, "Org the bundle is for (default: the org of the admin token)")
      ->type_name("ORG");
  cmd->add_option("--sign-key", flags->sign_key, "Sign manifest.json with this Ed25519 private key (PEM, PKCS#8)")
      ->type_name("PEM");
  cmd->add_option("--built-at", flags->built_at,
                  "Build time recorded in the manifest and archive, for reproducible builds (default: "
                  "SOURCE_DATE_EPOCH, else now)")
      ->type_name("RFC3339");
  cmd->add_option("--max-bytes", flags->max_bytes, "Refuse an archive larger than this (the platform's limit)")
      ->capture_default_str()
      ->type_name("BYTES");
}

absl::StatusOr<PackageOptions> ResolvePackageFlags(const PackageFlags& flags, const PlatformOptions& platform) {
  PackageOptions options;
  if (flags.implementations.empty()) {
    return absl::InvalidArgumentError(
        "--implementations DIR is required: the directory with the built plugins (*.so) to package");
  }
  options.implementations = flags.implementations;
  options.out_dir = flags.out.empty() ? "." : flags.out;
  options.max_bytes = flags.max_bytes;
  if (options.max_bytes == 0) return absl::InvalidArgumentError("--max-bytes must be positive");
  auto built_at = ResolveBuiltAt(flags.built_at);
  if (!built_at.ok()) return built_at.status();
  options.built_at = *built_at;
  if (!flags.sign_key.empty()) {
    auto pem = ReadFile(flags.sign_key);
    if (!pem.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--sign-key ", flags.sign_key,
                                                     " cannot be read: give the path of an Ed25519 private key "
                                                     "(make one with `openssl genpkey -algorithm ed25519 -out key.pem`)"));
    }
    if (auto key = protocol::SigningKey::FromPrivatePem(*pem); !key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--sign-key ", flags.sign_key, ": ", key.status().message(),
                                                     ": it must be an Ed25519 private key in PEM (PKCS#8), as made by "
                                                     "`openssl genpkey -algorithm ed25519 -out key.pem`"));
    }
    options.sign_key_pem = *std::move(pem);
  }
  options.org = flags.org;
  if (options.org.empty()) {
    auto org = OrgFromToken(platform);
    if (!org.ok()) return org.status();
    options.org = *org;
  }
  return options;
}

std::string TooLargeMessage(uint64_t size, uint64_t limit) {
  return absl::StrCat("the bundle is ", HumanBytes(size), " (", size, " bytes), over the limit of ", HumanBytes(limit),
                      " (", limit, " bytes): leave out plugins or files it does not need, strip debug information "
                      "(strip --strip-unneeded), or split the tools into several bundles");
}

absl::StatusOr<PackageResult> BuildPackage(const PackageOptions& options) {
  auto status = [&](std::string_view line) {
    if (options.on_status) options.on_status(line);
  };
  auto sources = CollectPlugins(options.implementations);
  if (!sources.ok()) return sources.status();
  StagingDir staging;
  if (staging.path().empty()) return absl::InternalError("cannot create a temporary staging directory (mkdtemp)");
  const fs::path dist = staging.path() / "dist";
  auto staged = Stage(*sources, dist);
  if (!staged.ok()) return staged.status();

  // Every fork first (the checks run in child processes), then the loads, which start threads.
  if (absl::Status s = CheckPlugins(*staged, status); !s.ok()) return s;
  auto discovery = DiscoverTools(*staged);
  if (!discovery.ok()) return discovery.status();

  PackageResult result;
  auto manifest = MakeManifest(options, *discovery, dist);
  if (!manifest.ok()) return manifest.status();
  result.manifest = *std::move(manifest);
  result.manifest_json = bundle::ManifestToJson(result.manifest);
  if (absl::Status s = bundle::ParseManifest(result.manifest_json).status(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the manifest would be invalid: ", s.message()));
  }
  std::optional<std::string> signature;
  if (!options.sign_key_pem.empty()) {
    auto key = protocol::SigningKey::FromPrivatePem(options.sign_key_pem);
    if (!key.ok()) return key.status();
    signature = bundle::SignManifest(result.manifest_json, *key);
    result.key_id = key->KeyId();
  }

  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--out ", options.out_dir.string(), ": ", ec.message()));
  result.archive = options.out_dir / bundle::ArchiveFileName(result.manifest);
  // Written beside the final name, so the size check happens before the final file exists and the rename
  // stays on one file system.
  const fs::path pending = options.out_dir / absl::StrCat(".", result.archive.filename().string(), ".", getpid());
  auto remove_pending = absl::MakeCleanup([&pending] {
    std::error_code ignored;
    fs::remove(pending, ignored);
  });
  std::optional<std::string_view> signature_view;
  if (signature) signature_view = *signature;
  if (absl::Status s = bundle::WriteArchive(pending, result.manifest_json, signature_view, dist, options.built_at);
      !s.ok()) {
    return s;
  }
  result.archive_bytes = fs::file_size(pending, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot stat ", pending.string(), ": ", ec.message()));
  if (result.archive_bytes > options.max_bytes) {
    return absl::ResourceExhaustedError(TooLargeMessage(result.archive_bytes, options.max_bytes));
  }
  fs::rename(pending, result.archive, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot write ", result.archive.string(), ": ", ec.message()));
  return result;
}

}  // namespace edge::cli
