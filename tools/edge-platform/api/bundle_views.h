// api/bundle_views.h: the JSON shapes of the bundle endpoints (docs/bundles.md section 6, "JSON shapes"): a
// version, a bundle (with or without its versions) and a deployment's resolved target. The CLI and the
// connector read exactly these fields.
#ifndef EDGE_PLATFORM_API_BUNDLE_VIEWS_H_
#define EDGE_PLATFORM_API_BUNDLE_VIEWS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edge/protocol/json_writer.h"
#include "store/store.h"

namespace edge::platform::api {

// {"bundleId","version","checksum","archiveSha256","size","uploadedAtMs","builtAt","signed","uploadedBy",
//  "abi":{"major","minor"},"platform":{"os","arch"},"tools":[...]}
void WriteVersion(protocol::JsonWriter& w, const store::BundleVersion& v);

// {"id","orgId","name","createdAtMs","latestVersion","isDefault","defaultVersion"[,"versions":[...]]}.
// `org_default` is the org's default (any bundle); `versions` null leaves the array out.
void WriteBundle(protocol::JsonWriter& w, const store::Bundle& bundle,
                 const std::optional<store::BundleRef>& org_default, const std::vector<store::BundleVersion>* versions);

// {"deploymentId","bundleId","bundleName","version","checksum","archiveSha256","size","source","pinned",
//  "downloadPath"}
void WriteTarget(protocol::JsonWriter& w, std::string_view deployment_id, const store::BundleTarget& target);

// "/api/v1/bundles/<id>/versions/<n>/download"
std::string DownloadPath(std::string_view bundle_id, int64_t version);

}  // namespace edge::platform::api

#endif  // EDGE_PLATFORM_API_BUNDLE_VIEWS_H_
