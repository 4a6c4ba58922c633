// bundle_cli_util.h: helpers for the bundle CLI integration tests (package, upload, bundle ...): temp
// directories, file I/O, an implementations directory assembled from built plugins, and reading archives back
// with the real bundle library.
#ifndef EDGE_TESTS_INTEGRATION_BUNDLE_CLI_BUNDLE_CLI_UTIL_H_
#define EDGE_TESTS_INTEGRATION_BUNDLE_CLI_BUNDLE_CLI_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "edge/bundle/archive.h"
#include "edge/bundle/manifest.h"
#include "platform_env.h"
#include "subprocess.h"

namespace edge::testing {

namespace fs = std::filesystem;

inline std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// File names in `dir` (not recursive), sorted; hidden ones included (leftover temp files must show).
inline std::vector<std::string> ListDir(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Copies a built plugin into `dir` under `name` (default: its own file name).
inline void AddPlugin(const fs::path& dir, const std::string& built, const std::string& name = "") {
  fs::create_directories(dir);
  const fs::path source(built);
  fs::copy_file(source, dir / (name.empty() ? source.filename().string() : name),
                fs::copy_options::overwrite_existing);
}

// The manifest inside an archive, parsed (fails the test when it does not parse).
inline bundle::Manifest ManifestOf(const fs::path& archive, std::string* manifest_json = nullptr,
                                   std::optional<std::string>* signature = nullptr) {
  auto files = bundle::ReadArchiveManifest(archive);
  EXPECT_TRUE(files.ok()) << files.status();
  if (!files.ok()) return {};
  if (manifest_json != nullptr) *manifest_json = files->manifest_json;
  if (signature != nullptr) *signature = files->signature_json;
  auto manifest = bundle::ParseManifest(files->manifest_json);
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  return manifest.ok() ? *manifest : bundle::Manifest{};
}

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A temporary directory for one test, removed at the end.
class BundleCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    // The CLI must not pick up a token from the developer's environment or working directory.
    unsetenv("EDGE_ADMIN_TOKEN");
    unsetenv("SOURCE_DATE_EPOCH");
    empty_install_ = root_ + "/install";
    fs::create_directories(empty_install_);
  }
  void TearDown() override { RemoveTree(root_); }
  fs::path Dir(const std::string& name) {
    fs::path p = fs::path(root_) / name;
    fs::create_directories(p);
    return p;
  }

  std::string root_;
  std::string empty_install_;  // an installation directory without configuration or auth-token.json
};

}  // namespace edge::testing

#endif  // EDGE_TESTS_INTEGRATION_BUNDLE_CLI_BUNDLE_CLI_UTIL_H_
