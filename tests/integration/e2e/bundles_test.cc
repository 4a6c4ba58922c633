// Bundles end to end (docs/bundles.md section 7): a real edge-platform and real edge-connector processes. A
// bundle built from the example plugins is uploaded over REST and assigned; the connector installs it by push
// and, when no push can reach it, by poll; a bundle it rejects leaves the old one serving; a kill -9 at each
// test-hook pause of a sync restarts consistent and serving; an offline start serves the last good generation.
#include <signal.h>

#include <filesystem>
#include <future>
#include <thread>

#include "bundles_fixture.h"

namespace edge::e2e {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

TEST_F(BundlesE2ETest, APushInstallsTheAssignedBundleAndItsToolsServe) {
  auto c = Start(BundleConfig());
  EXPECT_EQ(JsonField(c->Statusz(), "/bundle/source"), "none");
  EXPECT_NE(Invoke("echo", R"({"text":"x"})").status, 200) << "no bundle yet: echo is not served";

  auto v1 = Build("v1", {"echo"});
  auto [bundle_id, version] = Upload(v1);
  ASSERT_EQ(version, "1");
  auto assigned_at = std::chrono::steady_clock::now();
  Assign(bundle_id, "1");
  ASSERT_TRUE(WaitVersion(*c, "1", milliseconds(10000))) << c->process().Log();
  auto took = std::chrono::steady_clock::now() - assigned_at;
  EXPECT_LT(took, std::chrono::seconds(2)) << "the push, not the 10-minute poll, installed it";
  std::string statusz = c->Statusz();
  EXPECT_EQ(JsonField(statusz, "/bundle/id"), bundle_id);
  EXPECT_EQ(JsonField(statusz, "/bundle/checksum"), v1.manifest.checksum);
  EXPECT_EQ(JsonField(statusz, "/bundle/source"), "bundle");
  HttpResponse echo = Invoke("echo", R"({"text":"hi"})");
  ASSERT_EQ(echo.status, 200) << echo.body;
  EXPECT_TRUE(fs::is_symlink(root_ + "/conn/dist"));

  // The next version, with one more plugin: a hot swap, no restart.
  auto v2 = Build("v2", {"echo", "slow"});
  auto [same_id, v2_version] = Upload(v2);
  ASSERT_EQ(same_id, bundle_id);
  Assign(bundle_id, v2_version);
  ASSERT_TRUE(WaitVersion(*c, v2_version, milliseconds(10000))) << c->process().Log();
  ASSERT_TRUE(c->WaitReady(milliseconds(5000)));
  HttpResponse count = Invoke("slow.count", R"({"steps":2,"step_ms":10})");
  EXPECT_EQ(count.status, 200) << count.body;
  HttpResponse echo2 = Invoke("echo", R"({"text":"v2"})");
  EXPECT_EQ(echo2.status, 200) << echo2.body;
  EXPECT_NE(c->process().Log().find("swapped to " + bundle_id + " v2"), std::string::npos);
}

TEST_F(BundlesE2ETest, ACallInFlightDuringASwapFinishesOnTheOldGeneration) {
  auto c = Start(BundleConfig());
  auto v1 = Build("v1", {"slow"});
  auto v2 = Build("v2", {"echo", "slow"});
  auto [bundle_id, version] = Upload(v1);
  auto [same_id, v2_version] = Upload(v2);
  Assign(bundle_id, version);
  ASSERT_TRUE(WaitVersion(*c, "1", milliseconds(10000))) << c->process().Log();

  auto call = std::async(std::launch::async, [&] { return Invoke("slow.count", R"({"steps":20,"step_ms":50})"); });
  bool running = false;
  for (int i = 0; i < 400 && !running; ++i) {
    running = JsonField(c->Statusz(), "/calls/running") == "1";
    if (!running) std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_TRUE(running) << (call.wait_for(milliseconds(0)) == std::future_status::ready
                               ? "the call ended before it was seen running: " + call.get().body
                               : "the call is not running");
  Assign(bundle_id, v2_version);
  ASSERT_TRUE(WaitVersion(*c, v2_version, milliseconds(10000))) << c->process().Log();
  HttpResponse result = call.get();
  EXPECT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(JsonField(result.body, "/result/structuredContent/steps"), "20");
  const std::string old_hex = v1.manifest.checksum.substr(7);
  EXPECT_NE(c->process().WaitLog("bundle generation " + old_hex + " unloaded", milliseconds(5000)), std::string::npos)
      << c->process().Log();
}

TEST_F(BundlesE2ETest, APollInstallsTheBundleWhenNoPushCanArrive) {
  // The link points nowhere, so no push (and no connect trigger) can reach this connector: only the poll.
  auto config = BundleConfig({{"bundlePollIntervalMs", "300"}, {"toolRpcUrl", "\"ws://127.0.0.1:9/\""}});
  auto c = Start(config, /*wait_ready=*/false);
  ASSERT_NE(c->health_port(), 0) << c->process().Log();
  auto v1 = Build("v1", {"echo"});
  auto [bundle_id, version] = Upload(v1);
  Assign(bundle_id, version);
  ASSERT_TRUE(WaitInstalled(*c, "1", milliseconds(10000))) << c->process().Log();
  EXPECT_TRUE(fs::exists(root_ + "/conn/dist/tools/echo.so"));
  std::string statusz = c->Statusz();
  EXPECT_NE(statusz.find("\"echo\""), std::string::npos) << statusz;
}

TEST_F(BundlesE2ETest, ARejectedBundleLeavesTheOldOneServing) {
  auto c = Start(BundleConfig());
  auto v1 = Build("v1", {"echo"});
  auto [bundle_id, version] = Upload(v1);
  Assign(bundle_id, version);
  ASSERT_TRUE(WaitVersion(*c, "1", milliseconds(10000))) << c->process().Log();

  // A plugin whose init fails on the connector (its config is missing): the whole generation is rejected.
  auto bad = Build("bad", {"echo"}, {{EDGE_FIXTURE_INIT_FAILS, "init_fails", std::nullopt, {"init_fails.never"}}});
  auto [same_id, bad_version] = Upload(bad);
  Assign(bundle_id, bad_version);
  std::string error;
  for (auto end = std::chrono::steady_clock::now() + milliseconds(10000);
       error.empty() && std::chrono::steady_clock::now() < end;) {
    error = JsonField(c->Statusz(), "/bundle/sync/lastError");
    if (error.empty()) std::this_thread::sleep_for(milliseconds(25));
  }
  EXPECT_NE(error.find("load: plugin tools/init_fails.so was rejected"), std::string::npos) << error;
  EXPECT_EQ(JsonField(c->Statusz(), "/bundle/version"), "1");
  EXPECT_EQ(Invoke("echo", R"({"text":"still"})").status, 200);
  EXPECT_NE(c->process().Log().find("Bundle sync error: load: "), std::string::npos);
}

TEST_F(BundlesE2ETest, AKillAtEachStepOfASyncRestartsConsistentAndServing) {
  auto v1 = Build("v1", {"echo"});
  auto v2 = Build("v2", {"echo", "slow"});
  auto [bundle_id, version] = Upload(v1);
  auto [same_id, v2_version] = Upload(v2);
  for (const std::string step : {"download", "extract", "swap"}) {
    SCOPED_TRACE(step);
    const std::string dir = "conn-" + step;  // a fresh installation: v2 is not on disk yet
    Assign(bundle_id, "1");
    auto c = Start(BundleConfig(), true, {}, dir);
    ASSERT_TRUE(WaitVersion(*c, "1", milliseconds(10000))) << c->process().Log();
    Kill(*c);
    c.reset();

    c = Start(BundleConfig(), true, {{"EDGE_TEST_BUNDLE_PAUSE_AT", step}}, dir);
    Assign(bundle_id, v2_version);
    ASSERT_NE(c->process().WaitLog("test hook: bundle sync paused at " + step, milliseconds(10000)), std::string::npos)
        << c->process().Log();
    EXPECT_EQ(JsonField(c->Statusz(), "/bundle/version"), "1") << "nothing changes before the flip";
    Kill(*c);
    c.reset();

    // The restart recovers (staging/ and downloads/ emptied), serves v1 at once, then finishes the sync to v2.
    c = Start(BundleConfig(), true, {}, dir);
    const std::string log = c->process().Log();
    if (step != "swap") {
      EXPECT_NE(log.find("start-up recovery removed"), std::string::npos) << log;
    }
    HttpResponse echo = Invoke("echo", R"({"text":"after the kill"})");
    EXPECT_EQ(echo.status, 200) << echo.body;
    ASSERT_TRUE(WaitVersion(*c, v2_version, milliseconds(10000))) << c->process().Log();
    ASSERT_TRUE(c->WaitReady(milliseconds(5000)));
    EXPECT_EQ(Invoke("slow.count", R"({"steps":1,"step_ms":1})").status, 200);
    EXPECT_TRUE(fs::is_empty(root_ + "/" + dir + "/bundles/downloads"));
    EXPECT_TRUE(fs::is_empty(root_ + "/" + dir + "/bundles/staging"));
    Kill(*c);
  }
}

TEST_F(BundlesE2ETest, AnOfflineStartServesTheLastGoodGeneration) {
  auto c = Start(BundleConfig());
  auto v1 = Build("v1", {"echo"});
  auto [bundle_id, version] = Upload(v1);
  Assign(bundle_id, version);
  ASSERT_TRUE(WaitVersion(*c, "1", milliseconds(10000))) << c->process().Log();
  c->process().Signal(SIGTERM);
  EXPECT_EQ(c->process().WaitExit(milliseconds(15000)), 0);
  c.reset();

  const auto config = BundleConfig();
  platform_.reset();  // the platform is gone
  c = Start(config, /*wait_ready=*/false);
  ASSERT_NE(c->health_port(), 0) << c->process().Log();
  std::string statusz = c->Statusz();
  EXPECT_EQ(JsonField(statusz, "/bundle/source"), "bundle") << statusz;
  EXPECT_EQ(JsonField(statusz, "/bundle/id"), bundle_id);
  EXPECT_EQ(JsonField(statusz, "/bundle/version"), "1");
  EXPECT_NE(statusz.find("\"echo\""), std::string::npos) << statusz;
}

TEST_F(BundlesE2ETest, ACorruptDownloadIsRetriedAndThenInstalled) {
  HttpResponse fault = Send("POST", platform_->api_url() + "/api/v1/test/download-fault",
                            R"({"mode":"corrupt","count":1})", "application/json", token_);
  ASSERT_EQ(fault.status, 200) << fault.body;
  auto c = Start(BundleConfig());
  auto v1 = Build("v1", {"echo"});
  auto [bundle_id, version] = Upload(v1);
  Assign(bundle_id, version);
  ASSERT_TRUE(WaitVersion(*c, "1", milliseconds(15000))) << c->process().Log();
  const std::string log = c->process().Log();
  EXPECT_NE(log.find("Bundle sync error: download: archive SHA-256 mismatch"), std::string::npos) << log;
  EXPECT_EQ(JsonField(c->Statusz(), "/bundle/sync/failures"), "1");
}

TEST_F(BundlesE2ETest, DeletingTheLocalManifestAndDistForcesAResync) {
  auto v1 = Build("v1", {"echo"});
  auto [bundle_id, version] = Upload(v1);
  Assign(bundle_id, version);
  auto c = Start(BundleConfig());
  ASSERT_TRUE(WaitVersion(*c, "1", milliseconds(10000))) << c->process().Log();
  c->process().Signal(SIGTERM);
  ASSERT_EQ(c->process().WaitExit(milliseconds(15000)), 0) << c->process().Log();
  c.reset();

  // What an operator does to force a fresh install: remove the local manifest and dist/.
  fs::remove(root_ + "/conn/manifest.json");
  fs::remove_all(root_ + "/conn/dist");
  c = Start(BundleConfig());
  ASSERT_TRUE(WaitVersion(*c, "1", milliseconds(10000))) << c->process().Log();
  EXPECT_TRUE(fs::is_symlink(root_ + "/conn/manifest.json"));
  EXPECT_TRUE(fs::exists(root_ + "/conn/dist/tools/echo.so"));
  EXPECT_EQ(JsonField(c->Statusz(), "/bundle/checksum"), v1.manifest.checksum);
  EXPECT_EQ(Invoke("echo", R"({"text":"re-synced"})").status, 200);
  // The generation was still on disk: it is re-verified, not downloaded again. (The log file holds both runs.)
  const std::string full_log = c->process().Log();
  const size_t restart = full_log.find("local manifest");
  ASSERT_NE(restart, std::string::npos) << full_log;
  const std::string log = full_log.substr(restart);
  EXPECT_NE(log.find("swapped to " + bundle_id + " v1"), std::string::npos) << log;
  EXPECT_NE(log.find("generation already on disk, re-verified"), std::string::npos) << log;
  EXPECT_EQ(log.find("downloading"), std::string::npos) << log;
}

}  // namespace
}  // namespace edge::e2e
