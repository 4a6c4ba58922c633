// Deployments: list, create (the secret is shown once), detail, rotate-secret, delete. The views carry the
// cloud connector summary (cloud.cc).
#include <optional>

#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "api/views.h"
#include "edge/protocol/json_writer.h"

namespace edge::platform::api {

namespace {
std::string SecretBody(const store::DeploymentSecret& created) {
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject();
  w.Key("id").String(created.deployment.id).Key("name").String(created.deployment.name);
  w.Key("orgId").String(created.deployment.org_id).Key("secret").String(created.secret);
  w.EndObject();
  return body;
}
}  // namespace

void Api::ListDeployments(const Exchange& ex, const Caller& caller) {
  absl::StatusOr<std::vector<store::Deployment>> list = store_->ListDeployments(caller.org_id);
  if (!list.ok()) return ex->Respond(StatusResponse(list.status()));
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("deployments").BeginArray();
  for (const store::Deployment& d : *list) {
    WriteDeploymentFields(w, d, hub_->Connection(d.id));
    WriteCloudSummary(w, d.id);  // activeConnectorCount, cloudConnector (cloud.cc)
    w.EndObject();
  }
  w.EndArray().EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::CreateDeployment(const Exchange& ex, const Caller& caller) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, false)) return;
  auto name = doc.FindMember("name");
  if (name == doc.MemberEnd() || !name->value.IsString() || name->value.GetStringLength() == 0) {
    return BadField(*ex, "/name", "'name' is required and must be a non-empty string, e.g. {\"name\":\"db-gw\"}");
  }
  absl::StatusOr<store::DeploymentSecret> created =
      store_->CreateDeployment(caller.org_id, std::string_view(name->value.GetString(), name->value.GetStringLength()));
  if (!created.ok()) return ex->Respond(StatusResponse(created.status(), "org_not_found"));
  if (logger_) logger_->Info("api", "deployment ", created->deployment.id, " created in ", caller.org_id);
  ex->Respond(JsonResponse(201, SecretBody(*created)));
}

void Api::GetDeployment(const Exchange& ex, const Caller& caller, const std::string& id) {
  store::Deployment d;
  if (!FindDeployment(ex, caller, id, &d)) return;
  absl::StatusOr<std::vector<store::ToolRecord>> tools = store_->ListTools(id);
  if (!tools.ok()) return ex->Respond(StatusResponse(tools.status()));
  std::optional<ConnectionInfo> live = hub_->Connection(id);
  std::string body;
  protocol::JsonWriter w(body);
  WriteDeploymentFields(w, d, live);
  WriteCloudSummary(w, d.id);
  w.Key("toolsGeneration").Int(d.tools_generation);
  w.Key("connection");
  if (live) {
    WriteConnection(w, *live);
  } else {
    w.Null();
  }
  // Stored texts were validated by the hub's codec before they were recorded.
  w.Key("connector").Raw(d.connector_json.empty() ? "null" : d.connector_json);
  const std::string& status = live && !live->last_status_json.empty() ? live->last_status_json : d.status_json;
  w.Key("lastStatus").Raw(status.empty() ? "null" : status);
  w.Key("tools").BeginArray();
  for (const store::ToolRecord& t : *tools) {
    w.BeginObject().Key("name").String(t.name).Key("descriptor").Raw(t.descriptor_json).EndObject();
  }
  w.EndArray().EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::RotateSecret(const Exchange& ex, const Caller& caller, const std::string& id) {
  store::Deployment d;
  if (!FindDeployment(ex, caller, id, &d)) return;
  absl::StatusOr<store::DeploymentSecret> rotated = store_->RotateSecret(id);
  if (!rotated.ok()) return ex->Respond(StatusResponse(rotated.status(), "deployment_not_found"));
  if (logger_) logger_->Info("api", "secret of deployment ", id, " rotated");
  // A connector still using the old secret must not keep its session: it reconnects with the new one.
  hub_->RevokeDeploymentCredentials(id);
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("id").String(id).Key("secret").String(rotated->secret).EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::DeleteDeployment(const Exchange& ex, const Caller& caller, const std::string& id) {
  store::Deployment d;
  if (!FindDeployment(ex, caller, id, &d)) return;
  if (hub_->Connection(id)) {
    return ex->Respond(ErrorResponse(
        409, "deployment_connected",
        absl::StrCat("deployment '", id, "' has a connected connector; stop it (or rotate the secret, which "
                                         "disconnects it) before deleting the deployment")));
  }
  absl::StatusOr<std::optional<store::CloudConnector>> cloud = store_->FindCloudConnector(id);
  if (!cloud.ok()) return ex->Respond(StatusResponse(cloud.status()));
  if (*cloud) {
    return ex->Respond(ErrorResponse(
        409, "cloud_connector_exists",
        absl::StrCat("deployment '", id, "' has a cloud connector (", (*cloud)->id, ", ", (*cloud)->state,
                     "); stop and delete it first (DELETE /api/v1/deployments/", id, "/cloud-connector)")));
  }
  if (absl::Status s = store_->DeleteDeployment(id); !s.ok()) {
    return ex->Respond(StatusResponse(s, "deployment_not_found"));
  }
  if (logger_) logger_->Info("api", "deployment ", id, " deleted");
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("id").String(id).Key("deleted").Bool(true).EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

}  // namespace edge::platform::api
