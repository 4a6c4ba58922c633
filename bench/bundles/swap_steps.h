// bench/bundles/swap_steps.h: the connector's pieces as the swap benchmark wires them, and the two ways it
// swaps a generation in.
//
// `Connector` holds a PluginHost, the in-process Executor, a ToolCatalog, the bundle Layout and the
// ServingBundle, set up as the daemon sets them up, with `EventLog` recording the log lines the checks need.
// `DirectSwap` runs the steps BundleSync runs after its download (runtime/src/bundles/sync.cc), timing each:
//
//   check the archive's manifest, extract and verify it into generations/<hex>  -> "verified"
//   LoadGeneration, Layout::Activate, ServingBundle::Swap                        -> "serving"
//
// `SyncSwap` runs a whole BundleSync::SyncOnce against the stand-in platform. Both start a slow.count call on
// the old generation first and, after the swap, check that the old generation drained around it: retiring
// while the call ran, reported unloaded after it, every old plugin shut down for the reload.
#ifndef EDGE_BENCH_BUNDLES_SWAP_STEPS_H_
#define EDGE_BENCH_BUNDLES_SWAP_STEPS_H_

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "bundle_set.h"
#include "bundles/generation.h"
#include "bundles/layout.h"
#include "bundles/swap.h"
#include "bundles/sync.h"
#include "edge/runtime/executor.h"
#include "edge/runtime/log.h"
#include "edge/runtime/plugin_host.h"
#include "fake_platform.h"
#include "swap_report.h"

namespace edge::bench {

// The log of the connector's pieces: keeps what the checks need, passes warnings and errors to stderr.
class EventLog {
 public:
  EventLog();
  runtime::Logger* logger() { return &logger_; }
  // Plugins shut down because a newer generation replaced them.
  int reload_shutdowns() const;
  // Whether ServingBundle logged "bundle generation <hex> unloaded".
  bool Unloaded(const std::string& hex) const;

 private:
  void Record(runtime::LogLevel level, std::string_view component, std::string_view message);

  mutable absl::Mutex mu_;
  int reload_shutdowns_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> unloaded_ ABSL_GUARDED_BY(mu_);
  runtime::Logger logger_;
};

// The connector's pieces, wired as the daemon wires them; everything lives under `work`.
struct Connector {
  explicit Connector(const std::filesystem::path& work);

  EventLog log;
  runtime::bundles::Layout layout;
  runtime::PluginHost host;
  std::shared_ptr<runtime::ToolCatalog> catalog;
  runtime::bundles::ServingBundle serving;
  runtime::bundles::GenerationOptions generation;
  std::unique_ptr<runtime::Executor> executor;  // last: destroyed first, while everything it calls still exists
};

// Stages, loads, activates and serves the first generation.
absl::Status Install(Connector& c, const GenerationBundle& b);

// One swap from `from` to `to` by the steps BundleSync runs after its download; appends its record to `result`
// (failed checks go to result.problems). An error means the swap itself failed.
absl::Status DirectSwap(Connector& c, const GenerationBundle& from, const GenerationBundle& to, int held_ms,
                        BenchResult& result);

// One whole sync to `to` through `sync`, with `platform` assigning it first.
absl::Status SyncSwap(Connector& c, runtime::bundles::BundleSync& sync, FakePlatform& platform,
                      const GenerationBundle& from, const GenerationBundle& to, int held_ms, BenchResult& result);

runtime::bundles::BundleSyncOptions SyncOptions(Connector& c, const FakePlatform& platform);

}  // namespace edge::bench

#endif  // EDGE_BENCH_BUNDLES_SWAP_STEPS_H_
