// edge/testing/fake_host.hpp: an in-process implementation of edge_host_api_v1 for pure unit tests.
//
// `FakeHost` drives a plugin whose source is compiled into the test executable: it calls the plugin's
// negotiate function directly (no dlopen), runs init/invoke/shutdown on the calling thread, and records what the
// plugin wrote (text, structured content, isError, progress, logs, set_error). A cancel switch and a "cancel
// after N progress reports" option make cancellation tests deterministic.
//
// It checks the host side of the contract a real host enforces on writes (structured content must be a JSON
// object, no writes after the call, a result size limit) but it does NOT validate arguments against the
// inputSchema nor results against the outputSchema: use PluginUnderTest (edge/testing.hpp) for the full host.
#ifndef EDGE_TESTING_FAKE_HOST_HPP_
#define EDGE_TESTING_FAKE_HOST_HPP_

#include <edge/plugin.h>
#include <rapidjson/document.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edge::testing {

struct RecordedProgress {
  double progress = 0;
  double total = 0;
  std::string message;
};

struct RecordedLog {
  edge_log_level level = EDGE_LOG_INFO;
  std::string file;
  uint32_t line = 0;
  std::string message;
};

// What one FakeHost::Invoke produced.
struct FakeCallResult {
  edge_status status = EDGE_STATUS_INTERNAL;  // invoke's return value
  std::string error;                          // set_error text (explains a non-OK status)
  std::vector<std::string> text;
  std::optional<std::string> structured_json;
  bool is_error = false;
  std::vector<RecordedProgress> progress;
};

struct FakeCallOptions {
  std::string call_id = "fake-call";
  std::string user_id, org_id, deployment_id, hostname, platform;
  // > 0: the call reads as cancelled once the plugin has reported this many progress updates.
  int cancel_after_progress = 0;
  int64_t deadline_remaining_ms = -1;  // what deadline_remaining_ms returns; -1: no deadline
  size_t max_result_bytes = 4 * 1024 * 1024;
};

class FakeHost {
 public:
  // `negotiate` is the plugin's entry function, e.g. &edge_plugin_negotiate when its source is linked in.
  explicit FakeHost(edge_plugin_negotiate_fn negotiate, uint32_t host_minor = EDGE_ABI_MINOR)
      : negotiate_(negotiate), host_minor_(host_minor) {
    table_.struct_size = sizeof(edge_host_api_v1);
    table_.abi_minor = host_minor;
    table_.log_enabled = &LogEnabled;
    table_.log = &Log;
    table_.set_error = &SetError;
    table_.result_add_text = &AddText;
    table_.result_set_structured = &SetStructured;
    table_.result_set_is_error = &SetIsError;
    table_.report_progress = &ReportProgress;
    table_.is_cancelled = &IsCancelled;
    table_.deadline_remaining_ms = &DeadlineRemaining;
  }
  ~FakeHost() { Shutdown(); }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  // Negotiates and initialises the plugin. On failure, init_error() holds the plugin's explanation.
  edge_status Init(std::string_view config_json = "{}", std::string_view data_dir = {},
                   std::string_view plugin_path = "/fake/plugin.so") {
    if (state_ != nullptr) return EDGE_STATUS_BAD_STATE;
    init_error_.clear();
    edge_abi_version offer{sizeof(edge_abi_version), EDGE_ABI_MAJOR, host_minor_, 0};
    edge_abi_version answer{sizeof(edge_abi_version), 0, 0, 0};
    const void* api = nullptr;
    edge_status s = negotiate_(&offer, &answer, &api);
    if (s != EDGE_STATUS_OK || api == nullptr) {
      init_error_ = "negotiation refused: plugin speaks " + std::to_string(answer.major) + "." +
                    std::to_string(answer.minor) + " and needs host minor >= " + std::to_string(answer.required_minor);
      return s == EDGE_STATUS_OK ? EDGE_STATUS_INTERNAL : s;
    }
    api_ = static_cast<const edge_plugin_api_v1*>(api);
    negotiated_minor_ = answer.minor < host_minor_ ? answer.minor : host_minor_;
    edge_plugin_init_v1 params{};
    params.struct_size = sizeof(params);
    params.negotiated_minor = negotiated_minor_;
    params.config_json = Str(config_json);
    params.plugin_path = Str(plugin_path);
    params.data_dir = Str(data_dir);
    edge_plugin_module_ptr state = nullptr;
    s = api_->init(&table_, Self(), &params, &state);
    if (s != EDGE_STATUS_OK) {
      if (init_error_.empty()) init_error_ = "init failed without calling set_error";
      return s;
    }
    state_ = state;
    return EDGE_STATUS_OK;
  }
  const std::string& init_error() const { return init_error_; }
  bool initialized() const { return state_ != nullptr; }
  const edge_plugin_api_v1* api() const { return api_; }

  void Shutdown(edge_shutdown_reason reason = EDGE_SHUTDOWN_REASON_SHUTDOWN, uint32_t deadline_ms = 5000) {
    if (state_ == nullptr) return;
    api_->shutdown(state_, reason, deadline_ms);
    state_ = nullptr;
  }

  std::vector<std::string> ToolNames() const {
    std::vector<std::string> names;
    if (state_ == nullptr) return names;
    for (uint32_t i = 0, n = api_->tool_count(state_); i < n; ++i) {
      const edge_tool_descriptor_v1* d = api_->tool_at(state_, i);
      if (d != nullptr) names.emplace_back(View(d->name));
    }
    return names;
  }
  // The plugin's descriptor for `tool`, or nullptr.
  const edge_tool_descriptor_v1* Descriptor(std::string_view tool) const {
    int64_t index = IndexOf(tool);
    return index < 0 ? nullptr : api_->tool_at(state_, static_cast<uint32_t>(index));
  }

  // Runs one call synchronously on this thread. Arguments are passed as given (no inputSchema validation).
  FakeCallResult Invoke(std::string_view tool, std::string_view args_json, const FakeCallOptions& options = {}) {
    Call call{this, &options, {}, false};
    int64_t index = IndexOf(tool);
    if (index < 0) {
      call.result.status = EDGE_STATUS_TOOL_NOT_FOUND;
      call.result.error = state_ == nullptr ? "FakeHost::Invoke before a successful Init()"
                                            : "no tool named '" + std::string(tool) + "' in this plugin";
      return call.result;
    }
    edge_call_context_v1 ctx{};
    ctx.struct_size = sizeof(ctx);
    ctx.call_id = Str(options.call_id);
    ctx.tool_name = Str(tool);
    ctx.user_id = Str(options.user_id);
    ctx.org_id = Str(options.org_id);
    ctx.deployment_id = Str(options.deployment_id);
    ctx.hostname = Str(options.hostname);
    ctx.platform = Str(options.platform);
    edge_status s = api_->invoke(state_, static_cast<uint32_t>(index), Str(args_json), &ctx,
                                 reinterpret_cast<edge_call_host_ptr>(&call));
    std::lock_guard<std::mutex> lock(mu_);
    call.done = true;  // later writes through a kept pointer are a plugin bug; they get BAD_STATE
    call.result.status = s;
    return call.result;
  }

  // The cancel switch: while on, every running and future call reads as cancelled.
  void Cancel() { cancelled_.store(true); }
  void ResetCancel() { cancelled_.store(false); }

  // Log records at or above this level are reported enabled and recorded (default: everything).
  void set_log_level(edge_log_level level) { log_level_.store(level); }
  std::vector<RecordedLog> logs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return logs_;
  }

 private:
  struct Call {
    FakeHost* host;
    const FakeCallOptions* options;
    FakeCallResult result;
    bool done;
  };

  static edge_str Str(std::string_view s) { return edge_str{s.data(), s.size()}; }
  static std::string_view View(edge_str s) { return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len); }
  edge_host_host_ptr Self() { return reinterpret_cast<edge_host_host_ptr>(this); }
  static FakeHost* From(edge_host_host_ptr h) { return reinterpret_cast<FakeHost*>(h); }
  static Call* From(edge_call_host_ptr c) { return reinterpret_cast<Call*>(c); }

  int64_t IndexOf(std::string_view tool) const {
    if (state_ == nullptr) return -1;
    for (uint32_t i = 0, n = api_->tool_count(state_); i < n; ++i) {
      const edge_tool_descriptor_v1* d = api_->tool_at(state_, i);
      if (d != nullptr && View(d->name) == tool) return i;
    }
    return -1;
  }

  static size_t ResultBytes(const FakeCallResult& r) {
    size_t n = r.structured_json ? r.structured_json->size() : 0;
    for (const auto& t : r.text) n += t.size();
    return n;
  }

  static int32_t LogEnabled(edge_host_host_ptr host, edge_log_level level) {
    return level >= From(host)->log_level_.load() ? 1 : 0;
  }
  static void Log(edge_host_host_ptr host, edge_log_level level, edge_str file, uint32_t line, edge_str message) {
    FakeHost* self = From(host);
    if (level < self->log_level_.load()) return;
    std::lock_guard<std::mutex> lock(self->mu_);
    self->logs_.push_back(RecordedLog{level, std::string(View(file)), line, std::string(View(message))});
  }
  static void SetError(edge_host_host_ptr host, edge_call_host_ptr call, edge_str message) {
    FakeHost* self = From(host);
    std::lock_guard<std::mutex> lock(self->mu_);
    if (call == nullptr) {
      self->init_error_.assign(View(message));
    } else if (!From(call)->done) {
      From(call)->result.error.assign(View(message));
    }
  }
  static edge_status AddText(edge_call_host_ptr c, edge_str text) {
    Call* call = From(c);
    std::lock_guard<std::mutex> lock(call->host->mu_);
    if (call->done) return EDGE_STATUS_BAD_STATE;
    if (ResultBytes(call->result) + text.len > call->options->max_result_bytes) return EDGE_STATUS_RESULT_TOO_LARGE;
    call->result.text.emplace_back(View(text));
    return EDGE_STATUS_OK;
  }
  static edge_status SetStructured(edge_call_host_ptr c, edge_str json) {
    Call* call = From(c);
    rapidjson::Document doc;
    doc.Parse(json.data == nullptr ? "" : json.data, json.len);
    if (doc.HasParseError() || !doc.IsObject()) return EDGE_STATUS_INVALID_ARGUMENT;
    std::lock_guard<std::mutex> lock(call->host->mu_);
    if (call->done) return EDGE_STATUS_BAD_STATE;
    if (ResultBytes(call->result) + json.len > call->options->max_result_bytes) return EDGE_STATUS_RESULT_TOO_LARGE;
    call->result.structured_json.emplace(View(json));
    return EDGE_STATUS_OK;
  }
  static edge_status SetIsError(edge_call_host_ptr c, int32_t is_error) {
    Call* call = From(c);
    std::lock_guard<std::mutex> lock(call->host->mu_);
    if (call->done) return EDGE_STATUS_BAD_STATE;
    call->result.is_error = is_error != 0;
    return EDGE_STATUS_OK;
  }
  static edge_status ReportProgress(edge_call_host_ptr c, double progress, double total, edge_str message) {
    Call* call = From(c);
    std::lock_guard<std::mutex> lock(call->host->mu_);
    if (call->done) return EDGE_STATUS_BAD_STATE;
    call->result.progress.push_back(RecordedProgress{progress, total, std::string(View(message))});
    return EDGE_STATUS_OK;
  }
  static int32_t IsCancelled(edge_call_host_ptr c) {
    Call* call = From(c);
    if (call->host->cancelled_.load()) return 1;
    int after = call->options->cancel_after_progress;
    std::lock_guard<std::mutex> lock(call->host->mu_);
    return after > 0 && call->result.progress.size() >= static_cast<size_t>(after) ? 1 : 0;
  }
  static int64_t DeadlineRemaining(edge_call_host_ptr c) { return From(c)->options->deadline_remaining_ms; }

  edge_plugin_negotiate_fn negotiate_;
  uint32_t host_minor_;
  uint32_t negotiated_minor_ = 0;
  edge_host_api_v1 table_{};
  const edge_plugin_api_v1* api_ = nullptr;
  edge_plugin_module_ptr state_ = nullptr;
  std::string init_error_;
  std::atomic<bool> cancelled_{false};
  std::atomic<edge_log_level> log_level_{EDGE_LOG_TRACE};
  mutable std::mutex mu_;
  std::vector<RecordedLog> logs_;
};

}  // namespace edge::testing

#endif  // EDGE_TESTING_FAKE_HOST_HPP_
