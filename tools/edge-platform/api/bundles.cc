// Bundles: list, detail, rename, the org default, deployment assignments and their resolved target, the
// streamed download, the download-fault test hook, and the bundle.updated pushes (docs/bundles.md section 6).
// The upload is bundle_upload.cc.
#include <sys/stat.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/bundle_views.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/log.h"

namespace edge::platform::api {

using runtime::ToAbsl;
using runtime::ToStd;

namespace {

// An optional positive "version" member: false when the answer (400) was sent.
bool ReadVersionField(HttpExchange& ex, const rapidjson::Document& doc, std::optional<int64_t>* out) {
  auto it = doc.FindMember("version");
  if (it == doc.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsInt64() || it->value.GetInt64() <= 0) {
    BadField(ex, "/version", "'version' must be a positive integer (a version number), or absent to follow the "
                             "latest version");
    return false;
  }
  *out = it->value.GetInt64();
  return true;
}

bool SameTarget(const store::BundleTarget& a, const store::BundleTarget& b) {
  return a.bundle.id == b.bundle.id && a.version.version == b.version.version &&
         a.version.checksum == b.version.checksum;
}

HttpResponse DeploymentForbidden(const Caller& caller, std::string_view what) {
  return ErrorResponse(403, "forbidden",
                       absl::StrCat("the credentials of deployment '", caller.deployment_id, "' can only ",
                                    ToAbsl(what), "; use an admin token for anything else"),
                       protocol::AuthFailureReason(protocol::AuthFailure::kDeploymentForbidden));
}

}  // namespace

bool Api::FindBundle(const Exchange& ex, const Caller& caller, const std::string& id, store::Bundle* out) {
  absl::StatusOr<store::Bundle> b = store_->GetBundle(id);
  if (!b.ok() || b->org_id != caller.org_id) {
    // Another org's bundle is answered exactly like a missing one.
    if (b.ok() || absl::IsNotFound(b.status())) {
      ex->Respond(ErrorResponse(404, "bundle_not_found",
                                absl::StrCat("bundle '", id, "' does not exist in org '", caller.org_id,
                                             "'; list them with GET /api/v1/bundles")));
    } else {
      ex->Respond(StatusResponse(b.status()));
    }
    return false;
  }
  *out = *std::move(b);
  return true;
}

Api::TargetSnapshot Api::ConnectedTargets(const std::string& org_id) {
  TargetSnapshot out;
  for (const ConnectionInfo& c : hub_->Connections(org_id)) {
    absl::StatusOr<store::Deployment> d = store_->GetDeployment(c.deployment_id);
    if (!d.ok()) continue;
    absl::StatusOr<std::optional<store::BundleTarget>> t = store_->ResolveBundleTarget(*d);
    out[c.deployment_id] = t.ok() ? *std::move(t) : std::nullopt;
  }
  return out;
}

void Api::PushTargetChanges(const std::string& org_id, const TargetSnapshot& before, std::string_view reason) {
  for (const auto& [deployment_id, old_target] : before) {
    absl::StatusOr<store::Deployment> d = store_->GetDeployment(deployment_id);
    if (!d.ok() || d->org_id != org_id) continue;
    absl::StatusOr<std::optional<store::BundleTarget>> now = store_->ResolveBundleTarget(*d);
    // No target left: nothing to tell; the connector keeps what it runs.
    if (!now.ok() || !*now || (old_target && SameTarget(*old_target, **now))) continue;
    protocol::BundleUpdatedParams params;
    params.bundle_id = (*now)->bundle.id;
    params.version = (*now)->version.version;
    params.checksum = (*now)->version.checksum;
    params.reason = std::string(reason);
    if (old_target && old_target->bundle.id == params.bundle_id && params.version < old_target->version.version) {
      params.reason = "rollback";
    }
    // Test hook (drop-bundle-pushes): the push is skipped, as if lost on the way.
    const bool dropped = drop_bundle_pushes_left_ > 0;
    if (dropped) --drop_bundle_pushes_left_;
    const bool sent = !dropped && hub_->NotifyBundleUpdated(deployment_id, params);
    if (logger_) {
      std::string_view outcome = "";
      if (sent) outcome = "; bundle.updated sent";
      if (dropped) outcome = "; bundle.updated dropped (test hook drop-bundle-pushes)";
      logger_->Info("api", "deployment ", deployment_id, " now targets bundle ", params.bundle_id, " version ",
                    params.version, " (", params.reason, ")", outcome);
    }
  }
}

void Api::ListBundles(const Exchange& ex, const Caller& caller) {
  absl::StatusOr<std::vector<store::Bundle>> list = store_->ListBundles(caller.org_id);
  if (!list.ok()) return ex->Respond(StatusResponse(list.status()));
  absl::StatusOr<std::optional<store::BundleRef>> org_default = store_->GetOrgDefaultBundle(caller.org_id);
  if (!org_default.ok()) return ex->Respond(StatusResponse(org_default.status()));
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("bundles").BeginArray();
  for (const store::Bundle& b : *list) {
    absl::StatusOr<std::vector<store::BundleVersion>> versions = store_->ListBundleVersions(b.id);
    if (!versions.ok()) return ex->Respond(StatusResponse(versions.status()));
    WriteBundle(w, b, *org_default, &*versions);
  }
  w.EndArray().EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

namespace {
// 200 with the bundle and its versions (GET, PATCH and default answer alike).
void RespondBundle(store::Store& store, HttpExchange& ex, const store::Bundle& bundle) {
  absl::StatusOr<std::optional<store::BundleRef>> org_default = store.GetOrgDefaultBundle(bundle.org_id);
  if (!org_default.ok()) return ex.Respond(StatusResponse(org_default.status()));
  absl::StatusOr<std::vector<store::BundleVersion>> versions = store.ListBundleVersions(bundle.id);
  if (!versions.ok()) return ex.Respond(StatusResponse(versions.status()));
  std::string body;
  protocol::JsonWriter w(body);
  WriteBundle(w, bundle, *org_default, &*versions);
  ex.Respond(JsonResponse(200, std::move(body)));
}
}  // namespace

void Api::GetBundle(const Exchange& ex, const Caller& caller, const std::string& id) {
  store::Bundle bundle;
  if (!FindBundle(ex, caller, id, &bundle)) return;
  RespondBundle(*store_, *ex, bundle);
}

void Api::RenameBundle(const Exchange& ex, const Caller& caller, const std::string& id) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, false)) return;
  auto name = doc.FindMember("name");
  if (name == doc.MemberEnd() || !name->value.IsString()) {
    return BadField(*ex, "/name", "'name' is required and must be a string, e.g. {\"name\":\"production\"}");
  }
  store::Bundle bundle;
  if (!FindBundle(ex, caller, id, &bundle)) return;
  absl::StatusOr<store::Bundle> renamed =
      store_->RenameBundle(id, std::string_view(name->value.GetString(), name->value.GetStringLength()));
  if (absl::IsInvalidArgument(renamed.status())) return BadField(*ex, "/name", ToStd(renamed.status().message()));
  if (absl::IsAlreadyExists(renamed.status())) {
    return ex->Respond(ErrorResponse(409, "bundle_name_taken", ToStd(renamed.status().message())));
  }
  if (!renamed.ok()) return ex->Respond(StatusResponse(renamed.status(), "bundle_not_found"));
  if (logger_) logger_->Info("api", "bundle ", id, " renamed to '", renamed->name, "'");
  RespondBundle(*store_, *ex, *renamed);
}

void Api::SetDefaultBundle(const Exchange& ex, const Caller& caller, const std::string& id) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, true)) return;
  std::optional<int64_t> version;
  if (!ReadVersionField(*ex, doc, &version)) return;
  store::Bundle bundle;
  if (!FindBundle(ex, caller, id, &bundle)) return;
  if (version) {
    absl::StatusOr<store::BundleVersion> v = store_->GetBundleVersion(id, *version);
    if (!v.ok()) return ex->Respond(StatusResponse(v.status(), "version_not_found"));
  }
  const TargetSnapshot before = ConnectedTargets(caller.org_id);
  if (absl::Status s = store_->SetOrgDefaultBundle(caller.org_id, {id, version}); !s.ok()) {
    return ex->Respond(StatusResponse(s));
  }
  if (logger_) {
    logger_->Info("api", "org ", caller.org_id, " default bundle: ", id,
                  version ? absl::StrCat(" pinned to version ", *version) : std::string(" following"));
  }
  PushTargetChanges(caller.org_id, before, "default");
  RespondBundle(*store_, *ex, bundle);
}

void Api::GetTarget(const Exchange& ex, const Caller& caller, const std::string& deployment_id) {
  if (!caller.deployment_id.empty() && caller.deployment_id != deployment_id) {
    return ex->Respond(DeploymentForbidden(caller, "read its own bundle target"));
  }
  store::Deployment d;
  if (!FindDeployment(ex, caller, deployment_id, &d)) return;
  absl::StatusOr<std::optional<store::BundleTarget>> target = store_->ResolveBundleTarget(d);
  if (!target.ok()) return ex->Respond(StatusResponse(target.status()));
  if (!*target) {
    return ex->Respond(ErrorResponse(
        404, "no_bundle_assigned",
        absl::StrCat("deployment '", deployment_id, "' has no bundle: assign one with PUT /api/v1/deployments/",
                     deployment_id, "/bundle or make one the org default with POST /api/v1/bundles/{id}/default")));
  }
  std::string body;
  protocol::JsonWriter w(body);
  WriteTarget(w, deployment_id, **target);
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::AssignBundle(const Exchange& ex, const Caller& caller, const std::string& deployment_id) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, false)) return;
  auto bundle_id = doc.FindMember("bundleId");
  if (bundle_id == doc.MemberEnd() || !bundle_id->value.IsString()) {
    return BadField(*ex, "/bundleId", "'bundleId' is required and must be a string, e.g. {\"bundleId\":\"b_7Qx2\"}");
  }
  std::optional<int64_t> version;
  if (!ReadVersionField(*ex, doc, &version)) return;
  store::Deployment d;
  if (!FindDeployment(ex, caller, deployment_id, &d)) return;
  store::Bundle bundle;
  if (!FindBundle(ex, caller, std::string(bundle_id->value.GetString(), bundle_id->value.GetStringLength()),
                  &bundle)) {
    return;
  }
  if (version) {
    absl::StatusOr<store::BundleVersion> v = store_->GetBundleVersion(bundle.id, *version);
    if (!v.ok()) return ex->Respond(StatusResponse(v.status(), "version_not_found"));
  }
  const TargetSnapshot before = ConnectedTargets(caller.org_id);
  if (absl::Status s = store_->SetDeploymentBundle(deployment_id, {bundle.id, version}); !s.ok()) {
    return ex->Respond(StatusResponse(s));
  }
  if (logger_) {
    logger_->Info("api", "deployment ", deployment_id, " assigned bundle ", bundle.id,
                  version ? absl::StrCat(" pinned to version ", *version) : std::string(" following"));
  }
  PushTargetChanges(caller.org_id, before, version ? "pinned" : "assigned");
  GetTarget(ex, caller, deployment_id);
}

void Api::UnassignBundle(const Exchange& ex, const Caller& caller, const std::string& deployment_id) {
  store::Deployment d;
  if (!FindDeployment(ex, caller, deployment_id, &d)) return;
  const TargetSnapshot before = ConnectedTargets(caller.org_id);
  if (absl::Status s = store_->DeleteDeploymentBundle(deployment_id); !s.ok()) {
    return ex->Respond(StatusResponse(s));
  }
  if (logger_) logger_->Info("api", "deployment ", deployment_id, " bundle assignment removed");
  PushTargetChanges(caller.org_id, before, "default");
  absl::StatusOr<std::optional<store::BundleTarget>> target = store_->ResolveBundleTarget(d);
  if (!target.ok()) return ex->Respond(StatusResponse(target.status()));
  std::string body;
  protocol::JsonWriter w(body);
  if (*target) {
    WriteTarget(w, deployment_id, **target);
  } else {
    w.BeginObject().Key("deploymentId").String(deployment_id).Key("bundleId").Null().EndObject();
  }
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::DownloadBundle(const Exchange& ex, const Caller& caller, const std::string& id,
                         const std::string& version_text) {
  int64_t version = 0;
  if (!absl::SimpleAtoi(version_text, &version) || version <= 0) {
    return ex->Respond(ErrorResponse(404, "version_not_found",
                                     absl::StrCat("'", version_text, "' is not a version number; use the "
                                                  "downloadPath of GET /api/v1/deployments/{id}/bundle")));
  }
  store::Bundle bundle;
  if (!FindBundle(ex, caller, id, &bundle)) return;
  if (!caller.deployment_id.empty()) {
    // Deployment credentials read any version of the bundle their target resolves to (so a target that
    // moved between the two calls, or a rollback, still downloads), and nothing else.
    absl::StatusOr<store::Deployment> d = store_->GetDeployment(caller.deployment_id);
    if (!d.ok()) return ex->Respond(StatusResponse(d.status(), "deployment_not_found"));
    absl::StatusOr<std::optional<store::BundleTarget>> target = store_->ResolveBundleTarget(*d);
    if (!target.ok()) return ex->Respond(StatusResponse(target.status()));
    if (!*target || (*target)->bundle.id != bundle.id) {
      return ex->Respond(DeploymentForbidden(caller, "download the bundle its target resolves to"));
    }
  }
  absl::StatusOr<store::BundleVersion> v = store_->GetBundleVersion(bundle.id, version);
  if (!v.ok()) return ex->Respond(StatusResponse(v.status(), "version_not_found"));
  FileBody file;
  file.path = archives_->ArchivePath(bundle.org_id, bundle.id, version);
  struct stat st{};
  if (stat(file.path.c_str(), &st) != 0 || static_cast<int64_t>(st.st_size) != v->size) {
    return ex->Respond(ErrorResponse(
        500, "internal",
        absl::StrCat("the archive of bundle '", bundle.id, "' version ", version, " is missing or damaged at ",
                     file.path, "; restore the data dir from a backup, or upload the bundle again")));
  }
  file.size = static_cast<uint64_t>(v->size);
  if (download_fault_ != FileBody::Fault::kNone && download_fault_left_ != 0) {
    file.fault = download_fault_;
    if (download_fault_left_ > 0 && --download_fault_left_ == 0) download_fault_ = FileBody::Fault::kNone;
  }
  HttpResponse r;
  r.status = 200;
  r.content_type = "application/gzip";
  r.file = std::move(file);
  r.headers.emplace_back("X-Edge-Bundle-Checksum", v->checksum);
  r.headers.emplace_back("X-Edge-Archive-Sha256", v->archive_sha256);
  r.headers.emplace_back("X-Edge-Bundle-Version", std::to_string(version));
  r.headers.emplace_back("Content-Disposition", absl::StrCat("attachment; filename=\"", v->file_name, "\""));
  ex->Respond(std::move(r));
}

void Api::SetDownloadFault(const Exchange& ex, const Caller&) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, false)) return;
  static constexpr std::pair<std::string_view, FileBody::Fault> kModes[] = {
      {"none", FileBody::Fault::kNone},
      {"stall", FileBody::Fault::kStall},
      {"truncate", FileBody::Fault::kTruncate},
      {"corrupt", FileBody::Fault::kCorrupt},
  };
  auto mode = doc.FindMember("mode");
  const FileBody::Fault* fault = nullptr;
  if (mode != doc.MemberEnd() && mode->value.IsString()) {
    std::string_view text(mode->value.GetString(), mode->value.GetStringLength());
    for (const auto& [name, value] : kModes) {
      if (name == text) fault = &value;
    }
  }
  if (fault == nullptr) return BadField(*ex, "/mode", "'mode' must be one of none, stall, truncate, corrupt");
  int64_t count = -1;
  auto count_member = doc.FindMember("count");
  if (count_member != doc.MemberEnd() && !count_member->value.IsNull()) {
    if (!count_member->value.IsInt64() || count_member->value.GetInt64() <= 0) {
      return BadField(*ex, "/count", "'count' must be a positive integer (downloads to affect), or absent for all");
    }
    count = count_member->value.GetInt64();
  }
  download_fault_ = *fault;
  download_fault_left_ = count;
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("mode").String(mode->value.GetString()).Key("count");
  if (count > 0) {
    w.Int(count);
  } else {
    w.Null();
  }
  w.EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

}  // namespace edge::platform::api
