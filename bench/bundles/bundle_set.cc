// Building the swap benchmark's bundles (see bundle_set.h).
#include "bundle_set.h"

#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "support/bundle_builder.h"

namespace edge::bench {
namespace fs = std::filesystem;

namespace {

absl::Status WriteFile(const fs::path& path, std::string_view bytes, std::ios::openmode mode) {
  std::ofstream out(path, std::ios::binary | mode);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string(), ": is the disk full?"));
  return absl::OkStatus();
}

// A copy of `plugin` with a trailer naming the generation: other bytes, the same code.
absl::StatusOr<fs::path> MarkedCopy(const fs::path& plugin, const fs::path& dir, int generation) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path copy = dir / plugin.filename();
  fs::copy_file(plugin, copy, fs::copy_options::overwrite_existing, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot copy ", plugin.string(), ": ", ec.message()));
  if (absl::Status s = WriteFile(
          copy, absl::StrCat(std::string(1, '\0'), "edge-swap-bench generation ", generation, "\n"), std::ios::app);
      !s.ok()) {
    return s;
  }
  return copy;
}

}  // namespace

const std::vector<std::string>& ExamplePluginNames() {
  static const std::vector<std::string> names = {"echo", "http_request", "slow", "sqlite_query", "sysinfo"};
  return names;
}

absl::StatusOr<std::vector<GenerationBundle>> BuildBundleSet(const BundleSetOptions& options, int count) {
  std::error_code ec;
  const fs::path databases = options.work_dir / "databases";
  fs::create_directories(databases, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", databases.string(), ": ", ec.message()));
  for (const std::string& name : ExamplePluginNames()) {
    const fs::path file = options.plugin_dir / (name + ".so");
    if (!fs::is_regular_file(file, ec)) {
      return absl::NotFoundError(absl::StrCat("example plugin ", file.string(), " is missing: build the target '", name,
                                              "' (EDGE_BUILD_EXAMPLES=ON)"));
    }
  }

  std::vector<GenerationBundle> out;
  for (int n = 0; n < count; ++n) {
    const fs::path work = options.work_dir / "bundles" / absl::StrCat("gen-", n);
    // An empty file is a valid, empty SQLite database; only its path matters to the probe.
    const fs::path database = databases / absl::StrCat("gen-", n, ".db");
    if (absl::Status s = WriteFile(database, "", std::ios::trunc); !s.ok()) return s;

    testing::BundleSpec spec;
    spec.org_id = kBundleOrg;
    for (const std::string& name : ExamplePluginNames()) {
      fs::path file = options.plugin_dir / (name + ".so");
      if (!options.same_binaries) {
        absl::StatusOr<fs::path> copy = MarkedCopy(file, work / "plugins", n);
        if (!copy.ok()) return copy.status();
        file = *copy;
      }
      testing::BundlePluginSpec plugin{file, name, std::nullopt, {}};
      if (name == "sqlite_query") plugin.config_json = absl::StrCat(R"({"database":")", database.string(), R"("})");
      if (name == "http_request") plugin.config_json = R"({"allowedHosts":["127.0.0.1"]})";
      spec.plugins.push_back(std::move(plugin));
    }
    absl::StatusOr<testing::BuiltBundle> built = testing::BuildBundle(spec, work);
    if (!built.ok()) {
      return absl::Status(built.status().code(),
                          absl::StrCat("building the bundle of generation ", n, ": ", built.status().message()));
    }
    GenerationBundle g;
    g.index = n;
    g.archive = built->archive;
    g.archive_sha256 = built->archive_sha256;
    g.checksum = built->manifest.checksum;
    g.hex = g.checksum.substr(g.checksum.find(':') + 1);
    g.size = static_cast<int64_t>(built->size);
    for (const auto& f : built->manifest.files) g.dist_bytes += f.size;
    g.tools = built->manifest.tools.size();
    out.push_back(std::move(g));
    // Only the archive is needed from here on; the builder's tree and plugin copies would only fill the disk.
    for (const char* scratch : {"dist", "plugins", ".builder-store", ".builder-data"}) {
      fs::remove_all(work / scratch, ec);
    }
  }
  return out;
}

}  // namespace edge::bench
