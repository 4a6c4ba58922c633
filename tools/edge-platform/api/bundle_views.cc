// Bundle JSON shapes.
#include "api/bundle_views.h"

#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"

namespace edge::platform::api {

using runtime::ToAbsl;

void WriteVersion(protocol::JsonWriter& w, const store::BundleVersion& v) {
  w.BeginObject();
  w.Key("bundleId").String(v.bundle_id).Key("version").Int(v.version);
  w.Key("checksum").String(v.checksum).Key("archiveSha256").String(v.archive_sha256).Key("size").Int(v.size);
  w.Key("uploadedAtMs").Int(v.uploaded_at_ms).Key("builtAt").String(v.built_at);
  w.Key("signed").Bool(v.is_signed).Key("uploadedBy").String(v.uploaded_by);
  w.Key("abi").BeginObject().Key("major").Int(v.abi_major).Key("minor").Int(v.abi_minor).EndObject();
  w.Key("platform").BeginObject().Key("os").String(v.os).Key("arch").String(v.arch).EndObject();
  // Written by the upload handler from the validated manifest: a JSON array of strings.
  w.Key("tools").Raw(v.tools_json.empty() ? "[]" : v.tools_json);
  w.EndObject();
}

void WriteBundle(protocol::JsonWriter& w, const store::Bundle& bundle,
                 const std::optional<store::BundleRef>& org_default,
                 const std::vector<store::BundleVersion>* versions) {
  const bool is_default = org_default && org_default->bundle_id == bundle.id;
  w.BeginObject();
  w.Key("id").String(bundle.id).Key("orgId").String(bundle.org_id).Key("name").String(bundle.name);
  w.Key("createdAtMs").Int(bundle.created_at_ms).Key("latestVersion").Int(bundle.latest_version);
  w.Key("isDefault").Bool(is_default).Key("defaultVersion");
  if (is_default && org_default->version) {
    w.Int(*org_default->version);
  } else {
    w.Null();
  }
  if (versions != nullptr) {
    w.Key("versions").BeginArray();
    for (const store::BundleVersion& v : *versions) WriteVersion(w, v);
    w.EndArray();
  }
  w.EndObject();
}

void WriteTarget(protocol::JsonWriter& w, std::string_view deployment_id, const store::BundleTarget& target) {
  const store::BundleVersion& v = target.version;
  w.BeginObject();
  w.Key("deploymentId").String(deployment_id);
  w.Key("bundleId").String(target.bundle.id).Key("bundleName").String(target.bundle.name);
  w.Key("version").Int(v.version).Key("checksum").String(v.checksum);
  w.Key("archiveSha256").String(v.archive_sha256).Key("size").Int(v.size);
  w.Key("source").String(target.source).Key("pinned").Bool(target.pinned);
  w.Key("downloadPath").String(DownloadPath(target.bundle.id, v.version));
  w.EndObject();
}

std::string DownloadPath(std::string_view bundle_id, int64_t version) {
  return absl::StrCat("/api/v1/bundles/", ToAbsl(bundle_id), "/versions/", version, "/download");
}

}  // namespace edge::platform::api
