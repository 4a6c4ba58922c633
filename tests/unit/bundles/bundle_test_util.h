// Shared helpers for the bundle tests: a scratch directory, a logger that keeps its lines, and a bundle built
// from the example plugins.
#ifndef EDGE_TESTS_UNIT_BUNDLES_BUNDLE_TEST_UTIL_H_
#define EDGE_TESTS_UNIT_BUNDLES_BUNDLE_TEST_UTIL_H_

#include <filesystem>
#include <optional>

#include "edge/runtime/log.h"
#include "support/bundle_builder.h"
#include "support/capturing_logger.h"
#include "support/scratch_dir.h"

namespace edge::runtime::bundles::testing {

namespace fs = std::filesystem;

class Scratch : public ::edge::testing::ScratchDir {
 public:
  Scratch() : ScratchDir("edge-bundles-test") {}
};

// Debug lines included: the bundle tests check some.
class CapturingLogger : public ::edge::testing::CapturingLogger {
 public:
  CapturingLogger() : ::edge::testing::CapturingLogger(LogLevel::kDebug) {}
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
