// commands/bundle_package.h: building a bundle archive (docs/bundles.md sections 1-4) from a directory of
// built plugins, shared by `package` and by `upload` without --file: the options both accept, and the build
// itself (stage, check, discover, manifest, sign, write, size limit).
#ifndef EDGE_CLI_COMMANDS_BUNDLE_PACKAGE_H_
#define EDGE_CLI_COMMANDS_BUNDLE_PACKAGE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "commands/platform_client.h"
#include "edge/bundle/manifest.h"

namespace CLI {
class App;
}  // namespace CLI

namespace edge::cli {

// The platform refuses larger uploads (HTTP 413); package and upload refuse them before that.
inline constexpr uint64_t kMaxBundleBytes = 52428800;  // 50 MiB

// The packaging options as typed on the command line.
struct PackageFlags {
  std::string implementations;
  std::string out = ".";
  std::string org;
  std::string sign_key;
  std::string built_at;
  uint64_t max_bytes = kMaxBundleBytes;
};
// Adds --implementations, --out, --org, --sign-key, --built-at and --max-bytes to `cmd`.
void AddPackageFlags(CLI::App* cmd, PackageFlags* flags);

struct PackageOptions {
  std::filesystem::path implementations;
  std::filesystem::path out_dir;
  std::string org;
  std::string sign_key_pem;  // the private key's PEM text; empty: unsigned
  absl::Time built_at;       // whole seconds
  uint64_t max_bytes = kMaxBundleBytes;
  std::function<void(std::string_view)> on_status;  // progress lines, e.g. "checked tools/echo.so: ..."
};

// Turns flags into options: --built-at (RFC 3339; else SOURCE_DATE_EPOCH; else now), --sign-key (read and
// checked), --org (else the org of the admin token `platform` resolves). Errors are InvalidArgument naming the
// option and the fix (a usage error).
absl::StatusOr<PackageOptions> ResolvePackageFlags(const PackageFlags& flags, const PlatformOptions& platform);

struct PackageResult {
  std::filesystem::path archive;  // <out>/edge-bundle-<org>-<ts>.tgz
  uint64_t archive_bytes = 0;
  bundle::Manifest manifest;
  std::string manifest_json;  // the exact bytes of manifest.json in the archive
  std::string key_id;         // of the signature; empty when unsigned
};

// Builds the archive. Refusals (a plugin failing its checks: FailedPrecondition; no plugins, duplicate tool
// names: InvalidArgument; larger than max_bytes: ResourceExhausted) name the cause and the fix; no archive is
// left behind on error. Forks to check the plugins, so call it before this process starts threads.
absl::StatusOr<PackageResult> BuildPackage(const PackageOptions& options);

// The message for a bundle over a size limit, the same for package, upload and the platform's 413.
std::string TooLargeMessage(uint64_t size, uint64_t limit);

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_BUNDLE_PACKAGE_H_
