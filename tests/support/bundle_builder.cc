// The in-process bundle builder for tests (see bundle_builder.h).
#include "support/bundle_builder.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "edge/bundle/archive.h"
#include "edge/bundle/signature.h"
#include "edge/bundle/tree.h"
#include "edge/plugin.h"
#include "edge/runtime/log.h"
#include "edge/runtime/plugin_host.h"

namespace edge::testing {
namespace fs = std::filesystem;

namespace {

absl::Status WriteText(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

}  // namespace

std::string ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

absl::StatusOr<BuiltBundle> BuildBundle(const BundleSpec& spec, const fs::path& work_dir) {
  std::error_code ec;
  const fs::path dist = work_dir / "dist";
  fs::remove_all(dist, ec);
  fs::create_directories(dist / "tools", ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dist.string(), ": ", ec.message()));

  runtime::Logger quiet([](runtime::LogLevel, std::string_view, std::string_view) {}, runtime::LogLevel::kOff);
  runtime::PluginHostOptions host_options;
  host_options.content_store_dir = work_dir / ".builder-store";
  host_options.logger = &quiet;
  auto host = std::make_unique<runtime::PluginHost>(host_options);

  bundle::Manifest m;
  m.org_id = spec.org_id;
  m.abi_major = EDGE_ABI_MAJOR;
  m.abi_minor = 0;
  m.os = bundle::HostOs();
  m.arch = bundle::HostArch();
  m.built_at = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", spec.built_at, absl::UTCTimeZone());

  struct PendingTool {
    std::string name, plugin, version, file, descriptor;
  };
  std::vector<PendingTool> pending;
  for (const BundlePluginSpec& p : spec.plugins) {
    const std::string name = p.name.empty() ? p.file.stem().string() : p.name;
    const fs::path so = dist / "tools" / (name + ".so");
    fs::copy_file(p.file, so, fs::copy_options::overwrite_existing, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot copy ", p.file.string(), ": ", ec.message()));
    fs::permissions(so, fs::perms(0755), ec);
    if (p.config_json) {
      if (absl::Status s = WriteText(dist / "tools" / (name + ".json"), *p.config_json); !s.ok()) return s;
    }
    const std::string file = absl::StrCat("tools/", name, ".so");
    if (!p.fake_tools.empty()) {
      for (const std::string& tool : p.fake_tools) {
        pending.push_back({tool, name, "0.0.0", file,
                           absl::StrCat("{\"name\":\"", tool,
                                        "\",\"description\":\"stand-in\",\"inputSchema\":{\"type\":\"object\"}}")});
      }
      continue;
    }
    runtime::PluginLoadOptions load;
    load.config_json = p.config_json.value_or("{}");
    load.data_dir = work_dir / ".builder-data" / name;
    fs::create_directories(load.data_dir, ec);
    absl::StatusOr<std::shared_ptr<runtime::LoadedPlugin>> plugin = host->Load(so, load);
    if (!plugin.ok()) return plugin.status();
    m.abi_minor = std::max(m.abi_minor, (*plugin)->negotiated_minor());
    for (const auto& tool : (*plugin)->tools()) {
      pending.push_back(
          {tool->descriptor().name, (*plugin)->name(), (*plugin)->version(), file, tool->descriptor().ToJson()});
    }
  }
  for (const auto& [path, contents] : spec.extra_files) {
    if (absl::Status s = WriteText(dist / path, contents); !s.ok()) return s;
  }

  absl::StatusOr<std::vector<bundle::ManifestFile>> files = bundle::HashTree(dist);
  if (!files.ok()) return files.status();
  m.files = *files;
  m.checksum = bundle::TreeChecksum(m.files);
  for (const PendingTool& t : pending) {
    auto file = std::find_if(m.files.begin(), m.files.end(), [&](const auto& f) { return f.path == t.file; });
    if (file == m.files.end()) return absl::InternalError(absl::StrCat(t.file, " is missing from the tree"));
    m.tools.push_back({t.name, t.plugin, t.version, t.file, file->sha256, file->size, t.descriptor});
  }
  std::sort(m.tools.begin(), m.tools.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  if (spec.edit_manifest) spec.edit_manifest(m);

  BuiltBundle out;
  out.manifest = m;
  out.manifest_json = bundle::ManifestToJson(m);
  if (spec.edit_manifest_json) spec.edit_manifest_json(out.manifest_json);
  std::optional<std::string> signature;
  if (spec.sign_key != nullptr) signature = bundle::SignManifest(out.manifest_json, *spec.sign_key);
  if (spec.edit_dist) spec.edit_dist(dist);
  out.archive = work_dir / bundle::ArchiveFileName(m);
  if (absl::Status s = bundle::WriteArchive(out.archive, out.manifest_json,
                                            signature ? std::optional<std::string_view>(*signature) : std::nullopt,
                                            dist, spec.built_at);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> sha = bundle::Sha256FileHex(out.archive);
  if (!sha.ok()) return sha.status();
  out.archive_sha256 = *sha;
  out.size = fs::file_size(out.archive, ec);
  return out;
}

}  // namespace edge::testing
