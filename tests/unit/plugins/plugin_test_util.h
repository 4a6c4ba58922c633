// Shared helpers for the plugin host tests: a scratch directory, a log-capturing logger, a host with its
// content store in the scratch directory, and a synchronous call helper.
#ifndef EDGE_TESTS_UNIT_PLUGINS_PLUGIN_TEST_UTIL_H_
#define EDGE_TESTS_UNIT_PLUGINS_PLUGIN_TEST_UTIL_H_

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "edge/runtime/log.h"
#include "edge/runtime/plugin_host.h"
#include "edge/runtime/tool.h"
#include "support/capturing_logger.h"
#include "support/scratch_dir.h"

namespace edge::runtime::testutil {

namespace fs = std::filesystem;

class ScratchDir : public ::edge::testing::ScratchDir {
 public:
  ScratchDir() : ::edge::testing::ScratchDir("edge-plugins-test") {}
};

inline void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Info and above, like a default Logger.
class CapturingLogger : public ::edge::testing::CapturingLogger {
 public:
  CapturingLogger() : ::edge::testing::CapturingLogger(LogLevel::kInfo) {}
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
