// edge/testing/plugin_under_test.hpp: runs a built plugin file through the real runtime, synchronously.
//
// `PluginUnderTest` loads a plugin with edge::runtime::PluginHost (into a content store in a fresh temporary
// directory), publishes its tools into a ToolCatalog and runs calls through the in-process Executor exactly as
// the connector does: argument and output schema validation, timeouts, progress and cancellation included.
// `Call` blocks until the call completes and returns a CallReport; `Start` returns a PendingCall for tests
// that need several calls in flight or want to cancel by hand.
#ifndef EDGE_TESTING_PLUGIN_UNDER_TEST_HPP_
#define EDGE_TESTING_PLUGIN_UNDER_TEST_HPP_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "edge/runtime/executor.h"
#include "edge/runtime/plugin_host.h"
#include "edge/runtime/tool.h"

namespace edge::testing {

struct PluginOptions {
  std::string config_json = "{}";            // handed to the plugin's init
  runtime::PluginHostOptions host;           // an empty content_store_dir means a fresh temporary directory
  runtime::ExecutorOptions executor;
  std::filesystem::path data_dir;            // optional writable directory for the plugin

  static PluginOptions WithConfig(std::string json) {
    PluginOptions o;
    o.config_json = std::move(json);
    return o;
  }
};

struct CallOptions {
  runtime::CallContext context;              // call_id is generated when empty
  std::optional<absl::Duration> inactivity_timeout;
  std::optional<absl::Duration> max_duration;
  std::optional<absl::Duration> cancel_after;  // cancel the call this long after submitting it
  int cancel_after_progress = 0;               // > 0: cancel once this many progress reports arrived
  // A safety net so a stuck plugin fails the test instead of hanging it; not a timeout of the call itself.
  absl::Duration wait_limit = absl::Seconds(30);
};

// The outcome of one call, with the progress reports it sent.
struct CallReport {
  std::string call_id;
  absl::StatusOr<runtime::ToolResult> result = absl::UnknownError("the call has not completed");
  std::vector<runtime::Progress> progress;
  absl::Duration elapsed;      // as measured by the executor
  bool cancel_sent = false;    // the harness cancelled the call (cancel_after / cancel_after_progress)

  // A result without isError.
  bool ok() const { return result.ok() && !result->is_error; }
  // The text content items joined with newlines ("" for a host-level failure).
  std::string text() const {
    std::string out;
    if (!result.ok()) return out;
    for (size_t i = 0; i < result->text.size(); ++i) out += (i ? "\n" : "") + result->text[i];
    return out;
  }
};

inline void PrintTo(const CallReport& r, std::ostream* os) {
  if (!r.result.ok()) {
    *os << "host-level failure " << r.result.status();
  } else {
    *os << (r.result->is_error ? "tool error: " : "result: ") << r.result->ToJson();
  }
  *os << " (" << r.progress.size() << " progress reports, " << absl::FormatDuration(r.elapsed) << ")";
}

// A call in flight. Wait() returns its report; destroying an unfinished PendingCall cancels and waits for it.
// It must not outlive the PluginUnderTest that started it.
class PendingCall {
 public:
  PendingCall(runtime::Executor* executor, std::string call_id, CallOptions options)
      : executor_(executor), options_(std::move(options)), submitted_(absl::Now()), state_(std::make_shared<State>()) {
    state_->report.call_id = std::move(call_id);
  }
  ~PendingCall() {
    if (!Done()) {
      Cancel();
      Wait();
    }
  }
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;

  const std::string& call_id() const { return state_->report.call_id; }
  bool Done() const {
    absl::MutexLock lock(&state_->mu);
    return state_->done;
  }
  // Asks the executor to cancel; false when the call is no longer in flight.
  bool Cancel() {
    {
      absl::MutexLock lock(&state_->mu);
      state_->report.cancel_sent = true;
    }
    return executor_->Cancel(call_id());
  }
  // Waits until the call sent at least `n` progress reports (or completed); false on timeout.
  bool WaitForProgress(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&state_->mu);
    auto reached = [s = state_.get(), n] { return s->done || s->report.progress.size() >= n; };
    state_->mu.AwaitWithTimeout(absl::Condition(&reached), timeout);
    return state_->report.progress.size() >= n;
  }
  // Blocks until the call completes (applying the cancel options) and returns its report.
  CallReport Wait() {
    const absl::Time give_up = absl::Now() + options_.wait_limit;
    if (options_.cancel_after_progress > 0) {
      if (WaitForProgress(static_cast<size_t>(options_.cancel_after_progress), options_.wait_limit) && !Done()) Cancel();
    }
    if (options_.cancel_after) {
      bool finished;
      {
        absl::MutexLock lock(&state_->mu);
        finished = state_->mu.AwaitWithDeadline(absl::Condition(&state_->done), submitted_ + *options_.cancel_after);
      }
      if (!finished) Cancel();
    }
    absl::MutexLock lock(&state_->mu);
    if (!state_->mu.AwaitWithDeadline(absl::Condition(&state_->done), give_up)) {
      ADD_FAILURE() << "call " << call_id() << " did not complete within the test's wait limit of "
                    << absl::FormatDuration(options_.wait_limit)
                    << "; the plugin may ignore cancellation (raise CallOptions::wait_limit if it is just slow)";
      CallReport stuck = state_->report;
      stuck.result = absl::DeadlineExceededError("the call did not complete within the test's wait limit");
      return stuck;
    }
    return state_->report;
  }

 private:
  friend class PluginUnderTest;
  struct State {
    mutable absl::Mutex mu;
    bool done = false;
    CallReport report;
  };

  runtime::CallCallbacks Callbacks() {
    runtime::CallCallbacks cb;
    cb.on_progress = [s = state_](const runtime::Progress& p) {
      absl::MutexLock lock(&s->mu);
      s->report.progress.push_back(p);
    };
    cb.on_complete = [s = state_](runtime::CallOutcome outcome) {
      absl::MutexLock lock(&s->mu);
      s->report.result = std::move(outcome.result);
      s->report.elapsed = outcome.elapsed;
      s->done = true;
    };
    return cb;
  }

  runtime::Executor* executor_;
  CallOptions options_;
  absl::Time submitted_;
  std::shared_ptr<State> state_;  // shared with the callbacks, which may outlive a timed-out wait
};

class PluginUnderTest {
 public:
  // Loads `plugin_file` and publishes its tools. Errors are the host's (they name the problem and the fix).
  static absl::StatusOr<std::unique_ptr<PluginUnderTest>> Load(const std::filesystem::path& plugin_file,
                                                               PluginOptions options = {}) {
    std::unique_ptr<PluginUnderTest> self(new PluginUnderTest());
    if (options.host.content_store_dir.empty()) {
      std::string pattern = (std::filesystem::path(::testing::TempDir()) / "edge-plugin-test-XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr) {
        return absl::InternalError(absl::StrCat("cannot create a temporary content store from '", pattern,
                                                "'; set TEST_TMPDIR or PluginOptions::host.content_store_dir"));
      }
      self->temp_dir_ = pattern;
      options.host.content_store_dir = self->temp_dir_;
    }
    self->host_ = std::make_unique<runtime::PluginHost>(options.host);
    runtime::PluginLoadOptions load;
    load.config_json = options.config_json;
    load.data_dir = options.data_dir;
    absl::StatusOr<std::shared_ptr<runtime::LoadedPlugin>> plugin = self->host_->Load(plugin_file, load);
    if (!plugin.ok()) return plugin.status();
    self->plugin_ = *std::move(plugin);
    absl::StatusOr<std::shared_ptr<const runtime::ToolRegistry>> registry =
        runtime::ToolRegistry::Create(self->plugin_->tools());
    if (!registry.ok()) return registry.status();
    self->catalog_ = std::make_shared<runtime::ToolCatalog>();
    self->catalog_->Publish(*std::move(registry));
    self->executor_ = runtime::NewInProcessExecutor(self->catalog_, options.executor);
    return self;
  }

  ~PluginUnderTest() {
    // Order matters: calls finish before the tools go, and the library is unloaded before its store is removed.
    if (executor_ != nullptr) {
      absl::Status drained = executor_->Drain(absl::Seconds(10));
      if (!drained.ok()) ADD_FAILURE() << "calls still running when the PluginUnderTest was destroyed: " << drained;
    }
    executor_.reset();
    catalog_.reset();
    plugin_.reset();
    host_.reset();
    if (!temp_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(temp_dir_, ignored);
    }
  }
  PluginUnderTest(const PluginUnderTest&) = delete;
  PluginUnderTest& operator=(const PluginUnderTest&) = delete;

  runtime::LoadedPlugin& plugin() const { return *plugin_; }
  runtime::Executor& executor() const { return *executor_; }
  const std::shared_ptr<runtime::ToolCatalog>& catalog() const { return catalog_; }

  std::vector<std::string> ToolNames() const {
    std::vector<std::string> names;
    for (const auto& t : plugin_->tools()) names.push_back(t->descriptor().name);
    return names;
  }
  // The host's copy of a tool's descriptor, or nullptr.
  const runtime::ToolDescriptor* Find(std::string_view tool) const {
    for (const auto& t : plugin_->tools()) {
      if (t->descriptor().name == tool) return &t->descriptor();
    }
    return nullptr;
  }

  // Submits a call and returns at once.
  std::unique_ptr<PendingCall> Start(std::string tool, std::string arguments_json = "{}", CallOptions options = {}) {
    runtime::CallRequest request;
    request.call_id = options.context.call_id.empty() ? absl::StrCat("test-call-", ++next_call_) : options.context.call_id;
    request.tool = std::move(tool);
    request.arguments_json = std::move(arguments_json);
    request.context = options.context;
    request.context.call_id = request.call_id;
    request.inactivity_timeout = options.inactivity_timeout;
    request.max_duration = options.max_duration;
    auto pending = std::make_unique<PendingCall>(executor_.get(), request.call_id, std::move(options));
    executor_->Submit(std::move(request), pending->Callbacks());
    return pending;
  }

  // Runs a call to completion and returns its report.
  CallReport Call(std::string tool, std::string arguments_json = "{}", CallOptions options = {}) {
    return Start(std::move(tool), std::move(arguments_json), std::move(options))->Wait();
  }

 private:
  PluginUnderTest() = default;

  std::filesystem::path temp_dir_;
  std::unique_ptr<runtime::PluginHost> host_;
  std::shared_ptr<runtime::LoadedPlugin> plugin_;
  std::shared_ptr<runtime::ToolCatalog> catalog_;
  std::unique_ptr<runtime::Executor> executor_;
  std::atomic<uint64_t> next_call_{0};
};

}  // namespace edge::testing

#endif  // EDGE_TESTING_PLUGIN_UNDER_TEST_HPP_
