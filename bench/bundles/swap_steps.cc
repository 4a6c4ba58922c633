// The swap benchmark's steps (see swap_steps.h).
#include "swap_steps.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bundles/generation.h"
#include "bundles/stage.h"
#include "bundles/verify.h"
#include "edge/runtime/diagnostics.h"

namespace edge::bench {

namespace fs = std::filesystem;
using runtime::bundles::BundleIdentity;
using runtime::bundles::LoadedGeneration;
using runtime::bundles::ServedGeneration;

EventLog::EventLog()
    : logger_([this](runtime::LogLevel level, std::string_view component,
                     std::string_view message) { Record(level, component, message); },
              runtime::LogLevel::kDebug) {}

int EventLog::reload_shutdowns() const {
  absl::MutexLock lock(&mu_);
  return reload_shutdowns_;
}

bool EventLog::Unloaded(const std::string& hex) const {
  absl::MutexLock lock(&mu_);
  return unloaded_.contains(hex);
}

void EventLog::Record(runtime::LogLevel level, std::string_view component, std::string_view message) {
  if (level >= runtime::LogLevel::kWarn) {
    std::fprintf(stderr, "[%.*s] %.*s\n", static_cast<int>(component.size()), component.data(),
                 static_cast<int>(message.size()), message.data());
  }
  absl::MutexLock lock(&mu_);
  // Plain std::string_view: Debian's Abseil has its own string_view type.
  if (message.find("shut down (reason: reload)") != std::string_view::npos) ++reload_shutdowns_;
  constexpr std::string_view kPrefix = "bundle generation ", kSuffix = " unloaded";
  if (message.starts_with(kPrefix) && message.ends_with(kSuffix)) {
    message.remove_prefix(kPrefix.size());
    message.remove_suffix(kSuffix.size());
    unloaded_.insert(std::string(message));
  }
}

Connector::Connector(const fs::path& work)
    : layout(work / "install"),
      host([&] {
        runtime::PluginHostOptions o;
        o.content_store_dir = work / "store";
        o.logger = log.logger();
        return o;
      }()),
      catalog(std::make_shared<runtime::ToolCatalog>()),
      serving(catalog, log.logger()) {
  generation.data_root = layout.install_dir() / "data";
  generation.builtins = runtime::BuiltinDiagnosticsTools([] { return std::string("{}"); });
  executor = runtime::NewInProcessExecutor(catalog, runtime::ExecutorOptions{});
}

namespace {

BundleIdentity IdentityOf(const GenerationBundle& b) { return {kBenchBundleId, b.index + 1, b.checksum}; }

// What BundleSync does between the download and "verified": the manifest check, then extraction and tree
// verification into generations/<hex>. Returns the generation directory name.
absl::StatusOr<std::string> Stage(Connector& c, const GenerationBundle& b) {
  runtime::bundles::ManifestPolicy policy = runtime::bundles::HostManifestPolicy();
  policy.expected_org = kBundleOrg;
  runtime::bundles::StageRequest stage;
  absl::StatusOr<runtime::bundles::VerifiedManifest> verified =
      runtime::bundles::VerifyArchiveManifest(b.archive, stage.limits, policy);
  if (!verified.ok()) return verified.status();
  stage.archive = b.archive;
  stage.archive_sha256 = b.archive_sha256;
  stage.verified = &*verified;
  stage.identity = IdentityOf(b);
  return runtime::bundles::StageArchive(c.layout, stage);
}

ServedGeneration Served(const GenerationBundle& b, LoadedGeneration loaded) {
  ServedGeneration g;
  g.generation = b.hex;
  g.source = "bundle";
  g.identity = IdentityOf(b);
  g.plugins = std::move(loaded.plugins);
  g.registry = std::move(loaded.registry);
  return g;
}

}  // namespace

absl::Status Install(Connector& c, const GenerationBundle& b) {
  if (absl::StatusOr<runtime::bundles::RecoveryReport> r = c.layout.Recover(); !r.ok()) return r.status();
  absl::StatusOr<std::string> hex = Stage(c, b);
  if (!hex.ok()) return hex.status();
  absl::StatusOr<LoadedGeneration> loaded = LoadGeneration(c.host, c.layout.generation_dir(*hex), c.generation);
  if (!loaded.ok()) return loaded.status();
  if (absl::Status s = c.layout.Activate(*hex); !s.ok()) return s;
  c.serving.Serve(Served(b, *std::move(loaded)));
  return absl::OkStatus();
}

namespace {

// After a swap from `from` to `to` with `held` started before it: the checks of the drain, then waits for it.
void FinishSwap(Connector& c, const GenerationBundle& from, const GenerationBundle& to, HeldCall& held,
                int shutdowns_before, uint64_t unloaded_before, SwapRecord& rec, BenchResult& result) {
  auto problem = [&](std::string what) {
    result.problems.push_back(absl::StrCat("swap to generation ", to.index, ": ", what));
  };
  // The view first: if the held call is still running after it was taken, the old generation had to be retiring.
  const runtime::bundles::ServingView view = c.serving.View();
  const bool unloaded_early = c.log.Unloaded(from.hex);
  rec.held_in_flight = !held.done();
  if (view.generation != to.hex) problem(absl::StrCat("serving ", view.generation, " after the swap"));
  if (rec.held_in_flight) {
    bool retiring = false;
    for (const auto& r : view.retiring) retiring = retiring || r.generation == from.hex;
    if (!retiring) problem("the old generation was not retiring while a call still ran on it");
    if (unloaded_early) problem("the old generation was reported unloaded while a call still ran on it");
  } else {
    ++result.held_not_observed;
  }
  if (std::string error = held.Wait(); !error.empty()) {
    ++result.failed;
    result.failures.push_back({held.done_ns(), error});
  }
  rec.held_done_ns = held.done_ns();
  // Drained: ServingBundle saw every old tool gone and every old plugin logged its shutdown. The second can
  // come a moment after the first: the tools' weak references expire before the last tool's destructor has
  // shut the plugin down.
  const int plugins = static_cast<int>(ExamplePluginNames().size());
  const int64_t give_up = NowNs() + 10'000'000'000;
  while ((c.serving.CollectUnloaded() > 0 || c.log.reload_shutdowns() - shutdowns_before < plugins) &&
         NowNs() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  rec.drained_ns = NowNs();
  if (!c.log.Unloaded(from.hex)) problem("the old generation was not reported unloaded within 10 s of its last call");
  if (c.serving.View().unloaded != unloaded_before + 1) {
    problem("the count of unloaded generations did not grow by one");
  }
  const int shutdowns = c.log.reload_shutdowns() - shutdowns_before;
  if (shutdowns != plugins) {
    problem(absl::StrCat(shutdowns, " old plugins shut down for the reload, expected ", ExamplePluginNames().size()));
  }
  ++result.calls;
}

}  // namespace

// One swap as BundleSync makes it after the download, with each step timed.
absl::Status DirectSwap(Connector& c, const GenerationBundle& from, const GenerationBundle& to, int held_ms,
                        BenchResult& result) {
  SwapRecord rec;
  rec.from = from.index;
  rec.to = to.index;
  const int shutdowns_before = c.log.reload_shutdowns();
  const uint64_t unloaded_before = c.serving.View().unloaded;
  rec.begin_ns = NowNs();
  absl::StatusOr<std::string> hex = Stage(c, to);
  if (!hex.ok()) return hex.status();
  // Started after staging, so it only has to outlast loading and the swap.
  HeldCall held(*c.executor, held_ms);
  if (!held.WaitStarted()) return absl::InternalError("the held slow.count call did not start within 10 s");

  rec.verified_ns = NowNs();
  absl::StatusOr<LoadedGeneration> loaded = LoadGeneration(c.host, c.layout.generation_dir(*hex), c.generation);
  rec.loaded_ns = NowNs();
  if (!loaded.ok()) return loaded.status();
  if (absl::Status s = c.layout.Activate(*hex); !s.ok()) return s;
  rec.activated_ns = NowNs();
  c.serving.Swap(Served(to, *std::move(loaded)), [] {});
  rec.served_ns = NowNs();

  if (absl::StatusOr<std::vector<std::string>> pruned = c.layout.Prune(2, {*hex}); !pruned.ok()) return pruned.status();
  FinishSwap(c, from, to, held, shutdowns_before, unloaded_before, rec, result);
  result.swaps.push_back(rec);
  return absl::OkStatus();
}

// One whole sync through BundleSync: target check, download, verify, extract, load, swap, prune.
absl::Status SyncSwap(Connector& c, runtime::bundles::BundleSync& sync, FakePlatform& platform,
                      const GenerationBundle& from, const GenerationBundle& to, int held_ms, BenchResult& result) {
  SwapRecord rec;
  rec.via_sync = true;
  rec.from = from.index;
  rec.to = to.index;
  const int shutdowns_before = c.log.reload_shutdowns();
  const uint64_t unloaded_before = c.serving.View().unloaded;
  platform.Assign(to);
  HeldCall held(*c.executor, held_ms);
  if (!held.WaitStarted()) return absl::InternalError("the held slow.count call did not start within 10 s");
  rec.begin_ns = rec.verified_ns = NowNs();
  if (absl::Status s = sync.SyncOnce(); !s.ok()) return s;
  rec.served_ns = NowNs();
  rec.reported_swap_ms = sync.Status().last_swap_ms;
  FinishSwap(c, from, to, held, shutdowns_before, unloaded_before, rec, result);
  result.swaps.push_back(rec);
  return absl::OkStatus();
}

runtime::bundles::BundleSyncOptions SyncOptions(Connector& c, const FakePlatform& platform) {
  runtime::bundles::BundleSyncOptions o;
  o.install_dir = c.layout.install_dir();
  o.platform_api_url = platform.url();
  o.credentials = [] {
    runtime::LinkCredentials credentials;
    credentials.authorization = "Basic ZGVwX2JlbmNoOnM=";  // dep_bench:s; the stand-in does not check it
    credentials.deployment_id = kBenchDeployment;
    return absl::StatusOr<runtime::LinkCredentials>(credentials);
  };
  o.org_id = [] { return std::string(kBundleOrg); };
  o.generation = c.generation;
  o.logger = c.log.logger();
  return o;
}

}  // namespace edge::bench
