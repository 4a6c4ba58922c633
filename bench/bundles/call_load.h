// bench/bundles/call_load.h: the steady call load the swap benchmark runs while it swaps bundles.
//
// `CallLoad` drives an Executor from client threads, as a link would: each client submits an echo call, waits
// for its completion, checks the answer, and records when the call was due and how long it took. A separate
// probe thread calls sqlite.query for the path of the database its plugin was configured with; every
// generation of the benchmark points sqlite_query at its own database file (gen-<n>.db), so each probe answer
// names the generation that served the call. `HeldCall` is one long slow.count call, submitted before a swap,
// that must finish on the generation it started on.
#ifndef EDGE_BENCH_BUNDLES_CALL_LOAD_H_
#define EDGE_BENCH_BUNDLES_CALL_LOAD_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "edge/runtime/executor.h"

namespace edge::bench {

// steady_clock time in nanoseconds; every timestamp of the benchmark uses it.
int64_t NowNs();

struct LoadOptions {
  int clients = 8;
  double rate = 8000;       // echo calls per second over all clients; 0: each client back-to-back
  double probe_rate = 500;  // generation probe calls per second; 0: no probe
};

struct CallSample {
  int64_t start_ns = 0;    // when the call was due (rate mode) or submitted (back-to-back)
  int64_t latency_ns = 0;  // start to the client seeing the completion
};

struct ProbeSample {
  int64_t submit_ns = 0;
  int64_t done_ns = 0;
  int generation = -1;  // from the answer; -1 when the call failed
};

struct CallFailure {
  int64_t at_ns = 0;
  std::string what;
};

class CallLoad {
 public:
  CallLoad(runtime::Executor& executor, LoadOptions options);
  ~CallLoad();  // Stop()s
  CallLoad(const CallLoad&) = delete;
  CallLoad& operator=(const CallLoad&) = delete;

  void Start();
  void Stop();

  // After Stop: every successful echo call, every probe call, and the failures (echo and probe).
  std::vector<CallSample> Samples() const;
  const std::vector<ProbeSample>& probes() const { return probes_; }
  uint64_t calls() const;  // echo and probe calls completed, failed or not
  uint64_t failed() const;
  std::vector<CallFailure> failures() const;  // the first few, for the report

 private:
  void RunClient(int index);
  void RunProbe();
  void Fail(int64_t at_ns, std::string what);

  runtime::Executor& executor_;
  const LoadOptions options_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::vector<std::vector<CallSample>> samples_;  // one vector per client, written only by that client
  std::vector<ProbeSample> probes_;               // written only by the probe thread
  std::atomic<uint64_t> calls_{0};
  std::atomic<uint64_t> failed_{0};
  mutable absl::Mutex mu_;
  std::vector<CallFailure> failures_ ABSL_GUARDED_BY(mu_);
};

// One slow.count call that runs for about `duration_ms`, started on the generation serving now.
class HeldCall {
 public:
  HeldCall(runtime::Executor& executor, int duration_ms);
  ~HeldCall();  // waits for the call: its callbacks use this object
  HeldCall(const HeldCall&) = delete;
  HeldCall& operator=(const HeldCall&) = delete;
  // Blocks until the plugin reported its first step (the call runs inside the plugin) or the call completed;
  // false when neither happened within 10 s.
  bool WaitStarted();
  bool done() const;
  // Blocks until the call completed; empty when it succeeded, else what went wrong.
  std::string Wait();
  int64_t done_ns() const;

 private:
  mutable absl::Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  int64_t done_ns_ ABSL_GUARDED_BY(mu_) = 0;
  std::string error_ ABSL_GUARDED_BY(mu_);
};

// The generation number in a probe answer ("…/gen-<n>.db"); -1 when there is none.
int ProbeGeneration(const std::string& structured_json);

}  // namespace edge::bench

#endif  // EDGE_BENCH_BUNDLES_CALL_LOAD_H_
