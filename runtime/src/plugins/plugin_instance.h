// plugins/plugin_instance.h: one initialised plugin instance and its lifetime.
//
// The instance owns the library, the plugin's state and its HostContext. Tools hold it by shared_ptr, so the
// library stays mapped while any tool reference (and so any in-flight call) exists. Its destructor calls the
// plugin's shutdown with the recorded reason, then unloads the library. An instance whose init failed is
// never created: its library is unloaded without shutdown, since there is no state to shut down.
#ifndef EDGE_RUNTIME_PLUGINS_PLUGIN_INSTANCE_H_
#define EDGE_RUNTIME_PLUGINS_PLUGIN_INSTANCE_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "edge/plugin.h"
#include "edge/runtime/log.h"
#include "plugins/host_api.h"
#include "plugins/loader.h"

namespace edge::runtime::plugins {

struct InstanceOptions {
  Logger* logger = nullptr;
  uint32_t shutdown_deadline_ms = 5000;
  std::string config_json = "{}";
  std::filesystem::path data_dir;
  std::string sha256;
};

class PluginInstance {
 public:
  // Runs the plugin's init. Errors quote the plugin's set_error message.
  static absl::StatusOr<std::shared_ptr<PluginInstance>> Start(std::unique_ptr<PluginLibrary> library,
                                                               InstanceOptions options);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const edge_plugin_api_v1& api() const { return *library_->api; }
  edge_plugin_module_ptr state() const { return state_; }
  HostContext* host() const { return host_.get(); }

  const std::string& name() const { return library_->name; }
  const std::string& version() const { return library_->version; }
  const std::filesystem::path& path() const { return library_->path; }
  const std::string& sha256() const { return sha256_; }
  uint32_t negotiated_minor() const { return library_->negotiated_minor; }
  // "<name> <version> (<path>)"
  const std::string& label() const { return label_; }

  void SetShutdownReason(edge_shutdown_reason reason) { reason_.store(reason, std::memory_order_relaxed); }

 private:
  PluginInstance(std::unique_ptr<PluginLibrary> library, std::unique_ptr<HostContext> host,
                 edge_plugin_module_ptr state, const InstanceOptions& options);

  std::unique_ptr<PluginLibrary> library_;  // declared first: destroyed (unloaded) last
  std::unique_ptr<HostContext> host_;
  edge_plugin_module_ptr state_;
  Logger* logger_;
  uint32_t shutdown_deadline_ms_;
  std::string sha256_;
  std::string label_;
  std::atomic<edge_shutdown_reason> reason_{EDGE_SHUTDOWN_REASON_SHUTDOWN};
};

}  // namespace edge::runtime::plugins

#endif  // EDGE_RUNTIME_PLUGINS_PLUGIN_INSTANCE_H_
