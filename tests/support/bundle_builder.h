// tests/support/bundle_builder.h: builds real bundle archives from built plugins, for tests and benchmarks.
//
// It does what `edge-connector package` does, in-process: copies the plugins (and their configs) into a
// dist/tools/ tree, loads each through a PluginHost to read its descriptors and negotiated ABI, hashes the tree
// (HashTree, TreeChecksum), writes the manifest (ManifestToJson), optionally signs it, and writes the .tgz
// (WriteArchive). Hooks produce the broken bundles negative tests need: an edited manifest (wrong ABI, os,
// descriptor), edited manifest bytes, a tampered tree, plugins that cannot load on this host.
#ifndef EDGE_TESTS_SUPPORT_BUNDLE_BUILDER_H_
#define EDGE_TESTS_SUPPORT_BUNDLE_BUILDER_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "edge/bundle/manifest.h"
#include "edge/protocol/auth.h"

namespace edge::testing {

struct BundlePluginSpec {
  std::filesystem::path file;              // a built plugin (.so)
  std::string name;                        // its name in dist/tools/ without ".so"; empty: the file's stem
  std::optional<std::string> config_json;  // written beside it as dist/tools/<name>.json
  // For a plugin this host cannot load (wrong ABI, failing init): the tool names to write into the manifest
  // (with a minimal descriptor) instead of asking the plugin. Empty: the plugin is loaded.
  std::vector<std::string> fake_tools;
};

struct BundleSpec {
  std::string org_id = "org_test";
  std::vector<BundlePluginSpec> plugins;
  std::map<std::string, std::string> extra_files;  // dist-relative path -> contents
  absl::Time built_at = absl::FromUnixSeconds(1763916120);
  const protocol::SigningKey* sign_key = nullptr;
  std::function<void(bundle::Manifest&)> edit_manifest;              // before serialisation
  std::function<void(std::string&)> edit_manifest_json;              // after serialisation (signed as edited)
  std::function<void(const std::filesystem::path& dist)> edit_dist;  // after hashing, before archiving
};

struct BuiltBundle {
  std::filesystem::path archive;
  bundle::Manifest manifest;
  std::string manifest_json;
  std::string archive_sha256;
  uint64_t size = 0;
};

// Builds into `work_dir` (created; its dist/ is replaced). The archive is written inside `work_dir`.
absl::StatusOr<BuiltBundle> BuildBundle(const BundleSpec& spec, const std::filesystem::path& work_dir);

// Reads a whole file (for tests that serve an archive over HTTP).
std::string ReadFileBytes(const std::filesystem::path& path);

}  // namespace edge::testing

#endif  // EDGE_TESTS_SUPPORT_BUNDLE_BUILDER_H_
