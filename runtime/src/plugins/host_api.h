// plugins/host_api.h: the edge_host_api_v1 table the host hands to every plugin, and what stands behind it.
//
// `HostContext` is what a plugin's `edge_host_host_ptr` points to: its logger and its last set_error
// message. `HostCall` is one in-flight call: the result the plugin writes, its error message, and the
// CallControl that progress, cancellation and deadline questions go to. A call handle is an id, not a
// pointer, looked up in a process-wide table: a plugin that uses a handle after its call completed gets
// EDGE_STATUS_BAD_STATE instead of writing into freed memory. Every function is callable from any thread.
#ifndef EDGE_RUNTIME_PLUGINS_HOST_API_H_
#define EDGE_RUNTIME_PLUGINS_HOST_API_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "edge/plugin.h"
#include "edge/runtime/log.h"
#include "edge/runtime/tool.h"

namespace edge::runtime::plugins {

// The host API table (static; valid for the life of the process).
const edge_host_api_v1* HostApiTable();

class HostContext {
 public:
  // `plugin_name` becomes the log component "plugin:<name>".
  HostContext(Logger* logger, std::string_view plugin_name);
  HostContext(const HostContext&) = delete;
  HostContext& operator=(const HostContext&) = delete;

  edge_host_host_ptr handle() { return reinterpret_cast<edge_host_host_ptr>(this); }
  static HostContext* From(edge_host_host_ptr h) { return reinterpret_cast<HostContext*>(h); }

  Logger& logger() const { return *logger_; }
  const std::string& component() const { return component_; }

  void SetError(std::string_view message);
  // The last plugin-level error (set_error without a call), cleared by reading it.
  std::string TakeError();

 private:
  Logger* logger_;
  std::string component_;
  absl::Mutex mu_;
  std::string error_ ABSL_GUARDED_BY(mu_);
};

class HostCall {
 public:
  HostCall(HostContext* host, CallControl* control, size_t max_result_bytes);
  ~HostCall();  // completes the call if Complete() was not called
  HostCall(const HostCall&) = delete;
  HostCall& operator=(const HostCall&) = delete;

  edge_call_host_ptr handle() const { return reinterpret_cast<edge_call_host_ptr>(static_cast<uintptr_t>(id_)); }

  // Ends the call: waits for writes in progress on other threads; later ones get EDGE_STATUS_BAD_STATE and
  // nothing reaches the CallControl any more. Idempotent.
  void Complete();

  // Read after Complete().
  ToolResult& result() { return result_; }
  const std::string& error() const { return error_; }
  bool overflowed() const { return overflowed_; }
  size_t max_result_bytes() const { return max_result_bytes_; }

 private:
  friend struct HostApiImpl;

  HostContext* const host_;
  CallControl* const control_;
  const size_t max_result_bytes_;
  const uint64_t id_;
  absl::Mutex mu_;
  bool completed_ ABSL_GUARDED_BY(mu_) = false;
  size_t result_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  ToolResult result_ ABSL_GUARDED_BY(mu_);
  std::string error_ ABSL_GUARDED_BY(mu_);
};

// Marks the calling thread as running `call` while it is in scope, so plugin log lines emitted on this
// thread also reach that call's CallControl::OnLog.
class CurrentCallScope {
 public:
  explicit CurrentCallScope(HostCall* call);
  ~CurrentCallScope();
  CurrentCallScope(const CurrentCallScope&) = delete;
  CurrentCallScope& operator=(const CurrentCallScope&) = delete;

 private:
  HostCall* previous_;
};

}  // namespace edge::runtime::plugins

#endif  // EDGE_RUNTIME_PLUGINS_HOST_API_H_
