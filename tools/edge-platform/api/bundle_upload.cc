// POST /api/v1/bundles: the body streams into a temp file (UploadSink), is validated from its manifest alone
// (never extracted here), deduplicated on the manifest checksum, and published as the bundle's next version.
#include <unistd.h>

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/api.h"
#include "api/bundle_views.h"
#include "api/responses.h"
#include "edge/bundle/archive.h"
#include "edge/bundle/manifest.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/log.h"

namespace edge::platform::api {

using runtime::ToAbsl;
using runtime::ToStd;

namespace {

constexpr char kDefaultBundleName[] = "default";

// The server feeds the body here. Holds the temp file; destroying the sink (with the exchange) removes the
// file unless it was published.
class UploadSink : public BodySink {
 public:
  UploadSink(bool wants_body, absl::StatusOr<std::unique_ptr<bundles::UploadFile>> file)
      : wants_body_(wants_body), file_(std::move(file)) {}
  bool WantsBody() const override { return wants_body_; }
  void Append(std::string_view chunk) override {
    received_ += chunk.size();
    if (file_.ok()) (*file_)->Append(chunk);
  }
  void Finish() override {
    if (file_.ok()) (*file_)->Finish();
  }
  uint64_t received() const { return received_; }
  const absl::StatusOr<std::unique_ptr<bundles::UploadFile>>& file() const { return file_; }

 private:
  bool wants_body_;
  absl::StatusOr<std::unique_ptr<bundles::UploadFile>> file_;
  uint64_t received_ = 0;
};

// "61.2 MB": sizes in binary megabytes, as the product's "50 MB" limit (52428800 bytes) is counted.
std::string Megabytes(uint64_t bytes) {
  char text[32];
  const double mb = static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (bytes % (1024 * 1024) == 0) {
    std::snprintf(text, sizeof(text), "%.0f MB", mb);
  } else {
    std::snprintf(text, sizeof(text), "%.1f MB", mb);
  }
  return text;
}

HttpResponse TooLarge(uint64_t size, uint64_t limit) {
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("error").BeginObject().Key("code").String("bundle_too_large");
  w.Key("message").String(absl::StrCat(
      "bundle is ", Megabytes(size), " (", size, " bytes), over the ", Megabytes(limit),
      " limit (", limit, " bytes) of this platform (edge-platform serve --max-bundle-bytes): remove unneeded "
      "files from dist/ or split the tools into several bundles"));
  w.Key("details").BeginObject().Key("size").Uint(size).Key("limit").Uint(limit).EndObject();
  w.EndObject().EndObject();
  return JsonResponse(413, std::move(body));
}

HttpResponse InvalidBundle(std::string_view message, std::string_view field = {}) {
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("error").BeginObject().Key("code").String("invalid_bundle").Key("message").String(message);
  if (!field.empty()) w.Key("details").BeginObject().Key("field").String(field).EndObject();
  w.EndObject().EndObject();
  return JsonResponse(400, std::move(body));
}

// name=N / bundleId=B from the query ("" when absent).
void ReadTargetParams(std::string_view query, std::string* name, std::string* bundle_id, bool* has_name) {
  for (absl::string_view pair : absl::StrSplit(ToAbsl(query), '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    absl::string_view key = pair.substr(0, eq);
    absl::string_view value = eq == absl::string_view::npos ? absl::string_view() : pair.substr(eq + 1);
    if (key == "name") {
      *name = std::string(value);
      *has_name = true;
    } else if (key == "bundleId") {
      *bundle_id = std::string(value);
    }
  }
}

std::string ToolNamesJson(const bundle::Manifest& manifest) {
  std::string out;
  protocol::JsonWriter w(out);
  w.BeginArray();
  for (const bundle::ManifestTool& t : manifest.tools) w.String(t.name);
  w.EndArray();
  return out;
}

// {"bundle":{bundle without versions},"version":{version},"deduplicated":bool}
HttpResponse UploadAnswer(store::Store& store, const store::Bundle& bundle, const store::BundleVersion& version,
                          bool deduplicated) {
  absl::StatusOr<std::optional<store::BundleRef>> org_default = store.GetOrgDefaultBundle(bundle.org_id);
  if (!org_default.ok()) return StatusResponse(org_default.status());
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("bundle");
  WriteBundle(w, bundle, *org_default, nullptr);
  w.Key("version");
  WriteVersion(w, version);
  w.Key("deduplicated").Bool(deduplicated).EndObject();
  return JsonResponse(deduplicated ? 200 : 201, std::move(body));
}

}  // namespace

std::shared_ptr<BodySink> Api::NewUploadSink(bool wants_body) {
  absl::StatusOr<std::unique_ptr<bundles::UploadFile>> file =
      wants_body ? archives_->NewUpload(options_.max_bundle_bytes)
                 : absl::StatusOr<std::unique_ptr<bundles::UploadFile>>(absl::CancelledError("refused unread"));
  if (wants_body && !file.ok() && logger_) logger_->Error("api", "bundle upload: ", file.status().message());
  return std::make_shared<UploadSink>(wants_body, std::move(file));
}

void Api::UploadBundle(const Exchange& ex, const Caller& caller) {
  const HttpRequest& req = ex->request();
  auto* sink = dynamic_cast<UploadSink*>(req.body_sink.get());
  if (sink == nullptr) {
    return ex->Respond(ErrorResponse(500, "internal", "the upload was not streamed (server bug); retry"));
  }
  // Size first: an announced length over the limit was never read; a longer chunked body was drained.
  const uint64_t limit = options_.max_bundle_bytes;
  if (req.content_length && *req.content_length > limit) {
    HttpResponse r = TooLarge(*req.content_length, limit);
    r.close_connection = true;
    return ex->Respond(std::move(r));
  }
  if (sink->received() > limit) return ex->Respond(TooLarge(sink->received(), limit));
  if (!sink->file().ok()) return ex->Respond(StatusResponse(sink->file().status()));
  bundles::UploadFile& upload = **sink->file();
  if (!upload.error().ok()) return ex->Respond(StatusResponse(upload.error()));
  if (upload.received() == 0) {
    return ex->Respond(InvalidBundle("the request body is empty; send the .tgz made by 'edge-connector package' "
                                     "as the raw body (Content-Type: application/gzip)"));
  }

  std::string name = kDefaultBundleName, bundle_id;
  bool has_name = false;
  ReadTargetParams(req.query, &name, &bundle_id, &has_name);
  if (has_name && !bundle_id.empty()) {
    return ex->Respond(ErrorResponse(400, "invalid_request",
                                     "give either ?name= (a new or existing bundle by name) or ?bundleId=, not both"));
  }
  if (has_name && name.empty()) {
    return ex->Respond(ErrorResponse(400, "invalid_request", "?name= is empty; give the bundle's name, or leave "
                                                             "it out for the bundle named 'default'"));
  }

  absl::StatusOr<bundle::ArchiveManifest> files = bundle::ReadArchiveManifest(upload.path());
  if (!files.ok()) {
    // Our own trouble reading the temp file is not the uploader's fault.
    if (absl::IsUnavailable(files.status()) || absl::IsInternal(files.status()) ||
        absl::IsPermissionDenied(files.status())) {
      return ex->Respond(StatusResponse(files.status()));
    }
    std::string message(ToStd(files.status().message()));
    if (absl::StartsWith(req.content_type, "multipart/")) {
      absl::StrAppend(&message, " (send the file as the raw body, e.g. curl --data-binary @bundle.tgz, not as a "
                                "form upload)");
    }
    return ex->Respond(InvalidBundle(message));
  }
  absl::StatusOr<bundle::Manifest> manifest = bundle::ParseManifest(files->manifest_json);
  if (!manifest.ok()) {
    return ex->Respond(
        InvalidBundle(ToStd(manifest.status().message()), bundle::ManifestErrorField(manifest.status())));
  }
  if (manifest->org_id != caller.org_id) {
    return ex->Respond(ErrorResponse(
        400, "org_mismatch",
        absl::StrCat("the bundle was built for org '", manifest->org_id, "' but this upload goes to org '",
                     caller.org_id, "'; package it again for org '", caller.org_id,
                     "', or upload it with a token of org '", manifest->org_id, "'")));
  }

  // The bundle: by id (must exist), or by name (created by its first version).
  store::Bundle target;
  if (!bundle_id.empty()) {
    if (!FindBundle(ex, caller, bundle_id, &target)) return;
  } else {
    absl::StatusOr<std::optional<store::Bundle>> found = store_->FindBundleByName(caller.org_id, name);
    if (!found.ok()) return ex->Respond(StatusResponse(found.status()));
    if (*found) {
      target = **std::move(found);
    } else {
      target = store::Bundle{store::Store::NewBundleId(), caller.org_id, name, store::NowMs(), 0};
    }
  }
  if (target.latest_version > 0) {
    absl::StatusOr<std::optional<store::BundleVersion>> same =
        store_->FindBundleVersionByChecksum(target.id, manifest->checksum);
    if (!same.ok()) return ex->Respond(StatusResponse(same.status()));
    if (*same) {
      if (logger_) {
        logger_->Info("api", "bundle upload to ", target.id, " deduplicated: version ", (*same)->version,
                      " has checksum ", manifest->checksum);
      }
      return ex->Respond(UploadAnswer(*store_, target, **same, true));
    }
  }

  store::BundleVersion v;
  v.bundle_id = target.id;
  v.version = target.latest_version + 1;
  v.checksum = manifest->checksum;
  v.archive_sha256 = upload.sha256_hex();
  v.size = static_cast<int64_t>(upload.received());
  v.uploaded_at_ms = store::NowMs();
  v.uploaded_by = caller.subject;
  v.built_at = manifest->built_at;
  v.is_signed = files->signature_json.has_value();
  v.abi_major = manifest->abi_major;
  v.abi_minor = manifest->abi_minor;
  v.os = manifest->os;
  v.arch = manifest->arch;
  v.tools_json = ToolNamesJson(*manifest);
  v.file_name = bundle::ArchiveFileName(*manifest);

  absl::StatusOr<std::string> stored = archives_->Publish(upload, caller.org_id, target.id, v.version);
  if (!stored.ok()) return ex->Respond(StatusResponse(stored.status()));
  const TargetSnapshot before = ConnectedTargets(caller.org_id);
  if (absl::Status s = store_->AddBundleVersion(target, v); !s.ok()) {
    unlink(stored->c_str());
    return ex->Respond(StatusResponse(s));
  }
  target.latest_version = v.version;
  if (logger_) {
    logger_->Info("api", "bundle ", target.id, " ('", target.name, "') version ", v.version, " uploaded by ",
                  caller.subject, ": ", v.size, " bytes, checksum ", v.checksum);
  }
  PushTargetChanges(caller.org_id, before, "assigned");
  ex->Respond(UploadAnswer(*store_, target, v, false));
}

}  // namespace edge::platform::api
