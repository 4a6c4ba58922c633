// Cloud connector setup for `edge-platform serve`.
#include "cloud/setup.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace edge::platform::cloud {
namespace {

namespace fs = std::filesystem;

// edge-connector next to this executable (an installation or a build tree), else a $PATH lookup.
std::string DefaultConnectorBin() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path sibling = self.parent_path() / "edge-connector";
    if (access(sibling.c_str(), X_OK) == 0) return sibling.string();
  }
  return "edge-connector";
}

}  // namespace

absl::StatusOr<CheckedOptions> CheckOptions(const CloudOptions& options) {
  CheckedOptions out;
  out.options = options;
  if (options.driver != "local" && options.driver != "none") {
    return absl::InvalidArgumentError(absl::StrCat("--cloud-driver '", options.driver,
                                                   "' is unknown; use local (connector processes on this host) or "
                                                   "none (no cloud connectors)"));
  }
  if (options.restart_max_ms < options.restart_initial_ms) {
    return absl::InvalidArgumentError(absl::StrCat("--cloud-restart-max-ms (", options.restart_max_ms,
                                                   ") is below --cloud-restart-initial-ms (",
                                                   options.restart_initial_ms, "); raise it"));
  }
  auto check_url = [](const char* flag, const std::string& url, const char* example) -> absl::Status {
    if (url.empty() || url.find("://") != std::string::npos) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(flag, " '", url, "' is not a URL; give e.g. ", example));
  };
  if (absl::Status s = check_url("--cloud-tool-rpc-url", options.tool_rpc_url, "ws://10.0.0.5:3001"); !s.ok()) {
    return s;
  }
  if (absl::Status s = check_url("--cloud-platform-api-url", options.platform_api_url, "http://10.0.0.5:3000");
      !s.ok()) {
    return s;
  }
  out.connector_bin = options.connector_bin.empty() ? DefaultConnectorBin() : options.connector_bin;
  if (!options.connector_config_path.empty()) {
    std::ifstream in(options.connector_config_path, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(absl::StrCat("--cloud-connector-config ", options.connector_config_path,
                                                     " cannot be read; check the path"));
    }
    std::stringstream text;
    text << in.rdbuf();
    out.extra_config_json = text.str();
    if (absl::Status s = ValidateExtraConfig(out.extra_config_json); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(options.connector_config_path, ": ", s.message()));
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<CloudRuntime>> StartCloud(const CheckedOptions& checked, const std::string& data_root,
                                                         const std::string& api_url, const std::string& rpc_url,
                                                         store::Store* store, Hub* hub, CloudHubDirectory* directory,
                                                         runtime::Logger* logger) {
  if (checked.options.driver == "none") return std::unique_ptr<CloudRuntime>();
  LocalDriverOptions local;
  std::error_code ec;
  // Absolute, so the install dirs on connector command lines are found again from any working directory.
  local.cloud_root = (fs::absolute(data_root, ec).lexically_normal() / "cloud").string();
  local.connector_bin = checked.connector_bin;
  local.tool_rpc_url = checked.options.tool_rpc_url.empty() ? rpc_url : checked.options.tool_rpc_url;
  local.platform_api_url = checked.options.platform_api_url.empty() ? api_url : checked.options.platform_api_url;
  local.extra_config_json = checked.extra_config_json;
  auto runtime = std::make_unique<CloudRuntime>();
  runtime->local = std::make_unique<LocalDriver>(std::move(local));
  runtime->faults = std::make_unique<FaultDriver>(runtime->local.get());
  ManagerOptions m;
  m.provision_timeout_ms = checked.options.provision_timeout_ms;
  m.start_timeout_ms = checked.options.start_timeout_ms;
  m.stop_timeout_ms = checked.options.stop_timeout_ms;
  m.restart_initial_ms = checked.options.restart_initial_ms;
  m.restart_max_ms = checked.options.restart_max_ms;
  runtime->manager = std::make_unique<Manager>(m, store, hub, runtime->faults.get(), logger);
  if (absl::Status s = runtime->manager->LoadAndReconcile(); !s.ok()) return s;
  directory->set_manager(runtime->manager.get());
  return runtime;
}

}  // namespace edge::platform::cloud
