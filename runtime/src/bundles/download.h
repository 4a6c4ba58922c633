// bundles/download.h: the connector's two HTTP calls to the platform (docs/bundles.md section 6): the resolved
// bundle target of its deployment, and the archive download.
//
// Both follow the link's transport rules: http and https only, no plain http to a non-loopback host unless
// allowInsecureWs, the CA file, tlsSkipVerify (logged by the caller), no redirects. The download streams into
// downloads/<sha>.tgz.part with a byte cap checked on every chunk (an announced Content-Length over the cap is
// refused before the body), a streaming SHA-256, stall and total timeouts, then fsync and rename to
// <sha>.tgz. On any failure nothing is left in downloads/. Errors name the cause: the HTTP status with the
// platform's message, a timeout, a stall, the size cap, or the checksum with both values. Both run on the
// calling thread over libwebsockets' HTTP client (bundles/http_get.h).
#ifndef EDGE_RUNTIME_BUNDLES_DOWNLOAD_H_
#define EDGE_RUNTIME_BUNDLES_DOWNLOAD_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "edge/runtime/auth.h"

namespace edge::runtime::bundles {

struct HttpSettings {
  std::string ca_file;           // caFile; empty: the system store
  bool tls_skip_verify = false;  // tlsSkipVerify
  bool allow_insecure = false;   // allowInsecureWs: plain http to a host that is not loopback
  int64_t connect_timeout_ms = 10000;
  int64_t request_timeout_ms = 30000;        // the target request
  int64_t download_timeout_ms = 300000;      // bundleDownloadTimeoutMs: the whole download
  int64_t stall_timeout_ms = 30000;          // bundleStallTimeoutMs: no byte received for this long
  const std::atomic<bool>* abort = nullptr;  // becomes true: the transfer stops (shutdown)
};

// The resolved target of a deployment (GET /api/v1/deployments/{dep}/bundle).
struct BundleTarget {
  std::string bundle_id;
  std::string bundle_name;
  int64_t version = 0;
  std::string checksum;        // "sha256:<hex>" of the dist/ tree
  std::string archive_sha256;  // hex of the .tgz
  int64_t size = 0;
  std::string source;  // "assignment" | "default"
  bool pinned = false;
  std::string download_path;  // "/api/v1/bundles/<id>/versions/<n>/download"
};

// Strict: every field the connector relies on present, checksums well formed, a relative download path.
absl::StatusOr<BundleTarget> ParseBundleTarget(std::string_view json);

// http:// or https:// only; FailedPrecondition for plain http to a non-loopback host without allow_insecure.
absl::Status CheckHttpUrl(std::string_view url, bool allow_insecure);

// `base` (platformApiUrl, with or without a trailing '/') joined with an absolute path.
std::string JoinUrl(std::string_view base, std::string_view path);

// "50 MB" for 52428800 (binary megabytes, as the setting's default is documented), else "<n> bytes".
std::string FormatByteLimit(uint64_t bytes);

// GET {api_url}/api/v1/deployments/{deployment}/bundle with the connector's credentials. nullopt: the platform
// says no bundle is assigned (404 no_bundle_assigned), which is not an error.
absl::StatusOr<std::optional<BundleTarget>> FetchBundleTarget(std::string_view api_url,
                                                              const LinkCredentials& credentials,
                                                              const HttpSettings& settings);

struct DownloadRequest {
  std::string url;
  std::string authorization;      // the Authorization header value
  std::string expected_sha256;    // hex of the archive; also names the file
  uint64_t max_bytes = 52428800;  // bundleMaxBytes
  std::filesystem::path downloads_dir;
  // Test hook: runs once, after the first bytes were written and fsynced to the .part file.
  std::function<void()> after_first_chunk;
};

// Downloads into downloads_dir/<sha>.tgz and returns that path.
absl::StatusOr<std::filesystem::path> DownloadArchive(const DownloadRequest& request, const HttpSettings& settings);

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_DOWNLOAD_H_
