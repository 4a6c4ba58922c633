// What the daemon serves at startup (runtime/src/daemon/startup_tools.cc): the installed bundle generation,
// loaded strictly; only the built-ins when that generation is broken or the local manifest was deleted; a
// hand-installed dist/ loaded leniently as before.
#include "daemon/startup_tools.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "bundles/identity.h"
#include "edge/runtime/diagnostics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/bundle_builder.h"

namespace edge::runtime {
namespace {

namespace fs = std::filesystem;

class StartupToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/startup-tools-XXXXXX";
    root_ = mkdtemp(tmpl);
    install_ = root_ / "install";
    fs::create_directories(install_);
    layout_ = std::make_unique<bundles::Layout>(install_);
    ASSERT_TRUE(layout_->Recover().ok());
    PluginHostOptions o;
    o.content_store_dir = root_ / "store";
    o.logger = &logger_;
    host_ = std::make_unique<PluginHost>(o);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Installs the echo example as the current generation of bundle b_1 v4, as a sync would. A config makes
  // another generation (other content, other checksum).
  std::string InstallEcho(std::optional<std::string> config = std::nullopt) {
    edge::testing::BundleSpec spec;
    spec.plugins.push_back({EDGE_ECHO_PLUGIN, "echo", config, {}});
    const fs::path build = root_ / ("build" + std::to_string(builds_++));
    auto built = edge::testing::BuildBundle(spec, build);
    EXPECT_TRUE(built.ok()) << built.status();
    const std::string hex = built->manifest.checksum.substr(7);
    const fs::path dir = layout_->generation_dir(hex);
    fs::create_directories(dir);
    std::ofstream(dir / "manifest.json") << built->manifest_json;
    fs::copy(build / "dist", dir / "dist", fs::copy_options::recursive);
    EXPECT_TRUE(bundles::WriteBundleIdentity(dir, {"b_1", 4, built->manifest.checksum}).ok());
    EXPECT_TRUE(layout_->Activate(hex).ok());
    return hex;
  }
  absl::StatusOr<bundles::ServedGeneration> Load() {
    auto report = layout_->Recover();
    EXPECT_TRUE(report.ok());
    report_ = *report;
    StartupToolsInputs in;
    in.implementations_dir = install_ / "dist";
    in.data_root = install_ / "data";
    in.layout = layout_.get();
    in.recovery = &report_;
    in.builtins = BuiltinDiagnosticsTools([] { return std::string("{}"); });
    return LoadStartupTools(*host_, in, logger_);
  }

  fs::path root_, install_;
  Logger logger_{[](LogLevel, std::string_view, std::string_view) {}, LogLevel::kOff};
  std::unique_ptr<bundles::Layout> layout_;
  bundles::RecoveryReport report_;
  std::unique_ptr<PluginHost> host_;
  int builds_ = 0;
};

TEST_F(StartupToolsTest, ServesTheCurrentGenerationWithItsIdentity) {
  const std::string hex = InstallEcho();
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->source, "bundle");
  EXPECT_EQ(served->generation, hex);
  ASSERT_TRUE(served->identity.has_value());
  EXPECT_EQ(served->identity->bundle_id, "b_1");
  EXPECT_EQ(served->identity->version, 4);
  EXPECT_NE(served->registry->Find("echo"), nullptr);
  EXPECT_NE(served->registry->Find("edge.ping"), nullptr);
}

TEST_F(StartupToolsTest, AModifiedGenerationServesOnlyTheBuiltins) {
  const std::string hex = InstallEcho();
  std::ofstream(layout_->generation_dir(hex) / "dist" / "tools" / "echo.so", std::ios::app) << "x";
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->source, "none");
  EXPECT_EQ(served->registry->Find("echo"), nullptr);
  EXPECT_NE(served->registry->Find("edge.ping"), nullptr);
}

TEST_F(StartupToolsTest, ABrokenCurrentGenerationFallsBackToThePreviousOne) {
  const std::string good = InstallEcho();
  const std::string bad = InstallEcho("{}");
  ASSERT_NE(good, bad);
  std::ofstream(layout_->generation_dir(bad) / "dist" / "tools" / "echo.so", std::ios::app) << "x";
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->source, "bundle");
  EXPECT_EQ(served->generation, good);
  EXPECT_NE(served->registry->Find("echo"), nullptr);
  // The disk says what serves: current is the good generation again, and the broken one is previous.
  EXPECT_EQ(layout_->CurrentGeneration(), good);
  EXPECT_EQ(layout_->PreviousGeneration(), bad);
}

TEST_F(StartupToolsTest, ADeletedLocalManifestServesOnlyTheBuiltins) {
  InstallEcho();
  fs::remove(install_ / "manifest.json");
  fs::remove(install_ / "dist");
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->source, "none");
  EXPECT_TRUE(report_.local_manifest_missing);
}

TEST_F(StartupToolsTest, AHandInstalledDistIsLoadedLeniently) {
  fs::create_directories(install_ / "dist");
  fs::copy_file(EDGE_ECHO_PLUGIN, install_ / "dist" / "echo.so");
  std::ofstream(install_ / "dist" / "broken.so") << "not a library";
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->source, "local");
  EXPECT_EQ(served->generation, "local");
  EXPECT_FALSE(served->identity.has_value());
  EXPECT_NE(served->registry->Find("echo"), nullptr);
}

TEST_F(StartupToolsTest, NothingInstalledServesTheBuiltins) {
  auto served = Load();
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->source, "none");
  EXPECT_EQ(served->registry->tools().size(), 3u);
}

}  // namespace
}  // namespace edge::runtime
