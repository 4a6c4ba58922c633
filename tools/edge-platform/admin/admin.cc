// Admin commands over the Store and the signing key.
#include "admin/admin.h"

#include <chrono>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/log.h"
#include "store/data_dir.h"
#include "store/store.h"

namespace edge::platform::admin {

namespace {

struct Opened {
  store::DataDir dir;
  std::unique_ptr<store::Store> store;
};

absl::StatusOr<Opened> Open(const std::string& data_dir) {
  absl::StatusOr<store::DataDir> dir = store::EnsureDataDir(data_dir);
  if (!dir.ok()) return dir.status();
  absl::StatusOr<std::unique_ptr<store::Store>> s = store::Store::Open(dir->DatabasePath());
  if (!s.ok()) return s.status();
  return Opened{*dir, *std::move(s)};
}

std::string SecretJson(const store::DeploymentSecret& d) {
  std::string out;
  protocol::JsonWriter w(out);
  w.BeginObject().Key("id").String(d.deployment.id).Key("name").String(d.deployment.name);
  w.Key("orgId").String(d.deployment.org_id).Key("secret").String(d.secret).EndObject();
  return out + "\n";
}

absl::StatusOr<int64_t> ParseTtlSeconds(const std::string& text) {
  int64_t seconds = 0;
  if (absl::SimpleAtoi(text, &seconds)) return seconds;
  absl::Duration d;
  if (!absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(absl::StrCat("--ttl '", text,
                                                   "' is not a duration; use e.g. 24h, 90m, 3600s or plain seconds"));
  }
  return absl::ToInt64Seconds(d);
}

}  // namespace

absl::StatusOr<std::string> CreateOrg(const std::string& data_dir, const CreateOrgArgs& args) {
  absl::StatusOr<Opened> opened = Open(data_dir);
  if (!opened.ok()) return opened.status();
  absl::StatusOr<store::Org> org = opened->store->CreateOrg(args.name, args.id);
  if (!org.ok()) return org.status();
  if (!args.json) return org->id + "\n";
  std::string out;
  protocol::JsonWriter w(out);
  w.BeginObject().Key("id").String(org->id).Key("name").String(org->name).Key("createdAtMs").Int(org->created_at_ms);
  w.EndObject();
  return out + "\n";
}

absl::StatusOr<std::string> IssueToken(const std::string& data_dir, const IssueTokenArgs& args) {
  if (args.role != "admin" && args.role != "connector") {
    return absl::InvalidArgumentError(absl::StrCat("--role '", args.role, "' is not supported; use admin or connector"));
  }
  absl::StatusOr<int64_t> ttl = ParseTtlSeconds(args.ttl);
  if (!ttl.ok()) return ttl.status();
  absl::StatusOr<Opened> opened = Open(data_dir);
  if (!opened.ok()) return opened.status();
  if (absl::Status s = opened->store->GetOrg(args.org).status(); !s.ok()) return s;
  if (!args.deployment.empty()) {
    absl::StatusOr<store::Deployment> d = opened->store->GetDeployment(args.deployment);
    if (!d.ok()) return d.status();
    if (d->org_id != args.org) {
      return absl::InvalidArgumentError(absl::StrCat("deployment '", args.deployment, "' belongs to org '", d->org_id,
                                                     "', not '", args.org, "'; fix --org or --deployment"));
    }
  }
  absl::StatusOr<protocol::SigningKey> key = store::LoadOrCreateSigningKey(opened->dir);
  if (!key.ok()) return key.status();
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  protocol::JwtClaims claims;
  claims.subject = !args.subject.empty()           ? args.subject
                   : args.role == "connector" && !args.deployment.empty() ? args.deployment
                                                                           : args.role;
  claims.org_id = args.org;
  claims.role = args.role;
  claims.issued_at = now;
  claims.expires_at = now + *ttl;
  claims.deployment_id = args.deployment;
  claims.issuer = "edge-platform";
  claims.token_id = protocol::RandomToken(12);
  return protocol::SignJwt(*key, claims) + "\n";
}

absl::StatusOr<std::string> CreateDeployment(const std::string& data_dir, const CreateDeploymentArgs& args) {
  absl::StatusOr<Opened> opened = Open(data_dir);
  if (!opened.ok()) return opened.status();
  absl::StatusOr<store::DeploymentSecret> created = opened->store->CreateDeployment(args.org, args.name);
  if (!created.ok()) return created.status();
  if (args.json) return SecretJson(*created);
  return absl::StrCat("id: ", created->deployment.id, "\nsecret: ", created->secret,
                      "\n(the secret is shown only now; store it, e.g. as DEPLOYMENT_SECRET)\n");
}

absl::StatusOr<std::string> RotateSecret(const std::string& data_dir, const RotateSecretArgs& args) {
  absl::StatusOr<Opened> opened = Open(data_dir);
  if (!opened.ok()) return opened.status();
  absl::StatusOr<store::DeploymentSecret> rotated = opened->store->RotateSecret(args.deployment);
  if (!rotated.ok()) return rotated.status();
  if (args.json) return SecretJson(*rotated);
  return absl::StrCat("id: ", rotated->deployment.id, "\nsecret: ", rotated->secret,
                      "\n(the old secret no longer works; the new one is shown only now)\n");
}

absl::StatusOr<std::string> ListDeployments(const std::string& data_dir, const ListDeploymentsArgs& args) {
  absl::StatusOr<Opened> opened = Open(data_dir);
  if (!opened.ok()) return opened.status();
  if (absl::Status s = opened->store->GetOrg(args.org).status(); !s.ok()) return s;
  absl::StatusOr<std::vector<store::Deployment>> list = opened->store->ListDeployments(args.org);
  if (!list.ok()) return list.status();
  std::string out;
  if (args.json) {
    protocol::JsonWriter w(out);
    w.BeginObject().Key("deployments").BeginArray();
    for (const store::Deployment& d : *list) {
      w.BeginObject().Key("id").String(d.id).Key("name").String(d.name).Key("orgId").String(d.org_id);
      w.Key("status").String(d.status).Key("lastSeenMs").Int(d.last_seen_ms).Key("toolCount").Int(d.tool_count);
      w.Key("createdAtMs").Int(d.created_at_ms).EndObject();
    }
    w.EndArray().EndObject();
    return out + "\n";
  }
  for (const store::Deployment& d : *list) {
    absl::StrAppend(&out, d.id, "\t", d.name, "\t", d.status, "\ttools=", d.tool_count, "\n");
  }
  return out;
}

}  // namespace edge::platform::admin
