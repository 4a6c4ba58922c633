// api/views.h: the JSON shapes shared by several endpoints: a connection (hub ConnectionInfo) and a
// deployment's summary line.
#ifndef EDGE_PLATFORM_API_VIEWS_H_
#define EDGE_PLATFORM_API_VIEWS_H_

#include <optional>

#include "edge/protocol/json_writer.h"
#include "rpc/hub.h"
#include "store/store.h"

namespace edge::platform::api {

// {"deploymentId","orgId","sessionId","state","version","connectorType","instanceId","hostname","auth",
//  "connectedAtMs","lastSeenMs","generation","tools":[...],"inFlight","status":{...}}
void WriteConnection(protocol::JsonWriter& w, const ConnectionInfo& c);
// {"id","name","orgId","status","lastSeenMs","activeConnectors","toolCount","createdAtMs","secretRotatedAtMs"}
// without the closing brace, so callers can add fields; `live` is the hub's connection when connected.
void WriteDeploymentFields(protocol::JsonWriter& w, const store::Deployment& d,
                           const std::optional<ConnectionInfo>& live);

}  // namespace edge::platform::api

#endif  // EDGE_PLATFORM_API_VIEWS_H_
