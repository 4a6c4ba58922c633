// edge/runtime/log.h: the runtime's small leveled logger (Debian's Abseil has no absl/log).
//
// Lines go to a sink (stderr by default) as `2026-11-23T12:00:00.123Z INFO  [component] message`.
// Levels match edge_log_level in edge/plugin.h so plugin log lines pass straight through.
#ifndef EDGE_RUNTIME_LOG_H_
#define EDGE_RUNTIME_LOG_H_

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace edge::runtime {

enum class LogLevel : int { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4, kOff = 5 };

std::string_view LogLevelName(LogLevel level);
// Parses "trace|debug|info|warn|error|off" (case-insensitive).
bool ParseLogLevel(std::string_view text, LogLevel* out);

// Debian's Abseil has its own string_view type: adapt std::string_view arguments for StrCat.
inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }
namespace log_internal {
template <typename T>
decltype(auto) Adapt(const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string_view> && !std::is_convertible_v<const T&, absl::string_view>) {
    return ToAbsl(std::string_view(v));
  } else {
    return (v);
  }
}
}  // namespace log_internal

class Logger {
 public:
  using Sink = std::function<void(LogLevel, std::string_view component, std::string_view message)>;

  Logger();  // stderr sink, level info
  explicit Logger(Sink sink, LogLevel level = LogLevel::kInfo);

  bool Enabled(LogLevel level) const { return level >= level_.load(std::memory_order_relaxed); }
  void SetLevel(LogLevel level) { level_.store(level, std::memory_order_relaxed); }
  void Log(LogLevel level, std::string_view component, std::string_view message) const;

  template <typename... Args>
  void Info(std::string_view component, const Args&... args) const { Emit(LogLevel::kInfo, component, args...); }
  template <typename... Args>
  void Warn(std::string_view component, const Args&... args) const { Emit(LogLevel::kWarn, component, args...); }
  template <typename... Args>
  void Error(std::string_view component, const Args&... args) const { Emit(LogLevel::kError, component, args...); }
  template <typename... Args>
  void Debug(std::string_view component, const Args&... args) const { Emit(LogLevel::kDebug, component, args...); }

  // The process-wide default logger.
  static Logger& Default();

 private:
  template <typename... Args>
  void Emit(LogLevel level, std::string_view component, const Args&... args) const {
    if (Enabled(level)) Log(level, component, absl::StrCat(log_internal::Adapt(args)...));
  }
  Sink sink_;
  std::atomic<LogLevel> level_;
};

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_LOG_H_
