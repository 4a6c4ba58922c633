// In-process dispatch benchmark: arguments JSON -> schema validation -> echo plugin -> result JSON.
//
// The echo plugin (examples/echo) is loaded through the real edge::runtime::PluginHost, so every call crosses
// the C ABI exactly as in production. The benchmarks:
//
//   BM_Invoke/validated      Tool::Invoke on the calling thread, arguments checked against inputSchema and
//                            structuredContent against outputSchema
//   BM_Invoke/unvalidated    the same with PluginHostOptions.validate_arguments = validate_output = false
//   BM_Executor/validated    through the in-process Executor: Submit, wait for on_complete on this thread
//   BM_Executor/unvalidated  the same without validation
//   BM_ExecutorBatch         64 calls submitted at once, then waited for: the executor's per-call cost when the
//                            thread wake-ups are amortized (call_time = wall time per call)
//   BM_DecodeInvoke          the link thread's decoding of one tool.invoke (envelope and params)
//   BM_ExecutorGap           one call in flight as in BM_Executor, but the caller waits gap_us before the next
//                            Submit, like a link whose next call arrives a network round trip later. Only the
//                            Submit-to-completion time is reported.
//
// The executor benchmarks also report exec_cpu: CPU time per call of every thread but the caller's (workers,
// watchdog), which shows what an idle worker's spinning costs.
//
// Every iteration ends with ToolResult::ToJson(), the MCP result object a caller would send back.
// Run: edge_dispatch_bench --benchmark_repetitions=5 --benchmark_min_time=0.3 (see docs/performance.md).
//
// --no_deadlock_detection turns off Abseil's Mutex deadlock detection (absl::SetMutexDeadlockDetectionMode),
// which Debian's libabsl leaves on and which costs measurably on every call (see docs/performance.md).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "edge/protocol/messages.h"
#include "edge/runtime/executor.h"
#include "edge/runtime/log.h"
#include "edge/runtime/plugin_host.h"
#include "edge/runtime/tool.h"

#ifndef EDGE_ECHO_PLUGIN
#error "EDGE_ECHO_PLUGIN must be the path of the built echo plugin (set by bench/CMakeLists.txt)"
#endif

namespace {

using edge::runtime::CallCallbacks;
using edge::runtime::CallContext;
using edge::runtime::CallOutcome;
using edge::runtime::CallRequest;
using edge::runtime::Executor;
using edge::runtime::ExecutorOptions;
using edge::runtime::LoadedPlugin;
using edge::runtime::PluginHost;
using edge::runtime::PluginHostOptions;
using edge::runtime::SimpleCallControl;
using edge::runtime::Tool;
using edge::runtime::ToolCatalog;
using edge::runtime::ToolRegistry;
using edge::runtime::ToolResult;

constexpr char kArgs[] = R"({"text":"hello"})";
constexpr char kExpectedJson[] =
    R"({"content":[{"type":"text","text":"hello"}],"structuredContent":{"text":"hello"},"isError":false})";

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "edge_dispatch_bench: %s\n", message.c_str());
  std::exit(2);
}

// One loaded echo plugin with its own host, catalog and executor; built once per validation mode and kept for
// the whole process (benchmarks run repeatedly and must not reload the plugin between runs).
struct Setup {
  std::unique_ptr<PluginHost> host;
  std::shared_ptr<LoadedPlugin> plugin;
  std::shared_ptr<const Tool> echo;
  std::shared_ptr<ToolCatalog> catalog;
  std::unique_ptr<Executor> executor;

  explicit Setup(bool validate) {
    PluginHostOptions options;
    options.validate_arguments = validate;
    options.validate_output = validate;
    host = std::make_unique<PluginHost>(options);
    auto loaded = host->Load(EDGE_ECHO_PLUGIN);
    if (!loaded.ok()) Fail("cannot load the echo plugin " EDGE_ECHO_PLUGIN ": " + std::string(loaded.status().message()));
    plugin = *std::move(loaded);
    for (const auto& tool : plugin->tools()) {
      if (tool->descriptor().name == "echo") echo = tool;
    }
    if (echo == nullptr) Fail("the echo plugin has no tool named 'echo'; rebuild examples/echo");

    auto registry = ToolRegistry::Create(plugin->tools());
    if (!registry.ok()) Fail("cannot build the tool registry: " + std::string(registry.status().message()));
    catalog = std::make_shared<ToolCatalog>();
    catalog->Publish(*std::move(registry));
    ExecutorOptions exec_options;
    exec_options.max_concurrent_calls = 2;  // the machine has 2 vCPUs; one call is in flight at a time anyway
    executor = edge::runtime::NewInProcessExecutor(catalog, exec_options);

    // Check once that the path under test produces the expected result, so the figures measure real work.
    SimpleCallControl control;
    auto result = echo->Invoke(kArgs, CallContext{}, control);
    if (!result.ok()) Fail("echo call failed: " + std::string(result.status().message()));
    if (result->ToJson() != kExpectedJson) Fail("unexpected echo result: " + result->ToJson());
  }
};

Setup& Get(bool validate) {
  // Leaked on purpose: plugin shutdown at static destruction time would race the benchmark library's teardown.
  static Setup* validated = nullptr;
  static Setup* unvalidated = nullptr;
  Setup*& slot = validate ? validated : unvalidated;
  if (slot == nullptr) slot = new Setup(validate);
  return *slot;
}

// The link thread's decoding of one tool.invoke as edge_link_bench's driver sends it: the envelope
// (DecodeMessage) and its params (ParseInvokeParams), arguments kept as the sent bytes.
void BM_DecodeInvoke(benchmark::State& state) {
  const std::string message =
      R"({"jsonrpc":"2.0","id":12345,"method":"tool.invoke","params":{"callId":"c12345","tool":"echo",)"
      R"("arguments":{"text":"hello from the benchmark driver, a typical small argument"},)"
      R"("context":{"orgId":"org_bench","deploymentId":"dep_bench"}}})";
  for (auto _ : state) {
    auto envelope = edge::protocol::DecodeMessage(message);
    auto params = edge::protocol::ParseInvokeParams(envelope->params);
    benchmark::DoNotOptimize(params->arguments_json.data());
  }
}
BENCHMARK(BM_DecodeInvoke);

// (a), (b): Tool::Invoke on the calling thread.
void BM_Invoke(benchmark::State& state) {
  Setup& s = Get(state.range(0) != 0);
  SimpleCallControl control;
  CallContext context;
  context.call_id = "bench";
  for (auto _ : state) {
    std::string args(kArgs);  // the arguments arrive as a fresh string per call
    absl::StatusOr<ToolResult> result = s.echo->Invoke(args, context, control);
    if (!result.ok()) {
      state.SkipWithError("echo call failed");
      break;
    }
    std::string json = result->ToJson();
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// Waits on this thread for one call's on_complete, which runs on an executor worker.
class Completion {
 public:
  void Set(CallOutcome outcome) {
    absl::MutexLock lock(&mu_);
    outcome_ = std::move(outcome);
    done_ = true;
  }
  CallOutcome Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
    done_ = false;
    return std::move(outcome_);
  }

 private:
  absl::Mutex mu_;
  bool done_ = false;
  CallOutcome outcome_;
};

double CpuSeconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU time used by every thread except the calling one, between construction and Report: the executor's own
// threads, since the benchmark starts no others.
class OtherThreadsCpu {
 public:
  OtherThreadsCpu() : start_(Now()) {}
  void Report(benchmark::State& state, int64_t calls) const {
    state.counters["exec_cpu"] = benchmark::Counter((Now() - start_) / static_cast<double>(calls));
  }

 private:
  static double Now() { return CpuSeconds(RUSAGE_SELF) - CpuSeconds(RUSAGE_THREAD); }
  double start_;
};

// One call through the executor, waited for on this thread.
bool CallOnce(Setup& s, Completion& completion, uint64_t n) {
  CallRequest request;
  request.call_id = std::to_string(n);
  request.tool = "echo";
  request.arguments_json = kArgs;
  CallCallbacks callbacks;
  callbacks.on_complete = [&completion](CallOutcome outcome) { completion.Set(std::move(outcome)); };
  s.executor->Submit(std::move(request), std::move(callbacks));
  CallOutcome outcome = completion.Wait();
  if (!outcome.result.ok()) return false;
  std::string json = outcome.result->ToJson();
  benchmark::DoNotOptimize(json.data());
  return true;
}

// (c): Executor::Submit + wait for completion (one call in flight).
void BM_Executor(benchmark::State& state) {
  Setup& s = Get(state.range(0) != 0);
  Completion completion;
  uint64_t n = 0;
  OtherThreadsCpu cpu;
  for (auto _ : state) {
    if (!CallOnce(s, completion, ++n)) {
      state.SkipWithError("echo call failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  cpu.Report(state, state.iterations());
}

// One call in flight, the next submitted gap_us after the previous completed. The gap is a busy wait: a sleep
// would add the kernel's timer slack (50 µs by default), which is larger than the gaps of interest.
void BM_ExecutorGap(benchmark::State& state) {
  Setup& s = Get(false);
  const auto gap = std::chrono::microseconds(state.range(0));
  Completion completion;
  uint64_t n = 0;
  OtherThreadsCpu cpu;
  for (auto _ : state) {
    const auto gap_end = std::chrono::steady_clock::now() + gap;
    while (std::chrono::steady_clock::now() < gap_end) {
    }
    const auto start = std::chrono::steady_clock::now();
    if (!CallOnce(s, completion, ++n)) {
      state.SkipWithError("echo call failed");
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations());
  cpu.Report(state, state.iterations());
}

// Submits kBatch calls, then waits for all of them: per-call cost with the wake-ups amortized.
constexpr int kBatch = 64;
void BM_ExecutorBatch(benchmark::State& state) {
  Setup& s = Get(state.range(0) != 0);
  absl::Mutex mu;
  int done = 0;
  int failed = 0;
  uint64_t n = 0;
  OtherThreadsCpu cpu;
  for (auto _ : state) {
    {
      absl::MutexLock lock(&mu);
      done = 0;
    }
    for (int i = 0; i < kBatch; ++i) {
      CallRequest request;
      request.call_id = std::to_string(++n);
      request.tool = "echo";
      request.arguments_json = kArgs;
      CallCallbacks callbacks;
      callbacks.on_complete = [&mu, &done, &failed](CallOutcome outcome) {
        std::string json = outcome.result.ok() ? outcome.result->ToJson() : std::string();
        benchmark::DoNotOptimize(json.data());
        absl::MutexLock lock(&mu);
        if (!outcome.result.ok()) ++failed;
        ++done;
      };
      s.executor->Submit(std::move(request), std::move(callbacks));
    }
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(+[](int* d) { return *d == kBatch; }, &done));
  }
  cpu.Report(state, state.iterations() * kBatch);
  if (failed > 0) state.SkipWithError("echo calls failed (is max_queued_calls below the batch size?)");
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["call_time"] = benchmark::Counter(static_cast<double>(state.iterations() * kBatch),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void ValidationArg(benchmark::internal::Benchmark* b) {
  b->ArgName("validated")->Arg(1)->Arg(0);
}

BENCHMARK(BM_Invoke)->Apply(ValidationArg);
BENCHMARK(BM_Executor)->Apply(ValidationArg)->UseRealTime();
BENCHMARK(BM_ExecutorBatch)->Apply(ValidationArg)->UseRealTime();
// 40 µs: inside the workers' spin window (at most 50 µs); 100 µs: about a link round trip across vCPUs on the
// test VM; 500 µs: well outside it, where idle workers should block at once.
BENCHMARK(BM_ExecutorGap)->ArgName("gap_us")->Arg(40)->Arg(100)->Arg(500)->UseManualTime();

}  // namespace

int main(int argc, char** argv) {
  // Plugin log lines would interleave with the table; only errors are of interest here.
  edge::runtime::Logger::Default().SetLevel(edge::runtime::LogLevel::kError);
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no_deadlock_detection") == 0) {
      absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
