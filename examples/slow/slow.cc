// The slow example: long-running tools that report progress every step and stop promptly when cancelled.
//
//   slow.count      runs `steps` steps of `step_ms` each; calls may run in parallel
//   slow.exclusive  the same, declared non-concurrent: the host runs one call at a time
//
// Both report how many calls of the same tool they saw running at once (peakConcurrent), which is what the
// executor tests and the demo use to show that non-concurrent tools are serialized.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <edge/sdk.hpp>
#include <memory>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

// Calls of one tool currently running, and each call's view of the peak.
struct InFlight {
  std::atomic<int> running{0};
};

class RunningGuard {
 public:
  explicit RunningGuard(InFlight& f) : f_(f) { ++f_.running; }
  ~RunningGuard() { --f_.running; }
  RunningGuard(const RunningGuard&) = delete;
  RunningGuard& operator=(const RunningGuard&) = delete;

 private:
  InFlight& f_;
};

edge::Result Run(const edge::Args& args, edge::Context& ctx, InFlight& in_flight) {
  const auto steps = args.get_or<int64_t>("steps", 10);
  const auto step = std::chrono::milliseconds(args.get_or<int64_t>("step_ms", 100));
  RunningGuard guard(in_flight);
  int peak = in_flight.running.load();
  const Clock::time_point start = Clock::now();
  for (int64_t i = 1; i <= steps; ++i) {
    // Sleep in short slices so a cancellation stops the call within ~5 ms, not at the end of a long step.
    const Clock::time_point step_end = Clock::now() + step;
    for (;;) {
      ctx.check_cancelled();
      peak = std::max(peak, in_flight.running.load());
      Clock::time_point now = Clock::now();
      if (now >= step_end) break;
      std::this_thread::sleep_for(std::min<Clock::duration>(step_end - now, std::chrono::milliseconds(5)));
    }
    ctx.progress(static_cast<double>(i), static_cast<double>(steps),
                 "step " + std::to_string(i) + " of " + std::to_string(steps));
  }
  ctx.check_cancelled();
  const int64_t elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  edge::Json out = edge::Json::object();
  out.set("steps", steps).set("elapsedMs", elapsed_ms).set("peakConcurrent", peak);
  return edge::Result::structured(out, "completed " + std::to_string(steps) + " steps in " +
                                           std::to_string(elapsed_ms) + " ms");
}

constexpr const char* kInputSchema = R"schema({"type":"object","properties":{
    "steps":{"type":"integer","minimum":1,"maximum":100000,"default":10,"description":"how many steps to run"},
    "step_ms":{"type":"integer","minimum":0,"maximum":60000,"default":100,"description":"duration of one step in milliseconds"}},
    "additionalProperties":false})schema";

constexpr const char* kOutputSchema = R"schema({"type":"object","properties":{
    "steps":{"type":"integer","minimum":1},
    "elapsedMs":{"type":"integer","minimum":0},
    "peakConcurrent":{"type":"integer","minimum":1,"description":"most calls of this tool seen running at once"}},
    "required":["steps","elapsedMs","peakConcurrent"]})schema";

}  // namespace

EDGE_PLUGIN("slow", "1.0.0") {
  auto count_in_flight = std::make_shared<InFlight>();
  auto exclusive_in_flight = std::make_shared<InFlight>();

  plugin.tool("slow.count")
      .title("Slow counter")
      .description("Counts `steps` steps of `step_ms` milliseconds each, reporting progress after every step "
                   "(\"step i of n\"). Stops promptly when the call is cancelled or times out. For demos and tests "
                   "of progress, timeouts and cancellation.")
      .input_schema(kInputSchema)
      .output_schema(kOutputSchema)
      .example(R"({"steps":3,"step_ms":10})")
      .read_only()
      .idempotent()
      .open_world(false)
      .handler([count_in_flight](const edge::Args& args, edge::Context& ctx) { return Run(args, ctx, *count_in_flight); });

  plugin.tool("slow.exclusive")
      .title("Slow counter (one call at a time)")
      .description("Like slow.count, but declared non-concurrent, so the host runs one call at a time and queues "
                   "the others; peakConcurrent in the result shows how many calls overlapped (1 when serialized).")
      .input_schema(kInputSchema)
      .output_schema(kOutputSchema)
      .example(R"({"steps":2,"step_ms":10})")
      .read_only()
      .idempotent()
      .open_world(false)
      .concurrent(false)
      .handler([exclusive_in_flight](const edge::Args& args, edge::Context& ctx) {
        return Run(args, ctx, *exclusive_in_flight);
      });
}
