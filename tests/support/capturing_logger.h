// tests/support/capturing_logger.h: a runtime Logger that keeps its lines, for tests that check what was logged.
#ifndef EDGE_TESTS_SUPPORT_CAPTURING_LOGGER_H_
#define EDGE_TESTS_SUPPORT_CAPTURING_LOGGER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "edge/runtime/log.h"

namespace edge::testing {

// Keeps every line logged through it at `level` or above, as "<level> [<component>] <message>".
class CapturingLogger {
 public:
  explicit CapturingLogger(runtime::LogLevel level)
      : logger_(
            [this](runtime::LogLevel line_level, std::string_view component, std::string_view message) {
              absl::MutexLock lock(&mu_);
              lines_.push_back(std::string(runtime::LogLevelName(line_level)) + " [" + std::string(component) + "] " +
                               std::string(message));
            },
            level) {}
  CapturingLogger(const CapturingLogger&) = delete;
  CapturingLogger& operator=(const CapturingLogger&) = delete;

  runtime::Logger* logger() { return &logger_; }
  std::vector<std::string> lines() const {
    absl::MutexLock lock(&mu_);
    return lines_;
  }
  bool Contains(std::string_view needle) const {
    for (const auto& l : lines()) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  // Every line, each ending in "\n" (for failure messages).
  std::string All() const {
    std::string out;
    for (const auto& l : lines()) out += l + "\n";
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_;
  runtime::Logger logger_;
};

}  // namespace edge::testing

#endif  // EDGE_TESTS_SUPPORT_CAPTURING_LOGGER_H_
