// cloud/options.h: the `edge-platform serve --cloud-*` settings (docs/cloud-connectors.md section 5), parsed by
// main.cc into this plain struct.
#ifndef EDGE_PLATFORM_CLOUD_OPTIONS_H_
#define EDGE_PLATFORM_CLOUD_OPTIONS_H_

#include <cstdint>
#include <string>

namespace edge::platform::cloud {

struct CloudOptions {
  std::string driver = "local";        // local | none (cloud connectors refused with 501 cloud_unavailable)
  std::string connector_bin;           // "": edge-connector next to the edge-platform executable, else $PATH
  std::string connector_config_path;   // a JSON object merged into every instance's config.json
  std::string tool_rpc_url;            // "": the platform's own RPC listener
  std::string platform_api_url;        // "": the platform's own API listener
  int64_t provision_timeout_ms = 60000;
  int64_t start_timeout_ms = 120000;
  int64_t stop_timeout_ms = 60000;
  int64_t restart_initial_ms = 1000;
  int64_t restart_max_ms = 60000;
  bool stop_on_exit = false;
};

}  // namespace edge::platform::cloud

#endif  // EDGE_PLATFORM_CLOUD_OPTIONS_H_
