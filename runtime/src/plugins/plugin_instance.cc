// Plugin instance lifetime: init with the host API table, shutdown with a reason, then unload.
#include "plugins/plugin_instance.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace edge::runtime::plugins {
namespace {

edge_str Str(std::string_view s) { return edge_str{s.data(), s.size()}; }

std::string_view ReasonName(edge_shutdown_reason reason) {
  switch (reason) {
    case EDGE_SHUTDOWN_REASON_SHUTDOWN:
      return "shutdown";
    case EDGE_SHUTDOWN_REASON_RELOAD:
      return "reload";
    case EDGE_SHUTDOWN_REASON_ERROR:
      return "error";
  }
  return "unknown";
}

}  // namespace

absl::StatusOr<std::shared_ptr<PluginInstance>> PluginInstance::Start(std::unique_ptr<PluginLibrary> library,
                                                                      InstanceOptions options) {
  auto host = std::make_unique<HostContext>(options.logger, library->name);
  const std::string plugin_path = library->path.string();
  const std::string data_dir = options.data_dir.string();
  edge_plugin_init_v1 params{};
  params.struct_size = sizeof(params);
  params.negotiated_minor = library->negotiated_minor;
  params.config_json = Str(options.config_json);
  params.plugin_path = Str(plugin_path);
  params.data_dir = Str(data_dir);

  edge_plugin_module_ptr state = nullptr;
  edge_status status = EDGE_STATUS_INTERNAL;
  try {
    status = library->api->init(HostApiTable(), host->handle(), &params, &state);
  } catch (...) {
    host->SetError("init threw an exception across the C ABI (catch everything inside init)");
  }
  if (status != EDGE_STATUS_OK) {
    // No state exists, so no shutdown: the library is simply unloaded when `library` goes out of scope.
    std::string why = host->TakeError();
    if (why.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "plugin '", library->name, "' failed to initialise (status ", status,
          ") without giving a reason: the plugin should explain with set_error (the SDK does this for exceptions)"));
    }
    return absl::FailedPreconditionError(absl::StrCat("plugin '", library->name, "' failed to initialise: ", why));
  }
  return std::shared_ptr<PluginInstance>(new PluginInstance(std::move(library), std::move(host), state, options));
}

PluginInstance::PluginInstance(std::unique_ptr<PluginLibrary> library, std::unique_ptr<HostContext> host,
                               edge_plugin_module_ptr state, const InstanceOptions& options)
    : library_(std::move(library)),
      host_(std::move(host)),
      state_(state),
      logger_(options.logger != nullptr ? options.logger : &Logger::Default()),
      shutdown_deadline_ms_(options.shutdown_deadline_ms),
      sha256_(options.sha256),
      label_(absl::StrCat(library_->name, " ", library_->version, " (", library_->path.string(), ")")) {}

PluginInstance::~PluginInstance() {
  const edge_shutdown_reason reason = reason_.load(std::memory_order_relaxed);
  try {
    library_->api->shutdown(state_, reason, shutdown_deadline_ms_);
  } catch (...) {
    logger_->Error("plugins", "plugin '", library_->name, "' threw from shutdown; continuing with the unload");
  }
  logger_->Debug("plugins", "plugin ", label_, " shut down (reason: ", ToAbsl(ReasonName(reason)), "); unloading");
  host_.reset();
  // library_ unloads as the last member to go.
}

}  // namespace edge::runtime::plugins
