// The daemon's startup tool set (runtime/src/daemon/tool_loading.cc): built-ins plus the plugins of the
// implementations directory, each with the config file next to it; a bad plugin is skipped, not fatal.
#include "daemon/tool_loading.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ToolLoadingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tool-loading-XXXXXX";
    root_ = mkdtemp(tmpl);
    impl_ = root_ / "impl";
    fs::create_directories(impl_);
  }
  void TearDown() override { fs::remove_all(root_); }

  absl::StatusOr<LoadedTools> Load() {
    return LoadTools(host_, impl_, root_ / "data", [] { return std::string("{}"); }, logger_);
  }
  static std::vector<std::string> Names(const LoadedTools& t) {
    std::vector<std::string> names;
    for (const auto& tool : t.registry->tools()) names.push_back(tool->descriptor().name);
    return names;
  }

  fs::path root_, impl_;
  Logger logger_{[](LogLevel, std::string_view, std::string_view) {}, LogLevel::kOff};
  PluginHost host_;
};

TEST_F(ToolLoadingTest, DefaultDirectoryIsDistUnderTheInstallation) {
  EXPECT_EQ(ImplementationsDir("/opt/edge", ""), fs::path("/opt/edge/dist"));
  EXPECT_EQ(ImplementationsDir("/opt/edge", "/srv/tools"), fs::path("/srv/tools"));
}

TEST_F(ToolLoadingTest, MissingDirectoryServesTheBuiltinsOnly) {
  fs::remove_all(impl_);
  auto tools = Load();
  ASSERT_TRUE(tools.ok()) << tools.status();
  EXPECT_THAT(Names(*tools), ::testing::UnorderedElementsAre("edge.ping", "edge.system_info", "edge.runtime_status"));
  EXPECT_TRUE(tools->failures.empty());
}

TEST_F(ToolLoadingTest, ABadPluginIsSkippedAndTheOthersServe) {
  fs::copy_file(EDGE_FIXTURE_RAW_OK, impl_ / "raw_ok.so");
  fs::copy_file(EDGE_FIXTURE_INIT_FAILS, impl_ / "init_fails.so");  // needs {"db": ...}, which it lacks
  auto tools = Load();
  ASSERT_TRUE(tools.ok()) << tools.status();
  ASSERT_EQ(tools->plugins.size(), 1u);
  EXPECT_EQ(tools->plugins[0]->name(), "raw_ok");
  ASSERT_EQ(tools->failures.size(), 1u);
  EXPECT_THAT(tools->failures[0], HasSubstr("init_fails.so"));
  EXPECT_THAT(tools->failures[0], HasSubstr("missing config key 'db'"));
  EXPECT_THAT(Names(*tools), ::testing::Contains("edge.ping"));
}

TEST_F(ToolLoadingTest, ThePluginConfigIsTheJsonFileBesideIt) {
  fs::copy_file(EDGE_FIXTURE_INIT_FAILS, impl_ / "init_fails.so");
  std::ofstream(impl_ / "init_fails.json") << R"({"db":"/tmp/x.db"})";
  auto tools = Load();
  ASSERT_TRUE(tools.ok()) << tools.status();
  EXPECT_TRUE(tools->failures.empty()) << tools->failures[0];
  ASSERT_EQ(tools->plugins.size(), 1u);
  EXPECT_TRUE(fs::is_directory(root_ / "data" / "init_fails")) << "each plugin gets a data directory";
}

TEST_F(ToolLoadingTest, PluginsUnderToolsAreLoadedToo) {
  fs::create_directories(impl_ / "tools");
  fs::copy_file(EDGE_FIXTURE_RAW_OK, impl_ / "tools" / "raw_ok.so");
  auto tools = Load();
  ASSERT_TRUE(tools.ok()) << tools.status();
  ASSERT_EQ(tools->plugins.size(), 1u);
}

TEST_F(ToolLoadingTest, TwoPluginsWithTheSameToolNameStopStartup) {
  fs::copy_file(EDGE_FIXTURE_RAW_OK, impl_ / "raw_ok.so");
  fs::create_directories(impl_ / "tools");
  fs::copy_file(EDGE_FIXTURE_RAW_OK, impl_ / "tools" / "raw_ok_copy.so");
  auto tools = Load();
  ASSERT_FALSE(tools.ok());
  EXPECT_EQ(tools.status().code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace edge::runtime
