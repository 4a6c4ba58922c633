// harness/session.h: one plugin loaded exactly as the runtime loads it, with an executor to call its tools.
//
// A session owns a PluginHost (content store in a temporary directory unless given), a ToolCatalog holding
// the plugin's tools and the in-process executor, so argument validation, timeouts and cancellation behave
// as in the connector. Calls are synchronous here: the harness waits for each one, and may cancel it while
// waiting.
#ifndef EDGE_HARNESS_SESSION_H_
#define EDGE_HARNESS_SESSION_H_

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "edge/runtime/executor.h"
#include "edge/runtime/plugin_host.h"
#include "edge/runtime/tool.h"

namespace edge::harness {

struct SessionOptions {
  std::filesystem::path store_dir;   // empty: the host's per-process temporary store
  std::string config_json = "{}";    // handed to the plugin's init
  runtime::Logger* logger = nullptr;  // nullptr: the process default logger
  int max_concurrent_calls = 4;
};

struct CallOptions {
  // Overrides both the inactivity timeout and the hard maximum; absent: the tool's default, then the
  // executor's.
  std::optional<absl::Duration> timeout;
  // Cancels the call this long after it was submitted.
  std::optional<absl::Duration> cancel_after;
  // Polled while waiting; returning true cancels the call (Ctrl-C).
  std::function<bool()> interrupted;
  // Called from the worker thread as progress arrives.
  std::function<void(const runtime::Progress&)> on_progress;
};

struct CallReport {
  runtime::CallOutcome outcome;
  bool cancel_sent = false;
  absl::Time cancelled_at;  // when cancel_sent
};

class PluginSession {
 public:
  // Loads `plugin_file` through the real host and publishes its tools. The error is the host's, verbatim.
  static absl::StatusOr<std::unique_ptr<PluginSession>> Open(const std::filesystem::path& plugin_file,
                                                             SessionOptions options = {});
  ~PluginSession();
  PluginSession(const PluginSession&) = delete;
  PluginSession& operator=(const PluginSession&) = delete;

  const runtime::LoadedPlugin& plugin() const { return *plugin_; }
  std::shared_ptr<const runtime::Tool> FindTool(std::string_view name) const;
  runtime::ExecutorStats Stats() const { return executor_->Stats(); }

  // Runs one call to completion (result, tool error, or host-level failure such as a timeout).
  CallReport Call(const std::string& tool, const std::string& arguments_json, const CallOptions& options = {});

  // Waits until no call occupies a worker any more (abandoned calls included); false after `bound`.
  bool WaitIdle(absl::Duration bound) const;

  // Hot reload, as the connector does it: loads `plugin_file` as a new generation (make before break),
  // publishes its tools in one step and releases the previous generation with shutdown reason RELOAD.
  // Returns a weak reference to the previous generation so the caller can check it really went away.
  absl::StatusOr<std::weak_ptr<runtime::LoadedPlugin>> Reload(const std::filesystem::path& plugin_file);

  // Stops taking calls, waits up to `grace` for calls to return, then shuts the plugin down. When a call is
  // still inside the plugin after `grace`, tearing down would block on it forever: the session is leaked on
  // purpose and Close returns DeadlineExceeded (exit the process soon after).
  absl::Status Close(absl::Duration grace);

 private:
  PluginSession() = default;

  SessionOptions options_;
  std::unique_ptr<runtime::PluginHost> host_;
  std::shared_ptr<runtime::ToolCatalog> catalog_;
  std::unique_ptr<runtime::Executor> executor_;
  std::shared_ptr<runtime::LoadedPlugin> plugin_;
  std::atomic<uint64_t> next_call_{1};
  bool closed_ = false;
};

}  // namespace edge::harness

#endif  // EDGE_HARNESS_SESSION_H_
