// Shared helpers for the plugin host tests: a scratch directory, a log-capturing logger, a host with its
// content store in the scratch directory, and a synchronous call helper.
#ifndef EDGE_TESTS_UNIT_PLUGINS_PLUGIN_TEST_UTIL_H_
#define EDGE_TESTS_UNIT_PLUGINS_PLUGIN_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "edge/runtime/log.h"
#include "edge/runtime/plugin_host.h"
#include "edge/runtime/tool.h"

namespace edge::runtime::testutil {

namespace fs = std::filesystem;

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::path(::testing::TempDir()) / "edge-plugins-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? fs::path(pattern) : fs::path();
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(std::string_view name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Keeps every line logged through it.
class CapturingLogger {
 public:
  CapturingLogger()
      : logger_(
            [this](LogLevel level, std::string_view component, std::string_view message) {
              absl::MutexLock lock(&mu_);
              lines_.push_back(std::string(LogLevelName(level)) + " [" + std::string(component) + "] " +
                               std::string(message));
            },
            LogLevel::kInfo) {}
  Logger* logger() { return &logger_; }
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

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_;
  Logger logger_;
};

// A PluginHost whose content store lives in a scratch directory.
struct TestHost {
  explicit TestHost(PluginHostOptions options = {}) {
    if (options.content_store_dir.empty()) options.content_store_dir = scratch / "store";
    if (options.logger == nullptr) options.logger = log.logger();
    host = std::make_unique<PluginHost>(options);
  }
  ScratchDir scratch;
  CapturingLogger log;
  std::unique_ptr<PluginHost> host;
};

inline std::shared_ptr<const Tool> FindTool(const LoadedPlugin& plugin, std::string_view name) {
  for (const auto& t : plugin.tools()) {
    if (t->descriptor().name == name) return t;
  }
  return nullptr;
}

// Invokes a tool of `plugin` on this thread; fails the test when the tool does not exist.
inline absl::StatusOr<ToolResult> Call(const LoadedPlugin& plugin, std::string_view tool, std::string_view args,
                                       CallControl* control = nullptr) {
  std::shared_ptr<const Tool> t = FindTool(plugin, tool);
  if (t == nullptr) return absl::NotFoundError("no such tool in the fixture");
  SimpleCallControl simple;
  CallContext context;
  context.call_id = "test-call";
  return t->Invoke(args, context, control != nullptr ? *control : simple);
}

inline std::string Text(const absl::StatusOr<ToolResult>& r) {
  if (!r.ok() || r->text.empty()) return "";
  return r->text.front();
}

}  // namespace edge::runtime::testutil

#endif  // EDGE_TESTS_UNIT_PLUGINS_PLUGIN_TEST_UTIL_H_
