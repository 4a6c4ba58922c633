// Bundle sync end to end without the platform (runtime/src/bundles/sync.cc): a fake platform on loopback
// serves the deployment's target and the archives built from the example plugins. Covers install, up to date,
// upgrade, rollback from disk, rejection memory, network failures, the thread and its triggers, and the test
// hooks that pause a sync where the e2e tests kill the process.
#include "bundles/sync.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bundle_test_util.h"
#include "edge/runtime/diagnostics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_http_server.h"

namespace edge::runtime::bundles {
namespace {

namespace fs = std::filesystem;
using testing::ExampleSpec;
using ::testing::HasSubstr;
using testing::HttpAnswer;
using testing::HttpRequest;
using testing::Scratch;

// The two platform endpoints a connector calls, for one deployment.
class FakePlatform {
 public:
  FakePlatform() : server_([this](const HttpRequest& r) { return Answer(r); }) {}

  void Publish(int64_t version, const edge::testing::BuiltBundle& built) {
    absl::MutexLock lock(&mu_);
    versions_[version] = built;
  }
  void Assign(std::optional<int64_t> version) {
    absl::MutexLock lock(&mu_);
    assigned_ = version;
  }
  void FailTargets(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_targets_ = fail;
  }
  int downloads() const {
    absl::MutexLock lock(&mu_);
    return downloads_;
  }
  std::string url() const { return server_.url("/"); }

 private:
  HttpAnswer Answer(const HttpRequest& r) {
    absl::MutexLock lock(&mu_);
    if (r.path == "/api/v1/deployments/dep_1/bundle") {
      if (fail_targets_) return HttpAnswer{503, R"({"error":{"code":"unavailable","message":"database is down"}})"};
      if (!assigned_) return HttpAnswer{404, R"({"error":{"code":"no_bundle_assigned","message":"none"}})"};
      const edge::testing::BuiltBundle& b = versions_.at(*assigned_);
      return HttpAnswer{
          200, absl::StrCat(R"({"deploymentId":"dep_1","bundleId":"b_1","version":)", *assigned_, R"(,"checksum":")",
                            b.manifest.checksum, R"(","archiveSha256":")", b.archive_sha256, R"(","size":)", b.size,
                            R"(,"source":"assignment","pinned":true,"downloadPath":"/api/v1/bundles/b_1/versions/)",
                            *assigned_, R"(/download"})")};
    }
    for (const auto& [version, built] : versions_) {
      if (r.path == absl::StrCat("/api/v1/bundles/b_1/versions/", version, "/download")) {
        ++downloads_;
        return HttpAnswer{200, edge::testing::ReadFileBytes(built.archive), "application/gzip"};
      }
    }
    return HttpAnswer{404, R"({"error":{"code":"not_found","message":"no such path"}})"};
  }

  mutable absl::Mutex mu_;
  std::map<int64_t, edge::testing::BuiltBundle> versions_;
  std::optional<int64_t> assigned_;
  bool fail_targets_ = false;
  int downloads_ = 0;
  testing::TestHttpServer server_;  // last: it calls Answer until destroyed
};

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    install_ = scratch_ / "install";
    layout_ = std::make_unique<Layout>(install_);
    ASSERT_TRUE(layout_->Recover().ok());
    PluginHostOptions o;
    o.content_store_dir = scratch_ / "store";
    o.logger = log_.logger();
    host_ = std::make_unique<PluginHost>(o);
    builtins_ = BuiltinDiagnosticsTools([] { return std::string("{}"); });
    serving_ = std::make_unique<ServingBundle>(catalog_, log_.logger());
    ServedGeneration none;
    none.source = "none";
    none.registry = *ToolRegistry::Create(builtins_);
    serving_->Serve(std::move(none));
  }
  void TearDown() override { sync_.reset(); }

  BundleSync& Sync(std::string pause_at = "") {
    BundleSyncOptions o;
    o.install_dir = install_;
    o.platform_api_url = platform_.url();
    o.credentials = [] {
      LinkCredentials c;
      c.authorization = "Basic ZGVwXzE6cw==";
      c.deployment_id = "dep_1";
      return absl::StatusOr<LinkCredentials>(c);
    };
    o.org_id = [] { return std::string("org_test"); };
    o.http.connect_timeout_ms = 2000;
    o.http.request_timeout_ms = 5000;
    o.http.download_timeout_ms = 10000;
    o.http.stall_timeout_ms = 5000;
    o.pause_at = std::move(pause_at);
    o.generation.data_root = install_ / "data";
    o.generation.builtins = builtins_;
    o.logger = log_.logger();
    sync_ = std::make_unique<BundleSync>(std::move(o), *host_, *serving_, [this] { ++reregisters_; });
    return *sync_;
  }

  edge::testing::BuiltBundle Publish(int64_t version, edge::testing::BundleSpec spec) {
    auto built = edge::testing::BuildBundle(spec, scratch_ / absl::StrCat("build-v", version));
    EXPECT_TRUE(built.ok()) << built.status();
    platform_.Publish(version, *built);
    return *built;
  }
  static std::string Hex(const edge::testing::BuiltBundle& b) { return b.manifest.checksum.substr(7); }
  bool Serves(const std::string& tool) const { return catalog_->Current()->Find(tool) != nullptr; }
  // Waits (bounded) for a condition the sync thread brings about.
  template <typename F>
  bool Eventually(F f) {
    for (int i = 0; i < 1000; ++i) {
      if (f()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return f();
  }

  Scratch scratch_;
  testing::CapturingLogger log_;
  FakePlatform platform_;
  fs::path install_;
  std::unique_ptr<Layout> layout_;
  std::unique_ptr<PluginHost> host_;
  std::vector<std::shared_ptr<const Tool>> builtins_;
  std::shared_ptr<ToolCatalog> catalog_ = std::make_shared<ToolCatalog>();
  std::unique_ptr<ServingBundle> serving_;
  std::unique_ptr<BundleSync> sync_;
  std::atomic<int> reregisters_{0};
};

TEST_F(SyncTest, InstallsTheTargetThenDoesNothingWhileItIsUpToDate) {
  auto v1 = Publish(1, ExampleSpec());
  platform_.Assign(1);
  BundleSync& sync = Sync();
  ASSERT_TRUE(sync.SyncOnce().ok()) << log_.All();
  EXPECT_TRUE(Serves("echo"));
  EXPECT_TRUE(Serves("edge.ping"));
  ASSERT_TRUE(serving_->Ref().has_value());
  EXPECT_EQ(serving_->Ref()->id, "b_1");
  EXPECT_EQ(serving_->Ref()->version, 1);
  EXPECT_EQ(serving_->Ref()->checksum, v1.manifest.checksum);
  EXPECT_EQ(layout_->CurrentGeneration(), Hex(v1));
  EXPECT_TRUE(fs::is_regular_file(install_ / "manifest.json"));
  EXPECT_TRUE(fs::is_empty(layout_->downloads_dir()));
  EXPECT_EQ(reregisters_.load(), 1);
  BundleSyncStatus status = sync.Status();
  EXPECT_EQ(status.swaps, 1u);
  EXPECT_TRUE(status.last_swap_ms.has_value());
  EXPECT_TRUE(status.last_error.empty());
  EXPECT_TRUE(log_.Contains("swapped to b_1 v1 in ")) << log_.All();

  ASSERT_TRUE(sync.SyncOnce().ok());
  EXPECT_EQ(platform_.downloads(), 1) << "nothing is downloaded when the checksum matches";
  EXPECT_EQ(sync.Status().swaps, 1u);
}

TEST_F(SyncTest, UpgradesAndRollsBackFromThePreviousGenerationOnDisk) {
  auto v1 = Publish(1, ExampleSpec());
  auto v2 = Publish(2, ExampleSpec(true));
  BundleSync& sync = Sync();
  platform_.Assign(1);
  ASSERT_TRUE(sync.SyncOnce().ok()) << log_.All();
  platform_.Assign(2);
  ASSERT_TRUE(sync.SyncOnce().ok()) << log_.All();
  EXPECT_TRUE(Serves("slow.count"));
  EXPECT_EQ(serving_->Ref()->version, 2);
  EXPECT_EQ(layout_->CurrentGeneration(), Hex(v2));
  EXPECT_EQ(layout_->PreviousGeneration(), Hex(v1));

  platform_.Assign(1);
  ASSERT_TRUE(sync.SyncOnce().ok()) << log_.All();
  EXPECT_FALSE(Serves("slow.count"));
  EXPECT_EQ(serving_->Ref()->version, 1);
  EXPECT_EQ(layout_->CurrentGeneration(), Hex(v1));
  EXPECT_EQ(platform_.downloads(), 2) << "the rollback reused the generation on disk";
  EXPECT_TRUE(log_.Contains("generation already on disk, re-verified")) << log_.All();
  EXPECT_EQ(sync.Status().swaps, 3u);
}

TEST_F(SyncTest, ARejectedBundleLeavesTheOldOneServingAndIsNotDownloadedAgain) {
  Publish(1, ExampleSpec());
  auto spec = ExampleSpec(true);
  spec.org_id = "org_other";
  Publish(2, spec);
  Publish(3, ExampleSpec(true));
  BundleSync& sync = Sync();
  platform_.Assign(1);
  ASSERT_TRUE(sync.SyncOnce().ok());

  platform_.Assign(2);
  absl::Status rejected = sync.SyncOnce();
  ASSERT_FALSE(rejected.ok());
  EXPECT_THAT(rejected.message(), HasSubstr("verify: the bundle was built for org org_other"));
  EXPECT_TRUE(log_.Contains("Bundle sync error: verify: ")) << log_.All();
  EXPECT_EQ(serving_->Ref()->version, 1);
  EXPECT_TRUE(Serves("echo"));
  EXPECT_FALSE(Serves("slow.count"));
  EXPECT_THAT(sync.Status().last_error, HasSubstr("org_other"));
  EXPECT_EQ(sync.Status().failures, 1u);
  EXPECT_TRUE(fs::is_empty(layout_->downloads_dir()));

  ASSERT_TRUE(sync.SyncOnce().ok());
  EXPECT_EQ(platform_.downloads(), 2) << "the rejected archive is not fetched again";
  EXPECT_EQ(sync.Status().failures, 1u);

  platform_.Assign(3);
  ASSERT_TRUE(sync.SyncOnce().ok()) << log_.All();
  EXPECT_TRUE(Serves("slow.count"));
  EXPECT_TRUE(sync.Status().last_error.empty());
}

TEST_F(SyncTest, ABundleThatFailsToLoadIsRejectedAndTheOldOneServes) {
  Publish(1, ExampleSpec());
  auto spec = ExampleSpec();
  spec.extra_files["notes.txt"] = "v2";  // other content: the checksum differs from v1's
  spec.edit_manifest = [](bundle::Manifest& m) { m.tools[0].plugin_version = "9.9.9"; };
  Publish(2, spec);
  BundleSync& sync = Sync();
  platform_.Assign(1);
  ASSERT_TRUE(sync.SyncOnce().ok());
  platform_.Assign(2);
  absl::Status rejected = sync.SyncOnce();
  ASSERT_FALSE(rejected.ok());
  EXPECT_THAT(rejected.message(), HasSubstr("load: "));
  EXPECT_THAT(rejected.message(), HasSubstr("9.9.9"));
  EXPECT_EQ(serving_->Ref()->version, 1);
  EXPECT_TRUE(Serves("echo"));
}

TEST_F(SyncTest, NetworkFailuresAreReportedAndRetried) {
  platform_.FailTargets(true);
  BundleSync& sync = Sync();
  absl::Status failed = sync.SyncOnce();
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.message(), HasSubstr("check: the platform answered HTTP 503"));
  EXPECT_THAT(failed.message(), HasSubstr("database is down"));
  EXPECT_EQ(sync.Status().state, "backoff");
  EXPECT_EQ(serving_->View().source, "none");
}

TEST_F(SyncTest, NoBundleAssignedChangesNothing) {
  BundleSync& sync = Sync();
  ASSERT_TRUE(sync.SyncOnce().ok());
  EXPECT_EQ(serving_->View().source, "none");
  EXPECT_TRUE(log_.Contains("no bundle assigned to deployment dep_1")) << log_.All();
  EXPECT_TRUE(sync.Status().last_sync_at.has_value());
}

TEST_F(SyncTest, ATriggerRunsASyncOnTheThread) {
  Publish(1, ExampleSpec());
  platform_.Assign(1);
  BundleSync& sync = Sync();
  ASSERT_TRUE(sync.Start().ok());
  EXPECT_EQ(sync.Status().swaps, 0u) << "the first periodic check is a poll interval away";
  sync.Trigger("test");
  EXPECT_TRUE(Eventually([&] { return sync.Status().swaps == 1; })) << log_.All();
  EXPECT_TRUE(Serves("echo"));
  sync.Stop();
  EXPECT_EQ(sync.Status().state, "stopped");
}

TEST_F(SyncTest, PauseAtDownloadHoldsAPartialFileUntilStop) {
  auto v1 = Publish(1, ExampleSpec());
  platform_.Assign(1);
  BundleSync& sync = Sync("download");
  ASSERT_TRUE(sync.Start().ok());
  sync.Trigger("test");
  ASSERT_TRUE(Eventually([&] { return log_.Contains("test hook: bundle sync paused at download"); })) << log_.All();
  EXPECT_TRUE(fs::exists(layout_->downloads_dir() / (v1.archive_sha256 + ".tgz.part")));
  EXPECT_EQ(sync.Status().state, "paused");
  sync.Stop();
  EXPECT_EQ(serving_->View().source, "none");
  EXPECT_TRUE(fs::is_empty(layout_->downloads_dir()));
}

TEST_F(SyncTest, PauseAtExtractHoldsAFullStagingDirectory) {
  Publish(1, ExampleSpec());
  platform_.Assign(1);
  BundleSync& sync = Sync("extract");
  ASSERT_TRUE(sync.Start().ok());
  sync.Trigger("test");
  ASSERT_TRUE(Eventually([&] { return log_.Contains("test hook: bundle sync paused at extract"); })) << log_.All();
  EXPECT_FALSE(fs::is_empty(layout_->staging_dir()));
  EXPECT_TRUE(fs::is_empty(layout_->generations_dir()));
  sync.Stop();
  EXPECT_EQ(serving_->View().source, "none");
}

TEST_F(SyncTest, PauseAtSwapHoldsALoadedGenerationBeforeTheFlip) {
  auto v1 = Publish(1, ExampleSpec());
  platform_.Assign(1);
  BundleSync& sync = Sync("swap");
  ASSERT_TRUE(sync.Start().ok());
  sync.Trigger("test");
  ASSERT_TRUE(Eventually([&] { return log_.Contains("test hook: bundle sync paused at swap"); })) << log_.All();
  EXPECT_TRUE(fs::is_directory(layout_->generation_dir(Hex(v1))));
  EXPECT_FALSE(layout_->CurrentGeneration().has_value());
  EXPECT_TRUE(log_.Contains("generation " + Hex(v1) + " loaded (1 plugins, 1 tools)")) << log_.All();
  sync.Stop();
  EXPECT_EQ(serving_->View().source, "none");
  EXPECT_FALSE(layout_->CurrentGeneration().has_value());
}

}  // namespace
}  // namespace edge::runtime::bundles
