// relay/disk_queue.h: the relay's durable queue of deliveries (docs/webhook-relay.md §2 "The disk queue").
//
// One delivery per file, <relay>/queue/<seq>-<deliveryId>.json, holding the exact webhook.relay params. A file is
// written as a temp file, fsync'd, renamed and the directory fsync'd before Enqueue returns, so the 202 the
// provider gets means the delivery survives a crash. `seq` (20 digits, so names sort numerically) is the
// receipt order. Open() removes temp files left by a crash and indexes what is queued; dead-lettered files go
// to <relay>/dead-letter/. The queue is bounded by a count and a byte total (the file sizes). Thread-safe.
#ifndef EDGE_RUNTIME_RELAY_DISK_QUEUE_H_
#define EDGE_RUNTIME_RELAY_DISK_QUEUE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "edge/runtime/log.h"

namespace edge::runtime::relay {

struct QueuedDelivery {
  uint64_t seq = 0;
  std::string delivery_id;
  uint64_t bytes = 0;
};

struct QueueLimits {
  int64_t max_deliveries = 10000;
  int64_t max_bytes = 268435456;
};

struct QueueStats {
  int64_t deliveries = 0;
  int64_t bytes = 0;
  int64_t dead_lettered = 0;  // files in dead-letter/
};

class DiskQueue {
 public:
  // Creates <relay_dir>/queue and <relay_dir>/dead-letter (0700) when missing, removes temp files and indexes the
  // queued deliveries. A queue file whose name does not parse is moved to dead-letter/ (logged).
  static absl::StatusOr<std::unique_ptr<DiskQueue>> Open(const std::filesystem::path& relay_dir, QueueLimits limits,
                                                         Logger* logger);
  ~DiskQueue();
  DiskQueue(const DiskQueue&) = delete;
  DiskQueue& operator=(const DiskQueue&) = delete;

  // Stores one delivery durably. ResourceExhausted when it would exceed a limit (nothing is written; the message
  // names the limit and how many are queued), another error when the disk refuses.
  absl::StatusOr<QueuedDelivery> Enqueue(std::string_view delivery_id, std::string_view params_json);
  // Up to `max` of the oldest deliveries, in receipt order, leaving out the seqs in `skip`.
  std::vector<QueuedDelivery> Oldest(size_t max, const absl::flat_hash_set<uint64_t>& skip) const;
  // The params JSON of a queued delivery.
  absl::StatusOr<std::string> Read(const QueuedDelivery& delivery) const;
  // Deletes a delivery (the platform has it). Unknown seqs are ignored.
  absl::Status Remove(uint64_t seq);
  // Moves a delivery to dead-letter/ (the platform refused it for good).
  absl::Status DeadLetter(uint64_t seq);

  QueueStats Stats() const;
  const std::filesystem::path& queue_dir() const { return queue_dir_; }
  const std::filesystem::path& dead_letter_dir() const { return dead_letter_dir_; }

 private:
  DiskQueue(std::filesystem::path queue_dir, std::filesystem::path dead_letter_dir, QueueLimits limits,
            Logger& logger);
  std::filesystem::path PathOf(const QueuedDelivery& d) const;
  absl::Status Recover();

  const std::filesystem::path queue_dir_;
  const std::filesystem::path dead_letter_dir_;
  const QueueLimits limits_;
  Logger& logger_;
  int queue_dir_fd_ = -1;

  mutable absl::Mutex mu_;
  std::map<uint64_t, QueuedDelivery> index_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dead_lettered_ ABSL_GUARDED_BY(mu_) = 0;
  // Bytes and slots promised to writes in progress, so concurrent enqueues cannot overshoot the limits together.
  int64_t reserved_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reserved_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace edge::runtime::relay

#endif  // EDGE_RUNTIME_RELAY_DISK_QUEUE_H_
