// RelayOptionsFrom: the relay's slice of ConnectorConfig.
#include "relay/relay_options.h"

namespace edge::runtime::relay {

RelayOptions RelayOptionsFrom(const ConnectorConfig& c, Logger* logger) {
  RelayOptions o;
  o.relay_dir = std::filesystem::path(c.install_dir) / "relay";
  o.expose_lan = c.webhook_relay_expose_lan;
  o.port = c.webhook_relay_port;
  o.public_url = c.webhook_relay_public_url;
  o.max_body_bytes = c.webhook_max_body_bytes;
  o.rate_limit_per_minute = c.webhook_rate_limit_per_minute;
  o.queue_max_deliveries = c.webhook_queue_max_deliveries;
  o.queue_max_bytes = c.webhook_queue_max_bytes;
  o.forward_headers = c.webhook_forward_header_list;
  o.logger = logger;
  return o;
}

}  // namespace edge::runtime::relay
