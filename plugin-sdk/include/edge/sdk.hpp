// edge/sdk.hpp: the header-only C++ layer for writing Edge Connector tool plugins.
//
// A complete plugin:
//
//   #include <edge/sdk.hpp>
//   EDGE_PLUGIN("echo", "1.0.0") {
//     plugin.tool("echo")
//         .description("Returns the text it is given")
//         .input_schema(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})")
//         .handler([](const edge::Args& args, edge::Context& ctx) {
//           return edge::Result::text(args.get<std::string>("text"));
//         });
//   }
//
// The macro defines the plugin's single C export (edge_plugin_negotiate) and the ABI tables. Every export
// catches every exception: a throwing handler becomes an error result, a throwing definition becomes an init
// failure with the exception's message. Nothing unwinds into the host.
#ifndef EDGE_SDK_HPP_
#define EDGE_SDK_HPP_

#include <edge/json.hpp>
#include <edge/plugin.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The lowest host ABI minor this plugin needs. Define it before including this header when a plugin relies on
// host functions added after 1.0; hosts serving an older minor will then refuse it with a clear message.
#ifndef EDGE_PLUGIN_REQUIRED_MINOR
#define EDGE_PLUGIN_REQUIRED_MINOR 0
#endif

namespace edge {

struct PluginInfo;
template <const PluginInfo* kInfo>
struct Exports;

namespace detail {
inline edge_str Str(std::string_view s) { return edge_str{s.data(), s.size()}; }
inline std::string_view View(edge_str s) { return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len); }
// True when a host table of the given size carries `field` (fields added in later minors).
#define EDGE_HOST_HAS(api, field) \
  ((api) != nullptr && (api)->struct_size >= offsetof(edge_host_api_v1, field) + sizeof((api)->field) && (api)->field != nullptr)
}  // namespace detail

// Thrown by Context::check_cancelled(); the SDK turns it into EDGE_STATUS_CANCELLED.
class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "call cancelled"; }
};

enum class LogLevel : int32_t {
  kTrace = EDGE_LOG_TRACE,
  kDebug = EDGE_LOG_DEBUG,
  kInfo = EDGE_LOG_INFO,
  kWarn = EDGE_LOG_WARN,
  kError = EDGE_LOG_ERROR,
};

// An MCP-shaped tool result: text content items, optional structured content, and the isError flag.
class Result {
 public:
  static Result text(std::string s) {
    Result r;
    r.texts_.push_back(std::move(s));
    return r;
  }
  // A tool-level error the agent can act on (MCP isError), e.g. "file not found: x".
  static Result error(std::string message) {
    Result r = text(std::move(message));
    r.is_error_ = true;
    return r;
  }
  // Structured content. Also adds the serialized JSON as a text item unless `text` is given, because MCP
  // clients without structured-output support read the text.
  static Result structured(const Json& value, std::optional<std::string> text = std::nullopt) {
    Result r;
    r.structured_ = value.dump();
    r.texts_.push_back(text ? std::move(*text) : *r.structured_);
    return r;
  }
  Result& add_text(std::string s) {
    texts_.push_back(std::move(s));
    return *this;
  }
  Result& set_error(bool is_error = true) {
    is_error_ = is_error;
    return *this;
  }

  const std::vector<std::string>& texts() const { return texts_; }
  const std::optional<std::string>& structured_json() const { return structured_; }
  bool is_error() const { return is_error_; }

 private:
  std::vector<std::string> texts_;
  std::optional<std::string> structured_;
  bool is_error_ = false;
};

// Logging shared by Plugin and Context.
class Logger {
 public:
  Logger(const edge_host_api_v1* api, edge_host_host_ptr host) : api_(api), host_(host) {}
  bool enabled(LogLevel level) const {
    return api_ != nullptr && api_->log_enabled != nullptr && api_->log_enabled(host_, static_cast<int32_t>(level)) != 0;
  }
  void log(LogLevel level, std::string_view message, const char* file = "", uint32_t line = 0) const {
    if (api_ == nullptr || api_->log == nullptr) return;
    api_->log(host_, static_cast<int32_t>(level), detail::Str(file), line, detail::Str(message));
  }
  void debug(std::string_view m) const { if (enabled(LogLevel::kDebug)) log(LogLevel::kDebug, m); }
  void info(std::string_view m) const { if (enabled(LogLevel::kInfo)) log(LogLevel::kInfo, m); }
  void warn(std::string_view m) const { if (enabled(LogLevel::kWarn)) log(LogLevel::kWarn, m); }
  void error(std::string_view m) const { if (enabled(LogLevel::kError)) log(LogLevel::kError, m); }

 protected:
  const edge_host_api_v1* api_;
  edge_host_host_ptr host_;
};

// What a handler sees of its call: identity, cancellation, progress, deadline and logging.
class Context : public Logger {
 public:
  Context(const edge_host_api_v1* api, edge_host_host_ptr host, const edge_call_context_v1* ctx, edge_call_host_ptr call)
      : Logger(api, host), ctx_(ctx), call_(call) {}

  // True once the call was cancelled or timed out. Cheap; poll it in loops.
  bool cancelled() const { return api_->is_cancelled != nullptr && api_->is_cancelled(call_) != 0; }
  // Throws edge::Cancelled when the call was cancelled; the SDK reports the cancellation to the host.
  void check_cancelled() const {
    if (cancelled()) throw Cancelled();
  }
  // Reports progress and resets the call's inactivity timeout. total <= 0 means unknown.
  void progress(double done, double total = 0, std::string_view message = {}) const {
    if (api_->report_progress != nullptr) api_->report_progress(call_, done, total, detail::Str(message));
  }
  // Time left before the nearest deadline, or nullopt when the call has none.
  std::optional<std::chrono::milliseconds> remaining() const {
    if (api_->deadline_remaining_ms == nullptr) return std::nullopt;
    int64_t ms = api_->deadline_remaining_ms(call_);
    if (ms < 0) return std::nullopt;
    return std::chrono::milliseconds(ms);
  }

#define EDGE_CONTEXT_FIELD(f) Field(offsetof(edge_call_context_v1, f), &edge_call_context_v1::f)
  std::string_view call_id() const { return EDGE_CONTEXT_FIELD(call_id); }
  std::string_view tool_name() const { return EDGE_CONTEXT_FIELD(tool_name); }
  std::string_view user_id() const { return EDGE_CONTEXT_FIELD(user_id); }
  std::string_view org_id() const { return EDGE_CONTEXT_FIELD(org_id); }
  std::string_view deployment_id() const { return EDGE_CONTEXT_FIELD(deployment_id); }
  std::string_view hostname() const { return EDGE_CONTEXT_FIELD(hostname); }
  std::string_view platform() const { return EDGE_CONTEXT_FIELD(platform); }
#undef EDGE_CONTEXT_FIELD

 private:
  // A host struct from an older minor may be shorter; a field beyond its struct_size is absent.
  std::string_view Field(size_t offset, edge_str edge_call_context_v1::*member) const {
    if (ctx_ == nullptr || ctx_->struct_size < offset + sizeof(edge_str)) return {};
    return detail::View(ctx_->*member);
  }

  const edge_call_context_v1* ctx_;
  edge_call_host_ptr call_;
};

using Handler = std::function<Result(const Args&, Context&)>;

// Describes one tool; returned by Plugin::tool(). Every setter returns *this for chaining.
class Tool {
 public:
  explicit Tool(std::string name) : name_(std::move(name)) {}
  Tool& title(std::string v) { title_ = std::move(v); return *this; }
  Tool& description(std::string v) { description_ = std::move(v); return *this; }
  Tool& input_schema(std::string json) { input_schema_ = std::move(json); return *this; }
  Tool& output_schema(std::string json) { output_schema_ = std::move(json); return *this; }
  // An example argument object; conformance checks call the tool with each one.
  Tool& example(std::string args_json) { examples_.push_back(std::move(args_json)); return *this; }
  Tool& read_only(bool v = true) { read_only_ = Hint(v); return *this; }
  Tool& destructive(bool v = true) { destructive_ = Hint(v); return *this; }
  Tool& idempotent(bool v = true) { idempotent_ = Hint(v); return *this; }
  Tool& open_world(bool v = true) { open_world_ = Hint(v); return *this; }
  Tool& timeout(std::chrono::milliseconds t) { timeout_ms_ = static_cast<uint32_t>(t.count()); return *this; }
  // Whether calls may run in parallel (default true); the host serializes tools that say false.
  Tool& concurrent(bool v) { concurrent_ = v; return *this; }
  Tool& handler(Handler h) { handler_ = std::move(h); return *this; }

 private:
  friend class Plugin;
  template <const PluginInfo*>
  friend struct Exports;
  static edge_hint Hint(bool v) { return v ? EDGE_HINT_TRUE : EDGE_HINT_FALSE; }

  // Builds the C descriptor; its views point into this object, which lives until shutdown.
  void Freeze() {
    // Built with push_back/append: GCC 12 reports a false -Wrestrict (PR 105651) for `str = "["` inlined here.
    std::string joined;
    if (!examples_.empty()) {
      joined.push_back('[');
      for (size_t i = 0; i < examples_.size(); ++i) {
        if (i > 0) joined.push_back(',');
        joined.append(examples_[i]);
      }
      joined.push_back(']');
    }
    examples_json_ = std::move(joined);
    desc_ = edge_tool_descriptor_v1{};
    desc_.struct_size = sizeof(edge_tool_descriptor_v1);
    desc_.flags = concurrent_ ? EDGE_TOOL_FLAG_CONCURRENT : 0u;
    desc_.name = detail::Str(name_);
    desc_.title = detail::Str(title_);
    desc_.description = detail::Str(description_);
    desc_.input_schema_json = detail::Str(input_schema_);
    desc_.output_schema_json = detail::Str(output_schema_);
    desc_.examples_json = detail::Str(examples_json_);
    desc_.read_only_hint = read_only_;
    desc_.destructive_hint = destructive_;
    desc_.idempotent_hint = idempotent_;
    desc_.open_world_hint = open_world_;
    desc_.default_timeout_ms = timeout_ms_;
  }

  std::string name_, title_, description_;
  std::string input_schema_ = R"({"type":"object"})";
  std::string output_schema_;
  std::vector<std::string> examples_;
  std::string examples_json_;
  edge_hint read_only_ = EDGE_HINT_UNSET, destructive_ = EDGE_HINT_UNSET, idempotent_ = EDGE_HINT_UNSET,
            open_world_ = EDGE_HINT_UNSET;
  uint32_t timeout_ms_ = 0;
  bool concurrent_ = true;
  Handler handler_;
  edge_tool_descriptor_v1 desc_{};
};

// The plugin instance under construction, handed to the EDGE_PLUGIN body at init.
class Plugin : public Logger {
 public:
  Plugin(const edge_host_api_v1* api, edge_host_host_ptr host, const edge_plugin_init_v1* params)
      : Logger(api, host),
        config_(Json::parse(params->config_json.len ? detail::View(params->config_json) : std::string_view("{}"))),
        plugin_path_(detail::View(params->plugin_path)),
        data_dir_(detail::View(params->data_dir)) {}

  // Declares a tool; configure it through the returned reference.
  Tool& tool(std::string name) {
    tools_.push_back(std::make_unique<Tool>(std::move(name)));
    return *tools_.back();
  }
  // This plugin's configuration object from the connector config ({} when none).
  const Json& config() const { return config_; }
  // Typed access to the configuration, with the same error messages as call arguments.
  // The text is kept for the plugin's lifetime, so every Args returned here stays valid.
  Args config_args() const { return Args(config_text_); }
  const std::string& plugin_path() const { return plugin_path_; }
  const std::string& data_dir() const { return data_dir_; }
  // Registers cleanup to run at shutdown (in reverse order), before the library is unloaded.
  void on_shutdown(std::function<void(edge_shutdown_reason)> fn) { shutdown_hooks_.push_back(std::move(fn)); }

 private:
  template <const PluginInfo*>
  friend struct Exports;

  Json config_;
  std::string config_text_ = config_.dump();
  std::string plugin_path_, data_dir_;
  std::vector<std::unique_ptr<Tool>> tools_;
  std::vector<std::function<void(edge_shutdown_reason)>> shutdown_hooks_;
};

// Static facts about a plugin, defined by EDGE_PLUGIN.
struct PluginInfo {
  const char* name;
  const char* version;
  uint32_t required_minor;
  void (*define)(Plugin&);
};

// The C exports for one plugin. Instantiated per plugin with an internal-linkage PluginInfo, so nothing here
// is shared between plugins (and no STB_GNU_UNIQUE symbol pins the library).
template <const PluginInfo* kInfo>
struct Exports {
  static edge_status Negotiate(const edge_abi_version* offer, edge_abi_version* answer, const void** out_api) noexcept {
    if (answer != nullptr && answer->struct_size >= sizeof(edge_abi_version)) {
      answer->major = EDGE_ABI_MAJOR;
      answer->minor = EDGE_ABI_MINOR;
      answer->required_minor = kInfo->required_minor;
    }
    if (offer == nullptr || out_api == nullptr || offer->struct_size < sizeof(uint32_t) * 3) return EDGE_STATUS_INVALID_ARGUMENT;
    if (offer->major != EDGE_ABI_MAJOR || offer->minor < kInfo->required_minor) return EDGE_STATUS_UNSUPPORTED_ABI;
    static const edge_plugin_api_v1 table = [] {
      edge_plugin_api_v1 t{};
      t.struct_size = sizeof(edge_plugin_api_v1);
      t.plugin_name = detail::Str(kInfo->name);
      t.plugin_version = detail::Str(kInfo->version);
      t.init = &Init;
      t.shutdown = &Shutdown;
      t.tool_count = &ToolCount;
      t.tool_at = &ToolAt;
      t.invoke = &Invoke;
      return t;
    }();
    *out_api = &table;
    return EDGE_STATUS_OK;
  }

 private:
  static void ReportError(const edge_host_api_v1* api, edge_host_host_ptr host, edge_call_host_ptr call,
                          std::string_view message) noexcept {
    if (api != nullptr && api->set_error != nullptr) api->set_error(host, call, detail::Str(message));
  }

  static edge_status Init(const edge_host_api_v1* api, edge_host_host_ptr host, const edge_plugin_init_v1* params,
                          edge_plugin_module_ptr* out_state) noexcept {
    try {
      auto plugin = std::make_unique<Plugin>(api, host, params);
      kInfo->define(*plugin);
      for (auto& t : plugin->tools_) {
        if (!t->handler_) throw std::runtime_error("tool '" + t->name_ + "' has no handler");
        t->Freeze();
      }
      *out_state = reinterpret_cast<edge_plugin_module_ptr>(plugin.release());
      return EDGE_STATUS_OK;
    } catch (const std::exception& e) {
      ReportError(api, host, nullptr, e.what());
    } catch (...) {
      ReportError(api, host, nullptr, "unknown exception during plugin init");
    }
    return EDGE_STATUS_INIT_FAILED;
  }

  static Plugin* Self(edge_plugin_module_ptr state) { return reinterpret_cast<Plugin*>(state); }

  static void Shutdown(edge_plugin_module_ptr state, edge_shutdown_reason reason, uint32_t /*deadline_ms*/) noexcept {
    Plugin* p = Self(state);
    if (p == nullptr) return;
    for (auto it = p->shutdown_hooks_.rbegin(); it != p->shutdown_hooks_.rend(); ++it) {
      try {
        (*it)(reason);
      } catch (const std::exception& e) {
        p->error(std::string("shutdown hook failed: ") + e.what());
      } catch (...) {
        p->error("shutdown hook failed with an unknown exception");
      }
    }
    delete p;
  }

  static uint32_t ToolCount(edge_plugin_module_ptr state) noexcept {
    return static_cast<uint32_t>(Self(state)->tools_.size());
  }
  static const edge_tool_descriptor_v1* ToolAt(edge_plugin_module_ptr state, uint32_t index) noexcept {
    Plugin* p = Self(state);
    return index < p->tools_.size() ? &p->tools_[index]->desc_ : nullptr;
  }

  static edge_status WriteResult(const edge_host_api_v1* api, edge_call_host_ptr call, const Result& r) {
    for (const auto& t : r.texts()) {
      edge_status s = api->result_add_text(call, detail::Str(t));
      if (s != EDGE_STATUS_OK) return s;
    }
    if (r.structured_json()) {
      edge_status s = api->result_set_structured(call, detail::Str(*r.structured_json()));
      if (s != EDGE_STATUS_OK) return s;
    }
    return api->result_set_is_error(call, r.is_error() ? 1 : 0);
  }

  static edge_status Invoke(edge_plugin_module_ptr state, uint32_t index, edge_str args_json,
                            const edge_call_context_v1* context, edge_call_host_ptr call) noexcept {
    Plugin* p = Self(state);
    const edge_host_api_v1* api = p->api_;
    if (index >= p->tools_.size()) {
      ReportError(api, p->host_, call, "tool index out of range");
      return EDGE_STATUS_TOOL_NOT_FOUND;
    }
    Tool& tool = *p->tools_[index];
    try {
      Context ctx(api, p->host_, context, call);
      Result result;
      try {
        Args args(detail::View(args_json));
        result = tool.handler_(args, ctx);
      } catch (const ToolError& e) {
        result = Result::error(e.what());
      } catch (const Cancelled&) {
        ReportError(api, p->host_, call, "tool '" + tool.name_ + "' stopped: call cancelled");
        return EDGE_STATUS_CANCELLED;
      } catch (const std::exception& e) {
        result = Result::error("tool '" + tool.name_ + "' failed: " + e.what());
      } catch (...) {
        result = Result::error("tool '" + tool.name_ + "' failed with an unknown exception");
      }
      edge_status s = WriteResult(api, call, result);
      if (s != EDGE_STATUS_OK) ReportError(api, p->host_, call, "the host refused the tool's result");
      return s;
    } catch (const std::bad_alloc&) {
      return EDGE_STATUS_OUT_OF_MEMORY;
    } catch (...) {
      ReportError(api, p->host_, call, "internal error in the plugin SDK");
      return EDGE_STATUS_INTERNAL;
    }
  }
};

}  // namespace edge

// Defines a plugin. The body receives `edge::Plugin& plugin` and declares tools on it. Use once per library.
#define EDGE_PLUGIN(NAME, VERSION)                                                                                \
  static void edge_plugin_define_(::edge::Plugin& plugin);                                                        \
  static const ::edge::PluginInfo edge_plugin_info_{NAME, VERSION, EDGE_PLUGIN_REQUIRED_MINOR, &edge_plugin_define_}; \
  extern "C" EDGE_PLUGIN_EXPORT edge_status edge_plugin_negotiate(const edge_abi_version* offer,                  \
                                                                  edge_abi_version* answer, const void** out_api) { \
    return ::edge::Exports<&edge_plugin_info_>::Negotiate(offer, answer, out_api);                                \
  }                                                                                                               \
  static void edge_plugin_define_(::edge::Plugin& plugin)

#endif  // EDGE_SDK_HPP_
