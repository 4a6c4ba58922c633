// Tools and connectors: the org's registered tools with who serves them, the live connections, and the
// oversize-frame test hook.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "api/views.h"
#include "edge/protocol/json_writer.h"
#include "edge/protocol/protocol.h"

namespace edge::platform::api {

void Api::ListTools(const Exchange& ex, const Caller& caller) {
  absl::StatusOr<std::vector<store::ToolRecord>> records = store_->ListOrgTools(caller.org_id);
  if (!records.ok()) return ex->Respond(StatusResponse(records.status()));
  // Rows come ordered by tool name: group them, preferring a connected deployment's descriptor.
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("tools").BeginArray();
  for (size_t i = 0; i < records->size();) {
    size_t end = i;
    while (end < records->size() && (*records)[end].name == (*records)[i].name) ++end;
    const store::ToolRecord* descriptor = &(*records)[i];
    bool any_connected = false;
    std::vector<std::pair<const store::ToolRecord*, bool>> serving;
    for (size_t k = i; k < end; ++k) {
      // Any of the deployment's connections (self-hosted or cloud) serving the tool counts.
      bool connected = false;
      for (const ConnectionInfo& live : hub_->ConnectionsOf((*records)[k].deployment_id)) {
        connected = connected ||
                    std::find(live.tools.begin(), live.tools.end(), (*records)[k].name) != live.tools.end();
      }
      if (connected && !any_connected) descriptor = &(*records)[k];
      any_connected = any_connected || connected;
      serving.emplace_back(&(*records)[k], connected);
    }
    w.BeginObject().Key("name").String(descriptor->name).Key("connected").Bool(any_connected);
    w.Key("descriptor").Raw(descriptor->descriptor_json);
    w.Key("deployments").BeginArray();
    for (const auto& [record, connected] : serving) {
      w.BeginObject().Key("id").String(record->deployment_id).Key("connected").Bool(connected).EndObject();
    }
    w.EndArray().EndObject();
    i = end;
  }
  w.EndArray().EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::ListConnectors(const Exchange& ex, const Caller& caller) {
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("connectors").BeginArray();
  for (const ConnectionInfo& c : hub_->Connections(caller.org_id)) WriteConnection(w, c);
  w.EndArray().EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::OversizeFrame(const Exchange& ex, const Caller& caller) {
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, false)) return;
  auto dep = doc.FindMember("deploymentId");
  if (dep == doc.MemberEnd() || !dep->value.IsString()) {
    return BadField(*ex, "/deploymentId", "'deploymentId' is required and must be a string");
  }
  auto bytes = doc.FindMember("bytes");
  if (bytes == doc.MemberEnd() || !bytes->value.IsUint64() || bytes->value.GetUint64() == 0 ||
      bytes->value.GetUint64() > 64 * protocol::kMaxMessageBytes) {
    return BadField(*ex, "/bytes",
                    absl::StrCat("'bytes' must be an integer from 1 to ", 64 * protocol::kMaxMessageBytes));
  }
  store::Deployment d;
  std::string id(dep->value.GetString(), dep->value.GetStringLength());
  if (!FindDeployment(ex, caller, id, &d)) return;
  if (!hub_->SendOversizeForTest(id, bytes->value.GetUint64())) {
    return ex->Respond(ErrorResponse(409, "deployment_not_connected",
                                     absl::StrCat("deployment '", id, "' has no connected connector")));
  }
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("deploymentId").String(id).Key("bytes").Uint(bytes->value.GetUint64());
  w.Key("sent").Bool(true).EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

}  // namespace edge::platform::api
