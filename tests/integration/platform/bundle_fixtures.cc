// Bundle archives and raw HTTP for the platform bundle tests.
#include "bundle_fixtures.h"
#include "platform_env.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/time/time.h"
#include "edge/bundle/archive.h"
#include "edge/bundle/manifest.h"
#include "edge/bundle/tree.h"
#include "edge/protocol/auth.h"

namespace edge::testing {

namespace fs = std::filesystem;

BuiltBundle MakeBundle(const std::string& work_dir, const BundleSpec& spec) {
  static int counter = 0;
  const fs::path root = fs::path(work_dir) / ("bundle-" + std::to_string(++counter));
  const fs::path dist = root / "dist";
  for (const auto& [path, content] : spec.files) {
    fs::create_directories((dist / path).parent_path());
    std::ofstream(dist / path, std::ios::binary) << content;
  }
  fs::create_directories(dist);

  bundle::Manifest m;
  m.org_id = spec.org;
  m.abi_major = 1;
  m.abi_minor = 0;
  m.os = "linux";
  m.arch = "x86_64";
  m.built_at = spec.built_at;
  absl::StatusOr<std::vector<bundle::ManifestFile>> files = bundle::HashTree(dist);
  EXPECT_TRUE(files.ok()) << files.status();
  if (files.ok()) m.files = *files;
  m.checksum = bundle::TreeChecksum(m.files);
  for (const bundle::ManifestFile& f : m.files) {
    if (f.path != "tools/echo.so") continue;
    bundle::ManifestTool tool;
    tool.name = "echo";
    tool.plugin = "echo";
    tool.plugin_version = "1.0.0";
    tool.file = f.path;
    tool.sha256 = f.sha256;
    tool.size = f.size;
    tool.descriptor_json = R"({"name":"echo","description":"Echoes its input","inputSchema":{"type":"object"}})";
    m.tools.push_back(tool);
  }
  std::string manifest_json = bundle::ManifestToJson(m);
  if (spec.edit_manifest) manifest_json = spec.edit_manifest(manifest_json);

  absl::Time built_at;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, spec.built_at, &built_at, &err)) << err;
  BuiltBundle out;
  out.path = (root / "bundle.tgz").string();
  std::optional<std::string_view> signature;
  if (spec.signature_json) signature = *spec.signature_json;
  absl::Status written = bundle::WriteArchive(out.path, manifest_json, signature, dist, built_at);
  EXPECT_TRUE(written.ok()) << written;
  std::ifstream in(out.path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  out.bytes = bytes.str();
  out.checksum = m.checksum;
  out.archive_sha256 = bundle::Sha256Hex(out.bytes);
  return out;
}

namespace {

struct Reader {
  const std::string* body;
  size_t offset = 0;
};

// Hands the body out in pieces of at most 64 KiB, like a streaming client.
size_t Read(char* buffer, size_t size, size_t n, void* user) {
  auto* r = static_cast<Reader*>(user);
  const size_t take = std::min({size * n, r->body->size() - r->offset, size_t{64 * 1024}});
  std::copy_n(r->body->data() + r->offset, take, buffer);
  r->offset += take;
  return take;
}

}  // namespace

RawResult HttpRaw(const std::string& method, const std::string& url, const std::string& body,
                  const std::vector<std::string>& headers, bool chunked, long timeout_s) {
  RawResult result;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");
  Reader reader{&body};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (chunked) {
    list = curl_slist_append(list, "Transfer-Encoding: chunked");
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, Read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
  } else if (method != "GET" || !body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CurlAppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CurlCollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
  result.curl_code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result;
}

std::vector<std::string> BasicAuth(const std::string& deployment_id, const std::string& secret) {
  return {"Authorization: " + protocol::BasicAuthorization(deployment_id, secret)};
}

}  // namespace edge::testing
