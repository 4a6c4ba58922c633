// Test doubles for the executor tests: a Tool whose behaviour each test scripts, a collector of call outcomes
// and a Logger that captures lines. Waits use Mutex::Await with a generous safety timeout, so a broken
// executor fails the test instead of hanging it, and a working one never waits longer than it must.
#ifndef EDGE_TESTS_UNIT_CALLS_EXECUTOR_TEST_DOUBLES_H_
#define EDGE_TESTS_UNIT_CALLS_EXECUTOR_TEST_DOUBLES_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "edge/runtime/executor.h"
#include "edge/runtime/log.h"
#include "edge/runtime/tool.h"

namespace edge::runtime::testing {

inline constexpr absl::Duration kSafetyTimeout = absl::Seconds(10);

// Test double: a Tool running a scripted body, counting starts/returns and the peak number of concurrent
// invocations.
class ScriptedTool : public Tool {
 public:
  using Body = std::function<absl::StatusOr<ToolResult>(std::string_view args, const CallContext&, CallControl&)>;

  ScriptedTool(std::string name, Body body, bool concurrent = true,
               absl::Duration default_timeout = absl::ZeroDuration())
      : body_(std::move(body)) {
    desc_.name = std::move(name);
    desc_.concurrent = concurrent;
    desc_.default_timeout = default_timeout;
  }

  const ToolDescriptor& descriptor() const override { return desc_; }
  std::string source() const override { return "scripted test double"; }
  absl::StatusOr<ToolResult> Invoke(std::string_view args, const CallContext& context,
                                    CallControl& control) const override {
    {
      absl::MutexLock lock(&mu_);
      ++started_;
      ++active_;
      peak_active_ = std::max(peak_active_, active_);
    }
    struct Leave {
      const ScriptedTool* tool;
      ~Leave() {
        absl::MutexLock lock(&tool->mu_);
        --tool->active_;
        ++tool->returned_;
      }
    } leave{this};
    return body_(args, context, control);
  }

  int started() const { absl::MutexLock lock(&mu_); return started_; }
  int returned() const { absl::MutexLock lock(&mu_); return returned_; }
  int peak_active() const { absl::MutexLock lock(&mu_); return peak_active_; }
  bool WaitForStarted(int n) const {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return started_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kSafetyTimeout);
  }
  bool WaitForReturned(int n) const {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return returned_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kSafetyTimeout);
  }

 private:
  ToolDescriptor desc_;
  Body body_;
  mutable absl::Mutex mu_;
  mutable int started_ = 0;
  mutable int returned_ = 0;
  mutable int active_ = 0;
  mutable int peak_active_ = 0;
};

inline ToolResult TextResult(std::string text) {
  ToolResult r;
  r.text.push_back(std::move(text));
  return r;
}

// Collects outcomes and progress from CallCallbacks.
class OutcomeSink {
 public:
  CallCallbacks Callbacks() {
    return CallCallbacks{
        [this](const Progress& p) {
          absl::MutexLock lock(&mu_);
          progress_.push_back(p);
        },
        [this](CallOutcome o) {
          absl::MutexLock lock(&mu_);
          outcomes_.push_back(std::move(o));
        }};
  }
  bool WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return outcomes_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kSafetyTimeout);
  }
  bool WaitForProgress(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return progress_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kSafetyTimeout);
  }
  size_t size() const { absl::MutexLock lock(&mu_); return outcomes_.size(); }
  size_t progress_count() const { absl::MutexLock lock(&mu_); return progress_.size(); }
  CallOutcome at(size_t i) const { absl::MutexLock lock(&mu_); return outcomes_.at(i); }
  // The single outcome for `call_id`; fails the test when there is not exactly one.
  CallOutcome For(const std::string& call_id) const {
    absl::MutexLock lock(&mu_);
    std::vector<CallOutcome> found;
    for (const auto& o : outcomes_) {
      if (o.call_id == call_id) found.push_back(o);
    }
    if (found.size() != 1) {
      return CallOutcome{call_id, absl::InternalError(absl::StrCat("test: expected exactly one outcome for '", call_id,
                                                                   "', got ", found.size())), {}, nullptr};
    }
    return found[0];
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<CallOutcome> outcomes_;
  std::vector<Progress> progress_;
};

// A Logger whose lines are kept for assertions.
class CapturedLog {
 public:
  CapturedLog()
      : logger_([this](LogLevel level, std::string_view, std::string_view message) {
          absl::MutexLock lock(&mu_);
          lines_.push_back({level, std::string(message)});
        }, LogLevel::kDebug) {}
  Logger* logger() { return &logger_; }
  int Count(LogLevel level, std::string_view needle) const {
    absl::MutexLock lock(&mu_);
    return CountLocked(level, needle);
  }
  bool WaitFor(LogLevel level, std::string_view needle) const {
    absl::MutexLock lock(&mu_);
    auto seen = [&] { return CountLocked(level, needle) > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&seen), kSafetyTimeout);
  }

 private:
  int CountLocked(LogLevel level, std::string_view needle) const {
    return static_cast<int>(std::count_if(lines_.begin(), lines_.end(), [&](const auto& l) {
      return l.first == level && l.second.find(needle) != std::string::npos;
    }));
  }
  mutable absl::Mutex mu_;
  std::vector<std::pair<LogLevel, std::string>> lines_;
  Logger logger_;
};

inline std::shared_ptr<ToolCatalog> CatalogWith(std::vector<std::shared_ptr<const Tool>> tools) {
  auto catalog = std::make_shared<ToolCatalog>();
  auto registry = ToolRegistry::Create(std::move(tools));
  if (registry.ok()) catalog->Publish(*registry);
  return catalog;
}

}  // namespace edge::runtime::testing

#endif  // EDGE_TESTS_UNIT_CALLS_EXECUTOR_TEST_DOUBLES_H_
