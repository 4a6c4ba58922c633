// bench/bundles/fake_platform.h: the two platform endpoints a connector's bundle sync calls, on loopback, so
// the benchmark can time whole syncs (BundleSync: target check, download, verify, extract, load, swap) without
// an edge-platform process.
//
//   GET /api/v1/deployments/<deployment>/bundle              the target: the generation Assign()ed last
//   GET /api/v1/bundles/<bundle>/versions/<n>/download       that generation's archive
//
// HTTP/1.1, one request per connection (Connection: close), served one at a time on one thread: the sync
// makes its requests one after the other. Nothing is checked but the path.
#ifndef EDGE_BENCH_BUNDLES_FAKE_PLATFORM_H_
#define EDGE_BENCH_BUNDLES_FAKE_PLATFORM_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bundle_set.h"

namespace edge::bench {

inline constexpr char kBenchDeployment[] = "dep_bench";
inline constexpr char kBenchBundleId[] = "b_bench";

class FakePlatform {
 public:
  static absl::StatusOr<std::unique_ptr<FakePlatform>> Start();
  ~FakePlatform();
  FakePlatform(const FakePlatform&) = delete;
  FakePlatform& operator=(const FakePlatform&) = delete;

  // The deployment's target becomes `bundle`, as version bundle.index + 1.
  void Assign(const GenerationBundle& bundle);
  std::string url() const;  // http://127.0.0.1:<port>

 private:
  explicit FakePlatform(int fd, int port);
  void Serve();
  void Answer(int client);

  const int fd_;
  const int port_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  std::optional<GenerationBundle> assigned_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace edge::bench

#endif  // EDGE_BENCH_BUNDLES_FAKE_PLATFORM_H_
