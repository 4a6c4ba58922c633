// Shared helpers for the bundle tests: a scratch directory, a logger that keeps its lines, and a bundle built
// from the example plugins.
#ifndef EDGE_TESTS_UNIT_BUNDLES_BUNDLE_TEST_UTIL_H_
#define EDGE_TESTS_UNIT_BUNDLES_BUNDLE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "edge/runtime/log.h"
#include "support/bundle_builder.h"

namespace edge::runtime::bundles::testing {

namespace fs = std::filesystem;

class Scratch {
 public:
  Scratch() {
    std::string pattern = (fs::path(::testing::TempDir()) / "edge-bundles-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? fs::path(pattern) : fs::path();
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(std::string_view name) const { return path_ / name; }

 private:
  fs::path path_;
};

class CapturingLogger {
 public:
  CapturingLogger()
      : logger_(
            [this](LogLevel level, std::string_view component, std::string_view message) {
              absl::MutexLock lock(&mu_);
              lines_.push_back(std::string(LogLevelName(level)) + " [" + std::string(component) + "] " +
                               std::string(message));
            },
            LogLevel::kDebug) {}
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
  std::string All() const {
    std::string out;
    for (const auto& l : lines()) out += l + "\n";
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_;
  Logger logger_;
};

// The example echo plugin (tool "echo"), and optionally slow (slow.count, slow.exclusive).
inline edge::testing::BundleSpec ExampleSpec(bool with_slow = false) {
  edge::testing::BundleSpec spec;
  spec.plugins.push_back({EDGE_ECHO_PLUGIN, "echo", std::nullopt, {}});
  if (with_slow) spec.plugins.push_back({EDGE_SLOW_PLUGIN, "slow", std::nullopt, {}});
  return spec;
}

}  // namespace edge::runtime::bundles::testing

#endif  // EDGE_TESTS_UNIT_BUNDLES_BUNDLE_TEST_UTIL_H_
