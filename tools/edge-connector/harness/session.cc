// PluginSession: the real host, catalog and executor around one plugin, with synchronous calls.
#include "harness/session.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "edge/plugin.h"

namespace edge::harness {

using runtime::CallOutcome;

absl::StatusOr<std::unique_ptr<PluginSession>> PluginSession::Open(const std::filesystem::path& plugin_file,
                                                                   SessionOptions options) {
  std::unique_ptr<PluginSession> session(new PluginSession());
  session->options_ = std::move(options);
  runtime::PluginHostOptions host_options;
  host_options.content_store_dir = session->options_.store_dir;
  host_options.logger = session->options_.logger;
  session->host_ = std::make_unique<runtime::PluginHost>(host_options);

  runtime::PluginLoadOptions load_options;
  load_options.config_json = session->options_.config_json;
  // The host wants absolute paths; absolute() does not touch the file, so a missing one is still reported by
  // the host, in its own words.
  auto loaded = session->host_->Load(std::filesystem::absolute(plugin_file), load_options);
  if (!loaded.ok()) return loaded.status();
  session->plugin_ = *std::move(loaded);

  auto registry = runtime::ToolRegistry::Create(session->plugin_->tools());
  if (!registry.ok()) return registry.status();
  session->catalog_ = std::make_shared<runtime::ToolCatalog>();
  session->catalog_->Publish(*std::move(registry));

  runtime::ExecutorOptions executor_options;
  executor_options.max_concurrent_calls = session->options_.max_concurrent_calls;
  executor_options.logger = session->options_.logger;
  session->executor_ = runtime::NewInProcessExecutor(session->catalog_, executor_options);
  return session;
}

PluginSession::~PluginSession() {
  if (!closed_) (void)Close(absl::Seconds(5));
}

std::shared_ptr<const runtime::Tool> PluginSession::FindTool(std::string_view name) const {
  return catalog_->Current()->Find(name);
}

CallReport PluginSession::Call(const std::string& tool, const std::string& arguments_json,
                               const CallOptions& options) {
  runtime::CallRequest request;
  request.call_id = absl::StrCat("harness-", next_call_.fetch_add(1));
  request.tool = tool;
  request.arguments_json = arguments_json;
  request.context.call_id = request.call_id;
  request.context.platform = "edge-connector test";
  if (options.timeout) {
    request.inactivity_timeout = *options.timeout;
    request.max_duration = *options.timeout;
  }
  const std::string call_id = request.call_id;

  // Shared with the callbacks: the executor may still hold them after this function returned.
  struct State {
    absl::Mutex mu;
    std::optional<CallOutcome> outcome ABSL_GUARDED_BY(mu);
  };
  auto state = std::make_shared<State>();
  runtime::CallCallbacks callbacks;
  if (options.on_progress) {
    callbacks.on_progress = [fn = options.on_progress](const runtime::Progress& p) { fn(p); };
  }
  callbacks.on_complete = [state](CallOutcome outcome) {
    absl::MutexLock lock(&state->mu);
    state->outcome = std::move(outcome);
  };

  const absl::Time submitted = absl::Now();
  executor_->Submit(std::move(request), std::move(callbacks));

  CallReport report;
  auto has_outcome = [](std::optional<CallOutcome>* o) { return o->has_value(); };
  state->mu.Lock();
  while (!state->outcome.has_value()) {
    // Short waits so Ctrl-C and the cancel delay are noticed promptly.
    state->mu.AwaitWithTimeout(absl::Condition(+has_outcome, &state->outcome), absl::Milliseconds(5));
    if (state->outcome.has_value() || report.cancel_sent) continue;
    bool cancel = (options.cancel_after && absl::Now() - submitted >= *options.cancel_after) ||
                  (options.interrupted && options.interrupted());
    if (cancel) {
      // Cancel may complete the call inline, and the completion takes the lock.
      state->mu.Unlock();
      report.cancel_sent = true;
      report.cancelled_at = absl::Now();
      executor_->Cancel(call_id);
      state->mu.Lock();
    }
  }
  report.outcome = std::move(*state->outcome);
  state->mu.Unlock();
  return report;
}

bool PluginSession::WaitIdle(absl::Duration bound) const {
  const absl::Time deadline = absl::Now() + bound;
  while (true) {
    runtime::ExecutorStats stats = executor_->Stats();
    if (stats.running == 0 && stats.abandoned == 0 && stats.queued == 0) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
}

absl::StatusOr<std::weak_ptr<runtime::LoadedPlugin>> PluginSession::Reload(const std::filesystem::path& plugin_file) {
  runtime::PluginLoadOptions load_options;
  load_options.config_json = options_.config_json;
  auto next = host_->Load(std::filesystem::absolute(plugin_file), load_options);
  if (!next.ok()) return next.status();
  auto registry = runtime::ToolRegistry::Create((*next)->tools());
  if (!registry.ok()) return registry.status();

  std::weak_ptr<runtime::LoadedPlugin> previous = plugin_;
  // Set before the swap: the last reference may drop as soon as the new registry is published.
  plugin_->SetShutdownReason(EDGE_SHUTDOWN_REASON_RELOAD);
  catalog_->Publish(*std::move(registry));
  plugin_ = *std::move(next);
  return previous;
}

absl::Status PluginSession::Close(absl::Duration grace) {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  if (executor_ == nullptr) return absl::OkStatus();  // Open failed half way: nothing ever ran
  absl::Status drained = executor_->Drain(grace);
  if (!WaitIdle(drained.ok() ? grace : absl::ZeroDuration())) {
    // A worker is stuck inside the plugin: destroying the executor would join it, and unloading the plugin
    // under it would crash. Leak everything; the process is about to exit anyway.
    // Kept reachable from a static so leak checkers (ASan) do not report it.
    static auto* leaked = new std::vector<std::shared_ptr<void>>();
    leaked->emplace_back(executor_.release(), [](void*) {});
    leaked->emplace_back(host_.release(), [](void*) {});
    leaked->push_back(std::move(plugin_));
    leaked->push_back(std::move(catalog_));
    return absl::DeadlineExceededError(
        "a call was still running inside the plugin after the shutdown grace period; the plugin ignores "
        "cancellation (poll ctx.cancelled() or call ctx.check_cancelled() in long-running handlers)");
  }
  // Order matters: no worker may run plugin code when the last tool reference drops and the plugin's
  // shutdown runs, and the host (content store) goes last.
  executor_.reset();
  catalog_.reset();
  plugin_.reset();
  host_.reset();
  return absl::OkStatus();
}

}  // namespace edge::harness
