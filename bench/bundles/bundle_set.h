// bench/bundles/bundle_set.h: the bundles the swap benchmark installs one after another, one per generation.
//
// Every bundle holds all five example plugins (echo, slow, sysinfo, sqlite_query, http_request) with their
// configurations, built with tests/support/bundle_builder as `edge-connector package` would. Generation n
// differs from every other one in content, so each has its own checksum and generation directory:
//   - sqlite_query's configuration points at gen-<n>.db, which lets the load's probe tell generations apart;
//   - unless `same_binaries`, each plugin file gets a trailer naming the generation (ELF loaders ignore bytes
//     after the section headers), so the plugin host copies and dlopens new libraries for every generation,
//     as for a release with new plugin code. With `same_binaries` only the configuration changes, and a
//     plugin file that the serving generation still has loaded is only reference-counted by dlopen.
#ifndef EDGE_BENCH_BUNDLES_BUNDLE_SET_H_
#define EDGE_BENCH_BUNDLES_BUNDLE_SET_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edge::bench {

inline constexpr char kBundleOrg[] = "org_bench";

struct BundleSetOptions {
  std::filesystem::path plugin_dir;  // where the example plugins were built (EDGE_PLUGIN_OUTPUT_DIR)
  std::filesystem::path work_dir;    // scratch; bundles go to <work_dir>/bundles/gen-<n>/
  bool same_binaries = false;
};

struct GenerationBundle {
  int index = 0;
  std::filesystem::path archive;
  std::string archive_sha256;
  std::string checksum;  // "sha256:<hex>"
  std::string hex;       // the generation directory name
  int64_t size = 0;      // archive bytes
  uint64_t dist_bytes = 0;
  size_t tools = 0;
};

// The plugins every bundle holds (file stems under plugin_dir).
const std::vector<std::string>& ExamplePluginNames();

// Builds generations 0 .. count-1.
absl::StatusOr<std::vector<GenerationBundle>> BuildBundleSet(const BundleSetOptions& options, int count);

}  // namespace edge::bench

#endif  // EDGE_BENCH_BUNDLES_BUNDLE_SET_H_
