// The edge_host_api_v1 implementation: logging, errors, result writers and call control for plugins.
#include "plugins/host_api.h"


#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "plugins/schema.h"
#include "plugins/text_checks.h"

namespace edge::runtime::plugins {
namespace {

constexpr size_t kMaxErrorBytes = 16 * 1024;  // set_error texts end up in logs and replies: keep them bounded

// Every live call by id, for handles used outside the thread running the call. Sharded by id: every call
// registers and unregisters itself, and with one table-wide mutex the executor's workers queued on it (about
// a tenth of their time at 64 calls in flight). Never destroyed: a plugin thread may still poke a stale
// handle during exit.
constexpr size_t kCallTableShards = 16;
struct alignas(64) CallTableShard {
  absl::Mutex mu;
  absl::flat_hash_map<uint64_t, HostCall*> calls ABSL_GUARDED_BY(mu);
};
struct CallTable {
  CallTableShard shards[kCallTableShards];
  std::atomic<uint64_t> next_id{1};

  CallTableShard& ShardOf(uint64_t id) { return shards[id % kCallTableShards]; }
};
CallTable& Calls() {
  static CallTable* table = new CallTable();
  return *table;
}

thread_local HostCall* tl_current_call = nullptr;

std::string_view View(edge_str s) { return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len); }
bool Malformed(edge_str s) { return s.data == nullptr && s.len != 0; }

std::string Bounded(std::string_view s) {
  return std::string(s.size() > kMaxErrorBytes ? s.substr(0, kMaxErrorBytes) : s);
}

LogLevel ToLogLevel(edge_log_level level) {
  return static_cast<LogLevel>(std::clamp<int32_t>(level, EDGE_LOG_TRACE, EDGE_LOG_ERROR));
}

}  // namespace

// The C entry points. A struct so it can be HostCall's friend; every function catches everything, because
// nothing may unwind into plugin code.
struct HostApiImpl {
  // Runs fn(call) with the call's mutex held when the handle names a live call; returns `stale` otherwise.
  template <typename R, typename F>
  static R WithCall(edge_call_host_ptr handle, R stale, F&& fn) {
    if (handle == nullptr) return stale;
    HostCall* call = nullptr;
    if (HostCall* current = tl_current_call; current != nullptr && current->handle() == handle) {
      // The usual case: the thread running the call's invoke. The call cannot complete before invoke
      // returns, so it needs no table lookup.
      call = current;
      call->mu_.Lock();
    } else {
      CallTableShard& shard = Calls().ShardOf(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(handle)));
      shard.mu.ReaderLock();
      auto it = shard.calls.find(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(handle)));
      if (it != shard.calls.end()) {
        call = it->second;
        call->mu_.Lock();  // taken before the table is released: Complete() waits for us
      }
      shard.mu.ReaderUnlock();
      if (call == nullptr) return stale;
    }
    struct Unlock {
      absl::Mutex* mu;
      ~Unlock() { mu->Unlock(); }  // also when fn throws (bad_alloc)
    } unlock{&call->mu_};
    return call->completed_ ? stale : fn(*call);
  }

  static int32_t LogEnabled(edge_host_host_ptr host, edge_log_level level) noexcept {
    HostContext* ctx = HostContext::From(host);
    return ctx != nullptr && ctx->logger().Enabled(ToLogLevel(level)) ? 1 : 0;
  }

  static void Log(edge_host_host_ptr host, edge_log_level level, edge_str file, uint32_t line,
                  edge_str message) noexcept {
    HostContext* ctx = HostContext::From(host);
    if (ctx == nullptr || Malformed(file) || Malformed(message)) return;
    const LogLevel lvl = ToLogLevel(level);
    if (!ctx->logger().Enabled(lvl)) return;
    try {
      std::string text = file.len == 0 ? std::string(View(message))
                                       : absl::StrCat(ToAbsl(View(file)), ":", line, ": ", ToAbsl(View(message)));
      ctx->logger().Log(lvl, ctx->component(), text);
      HostCall* current = tl_current_call;
      if (current != nullptr && current->host_ == ctx) {
        WithCall(current->handle(), 0, [&](HostCall& c) {
          c.control_->OnLog(static_cast<int>(lvl), text);
          return 0;
        });
      }
    } catch (...) {
    }
  }

  static void SetError(edge_host_host_ptr host, edge_call_host_ptr call, edge_str message) noexcept {
    HostContext* ctx = HostContext::From(host);
    if (ctx == nullptr || Malformed(message)) return;
    try {
      std::string text = Bounded(View(message));
      if (call == nullptr) {
        ctx->SetError(text);
        return;
      }
      bool live = WithCall(call, false, [&](HostCall& c) {
        c.error_ = std::move(text);
        return true;
      });
      if (!live) {
        ctx->logger().Warn(ctx->component(), "set_error on a call that already completed (ignored): ",
                           ToAbsl(View(message).substr(0, 200)));
      }
    } catch (...) {
    }
  }

  static edge_status AddText(edge_call_host_ptr call, edge_str text) noexcept {
    if (Malformed(text) || !IsValidUtf8(View(text))) return EDGE_STATUS_INVALID_ARGUMENT;
    try {
      return WithCall(call, EDGE_STATUS_BAD_STATE, [&](HostCall& c) {
        if (c.result_bytes_ + text.len > c.max_result_bytes_) {
          c.overflowed_ = true;
          return EDGE_STATUS_RESULT_TOO_LARGE;
        }
        c.result_.text.emplace_back(View(text));
        c.result_bytes_ += text.len;
        return EDGE_STATUS_OK;
      });
    } catch (const std::bad_alloc&) {
      return EDGE_STATUS_OUT_OF_MEMORY;
    } catch (...) {
      return EDGE_STATUS_INTERNAL;
    }
  }

  static edge_status SetStructured(edge_call_host_ptr call, edge_str json) noexcept {
    if (Malformed(json)) return EDGE_STATUS_INVALID_ARGUMENT;
    try {
      // Checked outside the call's lock, and without a document: a default one would malloc a 64 KiB chunk.
      if (!IsJsonObjectText(View(json))) return EDGE_STATUS_INVALID_ARGUMENT;
      return WithCall(call, EDGE_STATUS_BAD_STATE, [&](HostCall& c) {
        size_t previous = c.result_.structured_json ? c.result_.structured_json->size() : 0;
        size_t bytes = c.result_bytes_ - previous + json.len;
        if (bytes > c.max_result_bytes_) {
          c.overflowed_ = true;
          return EDGE_STATUS_RESULT_TOO_LARGE;
        }
        c.result_.structured_json.emplace(View(json));
        c.result_bytes_ = bytes;
        return EDGE_STATUS_OK;
      });
    } catch (const std::bad_alloc&) {
      return EDGE_STATUS_OUT_OF_MEMORY;
    } catch (...) {
      return EDGE_STATUS_INTERNAL;
    }
  }

  static edge_status SetIsError(edge_call_host_ptr call, int32_t is_error) noexcept {
    return WithCall(call, EDGE_STATUS_BAD_STATE, [&](HostCall& c) {
      c.result_.is_error = is_error != 0;
      return EDGE_STATUS_OK;
    });
  }

  static edge_status ReportProgress(edge_call_host_ptr call, double progress, double total, edge_str message) noexcept {
    if (Malformed(message) || !IsValidUtf8(View(message))) return EDGE_STATUS_INVALID_ARGUMENT;
    try {
      Progress p{progress, total, std::string(View(message))};
      return WithCall(call, EDGE_STATUS_BAD_STATE, [&](HostCall& c) {
        c.control_->OnProgress(p);
        return EDGE_STATUS_OK;
      });
    } catch (...) {
      return EDGE_STATUS_INTERNAL;
    }
  }

  static int32_t IsCancelled(edge_call_host_ptr call) noexcept {
    // A stale handle answers "cancelled": whatever loop polls it should stop.
    return WithCall(call, 1, [](HostCall& c) { return c.control_->IsCancelled() ? 1 : 0; });
  }

  static int64_t DeadlineRemainingMs(edge_call_host_ptr call) noexcept {
    return WithCall(call, int64_t{0}, [](HostCall& c) -> int64_t {
      std::optional<absl::Duration> left = c.control_->DeadlineRemaining();
      if (!left) return -1;
      return std::max<int64_t>(0, absl::ToInt64Milliseconds(*left));
    });
  }
};

const edge_host_api_v1* HostApiTable() {
  static const edge_host_api_v1 table = [] {
    edge_host_api_v1 t{};
    t.struct_size = sizeof(edge_host_api_v1);
    t.abi_minor = EDGE_ABI_MINOR;
    t.log_enabled = &HostApiImpl::LogEnabled;
    t.log = &HostApiImpl::Log;
    t.set_error = &HostApiImpl::SetError;
    t.result_add_text = &HostApiImpl::AddText;
    t.result_set_structured = &HostApiImpl::SetStructured;
    t.result_set_is_error = &HostApiImpl::SetIsError;
    t.report_progress = &HostApiImpl::ReportProgress;
    t.is_cancelled = &HostApiImpl::IsCancelled;
    t.deadline_remaining_ms = &HostApiImpl::DeadlineRemainingMs;
    return t;
  }();
  return &table;
}

HostContext::HostContext(Logger* logger, std::string_view plugin_name)
    : logger_(logger != nullptr ? logger : &Logger::Default()),
      component_(absl::StrCat("plugin:", ToAbsl(plugin_name))) {}

void HostContext::SetError(std::string_view message) {
  absl::MutexLock lock(&mu_);
  error_ = std::string(message);
}

std::string HostContext::TakeError() {
  absl::MutexLock lock(&mu_);
  return std::exchange(error_, std::string());
}

HostCall::HostCall(HostContext* host, CallControl* control, size_t max_result_bytes)
    : host_(host), control_(control), max_result_bytes_(max_result_bytes), id_(Calls().next_id.fetch_add(1)) {
  CallTableShard& shard = Calls().ShardOf(id_);
  absl::MutexLock lock(&shard.mu);
  shard.calls.emplace(id_, this);
}

HostCall::~HostCall() { Complete(); }

void HostCall::Complete() {
  {
    CallTableShard& shard = Calls().ShardOf(id_);
    absl::MutexLock lock(&shard.mu);
    shard.calls.erase(id_);
  }
  absl::MutexLock lock(&mu_);  // waits for a writer that found the call before it left the table
  completed_ = true;
}

CurrentCallScope::CurrentCallScope(HostCall* call) : previous_(tl_current_call) { tl_current_call = call; }
CurrentCallScope::~CurrentCallScope() { tl_current_call = previous_; }

}  // namespace edge::runtime::plugins
