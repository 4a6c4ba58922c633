// The runtime logger: leveled lines to a sink, stderr by default.
#include "edge/runtime/log.h"

#include <cstdio>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace edge::runtime {
namespace {

void StderrSink(LogLevel level, std::string_view component, std::string_view message) {
  static std::mutex mu;  // keeps lines from different threads whole
  std::string line = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line += ' ';
  std::string_view name = LogLevelName(level);
  line.append(name.data(), name.size());
  line.append(6 - name.size(), ' ');
  line += '[';
  line.append(component.data(), component.size());
  line += "] ";
  line.append(message.data(), message.size());
  line += '\n';
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return "TRACE";
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
    case LogLevel::kOff: return "OFF";
  }
  return "?";
}

bool ParseLogLevel(std::string_view text, LogLevel* out) {
  std::string t = absl::AsciiStrToLower(ToAbsl(text));
  static constexpr std::pair<const char*, LogLevel> kNames[] = {
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},   {"warning", LogLevel::kWarn}, {"error", LogLevel::kError},
      {"off", LogLevel::kOff}};
  for (const auto& [name, level] : kNames) {
    if (t == name) {
      *out = level;
      return true;
    }
  }
  return false;
}

Logger::Logger() : Logger(&StderrSink) {}

Logger::Logger(Sink sink, LogLevel level) : sink_(std::move(sink)), level_(level) {}

void Logger::Log(LogLevel level, std::string_view component, std::string_view message) const {
  if (!Enabled(level) || !sink_) return;
  sink_(level, component, message);
}

Logger& Logger::Default() {
  static Logger* logger = new Logger();  // never destroyed: usable from any thread until exit
  return *logger;
}

}  // namespace edge::runtime
