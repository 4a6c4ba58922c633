// Store: the SQL behind bundles, their versions, the org default and deployment assignments.
#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/log.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace edge::platform::store {

using runtime::ToAbsl;

namespace {

constexpr size_t kMaxBundleNameBytes = 200;

constexpr char kBundleColumns[] = "id, org_id, name, created_at_ms, latest_version";
constexpr char kVersionColumns[] =
    "bundle_id, version, checksum, archive_sha256, size, uploaded_at_ms, uploaded_by, built_at, signed, "
    "abi_major, abi_minor, os, arch, tools_json, file_name";

Bundle ReadBundle(const Statement& s) {
  return Bundle{s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4)};
}

BundleVersion ReadVersion(const Statement& s) {
  BundleVersion v;
  v.bundle_id = s.Text(0);
  v.version = s.Int(1);
  v.checksum = s.Text(2);
  v.archive_sha256 = s.Text(3);
  v.size = s.Int(4);
  v.uploaded_at_ms = s.Int(5);
  v.uploaded_by = s.Text(6);
  v.built_at = s.Text(7);
  v.is_signed = s.Int(8) != 0;
  v.abi_major = s.Int(9);
  v.abi_minor = s.Int(10);
  v.os = s.Text(11);
  v.arch = s.Text(12);
  v.tools_json = s.Text(13);
  v.file_name = s.Text(14);
  return v;
}

absl::Status BundleNotFound(std::string_view id) {
  return absl::NotFoundError(
      absl::StrCat("bundle '", ToAbsl(id), "' does not exist; list the org's bundles with GET /api/v1/bundles"));
}

absl::Status CheckBundleName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("bundle name is empty; give a name, e.g. \"default\"");
  if (name.size() > kMaxBundleNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("bundle name is ", name.size(), " bytes long; the limit is ", kMaxBundleNameBytes));
  }
  return absl::OkStatus();
}

// Binds a ref's version: NULL when following.
void BindVersion(Statement& stmt, int index, const std::optional<int64_t>& version) {
  if (version) {
    stmt.Bind(index, *version);
  } else {
    stmt.BindNull(index);
  }
}

absl::StatusOr<std::optional<BundleRef>> ReadRef(absl::StatusOr<Statement> stmt, std::string_view key) {
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, key);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<BundleRef>();
  BundleRef ref{stmt->Text(0), std::nullopt};
  if (!stmt->IsNull(1)) ref.version = stmt->Int(1);
  return std::optional<BundleRef>(std::move(ref));
}

}  // namespace

std::string Store::NewBundleId() { return "b_" + protocol::RandomToken(9); }

absl::StatusOr<Bundle> Store::GetBundle(std::string_view id) {
  absl::StatusOr<Statement> stmt = db_->Prepare(absl::StrCat("SELECT ", kBundleColumns, " FROM bundles WHERE id = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return BundleNotFound(id);
  return ReadBundle(*stmt);
}

absl::StatusOr<std::optional<Bundle>> Store::FindBundleByName(std::string_view org_id, std::string_view name) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare(absl::StrCat("SELECT ", kBundleColumns, " FROM bundles WHERE org_id = ? AND name = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, org_id).Bind(2, name);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Bundle>();
  return std::optional<Bundle>(ReadBundle(*stmt));
}

absl::StatusOr<std::vector<Bundle>> Store::ListBundles(std::string_view org_id) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      absl::StrCat("SELECT ", kBundleColumns, " FROM bundles WHERE org_id = ? ORDER BY created_at_ms, id"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, org_id);
  std::vector<Bundle> out;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadBundle(*stmt));
  }
}

absl::StatusOr<Bundle> Store::RenameBundle(std::string_view id, std::string_view name) {
  if (absl::Status s = CheckBundleName(name); !s.ok()) return s;
  absl::StatusOr<Bundle> bundle = GetBundle(id);
  if (!bundle.ok()) return bundle.status();
  if (bundle->name == name) return bundle;
  absl::StatusOr<Statement> stmt = db_->Prepare("UPDATE bundles SET name = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  absl::Status s = stmt->Bind(1, name).Bind(2, id).Run();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("org '", bundle->org_id, "' already has a bundle named '",
                                                 ToAbsl(name), "'; pick another name"));
  }
  if (!s.ok()) return s;
  bundle->name = std::string(name);
  return bundle;
}

absl::StatusOr<std::vector<BundleVersion>> Store::ListBundleVersions(std::string_view bundle_id) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      absl::StrCat("SELECT ", kVersionColumns, " FROM bundle_versions WHERE bundle_id = ? ORDER BY version DESC"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, bundle_id);
  std::vector<BundleVersion> out;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadVersion(*stmt));
  }
}

absl::StatusOr<BundleVersion> Store::GetBundleVersion(std::string_view bundle_id, int64_t version) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      absl::StrCat("SELECT ", kVersionColumns, " FROM bundle_versions WHERE bundle_id = ? AND version = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, bundle_id).Bind(2, version);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return absl::NotFoundError(absl::StrCat("bundle '", ToAbsl(bundle_id), "' has no version ", version,
                                            "; its versions are listed by GET /api/v1/bundles/", ToAbsl(bundle_id)));
  }
  return ReadVersion(*stmt);
}

absl::StatusOr<std::optional<BundleVersion>> Store::FindBundleVersionByChecksum(std::string_view bundle_id,
                                                                                std::string_view checksum) {
  absl::StatusOr<Statement> stmt = db_->Prepare(absl::StrCat(
      "SELECT ", kVersionColumns,
      " FROM bundle_versions WHERE bundle_id = ? AND checksum = ? ORDER BY version DESC LIMIT 1"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, bundle_id).Bind(2, checksum);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<BundleVersion>();
  return std::optional<BundleVersion>(ReadVersion(*stmt));
}

absl::Status Store::AddBundleVersion(const Bundle& bundle, const BundleVersion& v) {
  if (absl::Status s = CheckBundleName(bundle.name); !s.ok()) return s;
  return InTransaction(*db_, [&]() -> absl::Status {
    if (v.version == 1) {
      absl::StatusOr<Statement> add = db_->Prepare(
          "INSERT INTO bundles(id, org_id, name, created_at_ms, latest_version) VALUES (?, ?, ?, ?, 0)");
      if (!add.ok()) return add.status();
      absl::Status s =
          add->Bind(1, bundle.id).Bind(2, bundle.org_id).Bind(3, bundle.name).Bind(4, bundle.created_at_ms).Run();
      if (absl::IsAlreadyExists(s)) {
        return absl::FailedPreconditionError(absl::StrCat("a bundle named '", bundle.name,
                                                          "' was created meanwhile; upload again"));
      }
      if (!s.ok()) return s;
    }
    absl::StatusOr<Statement> bump =
        db_->Prepare("UPDATE bundles SET latest_version = ? WHERE id = ? AND latest_version = ?");
    if (!bump.ok()) return bump.status();
    if (absl::Status s = bump->Bind(1, v.version).Bind(2, v.bundle_id).Bind(3, v.version - 1).Run(); !s.ok()) {
      return s;
    }
    if (db_->Changes() == 0) {
      return absl::FailedPreconditionError(absl::StrCat("bundle '", v.bundle_id, "' got version ", v.version,
                                                        " from another upload meanwhile; upload again"));
    }
    absl::StatusOr<Statement> add = db_->Prepare(absl::StrCat(
        "INSERT INTO bundle_versions(", kVersionColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    if (!add.ok()) return add.status();
    return add->Bind(1, v.bundle_id)
        .Bind(2, v.version)
        .Bind(3, v.checksum)
        .Bind(4, v.archive_sha256)
        .Bind(5, v.size)
        .Bind(6, v.uploaded_at_ms)
        .Bind(7, v.uploaded_by)
        .Bind(8, v.built_at)
        .Bind(9, int64_t{v.is_signed ? 1 : 0})
        .Bind(10, v.abi_major)
        .Bind(11, v.abi_minor)
        .Bind(12, v.os)
        .Bind(13, v.arch)
        .Bind(14, v.tools_json)
        .Bind(15, v.file_name)
        .Run();
  });
}

absl::Status Store::SetOrgDefaultBundle(std::string_view org_id, const BundleRef& ref) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare("INSERT OR REPLACE INTO org_default_bundles(org_id, bundle_id, version) VALUES (?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, org_id).Bind(2, ref.bundle_id);
  BindVersion(*stmt, 3, ref.version);
  return stmt->Run();
}

absl::StatusOr<std::optional<BundleRef>> Store::GetOrgDefaultBundle(std::string_view org_id) {
  return ReadRef(db_->Prepare("SELECT bundle_id, version FROM org_default_bundles WHERE org_id = ?"), org_id);
}

absl::Status Store::SetDeploymentBundle(std::string_view deployment_id, const BundleRef& ref) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "INSERT OR REPLACE INTO deployment_bundles(deployment_id, bundle_id, version, assigned_at_ms) "
      "VALUES (?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, deployment_id).Bind(2, ref.bundle_id);
  BindVersion(*stmt, 3, ref.version);
  stmt->Bind(4, NowMs());
  return stmt->Run();
}

absl::StatusOr<std::optional<BundleRef>> Store::GetDeploymentBundle(std::string_view deployment_id) {
  return ReadRef(db_->Prepare("SELECT bundle_id, version FROM deployment_bundles WHERE deployment_id = ?"),
                 deployment_id);
}

absl::Status Store::DeleteDeploymentBundle(std::string_view deployment_id) {
  absl::StatusOr<Statement> stmt = db_->Prepare("DELETE FROM deployment_bundles WHERE deployment_id = ?");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, deployment_id).Run();
}

absl::StatusOr<std::optional<BundleTarget>> Store::ResolveBundleTarget(const Deployment& deployment) {
  BundleTarget target;
  absl::StatusOr<std::optional<BundleRef>> ref = GetDeploymentBundle(deployment.id);
  if (!ref.ok()) return ref.status();
  target.source = "assignment";
  if (!*ref) {
    ref = GetOrgDefaultBundle(deployment.org_id);
    if (!ref.ok()) return ref.status();
    if (!*ref) return std::optional<BundleTarget>();
    target.source = "default";
  }
  absl::StatusOr<Bundle> bundle = GetBundle((*ref)->bundle_id);
  if (!bundle.ok()) return bundle.status();
  target.pinned = (*ref)->version.has_value();
  absl::StatusOr<BundleVersion> version =
      GetBundleVersion(bundle->id, target.pinned ? *(*ref)->version : bundle->latest_version);
  if (!version.ok()) return version.status();
  target.bundle = *std::move(bundle);
  target.version = *std::move(version);
  return std::optional<BundleTarget>(std::move(target));
}

}  // namespace edge::platform::store
