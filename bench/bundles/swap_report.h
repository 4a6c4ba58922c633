// bench/bundles/swap_report.h: what the swap benchmark measured, and how it is summarised.
//
// Each swap leaves a `SwapRecord` of timestamps. From those and the load's samples the report computes the
// swap time (verified -> serving), the call latency in a steady window and in the windows around the swaps,
// and checks each generation probe answer against the generation that had to serve it.
#ifndef EDGE_BENCH_BUNDLES_SWAP_REPORT_H_
#define EDGE_BENCH_BUNDLES_SWAP_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "call_load.h"

namespace edge::bench {

struct SwapRecord {
  bool via_sync = false;  // BundleSync::SyncOnce against the fake platform, else the steps called directly
  int from = 0;           // generation indices
  int to = 0;
  int64_t begin_ns = 0;         // direct: before the manifest check and extraction; sync: SyncOnce called
  int64_t verified_ns = 0;      // direct: the generation is staged and verified (sync: = begin_ns, not visible)
  int64_t loaded_ns = 0;        // direct: LoadGeneration returned
  int64_t activated_ns = 0;     // direct: Layout::Activate returned (the `current` link flipped)
  int64_t served_ns = 0;        // ServingBundle::Swap returned (sync: SyncOnce returned)
  int64_t held_done_ns = 0;     // the held slow.count call completed
  int64_t drained_ns = 0;       // CollectUnloaded saw the old generation gone
  bool held_in_flight = false;  // the held call was still running on the old generation after the swap
  std::optional<int64_t> reported_swap_ms;  // sync: BundleSyncStatus::last_swap_ms
};

struct Percentiles {
  size_t n = 0;
  double p50 = 0, p95 = 0, p99 = 0, max = 0;
};

// Nearest-rank percentiles.
Percentiles Summarize(std::vector<double> values);

// Call latency in microseconds, by when the call was due.
struct LatencyWindows {
  Percentiles steady;  // away from every swap: outside [begin - 2 ms, drained + 10 ms], after the warm-up
  Percentiles swap;    // direct swaps: [verified, served + 5 ms]
  Percentiles sync;    // whole syncs: [SyncOnce called, returned + 5 ms]
  Percentiles unload;  // [held call done, old generation gone + 5 ms]: the old plugins shut down and unload
};
LatencyWindows SplitLatency(const std::vector<CallSample>& samples, const std::vector<SwapRecord>& swaps,
                            int64_t steady_from_ns, int64_t steady_to_ns);

struct ProbeCheck {
  size_t probes = 0;
  size_t wrong = 0;            // answered by a generation other than the one that had to serve it
  size_t during_swap = 0;      // submitted while a swap ran: either generation is right
  size_t during_swap_new = 0;  // ... of which the new generation answered
  size_t across_swap = 0;      // submitted before a swap began and completed after it ended: must be the old one
  std::string first_wrong;
};
ProbeCheck CheckProbes(const std::vector<ProbeSample>& probes, int first_generation,
                       const std::vector<SwapRecord>& swaps);

struct BenchSetup {
  int clients = 0;
  double rate = 0;
  double probe_rate = 0;
  bool same_binaries = false;
  int plugins = 0;
  size_t tools = 0;
  uint64_t dist_bytes = 0;
  int64_t archive_bytes = 0;
  double load_average = 0;  // at the start
  int cpus = 0;
};

struct BenchResult {
  BenchSetup setup;
  std::vector<SwapRecord> swaps;
  LatencyWindows latency;
  ProbeCheck probe;
  uint64_t calls = 0;
  uint64_t failed = 0;
  std::vector<CallFailure> failures;
  int held_not_observed = 0;          // swaps slower than the held call: the in-flight check could not be made
  std::vector<std::string> problems;  // failed checks other than failed calls
  double run_seconds = 0;
};

void PrintReport(const BenchResult& result);
// One line: {"swap_ms":{...},"failed_calls":0,...}
std::string JsonSummary(const BenchResult& result);

}  // namespace edge::bench

#endif  // EDGE_BENCH_BUNDLES_SWAP_REPORT_H_
