// Bundle test hooks (--enable-test-hooks only, docs/api.md "Test hooks"), for the connector's acceptance tests:
//   drop-bundle-pushes  skips the next N bundle.updated pushes, so a test can show the poll covers a lost push;
//   raw-bundle-version  stores any bytes as a bundle's next version without the upload's checks, so a test can
//                       show the connector refuses the archives the upload would have refused (defence in depth).
// The download-fault hook lives with the download (bundles.cc).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/api.h"
#include "api/bundle_views.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/log.h"

namespace edge::platform::api {

using runtime::ToAbsl;

namespace {

bool IsTreeChecksum(std::string_view text) {
  if (text.size() != 71 || text.substr(0, 7) != "sha256:") return false;
  for (char c : text.substr(7)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

void Api::DropBundlePushes(const Exchange& ex, const Caller&) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, false)) return;
  auto count = doc.FindMember("count");
  if (count == doc.MemberEnd() || !count->value.IsInt64() || count->value.GetInt64() < 0) {
    return BadField(*ex, "/count", "'count' must be a non-negative integer: how many bundle.updated pushes to skip");
  }
  drop_bundle_pushes_left_ = count->value.GetInt64();
  if (logger_) logger_->Warn("api", "test hook: the next ", drop_bundle_pushes_left_, " bundle.updated pushes are dropped");
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("count").Int(drop_bundle_pushes_left_).EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::AddRawBundleVersion(const Exchange& ex, const Caller& caller) {
  const HttpRequest& req = ex->request();
  std::string bundle_id, checksum;
  for (absl::string_view pair : absl::StrSplit(ToAbsl(req.query), '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.first == "bundleId") bundle_id = kv.second;
    if (kv.first == "checksum") checksum = kv.second;
  }
  if (bundle_id.empty()) {
    return ex->Respond(ErrorResponse(400, "invalid_request", "?bundleId= is required: the bundle to add a version to"));
  }
  if (!checksum.empty() && !IsTreeChecksum(checksum)) {
    return ex->Respond(ErrorResponse(400, "invalid_request",
                                     "?checksum= must be \"sha256:\" followed by 64 lowercase hex characters"));
  }
  if (req.body.empty()) {
    return ex->Respond(ErrorResponse(400, "invalid_request", "the body is empty; send the archive bytes"));
  }
  store::Bundle bundle;
  if (!FindBundle(ex, caller, bundle_id, &bundle)) return;

  absl::StatusOr<std::unique_ptr<bundles::UploadFile>> file = archives_->NewUpload(req.body.size());
  if (!file.ok()) return ex->Respond(StatusResponse(file.status()));
  (*file)->Append(req.body);
  (*file)->Finish();
  if (!(*file)->error().ok()) return ex->Respond(StatusResponse((*file)->error()));

  // Nothing is read from the archive: the metadata is what the test says, or placeholders.
  store::BundleVersion v;
  v.bundle_id = bundle.id;
  v.version = bundle.latest_version + 1;
  v.archive_sha256 = (*file)->sha256_hex();
  v.checksum = checksum.empty() ? absl::StrCat("sha256:", v.archive_sha256) : checksum;
  v.size = static_cast<int64_t>(req.body.size());
  v.uploaded_at_ms = store::NowMs();
  v.uploaded_by = caller.subject;
  v.tools_json = "[]";
  v.file_name = absl::StrCat("raw-", v.archive_sha256.substr(0, 16), ".tgz");

  absl::StatusOr<std::string> stored = archives_->Publish(**file, caller.org_id, bundle.id, v.version);
  if (!stored.ok()) return ex->Respond(StatusResponse(stored.status()));
  const TargetSnapshot before = ConnectedTargets(caller.org_id);
  if (absl::Status s = store_->AddBundleVersion(bundle, v); !s.ok()) return ex->Respond(StatusResponse(s));
  if (logger_) {
    logger_->Warn("api", "test hook: stored ", v.size, " unvalidated bytes as bundle ", bundle.id, " version ",
                  v.version, " (checksum ", v.checksum, ")");
  }
  PushTargetChanges(caller.org_id, before, "assigned");
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("version");
  WriteVersion(w, v);
  w.EndObject();
  ex->Respond(JsonResponse(201, std::move(body)));
}

}  // namespace edge::platform::api
