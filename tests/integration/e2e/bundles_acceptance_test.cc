// Bundle acceptance tests (issue 4), end to end with a real edge-platform and real edge-connector processes:
//   - the whole path with the real CLI: package the example plugins, upload, assign; the connector installs the
//     bundle by push within 2 s, and by poll when the push is lost; the tools serve; `bundle list` and
//     `bundle checkout` agree with the connector's checksum;
//   - a swap under a steady load of concurrent calls fails none of them;
//   - pinning rolls back from the generation kept on disk, and the org default serves deployments without an
//     assignment.
// The rejections of bad bundles are bundles_rejection_test.cc.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "bundles_fixture.h"
#include "edge/bundle/tree.h"

namespace edge::e2e {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class BundlesAcceptanceTest : public BundlesE2ETest {
 protected:
  // An implementations directory holding the given example plugins and the configs they need.
  std::string ImplementationsDir(const std::string& name, const std::vector<std::string>& plugins) {
    const std::string dir = root_ + "/" + name;
    fs::create_directories(dir);
    for (const std::string& p : plugins) {
      fs::copy_file(std::string(EDGE_PLUGIN_DIR) + "/" + p + ".so", dir + "/" + p + ".so");
      const std::string config = examples_.ConfigFor(p);
      if (!config.empty()) std::ofstream(dir + "/" + p + ".json") << config;
    }
    return dir;
  }
  // `edge-connector package`: the archive's path.
  std::string Package(const std::string& impl, const std::string& out) {
    const std::string json = CliOk({"package", "--implementations", impl, "--org", org_, "--out", out, "--json"});
    return JsonField(json, "/archive");
  }
  // A bundle of echo alone plus a file naming the version, so every version has its own content.
  edge::testing::BuiltBundle EchoVersion(int n) {
    auto spec = Spec({"echo"});
    spec.extra_files["data/version.txt"] = "v" + std::to_string(n) + "\n";
    return BuildSpec("v" + std::to_string(n), spec);
  }
  std::string Target(const std::string& deployment, const std::string& pointer) {
    HttpResponse r = Http("GET", platform_->api_url() + "/api/v1/deployments/" + deployment + "/bundle", "", token_);
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonField(r.body, pointer);
  }
};

TEST_F(BundlesAcceptanceTest, TheCliPathInstallsByPushThenByPollAndCheckoutMatchesTheConnector) {
  const std::string impl1 = ImplementationsDir("impl-v1", {"echo", "slow", "sysinfo"});
  const std::string impl2 = ImplementationsDir("impl-v2", {"echo", "slow", "sysinfo", "sqlite_query", "http_request"});
  const std::string archive1 = Package(impl1, root_ + "/out-v1");
  ASSERT_TRUE(fs::exists(archive1)) << archive1;
  const std::string uploaded = CliOk({"upload", "--file", archive1, "--json"});
  const std::string bundle_id = JsonField(uploaded, "/bundle/id");
  ASSERT_EQ(JsonField(uploaded, "/version/version"), "1") << uploaded;

  // Phase 1, push: no periodic poll (1 h), and the check at connect time has found nothing assigned yet.
  auto c = Start(BundleConfig({{"bundlePollIntervalMs", "3600000"}}));
  ASSERT_NE(c->process().WaitLog("no bundle assigned to deployment " + deployment_, seconds(20)), std::string::npos)
      << c->process().Log();
  CliOk({"bundle", "assign", bundle_id, "--deployment", deployment_});
  const auto assigned = Clock::now();
  ASSERT_TRUE(WaitVersion(*c, "1", seconds(20))) << c->process().Log();
  const auto push_took = Clock::now() - assigned;
  std::printf("[ info ] push: v1 serving %lld ms after `bundle assign` returned\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(push_took).count()));
  EXPECT_LT(push_took, seconds(2)) << "the bundle.updated push must install the bundle within 2 s";
  EXPECT_NE(platform_->process().Log().find("version 1 (assigned); bundle.updated sent"), std::string::npos);
  ASSERT_TRUE(c->WaitReady(seconds(10)));
  for (const auto& [tool, args] : std::vector<std::pair<std::string, std::string>>{
           {"echo", R"({"text":"v1"})"}, {"slow.count", R"({"steps":2,"step_ms":5})"}, {"system.info", "{}"}}) {
    HttpResponse r = Invoke(tool, args);
    EXPECT_EQ(r.status, 200) << tool << ": " << r.body;
    EXPECT_EQ(JsonField(r.body, "/result/isError"), "false") << tool << ": " << r.body;
  }

  // Phase 2, poll: the same installation restarted with a 500 ms poll; the push of the next upload is lost.
  c->process().Signal(SIGTERM);
  ASSERT_EQ(c->process().WaitExit(seconds(15)), 0) << c->process().Log();
  c.reset();
  c = Start(BundleConfig({{"bundlePollIntervalMs", "500"}}));
  ASSERT_TRUE(WaitVersion(*c, "1", seconds(10))) << c->process().Log();
  // The check at connect time is over (it found v1 up to date): from here on only the poll can sync.
  ASSERT_TRUE(WaitUntil([&] { return JsonField(c->Statusz(), "/bundle/sync/lastSyncAtMs") != "null"; }, seconds(20)))
      << c->Statusz();
  HttpResponse drop = Send("POST", platform_->api_url() + "/api/v1/test/drop-bundle-pushes", R"({"count":1})",
                           "application/json", token_);
  ASSERT_EQ(drop.status, 200) << drop.body;
  const std::string archive2 = Package(impl2, root_ + "/out-v2");
  const std::string uploaded2 = CliOk({"upload", "--file", archive2, "--json"});
  ASSERT_EQ(JsonField(uploaded2, "/version/version"), "2") << uploaded2;
  const auto uploaded_at = Clock::now();
  EXPECT_NE(platform_->process().WaitLog("version 2 (assigned); bundle.updated dropped (test hook", seconds(5)),
            std::string::npos)
      << platform_->process().Log();
  ASSERT_TRUE(WaitVersion(*c, "2", seconds(20))) << c->process().Log();
  std::printf("[ info ] poll: v2 serving %lld ms after the upload whose push was dropped\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(Clock::now() - uploaded_at).count()));
  ASSERT_TRUE(c->WaitReady(seconds(10)));
  for (const auto& [tool, args] : std::vector<std::pair<std::string, std::string>>{
           {"echo", R"({"text":"v2"})"}, {"sqlite.tables", "{}"}, {"system.info", "{}"}}) {
    HttpResponse r = Invoke(tool, args);
    EXPECT_EQ(r.status, 200) << tool << ": " << r.body;
    EXPECT_EQ(JsonField(r.body, "/result/isError"), "false") << tool << ": " << r.body;
  }
  const std::string statusz = c->Statusz();
  EXPECT_TRUE(Contains(statusz, "\"http.request\"")) << statusz;
  const std::string serving_checksum = JsonField(statusz, "/bundle/checksum");
  EXPECT_EQ(JsonField(statusz, "/bundle/id"), bundle_id);
  EXPECT_EQ(serving_checksum, JsonField(uploaded2, "/version/checksum"));

  // `bundle list` shows both versions; `bundle checkout` of the serving one reproduces its checksum.
  const std::string list = CliOk({"bundle", "list", "--json"});
  EXPECT_EQ(JsonField(list, "/bundles/0/id"), bundle_id) << list;
  EXPECT_EQ(JsonField(list, "/bundles/0/latestVersion"), "2") << list;
  EXPECT_EQ(JsonField(list, "/bundles/0/versions/0/version"), "2") << list;
  EXPECT_EQ(JsonField(list, "/bundles/0/versions/0/checksum"), serving_checksum) << list;
  EXPECT_EQ(JsonField(list, "/bundles/0/versions/1/version"), "1") << list;
  fs::create_directories(root_ + "/checkout");
  const std::string checkout =
      CliOk({"bundle", "checkout", bundle_id, "--version", "2", "--out", root_ + "/checkout", "--json"});
  EXPECT_EQ(JsonField(checkout, "/checksum"), serving_checksum) << checkout;
  EXPECT_EQ(JsonField(checkout, "/verified"), "true") << checkout;
  auto files = bundle::HashTree(fs::path(JsonField(checkout, "/dir")) / "dist");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(bundle::TreeChecksum(*files), serving_checksum) << "the checked-out tree hashes to what serves";
}

// One call of the steady load.
struct CallRecord {
  std::string tool;
  Clock::time_point start, end;
  long status = 0;
  std::string body;
};

TEST_F(BundlesAcceptanceTest, UnderASteadyLoadANewVersionSwapsInWithoutFailingACall) {
  auto v1 = Build("v1", {"echo", "slow"});
  auto v2 = Build("v2", {"echo", "slow", "sysinfo"});  // system.info: only v2 serves it
  auto [bundle_id, version] = Upload(v1);
  Assign(bundle_id, "");  // following: the upload of v2 moves it
  auto c = Start(BundleConfig());
  ASSERT_TRUE(WaitVersion(*c, "1", seconds(20))) << c->process().Log();
  ASSERT_TRUE(c->WaitReady(seconds(10)));
  const std::string v1_hex = v1.manifest.checksum.substr(7);

  constexpr int kClients = 6;
  std::atomic<bool> stop{false}, v2_tool_listed{false};
  std::mutex mu;
  std::vector<CallRecord> records;
  auto client = [&](int k) {
    for (int i = 0; !stop.load(); ++i) {
      std::string tool = "echo", args = "{\"text\":\"c" + std::to_string(k) + "-" + std::to_string(i) + "\"}";
      if (v2_tool_listed.load() && i % 4 == 3) {
        tool = "system.info";
        args = "{}";
      } else if (i % 5 == 4) {
        tool = "edge.runtime_status";  // reports the bundle version serving when it runs
        args = "{}";
      } else if (i % 3 == 2) {
        tool = "slow.count";
        args = R"({"steps":3,"step_ms":20})";
      }
      CallRecord r{tool, Clock::now(), {}, 0, ""};
      HttpResponse h = Invoke(tool, args);
      r.end = Clock::now();
      r.status = h.status;
      if (h.status != 200) {
        r.body = h.body + h.error;
      } else if (tool == "edge.runtime_status") {
        r.body = JsonField(h.body, "/result/structuredContent/bundle/version");
      } else {
        r.body = JsonField(h.body, "/result/isError");
      }
      std::lock_guard<std::mutex> lock(mu);
      records.push_back(std::move(r));
    }
  };
  std::vector<std::thread> clients;
  // Stops and joins the clients on every way out of the test, including a failed ASSERT.
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{stop, clients};
  for (int k = 0; k < kClients; ++k) clients.emplace_back(client, k);
  std::this_thread::sleep_for(seconds(1));

  // Two long calls span the swap: 8 s each, started well before the upload.
  const std::string kLong = R"({"steps":80,"step_ms":100})";
  auto long1 = std::async(std::launch::async, [&] { return Invoke("slow.count", kLong); });
  auto long2 = std::async(std::launch::async, [&] { return Invoke("slow.count", kLong); });
  std::this_thread::sleep_for(seconds(1));
  const auto swap_requested = Clock::now();
  auto [same_id, v2_version] = Upload(v2);
  ASSERT_EQ(v2_version, "2");
  ASSERT_TRUE(WaitVersion(*c, "2", seconds(20))) << c->process().Log();
  const auto v2_serving = Clock::now();
  // The long calls still run on v1: its generation is retiring, not unloaded.
  ASSERT_EQ(long1.wait_for(milliseconds(0)), std::future_status::timeout)
      << "the long calls ended before the swap: the machine is too slow for this test's timing";
  const std::string statusz = c->Statusz();
  EXPECT_TRUE(Contains(JsonField(statusz, "/bundle/sync/retiringGenerations/0/generation"), v1_hex)) << statusz;
  EXPECT_FALSE(Contains(c->process().Log(), "bundle generation " + v1_hex + " unloaded"));
  // Once the platform lists v2's own tool, the clients call it too.
  ASSERT_TRUE(WaitUntil(
      [&] { return Contains(Http("GET", platform_->api_url() + "/api/v1/tools", "", token_).body, "system.info"); },
      seconds(10)));
  v2_tool_listed = true;

  HttpResponse r1 = long1.get(), r2 = long2.get();
  const auto long_done = Clock::now();
  std::this_thread::sleep_for(seconds(1));
  stop = true;
  for (auto& t : clients) t.join();
  std::printf("[ info ] the long calls ended %lld ms after v2 served\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(long_done - v2_serving).count()));

  for (const HttpResponse* r : {&r1, &r2}) {
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(JsonField(r->body, "/result/structuredContent/steps"), "80") << r->body;
  }
  // v1 unloads after its last call returned.
  EXPECT_NE(c->process().WaitLog("bundle generation " + v1_hex + " unloaded", seconds(10)), std::string::npos)
      << c->process().Log();

  std::map<std::string, int> per_tool, failed;
  int statuses_before = 0, statuses_after = 0, v2_only_calls = 0;
  for (const CallRecord& r : records) {
    ++per_tool[r.tool];
    const bool ok = r.status == 200 && (r.tool == "edge.runtime_status" ? !r.body.empty() : r.body == "false");
    if (!ok && failed[r.tool]++ < 5) ADD_FAILURE() << r.tool << " failed: HTTP " << r.status << " " << r.body;
    if (r.tool == "edge.runtime_status" && ok) {
      if (r.end < swap_requested) {
        ++statuses_before;
        EXPECT_EQ(r.body, "1") << "a call that ended before the upload ran on v1";
      }
      if (r.start > v2_serving) {
        ++statuses_after;
        EXPECT_EQ(r.body, "2") << "a call that started after the swap runs on v2";
      }
    }
    if (r.tool == "system.info" && ok) ++v2_only_calls;
  }
  int failures = 0;
  for (const auto& [tool, n] : failed) failures += n;
  std::printf("[ info ] %zu calls from %d clients + 2 long ones, %d failed;", records.size(), kClients, failures);
  for (const auto& [tool, n] : per_tool) std::printf(" %s=%d", tool.c_str(), n);
  std::printf("; swap %lld ms after the upload started\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(v2_serving - swap_requested).count()));
  EXPECT_EQ(failures, 0);
  EXPECT_GT(statuses_before, 0);
  EXPECT_GT(statuses_after, 0);
  EXPECT_GT(v2_only_calls, 0) << "calls to v2's own tool succeeded after the swap";
}

TEST_F(BundlesAcceptanceTest, PinningRollsBackFromDiskAndTheDefaultServesDeploymentsWithoutAnAssignment) {
  auto v1 = EchoVersion(1), v2 = EchoVersion(2), v3 = EchoVersion(3), v4 = EchoVersion(4);
  auto a = Start(BundleConfig(), true, {}, "conn-a");
  auto [bundle_id, version] = Upload(v1);
  CliOk({"bundle", "assign", bundle_id, "--deployment", deployment_});  // following
  ASSERT_TRUE(WaitVersion(*a, "1", seconds(20))) << a->process().Log();
  Upload(v2);
  ASSERT_TRUE(WaitVersion(*a, "2", seconds(20))) << a->process().Log();

  // Pin v1: a rollback, from the generation kept on disk as `previous`.
  size_t from = a->process().Log().size();
  CliOk({"bundle", "assign", bundle_id, "--deployment", deployment_, "--version", "1"});
  ASSERT_TRUE(WaitVersion(*a, "1", seconds(20))) << a->process().Log();
  std::string log = a->process().Log().substr(from);
  EXPECT_TRUE(Contains(log, "bundle sync: target " + bundle_id + " v1 " + v1.manifest.checksum +
                                "; generation already on disk, re-verified"))
      << log;
  EXPECT_FALSE(Contains(log, "; downloading")) << "a rollback to the previous generation downloads nothing\n" << log;
  EXPECT_EQ(JsonField(a->Statusz(), "/bundle/checksum"), v1.manifest.checksum);
  EXPECT_TRUE(Contains(platform_->process().Log(), "version 1 (rollback); bundle.updated sent"));
  EXPECT_EQ(Invoke("echo", R"({"text":"rolled back"})").status, 200);

  // A second deployment, without an assignment and without an org default: nothing to serve.
  const std::string dep_b_json =
      Platform::Admin(data_, {"create-deployment", "--org", org_, "--name", "site-b", "--json"});
  const std::string dep_b = JsonField(dep_b_json, "/id");
  auto b = Start(BundleConfig(), true,
                 {{"DEPLOYMENT_ID", dep_b}, {"DEPLOYMENT_SECRET", JsonField(dep_b_json, "/secret")}}, "conn-b");
  ASSERT_NE(b->process().WaitLog("no bundle assigned to deployment " + dep_b, seconds(20)), std::string::npos)
      << b->process().Log();
  EXPECT_EQ(JsonField(b->Statusz(), "/bundle/source"), "none");

  // v3 does not move the pinned deployment; the default (following) gives it to the second one.
  from = a->process().Log().size();
  Upload(v3);
  CliOk({"bundle", "set-default", bundle_id});
  ASSERT_TRUE(WaitVersion(*b, "3", seconds(20))) << b->process().Log();
  EXPECT_EQ(Target(dep_b, "/source"), "default");
  // v4 moves the deployment that follows the default, and still not the pinned one.
  Upload(v4);
  ASSERT_TRUE(WaitVersion(*b, "4", seconds(20))) << b->process().Log();
  EXPECT_EQ(JsonField(b->Statusz(), "/bundle/checksum"), v4.manifest.checksum);
  EXPECT_EQ(Target(deployment_, "/version"), "1");
  EXPECT_EQ(Target(deployment_, "/pinned"), "true");
  EXPECT_EQ(JsonField(a->Statusz(), "/bundle/version"), "1");
  log = a->process().Log().substr(from);
  EXPECT_FALSE(Contains(log, "bundle sync: target")) << "the pinned deployment never targeted v3 or v4\n" << log;
  EXPECT_EQ(Invoke("echo", R"({"text":"b"})", "\"deploymentId\":\"" + dep_b + "\"").status, 200);
  EXPECT_EQ(Invoke("echo", R"({"text":"a"})", "\"deploymentId\":\"" + deployment_ + "\"").status, 200);

  // Dropping the pinned deployment's own assignment puts it on the org default too.
  CliOk({"bundle", "assign", "--clear", "--deployment", deployment_});
  ASSERT_TRUE(WaitVersion(*a, "4", seconds(20))) << a->process().Log();
  EXPECT_EQ(Target(deployment_, "/source"), "default");
}

}  // namespace
}  // namespace edge::e2e
