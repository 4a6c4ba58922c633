// edge/runtime/tool.h: what a tool is to the runtime, independent of where it comes from.
//
// Plugin tools and the built-in diagnostics both implement `Tool`. A `ToolRegistry` is an immutable snapshot
// of the tools the connector serves; `ToolCatalog` publishes a new snapshot with one pointer swap (hot
// reload), while calls in flight keep the snapshot (and so the plugin library) they started with.
#ifndef EDGE_RUNTIME_TOOL_H_
#define EDGE_RUNTIME_TOOL_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace edge::runtime {

// Who is calling, and for what (mirrors edge_call_context_v1).
struct CallContext {
  std::string call_id;
  std::string user_id;
  std::string org_id;
  std::string deployment_id;
  std::string hostname;
  std::string platform;
};

// An MCP-shaped result: content[] (text items), structuredContent, isError.
struct ToolResult {
  std::vector<std::string> text;
  std::optional<std::string> structured_json;
  bool is_error = false;

  // {"content":[{"type":"text","text":...}],"structuredContent":{...},"isError":false}
  std::string ToJson() const;
  // The same JSON, appended to `out`.
  void AppendJson(std::string& out) const;
  // Bytes AppendJson writes when no text needs escaping (escapes add a few): a reserve() size.
  size_t JsonSizeHint() const;
};

struct Progress {
  double progress = 0;
  double total = 0;  // <= 0: unknown
  std::string message;
};

// What a running invocation may ask of whoever runs it. The executor implements it per call; the SDK harness
// and benchmarks use SimpleCallControl.
class CallControl {
 public:
  virtual ~CallControl() = default;
  virtual bool IsCancelled() const = 0;
  // Called on the invoking thread; resets the inactivity timeout.
  virtual void OnProgress(const Progress& progress) = 0;
  // Time to the nearest deadline; nullopt when there is none.
  virtual std::optional<absl::Duration> DeadlineRemaining() const = 0;
  // A log line the tool emitted during this call (already filtered by level).
  virtual void OnLog(int level, std::string_view message) { (void)level; (void)message; }
};

// No deadline, cancellable by hand, progress kept for inspection.
class SimpleCallControl : public CallControl {
 public:
  bool IsCancelled() const override { return cancelled_.load(); }
  void OnProgress(const Progress& p) override {
    absl::MutexLock lock(&mu_);
    progress_.push_back(p);
  }
  std::optional<absl::Duration> DeadlineRemaining() const override { return std::nullopt; }
  void Cancel() { cancelled_.store(true); }
  std::vector<Progress> progress() const {
    absl::MutexLock lock(&mu_);
    return progress_;
  }

 private:
  std::atomic<bool> cancelled_{false};
  mutable absl::Mutex mu_;
  std::vector<Progress> progress_;
};

// The host's copy of a tool descriptor (MCP-shaped).
struct ToolDescriptor {
  std::string name;
  std::string title;
  std::string description;
  std::string input_schema;   // JSON Schema text; root type "object"
  std::string output_schema;  // empty when none
  std::vector<std::string> examples;  // example argument objects (JSON text)
  std::optional<bool> read_only_hint;
  std::optional<bool> destructive_hint;
  std::optional<bool> idempotent_hint;
  std::optional<bool> open_world_hint;
  absl::Duration default_timeout = absl::ZeroDuration();  // zero: the executor's default
  bool concurrent = true;

  // {"name":..,"title":..,"description":..,"inputSchema":{..},"outputSchema":{..},"annotations":{..}}
  std::string ToJson() const;
};

// A callable tool. Invoke runs on the caller's thread (an executor worker), never on an event loop.
class Tool {
 public:
  virtual ~Tool() = default;
  virtual const ToolDescriptor& descriptor() const = 0;
  // Where the tool comes from, for status output: "builtin", or "<plugin name> <version> (<path>)".
  virtual std::string source() const = 0;
  // Validates the arguments (InvalidArgument naming the field, without calling the tool), runs the tool and
  // returns its result. Tool-level errors are results with is_error; a Status is a host-level failure:
  // InvalidArgument (bad params), Cancelled, Internal/Unknown (the tool failed to produce a result).
  virtual absl::StatusOr<ToolResult> Invoke(std::string_view args_json, const CallContext& context,
                                            CallControl& control) const = 0;
};

// An immutable set of tools with unique names.
class ToolRegistry {
 public:
  // Fails with AlreadyExists naming both sources when two tools share a name.
  static absl::StatusOr<std::shared_ptr<const ToolRegistry>> Create(std::vector<std::shared_ptr<const Tool>> tools);

  std::shared_ptr<const Tool> Find(std::string_view name) const;
  const std::vector<std::shared_ptr<const Tool>>& tools() const { return tools_; }

 private:
  std::vector<std::shared_ptr<const Tool>> tools_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Tool>> by_name_;
};

// Holds the current registry; Publish swaps it in one step. Thread-safe.
class ToolCatalog {
 public:
  ToolCatalog();
  void Publish(std::shared_ptr<const ToolRegistry> registry);
  std::shared_ptr<const ToolRegistry> Current() const;
  uint64_t generation() const;

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const ToolRegistry> current_;
  uint64_t generation_ = 0;
};

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_TOOL_H_
