// Summaries, checks and output of the swap benchmark (see swap_report.h).
#include "swap_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace edge::bench {

namespace {

constexpr int64_t kMs = 1000000;
constexpr double kTargetSwapMs = 50;

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

bool In(int64_t t, int64_t from, int64_t to) { return t >= from && t <= to; }

// Summaries of one per-swap quantity over the direct swaps, or over the syncs.
Percentiles Over(const std::vector<SwapRecord>& swaps, bool via_sync,
                 const std::function<double(const SwapRecord&)>& value) {
  std::vector<double> v;
  for (const SwapRecord& s : swaps) {
    if (s.via_sync == via_sync) v.push_back(value(s));
  }
  return Summarize(std::move(v));
}

Percentiles ReportedSwapMs(const std::vector<SwapRecord>& swaps) {
  std::vector<double> v;
  for (const SwapRecord& s : swaps) {
    if (s.reported_swap_ms) v.push_back(static_cast<double>(*s.reported_swap_ms));
  }
  return Summarize(std::move(v));
}

std::string Row(std::string_view label, const Percentiles& p, bool p99) {
  if (p.n == 0) return absl::StrFormat("  %-44s %6s\n", label, "-");
  return absl::StrFormat("  %-44s %6d %9.2f %9.2f %9.2f\n", label, p.n, p.p50, p99 ? p.p99 : p.p95, p.max);
}

std::string Json(const Percentiles& p, bool p99) {
  return absl::StrFormat(R"({"n":%d,"p50":%.3f,"%s":%.3f,"max":%.3f})", p.n, p.p50, p99 ? "p99" : "p95",
                         p99 ? p.p99 : p.p95, p.max);
}

}  // namespace

Percentiles Summarize(std::vector<double> values) {
  Percentiles p;
  p.n = values.size();
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  auto rank = [&values](double q) {
    const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::min(values.size() - 1, i == 0 ? 0 : i - 1)];
  };
  p.p50 = rank(0.50);
  p.p95 = rank(0.95);
  p.p99 = rank(0.99);
  p.max = values.back();
  return p;
}

LatencyWindows SplitLatency(const std::vector<CallSample>& samples, const std::vector<SwapRecord>& swaps,
                            int64_t steady_from_ns, int64_t steady_to_ns) {
  std::vector<double> steady, swap, sync, unload;
  for (const CallSample& c : samples) {
    const double us = static_cast<double>(c.latency_ns) / 1e3;
    bool near_swap = false;
    for (const SwapRecord& s : swaps) {
      near_swap = near_swap || In(c.start_ns, s.begin_ns - 2 * kMs, s.drained_ns + 10 * kMs);
      if (!s.via_sync && In(c.start_ns, s.verified_ns, s.served_ns + 5 * kMs)) swap.push_back(us);
      if (s.via_sync && In(c.start_ns, s.begin_ns, s.served_ns + 5 * kMs)) sync.push_back(us);
      if (In(c.start_ns, s.held_done_ns, s.drained_ns + 5 * kMs)) unload.push_back(us);
    }
    if (!near_swap && In(c.start_ns, steady_from_ns, steady_to_ns)) steady.push_back(us);
  }
  return {Summarize(std::move(steady)), Summarize(std::move(swap)), Summarize(std::move(sync)),
          Summarize(std::move(unload))};
}

ProbeCheck CheckProbes(const std::vector<ProbeSample>& probes, int first_generation,
                       const std::vector<SwapRecord>& swaps) {
  ProbeCheck check;
  for (const ProbeSample& p : probes) {
    if (p.generation < 0) continue;  // a failed call, counted with the failures
    ++check.probes;
    // The generation serving when the call was submitted: the target of the last swap that had finished.
    int expected = first_generation;
    std::optional<int> alternative;  // submitted during a swap: its target is right too
    for (const SwapRecord& s : swaps) {
      const int64_t publish_from = s.via_sync ? s.begin_ns : s.verified_ns;
      if (p.submit_ns > s.served_ns) {
        expected = s.to;
      } else if (p.submit_ns >= publish_from) {
        alternative = s.to;
      } else if (p.done_ns > s.served_ns) {
        ++check.across_swap;
      }
    }
    if (alternative) {
      ++check.during_swap;
      if (p.generation == *alternative) ++check.during_swap_new;
    }
    if (p.generation != expected && (!alternative || p.generation != *alternative)) {
      if (++check.wrong == 1) {
        const int64_t origin = swaps.empty() ? p.submit_ns : swaps.front().begin_ns;
        check.first_wrong = absl::StrCat("a probe submitted ", Ms(p.submit_ns - origin),
                                         " ms after the first swap began was answered by generation ", p.generation,
                                         ", expected ", expected);
      }
    }
  }
  return check;
}

void PrintReport(const BenchResult& r) {
  const BenchSetup& s = r.setup;
  std::string out;
  absl::StrAppendFormat(
      &out,
      "edge_swap_bench: a bundle of %d example plugins (%d tools, %.1f MB of dist/, %.1f MB archive), "
      "%s per generation\n",
      s.plugins, s.tools, static_cast<double>(s.dist_bytes) / 1e6, static_cast<double>(s.archive_bytes) / 1e6,
      s.same_binaries ? "same plugin binaries, new configuration" : "new plugin binaries");
  absl::StrAppendFormat(
      &out, "load: %d clients, %s echo calls, generation probe %.0f/s; %d CPUs, load average %.2f\n\n", s.clients,
      s.rate > 0 ? absl::StrFormat("%.0f/s paced", s.rate) : "back-to-back", s.probe_rate, s.cpus, s.load_average);

  absl::StrAppendFormat(&out, "  %-44s %6s %9s %9s %9s\n", "swap times (ms)", "n", "p50", "p95", "max");
  out += Row("verified -> serving (load + activate + swap)",
             Over(r.swaps, false, [](const SwapRecord& w) { return Ms(w.served_ns - w.verified_ns); }), false);
  out += Row("  LoadGeneration",
             Over(r.swaps, false, [](const SwapRecord& w) { return Ms(w.loaded_ns - w.verified_ns); }), false);
  out += Row("  Layout::Activate (flip current)",
             Over(r.swaps, false, [](const SwapRecord& w) { return Ms(w.activated_ns - w.loaded_ns); }), false);
  out += Row("  ServingBundle::Swap (publish, release old)",
             Over(r.swaps, false, [](const SwapRecord& w) { return Ms(w.served_ns - w.activated_ns); }), false);
  out += Row("before 'verified': check manifest, extract",
             Over(r.swaps, false, [](const SwapRecord& w) { return Ms(w.verified_ns - w.begin_ns); }), false);
  out += Row("whole sync via BundleSync (check .. swap)",
             Over(r.swaps, true, [](const SwapRecord& w) { return Ms(w.served_ns - w.begin_ns); }), false);
  out += Row("  its reported last_swap_ms", ReportedSwapMs(r.swaps), false);

  absl::StrAppendFormat(&out, "\n  %-44s %6s %9s %9s %9s\n", "echo call latency (µs), by due time", "n", "p50", "p99",
                        "max");
  out += Row("steady (away from swaps)", r.latency.steady, true);
  out += Row("during swaps [verified, serving + 5 ms]", r.latency.swap, true);
  out += Row("during whole syncs [check, swapped + 5 ms]", r.latency.sync, true);
  out += Row("during unload [last old call, unloaded + 5 ms]", r.latency.unload, true);
  if (r.latency.steady.n > 0 && r.latency.swap.n > 0) {
    absl::StrAppendFormat(&out, "  extra latency during swaps: p50 %+.1f µs, p99 %+.1f µs, max %+.1f µs\n",
                          r.latency.swap.p50 - r.latency.steady.p50, r.latency.swap.p99 - r.latency.steady.p99,
                          r.latency.swap.max - r.latency.steady.max);
  }

  const int swaps = static_cast<int>(r.swaps.size());
  int held = 0;
  for (const SwapRecord& w : r.swaps) held += w.held_in_flight ? 1 : 0;
  absl::StrAppendFormat(&out, "\ncalls: %d completed, %d failed, in %.1f s\n", r.calls, r.failed, r.run_seconds);
  for (const CallFailure& f : r.failures) absl::StrAppend(&out, "  failed: ", f.what, "\n");
  absl::StrAppendFormat(&out,
                        "generation probe: %d answers, %d from the wrong generation; %d in flight across a whole "
                        "swap (old generation); %d submitted during a swap (%d answered by the new generation)\n",
                        r.probe.probes, r.probe.wrong, r.probe.across_swap, r.probe.during_swap,
                        r.probe.during_swap_new);
  absl::StrAppendFormat(&out,
                        "held calls: in %d of %d swaps a slow.count call was still running on the old generation when "
                        "the swap returned (each must finish there; the old generation unloads only after it)\n",
                        held, swaps);
  for (const std::string& p : r.problems) absl::StrAppend(&out, "  PROBLEM: ", p, "\n");

  const Percentiles direct = Over(r.swaps, false, [](const SwapRecord& w) { return Ms(w.served_ns - w.verified_ns); });
  absl::StrAppendFormat(&out, "\ntargets: swap < %.0f ms: p95 %.2f ms, max %.2f ms (%s); zero failed calls: %d (%s)\n",
                        kTargetSwapMs, direct.p95, direct.max, direct.max < kTargetSwapMs ? "met" : "MISSED", r.failed,
                        r.failed == 0 ? "met" : "MISSED");
  std::fputs(out.c_str(), stdout);
}

std::string JsonSummary(const BenchResult& r) {
  auto over = [&r](bool sync, const std::function<double(const SwapRecord&)>& f) {
    return Json(Over(r.swaps, sync, f), false);
  };
  std::vector<std::string> problems;
  for (const std::string& p : r.problems) problems.push_back(absl::StrCat("\"", absl::CEscape(p), "\""));
  int held = 0;
  for (const SwapRecord& w : r.swaps) held += w.held_in_flight ? 1 : 0;
  return absl::StrCat(
      "{\"bench\":\"edge_swap_bench\",\"swaps\":", r.swaps.size(),
      ",\"swap_ms\":", over(false, [](const SwapRecord& w) { return Ms(w.served_ns - w.verified_ns); }),
      ",\"load_generation_ms\":", over(false, [](const SwapRecord& w) { return Ms(w.loaded_ns - w.verified_ns); }),
      ",\"activate_ms\":", over(false, [](const SwapRecord& w) { return Ms(w.activated_ns - w.loaded_ns); }),
      ",\"serving_swap_ms\":", over(false, [](const SwapRecord& w) { return Ms(w.served_ns - w.activated_ns); }),
      ",\"stage_ms\":", over(false, [](const SwapRecord& w) { return Ms(w.verified_ns - w.begin_ns); }),
      ",\"sync_ms\":", over(true, [](const SwapRecord& w) { return Ms(w.served_ns - w.begin_ns); }),
      ",\"sync_reported_swap_ms\":", Json(ReportedSwapMs(r.swaps), false),
      ",\"latency_us\":{\"steady\":", Json(r.latency.steady, true), ",\"swap\":", Json(r.latency.swap, true),
      ",\"sync\":", Json(r.latency.sync, true), ",\"unload\":", Json(r.latency.unload, true), "}",
      absl::StrFormat(",\"extra_latency_us\":{\"p50\":%.1f,\"p99\":%.1f}", r.latency.swap.p50 - r.latency.steady.p50,
                      r.latency.swap.p99 - r.latency.steady.p99),
      ",\"calls\":", r.calls, ",\"failed_calls\":", r.failed, ",\"probe\":{\"answers\":", r.probe.probes,
      ",\"wrong\":", r.probe.wrong, ",\"across_swap\":", r.probe.across_swap, "}", ",\"held_in_flight\":", held,
      ",\"problems\":[", absl::StrJoin(problems, ","), "]", ",\"clients\":", r.setup.clients,
      absl::StrFormat(",\"rate\":%.0f", r.setup.rate), ",\"same_binaries\":", r.setup.same_binaries ? "true" : "false",
      absl::StrFormat(",\"load_average\":%.2f", r.setup.load_average), "}");
}

}  // namespace edge::bench
