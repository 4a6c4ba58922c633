// daemon/statusz.h: the `/statusz` JSON (and the edge.runtime_status tool's answer): link state, last
// heartbeat, reconnects, tools, bundle, calls, the webhook relay, uptime and RSS. It never holds a secret: no
// credentials, no token, no Authorization header, only ids and URLs.
#ifndef EDGE_RUNTIME_DAEMON_STATUSZ_H_
#define EDGE_RUNTIME_DAEMON_STATUSZ_H_

#include <string>

#include "absl/time/time.h"
#include "bundles/swap.h"
#include "bundles/sync.h"
#include "edge/runtime/executor.h"
#include "edge/runtime/link.h"
#include "edge/runtime/tool.h"
#include "relay/webhook_relay.h"

namespace edge::runtime {

// The `bundle` object: what serves and how bundle sync is doing.
struct BundleStatusz {
  bundles::ServingView serving;
  bool sync_enabled = false;
  std::string sync_disabled_reason;   // why not, when disabled
  bundles::BundleSyncStatus sync;     // when enabled
};

struct StatuszInputs {
  std::string state;         // "starting" | "serving" | "not_ready" | "draining"
  bool ready = false;
  std::string ready_reason;  // why not ready ("" when ready)
  std::string version;
  std::string instance_id;
  absl::Time started_at;
  LinkStatus link;
  const ToolCatalog* catalog = nullptr;
  ExecutorStats calls;
  std::optional<BundleStatusz> bundle;  // absent: "bundle": null
  relay::RelayStatus relay;             // the webhook relay; enabled false when off
};

std::string StatuszJson(const StatuszInputs& in);

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_DAEMON_STATUSZ_H_
