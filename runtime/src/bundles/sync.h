// bundles/sync.h: the connector's bundle sync (docs/bundles.md section 7): one thread that checks the
// deployment's target and, when it differs from what serves, downloads, verifies, stages, loads and swaps it in.
//
// Triggers: the link starting to serve (after every connect), the `bundle.updated` push, a timer
// (bundlePollIntervalMs), and retries after failures (bundleRetryInitialMs doubling to bundleRetryMaxMs, full
// jitter). Triggers never block: they set a flag the thread picks up; one arriving during a sync runs one more.
// Failures never touch what serves. Network failures are retried with backoff; a bundle that fails
// verification or loading is remembered (by archive SHA-256) and not downloaded again until the target
// changes. Stop() aborts an in-flight download.
#ifndef EDGE_RUNTIME_BUNDLES_SYNC_H_
#define EDGE_RUNTIME_BUNDLES_SYNC_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bundles/download.h"
#include "bundles/generation.h"
#include "bundles/layout.h"
#include "bundles/swap.h"
#include "edge/bundle/archive.h"
#include "edge/bundle/signature.h"
#include "edge/runtime/auth.h"
#include "edge/runtime/log.h"
#include "edge/runtime/plugin_host.h"
#include "link/backoff.h"

namespace edge::runtime::bundles {

struct BundleSyncOptions {
  std::filesystem::path install_dir;  // absolute
  std::string platform_api_url;
  std::function<absl::StatusOr<LinkCredentials>()> credentials;  // re-resolved for every sync
  std::function<std::string()> org_id;  // the link's org ("" until the first hello): bundles of another org fail
  HttpSettings http;                    // `abort` is set by BundleSync
  uint64_t max_bytes = 52428800;        // bundleMaxBytes
  bundle::ExtractLimits limits;         // bundleMaxEntries, bundleMaxUncompressedBytes
  std::string trusted_keys_path;        // bundleTrustedKeysPath
  int64_t poll_interval_ms = 600000;    // bundlePollIntervalMs
  int64_t retry_initial_ms = 30000;     // bundleRetryInitialMs
  int64_t retry_max_ms = 600000;        // bundleRetryMaxMs
  int keep_generations = 2;             // bundleKeepGenerations
  std::string pause_at;                 // testBundlePauseAt: "" | "download" | "extract" | "swap"
  GenerationOptions generation;         // data root and built-in tools
  Logger* logger = nullptr;
};

struct BundleSyncStatus {
  // idle | checking | downloading | verifying | loading | swapping | backoff | paused | stopped
  std::string state = "idle";
  std::optional<absl::Time> last_check_at;  // the last target request, whatever its outcome
  std::optional<absl::Time> last_sync_at;   // the last sync that ended without an error
  std::optional<absl::Time> next_check_at;
  std::string last_error;  // "<step>: <reason>"; cleared by a good sync
  uint64_t swaps = 0;
  uint64_t failures = 0;
  std::optional<int64_t> last_swap_ms;  // "verified" to "published" of the last swap
};

class BundleSync {
 public:
  // `reregister` is Link::Reregister (or a test double); `host` and `serving` outlive this object.
  BundleSync(BundleSyncOptions options, PluginHost& host, ServingBundle& serving, std::function<void()> reregister);
  ~BundleSync();  // Stop()s
  BundleSync(const BundleSync&) = delete;
  BundleSync& operator=(const BundleSync&) = delete;

  // Loads the trust root (an unreadable bundleTrustedKeysPath is an error: the connector never falls back to
  // accepting unsigned bundles) and starts the thread. The first periodic check is one poll interval away.
  absl::Status Start();
  // Any thread, never blocks: a sync runs as soon as the thread is free.
  void Trigger(std::string_view reason);
  // Aborts an in-flight download (and a test-hook pause), joins the thread.
  void Stop();
  BundleSyncStatus Status() const;

  // One sync on the calling thread (the thread runs the same). Tests call it directly, without Start (a trust
  // root, if configured, is loaded on first use).
  absl::Status SyncOnce();

 private:
  struct Outcome {
    absl::Status status;
    bool retry = false;  // network-class failure: back off and try again
  };
  Outcome RunSync();
  Outcome Fail(std::string_view step, const absl::Status& status, bool retry);
  Outcome Reject(std::string_view step, const absl::Status& status, const BundleTarget& target);
  // Test hook: blocks while pause_at == step, until Stop.
  void MaybePause(std::string_view step);
  void SetState(std::string_view state);
  void Loop();
  absl::Status EnsureTrustRoot();

  BundleSyncOptions options_;
  PluginHost& host_;
  ServingBundle& serving_;
  std::function<void()> reregister_;
  Logger& logger_;
  Layout layout_;
  std::atomic<bool> abort_{false};
  std::optional<bundle::TrustRoot> trust_root_;  // sync thread only
  bool trust_root_loaded_ = false;
  std::string rejected_archive_;    // sync thread only: archive SHA-256 of a target that failed verification
  std::string last_no_target_log_;  // avoids repeating "no bundle assigned" at every poll
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool triggered_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ = false;
  link::Backoff backoff_;
  BundleSyncStatus status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_SYNC_H_
