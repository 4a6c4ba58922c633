// Manifest serialisation, the connector's compatibility checks and the host platform.
#include <sys/utsname.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "edge/bundle/manifest.h"
#include "edge/protocol/json_writer.h"
#include "internal.h"

namespace edge::bundle {
using internal::ToAbsl;

std::string ManifestErrorField(const absl::Status& status) {
  auto p = status.GetPayload(kManifestFieldPayload);
  return p.has_value() ? std::string(*p) : std::string();
}

std::string ManifestToJson(const Manifest& manifest) {
  std::vector<const ManifestTool*> tools;
  for (const ManifestTool& t : manifest.tools) tools.push_back(&t);
  std::stable_sort(tools.begin(), tools.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::vector<const ManifestFile*> files;
  for (const ManifestFile& f : manifest.files) files.push_back(&f);
  std::stable_sort(files.begin(), files.end(), [](auto* a, auto* b) { return a->path < b->path; });

  std::string out;
  protocol::JsonWriter w(out);
  w.BeginObject()
      .Key("schemaVersion").Int(manifest.schema_version)
      .Key("orgId").String(manifest.org_id)
      .Key("language").String(manifest.language)
      .Key("abi").BeginObject().Key("major").Uint(manifest.abi_major).Key("minor").Uint(manifest.abi_minor)
      .EndObject()
      .Key("platform").BeginObject().Key("os").String(manifest.os).Key("arch").String(manifest.arch).EndObject()
      .Key("builtAt").String(manifest.built_at)
      .Key("checksum").String(manifest.checksum)
      .Key("tools").BeginArray();
  for (const ManifestTool* t : tools) {
    w.BeginObject()
        .Key("name").String(t->name)
        .Key("plugin").String(t->plugin)
        .Key("pluginVersion").String(t->plugin_version)
        .Key("file").String(t->file)
        .Key("sha256").String(t->sha256)
        .Key("size").Uint(t->size)
        .Key("descriptor").Raw(t->descriptor_json.empty() ? std::string_view("{}") : t->descriptor_json)
        .EndObject();
  }
  w.EndArray().Key("files").BeginArray();
  for (const ManifestFile* f : files) {
    w.BeginObject().Key("path").String(f->path).Key("sha256").String(f->sha256).Key("size").Uint(f->size)
        .EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

absl::Status CheckCompatibility(const Manifest& manifest, uint32_t host_abi_major, uint32_t host_abi_minor,
                                std::string_view host_os, std::string_view host_arch) {
  if (manifest.language != "native") {
    return absl::FailedPreconditionError(absl::StrCat(
        "bundle language '", manifest.language,
        "' is not supported: this connector loads only native plugins; package the tools as native plugins"));
  }
  const std::string needs = absl::StrCat(manifest.abi_major, ".", manifest.abi_minor);
  const std::string serves = absl::StrCat(host_abi_major, ".", host_abi_minor);
  if (manifest.abi_major > host_abi_major ||
      (manifest.abi_major == host_abi_major && manifest.abi_minor > host_abi_minor)) {
    return absl::FailedPreconditionError(absl::StrCat("bundle needs plugin ABI ", needs,
                                                      ", this connector serves ", serves,
                                                      ": upgrade the connector"));
  }
  if (manifest.abi_major < host_abi_major) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bundle needs plugin ABI ", needs, ", this connector serves ", serves,
        ": rebuild the plugins against plugin ABI ", host_abi_major, " and package the bundle again"));
  }
  if (manifest.os != host_os || manifest.arch != host_arch) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bundle is built for ", manifest.os, "/", manifest.arch, ", this connector runs on ", ToAbsl(host_os), "/",
        ToAbsl(host_arch), ": build the plugins for ", ToAbsl(host_os), "/", ToAbsl(host_arch),
        " and package the bundle there"));
  }
  return absl::OkStatus();
}

std::string HostOs() { return "linux"; }

std::string HostArch() {
  struct utsname name;
  if (uname(&name) != 0) return "unknown";
  return name.machine;
}

std::string ArchiveFileName(const Manifest& manifest) {
  absl::Time t;
  std::string err;
  std::string stamp;
  if (absl::ParseTime(absl::RFC3339_full, manifest.built_at, &t, &err)) {
    stamp = absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
  } else {
    // ParseManifest refuses such a manifest; keep the name usable for a hand-built struct anyway.
    for (char c : manifest.built_at) {
      if ((c >= '0' && c <= '9') || c == 'T' || c == 'Z') stamp += c;
    }
  }
  return absl::StrCat("edge-bundle-", manifest.org_id, "-", stamp, ".tgz");
}

}  // namespace edge::bundle
