// edge_swap_bench: the bundle swap under load, in one process, with the connector's real pieces.
//
// A PluginHost, the in-process Executor, a ToolCatalog, a bundle Layout and a ServingBundle are set up as the
// connector sets them up. Generation 0 (a bundle of all example plugins, bundle_set.h) is staged, loaded and
// served. Client threads then call echo through the executor at a steady rate (call_load.h), and the
// benchmark swaps in generations 1..R one after the other, each exactly as BundleSync does after its
// download (runtime/src/bundles/sync.cc):
//
//   check the archive's manifest, extract and verify it into generations/<hex>  -> "verified"
//   LoadGeneration, Layout::Activate, ServingBundle::Swap                        -> "serving"
//
// then S more through BundleSync::SyncOnce itself against a loopback stand-in for the platform
// (fake_platform.h), which also times the download and reports last_swap_ms. Before each swap a slow.count
// call is started on the old generation: it must finish there, and the old generation must be reported
// unloaded only after it. A probe thread checks that every call submitted after a swap ran on the new
// generation. The output is a table and a one-line JSON summary; the exit status is 1 when any call failed or
// any check did not hold (timing is never asserted). See docs/performance.md, "Bundle swap".
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "bundle_set.h"
#include "bundles/sync.h"
#include "call_load.h"
#include "edge/runtime/log.h"
#include "fake_platform.h"
#include "swap_report.h"
#include "swap_steps.h"

#ifndef EDGE_PLUGIN_DIR
#error "EDGE_PLUGIN_DIR must be the directory of the built example plugins (set by bench/CMakeLists.txt)"
#endif

namespace edge::bench {
namespace {

namespace fs = std::filesystem;

struct Options {
  int swaps = 20;
  int sync_swaps = 5;
  LoadOptions load;
  int warmup_ms = 500;
  int gap_ms = 300;
  int held_ms = 500;        // the held call outlives loading and the swap
  int sync_held_ms = 1000;  // ... and, through BundleSync, the target check and the download too
  bool same_binaries = false;
  std::string plugin_dir = EDGE_PLUGIN_DIR;
  std::string work_dir;  // empty: a fresh temporary directory, removed at the end
};

constexpr char kUsage[] =
    "usage: edge_swap_bench [--swaps N (20)] [--sync-swaps N (5)] [--clients N (8)] [--rate CALLS_PER_S (8000; 0:\n"
    "       back-to-back)] [--probe-rate N (500)] [--warmup-ms N (500)] [--gap-ms N (300)] [--same-binaries]\n"
    "       [--plugin-dir DIR (the build's plugins)] [--work-dir NEW_DIR (kept afterwards)]\n"
    "       [--smoke (2 swaps + 1 sync, short: checks only)]\n";

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "edge_swap_bench: %s\n", message.c_str());
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto number = [&]() -> double {
      if (i + 1 >= argc) Die(absl::StrCat(arg, " needs a value\n", kUsage));
      char* end = nullptr;
      const double v = std::strtod(argv[++i], &end);
      if (*end != '\0' || v < 0) Die(absl::StrCat(arg, " needs a number >= 0, got '", argv[i], "'"));
      return v;
    };
    if (arg == "--swaps") {
      o.swaps = static_cast<int>(number());
    } else if (arg == "--sync-swaps") {
      o.sync_swaps = static_cast<int>(number());
    } else if (arg == "--clients") {
      o.load.clients = std::max(1, static_cast<int>(number()));
    } else if (arg == "--rate") {
      o.load.rate = number();
    } else if (arg == "--probe-rate") {
      o.load.probe_rate = number();
    } else if (arg == "--warmup-ms") {
      o.warmup_ms = static_cast<int>(number());
    } else if (arg == "--gap-ms") {
      o.gap_ms = static_cast<int>(number());
    } else if (arg == "--same-binaries") {
      o.same_binaries = true;
    } else if (arg == "--work-dir" && i + 1 < argc) {
      o.work_dir = argv[++i];
    } else if (arg == "--plugin-dir" && i + 1 < argc) {
      o.plugin_dir = argv[++i];
    } else if (arg == "--smoke") {
      o.swaps = 2;
      o.sync_swaps = 1;
      o.warmup_ms = 100;
      o.gap_ms = 100;
      o.load.rate = 2000;
      o.load.probe_rate = 200;
    } else {
      Die(absl::StrCat("unknown argument '", arg, "'\n", kUsage));
    }
  }
  if (o.swaps < 1) Die("--swaps must be at least 1");
  return o;
}

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return one;
}

int Run(const Options& o, const fs::path& work) {
  const int generations = 1 + o.swaps + o.sync_swaps;
  std::fprintf(stderr, "edge_swap_bench: building %d bundles of the example plugins in %s\n", generations,
               work.c_str());
  absl::StatusOr<std::vector<GenerationBundle>> bundles =
      BuildBundleSet({o.plugin_dir, work, o.same_binaries}, generations);
  if (!bundles.ok()) Die(bundles.status().ToString());

  BenchResult result;
  BenchSetup& setup = result.setup;
  setup.clients = o.load.clients;
  setup.rate = o.load.rate;
  setup.probe_rate = o.load.probe_rate;
  setup.same_binaries = o.same_binaries;
  setup.plugins = static_cast<int>(ExamplePluginNames().size());
  setup.tools = bundles->front().tools;
  setup.dist_bytes = bundles->front().dist_bytes;
  setup.archive_bytes = bundles->front().size;
  setup.load_average = LoadAverage();
  setup.cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  Connector c(work);
  if (absl::Status s = Install(c, bundles->front()); !s.ok()) {
    Die(absl::StrCat("installing generation 0: ", s.ToString()));
  }

  const int64_t started = NowNs();
  CallLoad load(*c.executor, o.load);
  load.Start();
  absl::SleepFor(absl::Milliseconds(o.warmup_ms));
  const int64_t steady_from = started + static_cast<int64_t>(o.warmup_ms) * 1000000 / 2;
  auto fail = [&](const std::string& what, const absl::Status& s) {
    result.problems.push_back(absl::StrCat(what, ": ", s.ToString()));
  };
  int serving = 0;
  for (int i = 1; i <= o.swaps && result.problems.empty(); ++i) {
    if (absl::Status s = DirectSwap(c, (*bundles)[serving], (*bundles)[i], o.held_ms, result); !s.ok()) {
      fail(absl::StrCat("swap to generation ", i), s);
      break;
    }
    serving = i;
    absl::SleepFor(absl::Milliseconds(o.gap_ms));
  }
  if (o.sync_swaps > 0 && result.problems.empty()) {
    absl::StatusOr<std::unique_ptr<FakePlatform>> platform = FakePlatform::Start();
    if (!platform.ok()) fail("starting the stand-in platform", platform.status());
    std::optional<runtime::bundles::BundleSync> sync;
    if (platform.ok()) sync.emplace(SyncOptions(c, **platform), c.host, c.serving, [] {});
    for (int i = o.swaps + 1; platform.ok() && i < generations; ++i) {
      if (absl::Status s = SyncSwap(c, *sync, **platform, (*bundles)[serving], (*bundles)[i], o.sync_held_ms, result);
          !s.ok()) {
        fail(absl::StrCat("sync to generation ", i), s);
        break;
      }
      serving = i;
      absl::SleepFor(absl::Milliseconds(o.gap_ms));
    }
  }
  load.Stop();
  const int64_t stopped = NowNs();
  if (absl::Status s = c.executor->Drain(absl::Seconds(10)); !s.ok()) fail("draining the executor", s);

  result.run_seconds = static_cast<double>(stopped - started) / 1e9;
  result.latency = SplitLatency(load.Samples(), result.swaps, steady_from, stopped);
  result.probe = CheckProbes(load.probes(), 0, result.swaps);
  if (result.probe.wrong > 0) result.problems.push_back(result.probe.first_wrong);
  if (o.load.probe_rate > 0 && result.probe.probes == 0) result.problems.push_back("the probe got no answer");
  result.calls += load.calls();
  result.failed += load.failed();
  for (CallFailure& f : load.failures()) result.failures.push_back(std::move(f));
  PrintReport(result);
  std::printf("%s\n", JsonSummary(result).c_str());
  std::fflush(stdout);
  return result.failed == 0 && result.problems.empty() ? 0 : 1;
}

}  // namespace
}  // namespace edge::bench

int main(int argc, char** argv) {
  using namespace edge::bench;  // NOLINT(build/namespaces): main only
  const Options options = ParseOptions(argc, argv);
  edge::runtime::Logger::Default().SetLevel(edge::runtime::LogLevel::kWarn);
  std::filesystem::path work = options.work_dir;
  const bool temporary = work.empty();
  if (temporary) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/edge-swap-bench-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) Die(absl::StrCat("cannot create a directory like ", pattern));
    work = pattern;
  } else {
    // Generations are content-addressed: a second run in the same directory would find them staged already.
    std::error_code ec;
    if (std::filesystem::exists(work, ec) && !std::filesystem::is_empty(work, ec)) {
      Die(absl::StrCat("--work-dir ", work.string(), " is not empty: name a new or empty directory"));
    }
    std::filesystem::create_directories(work, ec);
    work = std::filesystem::absolute(work, ec);
  }
  const int status = Run(options, work);
  if (temporary) {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  }
  return status;
}
