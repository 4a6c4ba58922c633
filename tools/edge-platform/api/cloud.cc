// Cloud connectors (docs/cloud-connectors.md section 6): the connector of a deployment and its actions, the
// deployment's connector list, the summary fields of the deployment views, and the cloud-driver-fault test hook.
#include <rapidjson/document.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "cloud/fault_driver.h"
#include "cloud/manager.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/log.h"

namespace edge::platform::api {

using runtime::ToStd;

namespace {

void OptionalInt(protocol::JsonWriter& w, std::string_view key, const std::optional<int64_t>& value) {
  w.Key(key);
  if (value) {
    w.Int(*value);
  } else {
    w.Null();
  }
}

void OptionalString(protocol::JsonWriter& w, std::string_view key, const std::string& value) {
  w.Key(key);
  if (value.empty()) {
    w.Null();
  } else {
    w.String(value);
  }
}

// The cloud connector shape of section 6.
std::string CloudConnectorJson(const cloud::CloudView& v) {
  const store::CloudConnector& r = v.record;
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("id").String(r.id).Key("deploymentId").String(r.deployment_id).Key("kind").String("cloud");
  w.Key("state").String(cloud::StateName(v.state)).Key("stateSinceMs").Int(r.state_since_ms);
  w.Key("inStateMs").Int(v.in_state_ms).Key("stuck").Bool(v.stuck).Key("failed").Bool(r.failed);
  OptionalString(w, "operation", std::string(cloud::OperationOf(v.state)));
  OptionalInt(w, "limitMs", v.limit_ms);
  OptionalInt(w, "lastHeartbeatAtMs", r.last_heartbeat_at_ms);
  OptionalString(w, "sessionId", v.session ? v.session->session_id : std::string());
  OptionalString(w, "instanceId", v.session ? v.session->instance_id : std::string());
  OptionalInt(w, "pid", r.pid);
  w.Key("restarts").Int(r.restarts);
  OptionalInt(w, "restartAtMs", r.restart_at_ms);
  w.Key("lastError").String(r.last_error).Key("createdAtMs").Int(r.created_at_ms);
  w.Key("allowedActions").BeginArray();
  for (cloud::CloudAction a : v.allowed) w.String(cloud::ActionName(a));
  w.EndArray();
  w.Key("bundle");
  if (v.session && v.session->bundle) {
    const protocol::BundleRef& b = *v.session->bundle;
    w.BeginObject().Key("id").String(b.id).Key("version").Int(b.version).Key("checksum").String(b.checksum);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("tools").BeginArray();
  if (v.session) {
    for (const std::string& t : v.session->tools) w.String(t);
  }
  w.EndArray().EndObject();
  return body;
}

// A manager outcome as an answer: the shape with `status`, a 409 with the refusal's details, or an error.
HttpResponse CloudAnswer(const absl::StatusOr<cloud::CloudView>& view, int status) {
  if (view.ok()) return JsonResponse(status, CloudConnectorJson(*view));
  const absl::Status& s = view.status();
  if (absl::IsNotFound(s)) return ErrorResponse(404, "cloud_connector_not_found", ToStd(s.message()));
  absl::optional<absl::Cord> details = s.GetPayload(cloud::kIllegalTransitionPayload);
  if (!details) return StatusResponse(s);
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("error").BeginObject().Key("code").String("illegal_transition");
  w.Key("message").String(ToStd(s.message())).Key("details").Raw(std::string(*details));
  w.EndObject().EndObject();
  return JsonResponse(409, std::move(body));
}

HttpResponse Unavailable() {
  return ErrorResponse(501, "cloud_unavailable",
                       "this platform hosts no cloud connectors (edge-platform serve --cloud-driver none); restart it "
                       "with --cloud-driver local to use them");
}

}  // namespace

void Api::GetCloudConnector(const Exchange& ex, const Caller& caller, const std::string& deployment_id) {
  store::Deployment d;
  if (!FindDeployment(ex, caller, deployment_id, &d)) return;
  if (cloud_ == nullptr) return ex->Respond(Unavailable());
  ex->Respond(CloudAnswer(cloud_->Get(d.id), 200));
}

void Api::ProvisionCloudConnector(const Exchange& ex, const Caller& caller, const std::string& deployment_id) {
  store::Deployment d;
  if (!FindDeployment(ex, caller, deployment_id, &d)) return;
  if (cloud_ == nullptr) return ex->Respond(Unavailable());
  ex->Respond(CloudAnswer(cloud_->Provision(d), 202));
}

void Api::CloudConnectorAction(const Exchange& ex, const Caller& caller, const std::string& deployment_id,
                               std::string_view action) {
  store::Deployment d;
  if (!FindDeployment(ex, caller, deployment_id, &d)) return;
  if (cloud_ == nullptr) return ex->Respond(Unavailable());
  if (action == "start") return ex->Respond(CloudAnswer(cloud_->Start(d.id), 202));
  if (action == "stop") return ex->Respond(CloudAnswer(cloud_->Stop(d.id), 202));
  ex->Respond(CloudAnswer(cloud_->ForceComplete(d.id), 200));
}

void Api::DeleteCloudConnector(const Exchange& ex, const Caller& caller, const std::string& deployment_id) {
  store::Deployment d;
  if (!FindDeployment(ex, caller, deployment_id, &d)) return;
  if (cloud_ == nullptr) return ex->Respond(Unavailable());
  absl::StatusOr<std::string> id = cloud_->Delete(d.id);
  if (!id.ok()) return ex->Respond(CloudAnswer(id.status(), 200));
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("id").String(*id).Key("deleted").Bool(true).EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::ListDeploymentConnectors(const Exchange& ex, const Caller& caller, const std::string& deployment_id) {
  store::Deployment d;
  if (!FindDeployment(ex, caller, deployment_id, &d)) return;
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("connectors").BeginArray();
  // The self-hosted connector first: connected now, or seen before.
  std::optional<ConnectionInfo> self = hub_->Connection(d.id);
  if (self || d.last_seen_ms > 0) {
    w.BeginObject().Key("id").String("self").Key("deploymentId").String(d.id).Key("kind").String("self-hosted");
    const char* state = !self ? "Offline" : self->state == "draining" ? "Draining" : "Connected";
    w.Key("state").String(state).Key("stateSinceMs").Int(self ? self->connected_at_ms : d.last_seen_ms);
    const int64_t last = self ? std::max(self->last_seen_ms, d.last_seen_ms) : d.last_seen_ms;
    OptionalInt(w, "lastHeartbeatAtMs", last > 0 ? std::optional<int64_t>(last) : std::nullopt);
    OptionalString(w, "sessionId", self ? self->session_id : std::string());
    OptionalString(w, "instanceId", self ? self->instance_id : std::string());
    w.Key("allowedActions").BeginArray().EndArray();
    w.Key("tools").BeginArray();
    if (self) {
      for (const std::string& t : self->tools) w.String(t);
    }
    w.EndArray().EndObject();
  }
  if (cloud_ != nullptr) {
    absl::StatusOr<cloud::CloudView> view = cloud_->Get(d.id);
    if (view.ok()) w.Raw(CloudConnectorJson(*view));
  }
  w.EndArray().Key("activeConnectorCount").Int(ActiveConnectorCount(d.id)).EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

int64_t Api::ActiveConnectorCount(const std::string& deployment_id) const {
  int64_t n = 0;
  for (const ConnectionInfo& c : hub_->ConnectionsOf(deployment_id)) n += c.state == "serving" ? 1 : 0;
  return n;
}

void Api::WriteCloudSummary(protocol::JsonWriter& w, const std::string& deployment_id) const {
  w.Key("activeConnectorCount").Int(ActiveConnectorCount(deployment_id));
  if (cloud_ == nullptr) return;
  std::optional<cloud::CloudSummary> summary = cloud_->Summary(deployment_id);
  if (!summary) return;
  w.Key("cloudConnector").BeginObject().Key("id").String(summary->id);
  w.Key("state").String(cloud::StateName(summary->state)).Key("stuck").Bool(summary->stuck).EndObject();
}

void Api::SetCloudDriverFault(const Exchange& ex, const Caller&) {
  if (cloud_ == nullptr || cloud_faults_ == nullptr) return ex->Respond(Unavailable());
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, false)) return;
  auto op = doc.FindMember("operation");
  if (op == doc.MemberEnd() || !op->value.IsString() || !cloud::IsFaultOperation(op->value.GetString())) {
    return BadField(*ex, "/operation", "'operation' must be \"provision\", \"start\" or \"stop\"");
  }
  auto mode_member = doc.FindMember("mode");
  cloud::FaultMode mode = cloud::FaultMode::kNone;
  if (mode_member == doc.MemberEnd() || !mode_member->value.IsString() ||
      !cloud::ParseFaultMode(mode_member->value.GetString(), &mode)) {
    return BadField(*ex, "/mode", "'mode' must be \"hang\", \"fail\" or \"none\"");
  }
  int64_t count = -1;  // until changed
  auto count_member = doc.FindMember("count");
  if (count_member != doc.MemberEnd() && !count_member->value.IsNull()) {
    if (!count_member->value.IsInt64() || count_member->value.GetInt64() <= 0) {
      return BadField(*ex, "/count", "'count' must be a positive integer (how many calls misbehave), or absent for "
                                     "all of them until changed");
    }
    count = count_member->value.GetInt64();
  }
  const std::string operation = op->value.GetString();
  cloud_faults_->SetFault(operation, mode, count);
  if (logger_) {
    logger_->Warn("api", "test hook: cloud driver ", operation, " calls now ", mode_member->value.GetString(),
                  count < 0 ? std::string() : absl::StrCat(" (next ", count, ")"));
  }
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("operation").String(operation).Key("mode").String(mode_member->value.GetString());
  OptionalInt(w, "count", count < 0 ? std::nullopt : std::optional<int64_t>(count));
  w.EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

}  // namespace edge::platform::api
