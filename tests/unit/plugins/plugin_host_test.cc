// Tests for runtime/src/plugins/plugin_host.cc: loading, init failure, the content store guard, directory
// loads, lifetime, and hot reload safety (the acceptance scenario).
#include "edge/runtime/plugin_host.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "edge/plugin.h"
#include "plugin_test_util.h"
#include "plugins/content_store.h"

namespace edge::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testutil::Call;
using testutil::TestHost;
using testutil::Text;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

bool Mapped(const fs::path& library) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream all;
  all << maps.rdbuf();
  return all.str().find(library.string()) != std::string::npos;
}

// Signals when the tool reports its first progress, i.e. when the call is running inside the plugin.
class StartedControl : public SimpleCallControl {
 public:
  void OnProgress(const Progress& p) override {
    SimpleCallControl::OnProgress(p);
    if (!started.HasBeenNotified()) started.Notify();
  }
  absl::Notification started;
};

PluginLoadOptions ReloadConfig(const testutil::ScratchDir& dir) {
  fs::create_directories(dir / "markers");
  PluginLoadOptions options;
  options.config_json =
      absl::StrCat(R"({"gate":")", (dir / "gate").string(), R"(","marker_dir":")", (dir / "markers").string(), R"("})");
  return options;
}

TEST(PluginHostTest, HotReloadServesV2WhileACallOnV1FinishesOnV1) {
  TestHost t;
  const PluginLoadOptions options = ReloadConfig(t.scratch);
  auto v1 = t.host->Load(EDGE_FIXTURE_RELOAD_V1, options);
  ASSERT_TRUE(v1.ok()) << v1.status();
  const fs::path v1_path = (*v1)->path();
  auto catalog = std::make_shared<ToolCatalog>();
  catalog->Publish(*ToolRegistry::Create((*v1)->tools()));

  // A call on v1 that blocks inside the plugin until the gate file exists.
  StartedControl blocked;
  absl::StatusOr<ToolResult> v1_result;
  std::thread caller([tool = catalog->Current()->Find("reload.version"), &blocked, &v1_result]() mutable {
    v1_result = tool->Invoke(R"({"block":true})", CallContext{}, blocked);
    tool.reset();  // like the executor: the call's reference goes when the call ends
  });
  ASSERT_TRUE(blocked.started.WaitForNotificationWithTimeout(absl::Seconds(10)));

  // Make before break: v2 is loaded from its own content-addressed path, then swapped in.
  auto v2 = t.host->Load(EDGE_FIXTURE_RELOAD_V2, options);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_NE((*v2)->path(), v1_path);
  (*v1)->SetShutdownReason(EDGE_SHUTDOWN_REASON_RELOAD);
  catalog->Publish(*ToolRegistry::Create((*v2)->tools()));
  v1 = absl::CancelledError("dropped");  // the host's own reference to v1 is gone

  SimpleCallControl quick;
  EXPECT_EQ(Text(catalog->Current()->Find("reload.version")->Invoke("{}", CallContext{}, quick)), "v2");
  EXPECT_TRUE(Mapped(v1_path)) << "the in-flight call keeps v1 loaded";
  EXPECT_FALSE(fs::exists(t.scratch / "markers" / "shutdown-v1-1")) << "v1 must not shut down under its call";

  testutil::WriteFile(t.scratch / "gate", "open");
  caller.join();
  ASSERT_TRUE(v1_result.ok()) << v1_result.status();
  EXPECT_EQ(Text(v1_result), "v1");
  EXPECT_TRUE(fs::exists(t.scratch / "markers" / "shutdown-v1-1")) << "v1 shut down with reason reload";
  EXPECT_FALSE(Mapped(v1_path)) << "v1 unloaded after its last call";
  EXPECT_TRUE(Mapped((*v2)->path()));
  EXPECT_EQ(Text(catalog->Current()->Find("reload.version")->Invoke("{}", CallContext{}, quick)), "v2");
}

TEST(PluginHostTest, DroppingThePluginShutsItDownWithReasonShutdown) {
  TestHost t;
  auto plugin = t.host->Load(EDGE_FIXTURE_RELOAD_V1, ReloadConfig(t.scratch));
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  const fs::path path = (*plugin)->path();
  std::shared_ptr<const Tool> tool = (*plugin)->tools().front();
  plugin = absl::CancelledError("dropped");
  EXPECT_FALSE(fs::exists(t.scratch / "markers" / "shutdown-v1-0")) << "a tool reference keeps the plugin";
  tool.reset();
  EXPECT_TRUE(fs::exists(t.scratch / "markers" / "shutdown-v1-0"));
  EXPECT_FALSE(Mapped(path));
}

TEST(PluginHostTest, LoadingTheSameBytesTwiceSharesTheStorePath) {
  TestHost t;
  auto a = t.host->Load(EDGE_FIXTURE_ECHO_A);
  auto b = t.host->Load(EDGE_FIXTURE_ECHO_A);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->path(), (*b)->path());
  EXPECT_EQ((*a)->path(), t.scratch / "store" / (*a)->sha256() / "echo_a.so");
  a = absl::CancelledError("dropped");  // the other instance keeps working
  EXPECT_EQ(Text(Call(**b, "fixture.echo", R"({"text":"b"})")), "b");
}

TEST(PluginHostTest, ConcurrentLoadsOfTheSameFileAllSucceed) {
  TestHost t;
  std::vector<absl::StatusOr<std::shared_ptr<LoadedPlugin>>> results(4, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back([&t, &r] { r = t.host->Load(EDGE_FIXTURE_ECHO_A); });
  for (auto& th : threads) th.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)->path(), (*results[0])->path());
    EXPECT_EQ(Text(Call(**r, "fixture.echo", R"({"text":"x"})")), "x");
  }
}

TEST(PluginHostTest, APathThatHeldOtherBytesIsNeverLoadedAgain) {
  TestHost t;
  auto a = t.host->Load(EDGE_FIXTURE_ECHO_A);
  ASSERT_TRUE(a.ok()) << a.status();
  const fs::path path = (*a)->path();
  // Someone replaces the bytes behind the loaded library's path (rename leaves the mapped image intact).
  fs::copy_file(EDGE_FIXTURE_ECHO_B, path.parent_path() / "replacement");
  fs::rename(path.parent_path() / "replacement", path);
  const std::string new_sha = *plugins::Sha256File(path);

  absl::Status again = t.host->Load(EDGE_FIXTURE_ECHO_A).status();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(again), HasSubstr(absl::StrCat(path.string(), " previously held sha256 ", (*a)->sha256(),
                                                     " and now holds ", new_sha,
                                                     "; a loaded library's path is never reused: install the new "
                                                     "version under a new path")));
  EXPECT_EQ(Text(Call(**a, "fixture.echo", R"({"text":"intact"})")), "intact");
}

TEST(PluginHostTest, RefusesATamperedStoreEntryBeforeLoadingIt) {
  TestHost t;
  const std::string sha = *plugins::Sha256File(EDGE_FIXTURE_ECHO_A);
  const fs::path entry = t.scratch / "store" / sha / "echo_a.so";
  fs::create_directories(entry.parent_path());
  fs::copy_file(EDGE_FIXTURE_ECHO_B, entry);
  absl::Status s = t.host->Load(EDGE_FIXTURE_ECHO_A).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(s), HasSubstr(absl::StrCat("content store file ", entry.string(), " holds sha256 ",
                                                 *plugins::Sha256File(EDGE_FIXTURE_ECHO_B), " but is filed under ", sha,
                                                 ": it was modified outside the connector; delete ")));
  EXPECT_FALSE(Mapped(entry));
}

TEST(PluginHostTest, InitFailureReportsThePluginsMessageAndTheHostKeepsWorking) {
  TestHost t;
  absl::Status s = t.host->Load(EDGE_FIXTURE_INIT_FAILS).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s), HasSubstr(absl::StrCat("cannot load plugin ", EDGE_FIXTURE_INIT_FAILS,
                                                 ": plugin 'init_fails' failed to initialise: missing config key "
                                                 "'db': set it to the database file")));
  EXPECT_THAT(Message(t.host->Load(EDGE_FIXTURE_INIT_FAILS_RAW).status()),
              HasSubstr("plugin 'init_fails_raw' failed to initialise: cannot open /var/lib/x.db: permission denied"));
  PluginLoadOptions configured;
  configured.config_json = R"({"db":"/tmp/x.db"})";
  auto ok = t.host->Load(EDGE_FIXTURE_INIT_FAILS, configured);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->tools().size(), 1u);
}

TEST(PluginHostTest, RefusesAConfigurationThatIsNotAnObject) {
  TestHost t;
  PluginLoadOptions options;
  options.config_json = "[1]";
  absl::Status s = t.host->Load(EDGE_FIXTURE_ECHO_A, options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("its configuration is not a JSON object: fix the plugin's config"));
}

TEST(PluginHostTest, LoadDirectoryLoadsEachPluginAndReportsEachFailure) {
  TestHost t;
  const fs::path dir = t.scratch / "plugins";
  fs::create_directories(dir);
  fs::copy_file(EDGE_FIXTURE_ECHO_A, dir / "echo_a.so");
  fs::copy_file(EDGE_FIXTURE_INIT_FAILS, dir / "init_fails.so");
  fs::copy_file(EDGE_FIXTURE_ABI_MAJOR2, dir / "abi_major2.so");
  testutil::WriteFile(dir / "notes.txt", "not a plugin, and not *.so: ignored");
  absl::flat_hash_map<std::string, PluginLoadOptions> options;
  options["init_fails.so"].config_json = R"({"db":"x"})";
  PluginHost::DirectoryLoad result = t.host->LoadDirectory(dir, options);
  ASSERT_EQ(result.loaded.size(), 2u);
  EXPECT_EQ(result.loaded[0]->name(), "echo_a");
  EXPECT_EQ(result.loaded[1]->name(), "init_fails");
  ASSERT_EQ(result.failed.size(), 1u);
  EXPECT_EQ(result.failed[0].first, dir / "abi_major2.so");
  EXPECT_THAT(Message(result.failed[0].second), HasSubstr("was built for plugin ABI 2.x"));
}

TEST(PluginHostTest, LoadDirectoryReportsAMissingDirectory) {
  TestHost t;
  PluginHost::DirectoryLoad result = t.host->LoadDirectory(t.scratch / "nope");
  EXPECT_TRUE(result.loaded.empty());
  ASSERT_EQ(result.failed.size(), 1u);
  EXPECT_EQ(result.failed[0].second.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(result.failed[0].second), HasSubstr("cannot read plugin directory "));
}

TEST(PluginHostTest, TheTemporaryStoreGoesWithTheHostWhileLoadedPluginsKeepWorking) {
  testutil::CapturingLogger log;
  PluginHostOptions options;
  options.logger = log.logger();
  auto host = std::make_unique<PluginHost>(options);
  auto plugin = host->Load(EDGE_FIXTURE_ECHO_A);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  const fs::path store = (*plugin)->path().parent_path().parent_path();
  EXPECT_TRUE(fs::is_directory(store));
  EXPECT_TRUE(log.Contains("loaded plugin echo_a 1.0.0 ("));
  host.reset();
  EXPECT_FALSE(fs::exists(store));
  EXPECT_EQ(Text(Call(**plugin, "fixture.echo", R"({"text":"mapped"})")), "mapped");
}

}  // namespace
}  // namespace edge::runtime
