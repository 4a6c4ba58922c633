// BundleSync: triggers, scheduling, and the sync pipeline (check, download, verify, stage, load, swap, prune).
#include "bundles/sync.h"

#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bundles/fs_util.h"
#include "bundles/stage.h"
#include "bundles/verify.h"
#include "common/thread_name.h"
#include "edge/plugin.h"

namespace edge::runtime::bundles {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kComponent = "bundles";
constexpr absl::Duration kDrainPollInterval = absl::Milliseconds(200);

std::string HumanSize(int64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " bytes");
  if (bytes < 1024 * 1024) return absl::StrCat((bytes + 1023) / 1024, " KB");
  return absl::StrFormat("%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

std::string Describe(const BundleIdentity& id) { return absl::StrCat(id.bundle_id, " v", id.version); }

}  // namespace

BundleSync::BundleSync(BundleSyncOptions options, PluginHost& host, ServingBundle& serving,
                       std::function<void()> reregister)
    : options_(std::move(options)),
      host_(host),
      serving_(serving),
      reregister_(std::move(reregister)),
      logger_(options_.logger != nullptr ? *options_.logger : Logger::Default()),
      layout_(options_.install_dir),
      backoff_(link::BackoffOptions{options_.retry_initial_ms, options_.retry_max_ms, options_.retry_initial_ms,
                                    options_.retry_max_ms}) {
  options_.http.abort = &abort_;
}

BundleSync::~BundleSync() { Stop(); }

absl::Status BundleSync::EnsureTrustRoot() {
  if (trust_root_loaded_ || options_.trusted_keys_path.empty()) return absl::OkStatus();
  absl::StatusOr<bundle::TrustRoot> root = bundle::TrustRoot::FromPemFile(options_.trusted_keys_path);
  if (!root.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("bundleTrustedKeysPath ", options_.trusted_keys_path, ": ",
                                                      root.status().message(),
                                                      ": fix the file (PEM Ed25519 public keys) or unset the setting"));
  }
  trust_root_ = *std::move(root);
  trust_root_loaded_ = true;
  return absl::OkStatus();
}

absl::Status BundleSync::Start() {
  if (started_) return absl::FailedPreconditionError("bundle sync already started");
  if (absl::Status s = EnsureTrustRoot(); !s.ok()) return s;
  if (trust_root_) {
    logger_.Info(kComponent, "bundle signatures required: trusted keys ", absl::StrJoin(trust_root_->key_ids(), ", "),
                 " (", options_.trusted_keys_path, ")");
  }
  {
    absl::MutexLock lock(&mu_);
    status_.next_check_at = absl::Now() + absl::Milliseconds(options_.poll_interval_ms);
  }
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
  NameThread(thread_, "ec-bundle-sync");
  return absl::OkStatus();
}

void BundleSync::Trigger(std::string_view reason) {
  absl::MutexLock lock(&mu_);
  if (!triggered_) logger_.Debug(kComponent, "bundle sync requested: ", reason);
  triggered_ = true;
}

void BundleSync::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  abort_.store(true);
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  status_.state = "stopped";
  status_.next_check_at.reset();
}

BundleSyncStatus BundleSync::Status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

void BundleSync::SetState(std::string_view state) {
  absl::MutexLock lock(&mu_);
  status_.state = std::string(state);
}

void BundleSync::MaybePause(std::string_view step) {
  if (options_.pause_at != step) return;
  logger_.Warn(kComponent, "test hook: bundle sync paused at ", step);
  SetState("paused");
  while (!abort_.load()) absl::SleepFor(absl::Milliseconds(50));
}

void BundleSync::Loop() {
  mu_.Lock();
  while (!stopping_) {
    const absl::Time now = absl::Now();
    const bool due = triggered_ || (status_.next_check_at && now >= *status_.next_check_at);
    if (!due) {
      mu_.Unlock();
      const bool draining = serving_.CollectUnloaded() > 0;
      mu_.Lock();
      absl::Time wake = status_.next_check_at.value_or(absl::InfiniteFuture());
      if (draining) wake = std::min(wake, now + kDrainPollInterval);
      auto wakeup = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || triggered_; };
      mu_.AwaitWithDeadline(absl::Condition(&wakeup), wake);
      continue;
    }
    triggered_ = false;
    mu_.Unlock();
    Outcome outcome = RunSync();
    serving_.CollectUnloaded();
    mu_.Lock();
    if (stopping_) break;
    int64_t wait_ms = options_.poll_interval_ms;
    if (outcome.retry) {
      wait_ms = backoff_.NextNormalMs();
      status_.state = "backoff";
      logger_.Info(kComponent, "bundle sync: retrying in ", absl::FormatDuration(absl::Milliseconds(wait_ms)));
    } else {
      backoff_.Reset();
      status_.state = "idle";
    }
    status_.next_check_at = absl::Now() + absl::Milliseconds(wait_ms);
  }
  mu_.Unlock();
}

absl::Status BundleSync::SyncOnce() {
  Outcome outcome = RunSync();
  SetState(outcome.status.ok() ? "idle" : outcome.retry ? "backoff" : "idle");
  return outcome.status;
}

BundleSync::Outcome BundleSync::Fail(std::string_view step, const absl::Status& status, bool retry) {
  const std::string error = absl::StrCat(ToAbsl(step), ": ", status.message());
  if (absl::IsCancelled(status) && abort_.load()) {
    // Shutdown, not a failure: what serves is untouched and the next start syncs again.
    logger_.Info(kComponent, "bundle sync stopped during ", ToAbsl(step), " (shutting down)");
    return Outcome{absl::Status(status.code(), error), false};
  }
  logger_.Error(kComponent, "Bundle sync error: ", error);
  absl::MutexLock lock(&mu_);
  status_.last_error = error;
  ++status_.failures;
  return Outcome{absl::Status(status.code(), error), retry};
}

BundleSync::Outcome BundleSync::Reject(std::string_view step, const absl::Status& status, const BundleTarget& target) {
  rejected_archive_ = target.archive_sha256;
  Outcome outcome = Fail(step, status, /*retry=*/false);
  logger_.Warn(kComponent, "bundle ", target.bundle_id, " v", target.version,
               " was rejected; it is not downloaded again until the deployment's target changes");
  return outcome;
}

BundleSync::Outcome BundleSync::RunSync() {
  SetState("checking");
  if (absl::Status s = EnsureTrustRoot(); !s.ok()) return Fail("verify", s, false);
  absl::StatusOr<LinkCredentials> credentials =
      options_.credentials ? options_.credentials() : absl::FailedPreconditionError("no credentials configured");
  {
    absl::MutexLock lock(&mu_);
    status_.last_check_at = absl::Now();
  }
  if (!credentials.ok()) return Fail("auth", credentials.status(), true);
  if (options_.http.tls_skip_verify) {
    logger_.Warn(kComponent, "tlsSkipVerify is set: the platform's certificate is not verified for bundle sync");
  }
  absl::StatusOr<std::optional<BundleTarget>> fetched =
      FetchBundleTarget(options_.platform_api_url, *credentials, options_.http);
  if (!fetched.ok()) return Fail("check", fetched.status(), true);
  auto succeeded = [this]() {
    absl::MutexLock lock(&mu_);
    status_.last_sync_at = absl::Now();
    status_.last_error.clear();
    return Outcome{absl::OkStatus(), false};
  };
  if (!fetched->has_value()) {
    std::string line = absl::StrCat("bundle sync: no bundle assigned to deployment ", credentials->deployment_id,
                                    " (nor an org default): serving what is installed");
    if (line != last_no_target_log_) logger_.Info(kComponent, line);
    last_no_target_log_ = line;
    rejected_archive_.clear();
    return succeeded();
  }
  last_no_target_log_.clear();
  const BundleTarget& target = **fetched;
  const BundleIdentity identity{target.bundle_id, target.version, target.checksum};
  const ServingView serving = serving_.View();
  if (serving.source == "bundle" && serving.identity && serving.identity->checksum == target.checksum) {
    if (!(*serving.identity == identity)) {
      // Same content, another bundle id or version: only what is reported changes.
      if (absl::Status s = WriteBundleIdentity(layout_.generation_dir(serving.generation), identity); !s.ok()) {
        return Fail("swap", s, true);
      }
      serving_.UpdateIdentity(identity);
      logger_.Info(kComponent, "bundle sync: ", Describe(identity), " has the content already serving (",
                   target.checksum, "); now reported as ", Describe(identity));
      if (reregister_) reregister_();
    } else {
      logger_.Debug(kComponent, "bundle sync: ", Describe(identity), " is up to date");
    }
    rejected_archive_.clear();
    return succeeded();
  }
  if (!rejected_archive_.empty() && rejected_archive_ == target.archive_sha256) {
    logger_.Debug(kComponent, "bundle sync: ", Describe(identity), " was rejected before; waiting for a new target");
    return Outcome{absl::OkStatus(), false};
  }
  rejected_archive_.clear();

  absl::StatusOr<std::string> hex = ChecksumHex(target.checksum);
  if (!hex.ok()) return Fail("check", hex.status(), true);
  ManifestPolicy policy = HostManifestPolicy();
  policy.expected_org = options_.org_id ? options_.org_id() : "";
  policy.trust_root = trust_root_ ? &*trust_root_ : nullptr;

  std::optional<VerifiedManifest> verified;
  std::error_code ec;
  if (fs::is_directory(layout_.generation_dir(*hex), ec)) {
    absl::StatusOr<VerifiedManifest> reused = ReverifyGeneration(layout_, *hex, policy, identity);
    if (reused.ok()) {
      logger_.Info(kComponent, "bundle sync: target ", Describe(identity), " ", target.checksum,
                   "; generation already on disk, re-verified");
      verified = *std::move(reused);
    } else {
      logger_.Warn(kComponent, "bundle sync: generation ", *hex, " on disk failed re-verification (",
                   reused.status().message(), "); downloading it again");
      if (absl::Status s = layout_.Discard(layout_.generation_dir(*hex)); !s.ok()) return Fail("extract", s, true);
    }
  }
  if (!verified) {
    logger_.Info(kComponent, "bundle sync: target ", Describe(identity), " ", target.checksum, "; downloading ",
                 HumanSize(target.size));
    SetState("downloading");
    DownloadRequest download;
    download.url = JoinUrl(options_.platform_api_url, target.download_path);
    download.authorization = credentials->authorization;
    download.expected_sha256 = target.archive_sha256;
    download.max_bytes = options_.max_bytes;
    download.downloads_dir = layout_.downloads_dir();
    if (options_.pause_at == "download") download.after_first_chunk = [this] { MaybePause("download"); };
    absl::StatusOr<fs::path> archive = DownloadArchive(download, options_.http);
    if (!archive.ok()) return Fail("download", archive.status(), !absl::IsCancelled(archive.status()));
    SetState("verifying");
    auto remove_archive = [&archive] {
      std::error_code rm;
      fs::remove(*archive, rm);
    };
    absl::StatusOr<VerifiedManifest> checked = VerifyArchiveManifest(*archive, options_.limits, policy);
    if (!checked.ok()) {
      remove_archive();
      return Reject("verify", checked.status(), target);
    }
    if (checked->manifest.checksum != target.checksum) {
      remove_archive();
      return Reject(
          "verify",
          absl::InvalidArgumentError(absl::StrCat("the platform announced checksum ", target.checksum,
                                                  " but the archive's manifest says ", checked->manifest.checksum)),
          target);
    }
    StageRequest stage;
    stage.archive = *archive;
    stage.archive_sha256 = target.archive_sha256;
    stage.verified = &*checked;
    stage.identity = identity;
    stage.limits = options_.limits;
    if (options_.pause_at == "extract") stage.before_rename = [this] { MaybePause("extract"); };
    absl::StatusOr<std::string> staged = StageArchive(layout_, stage);
    remove_archive();
    if (abort_.load()) return Fail("extract", absl::CancelledError("stopped: the connector is shutting down"), false);
    if (!staged.ok()) {
      // I/O trouble (a full disk) is worth retrying; anything about the archive's content is not.
      if (absl::IsInternal(staged.status())) return Fail("extract", staged.status(), true);
      return Reject("extract", staged.status(), target);
    }
    verified = *std::move(checked);
  }
  const absl::Time verified_at = absl::Now();
  logger_.Info(kComponent, "bundle sync: ", Describe(identity), " verified (generation ", *hex, ", ",
               verified->manifest.tools.size(), " tools", verified->signature_checked ? ", signature trusted" : "",
               ")");

  SetState("loading");
  absl::StatusOr<LoadedGeneration> generation =
      LoadGeneration(host_, layout_.generation_dir(*hex), options_.generation);
  if (!generation.ok()) return Reject("load", generation.status(), target);
  logger_.Info(kComponent, "bundle sync: generation ", *hex, " loaded (", generation->plugins.size(), " plugins, ",
               generation->plugin_tools, " tools)");
  MaybePause("swap");
  if (abort_.load()) return Fail("swap", absl::CancelledError("stopped: the connector is shutting down"), false);

  SetState("swapping");
  if (absl::Status s = layout_.Activate(*hex); !s.ok()) {
    for (const auto& plugin : generation->plugins) plugin->SetShutdownReason(EDGE_SHUTDOWN_REASON_ERROR);
    return Fail("swap", s, true);
  }
  ServedGeneration next;
  next.generation = *hex;
  next.source = "bundle";
  next.identity = identity;
  next.plugins = std::move(generation->plugins);
  next.registry = std::move(generation->registry);
  serving_.Swap(std::move(next), reregister_);
  const int64_t swap_ms = absl::ToInt64Milliseconds(absl::Now() - verified_at);
  logger_.Info(kComponent, "bundle sync: swapped to ", Describe(identity), " in ", swap_ms, " ms");
  {
    absl::MutexLock lock(&mu_);
    ++status_.swaps;
    status_.last_swap_ms = swap_ms;
  }
  absl::StatusOr<std::vector<std::string>> pruned = layout_.Prune(options_.keep_generations, {*hex});
  if (!pruned.ok()) {
    logger_.Warn(kComponent, "bundle sync: cannot prune old generations: ", pruned.status().message());
  } else if (!pruned->empty()) {
    logger_.Info(kComponent, "bundle sync: removed old generations ", absl::StrJoin(*pruned, ", "));
  }
  return succeeded();
}

}  // namespace edge::runtime::bundles
