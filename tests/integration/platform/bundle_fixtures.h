// bundle_fixtures.h: helpers for the edge-platform bundle tests: bundle archives made with the edge_bundle
// library from a small dist/ tree (no real plugins: the platform never loads them), and raw-body HTTP through
// libcurl (binary bodies, chunked uploads, downloads that may fail on purpose).
#ifndef EDGE_TESTS_INTEGRATION_PLATFORM_BUNDLE_FIXTURES_H_
#define EDGE_TESTS_INTEGRATION_PLATFORM_BUNDLE_FIXTURES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform_env.h"

namespace edge::testing {

struct BundleSpec {
  std::string org = "org_acme";
  // dist/ contents: relative path -> bytes. tools/echo.so, when present, is declared as the tool "echo".
  std::map<std::string, std::string> files = {{"tools/echo.so", "\x7f" "ELF not really a plugin"},
                                              {"tools/echo.json", R"({"greeting":"hi"})"}};
  std::string built_at = "2026-11-23T16:42:00Z";
  std::optional<std::string> signature_json;  // manifest.json.sig
  // Rewrites the manifest text before it is archived (for invalid manifests).
  std::function<std::string(std::string)> edit_manifest;
};

struct BuiltBundle {
  std::string path;            // the .tgz
  std::string bytes;           // its content
  std::string checksum;        // the manifest's tree checksum
  std::string archive_sha256;  // of `bytes`
};

// Builds the archive under `work_dir` (a fresh subdirectory per call).
BuiltBundle MakeBundle(const std::string& work_dir, const BundleSpec& spec);

// One HTTP request with a raw body. `chunked` sends it with Transfer-Encoding: chunked (no Content-Length).
// Transport errors are returned in `curl_code` instead of failing the test (faulty downloads expect them).
struct RawResult : HttpResult {
  int curl_code = 0;
};
RawResult HttpRaw(const std::string& method, const std::string& url, const std::string& body,
                  const std::vector<std::string>& headers, bool chunked = false, long timeout_s = 20);

std::vector<std::string> BasicAuth(const std::string& deployment_id, const std::string& secret);

}  // namespace edge::testing

#endif  // EDGE_TESTS_INTEGRATION_PLATFORM_BUNDLE_FIXTURES_H_
