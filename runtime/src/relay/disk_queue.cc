// DiskQueue: durable one-file-per-delivery queue with crash recovery and dead-lettering.
#include "relay/disk_queue.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "relay/relay_options.h"

namespace edge::runtime::relay {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kTempPrefix = ".tmp-";
constexpr std::string_view kSuffix = ".json";

absl::Status Errno(std::string_view what, const fs::path& path, int err) {
  return absl::InternalError(absl::StrCat("cannot ", ToAbsl(what), " ", path.string(), ": ", std::strerror(err)));
}

absl::Status MakeDir(const fs::path& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("create the directory", dir, errno);
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(dir.string(), " is not a directory; move it away"));
  }
  return absl::OkStatus();
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void FsyncDir(const fs::path& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

std::string FileName(uint64_t seq, std::string_view delivery_id) {
  return absl::StrFormat("%020d-%s%s", seq, ToAbsl(delivery_id), ToAbsl(kSuffix));
}

// "<seq>-<deliveryId>.json" -> seq and id.
bool ParseFileName(std::string_view name, uint64_t* seq, std::string* delivery_id) {
  if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix) return false;
  name.remove_suffix(kSuffix.size());
  const size_t dash = name.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 >= name.size()) return false;
  if (!absl::SimpleAtoi(ToAbsl(name.substr(0, dash)), seq) || *seq == 0) return false;
  *delivery_id = std::string(name.substr(dash + 1));
  return true;
}

}  // namespace

DiskQueue::DiskQueue(fs::path queue_dir, fs::path dead_letter_dir, QueueLimits limits, Logger& logger)
    : queue_dir_(std::move(queue_dir)),
      dead_letter_dir_(std::move(dead_letter_dir)),
      limits_(limits),
      logger_(logger) {}

DiskQueue::~DiskQueue() {
  if (queue_dir_fd_ >= 0) close(queue_dir_fd_);
}

absl::StatusOr<std::unique_ptr<DiskQueue>> DiskQueue::Open(const fs::path& relay_dir, QueueLimits limits,
                                                           Logger* logger) {
  if (auto s = MakeDir(relay_dir); !s.ok()) return s;
  std::unique_ptr<DiskQueue> q(new DiskQueue(relay_dir / "queue", relay_dir / "dead-letter", limits,
                                             logger != nullptr ? *logger : Logger::Default()));
  if (auto s = MakeDir(q->queue_dir_); !s.ok()) return s;
  if (auto s = MakeDir(q->dead_letter_dir_); !s.ok()) return s;
  q->queue_dir_fd_ = open(q->queue_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (q->queue_dir_fd_ < 0) return Errno("open", q->queue_dir_, errno);
  if (auto s = q->Recover(); !s.ok()) return s;
  return q;
}

absl::Status DiskQueue::Recover() {
  std::error_code ec;
  std::vector<fs::path> unparsable;
  absl::MutexLock lock(&mu_);
  for (const fs::directory_entry& e : fs::directory_iterator(queue_dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kTempPrefix, 0) == 0) {
      // A crash before the rename: that delivery never got its 202, so the provider will retry it.
      fs::remove(e.path(), ec);
      continue;
    }
    QueuedDelivery d;
    if (!e.is_regular_file(ec) || !ParseFileName(name, &d.seq, &d.delivery_id)) {
      unparsable.push_back(e.path());
      continue;
    }
    d.bytes = static_cast<uint64_t>(e.file_size(ec));
    bytes_ += static_cast<int64_t>(d.bytes);
    next_seq_ = std::max(next_seq_, d.seq + 1);
    index_.emplace(d.seq, std::move(d));
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list ", queue_dir_.string(), ": ", ec.message()));
  for (const fs::path& p : unparsable) {
    logger_.Warn(kComponent, "moving ", p.string(), " to ", dead_letter_dir_.string(),
                 ": it is not a queued delivery (<seq>-<deliveryId>.json)");
    fs::rename(p, dead_letter_dir_ / p.filename(), ec);
  }
  for (const fs::directory_entry& e : fs::directory_iterator(dead_letter_dir_, ec)) {
    (void)e;
    ++dead_lettered_;
  }
  if (!index_.empty()) {
    logger_.Info(kComponent, "disk queue: ", index_.size(), " deliveries (", bytes_, " bytes) waiting from before "
                 "the restart; they are sent once the platform link serves");
  }
  return absl::OkStatus();
}

fs::path DiskQueue::PathOf(const QueuedDelivery& d) const { return queue_dir_ / FileName(d.seq, d.delivery_id); }

absl::StatusOr<QueuedDelivery> DiskQueue::Enqueue(std::string_view delivery_id, std::string_view params_json) {
  QueuedDelivery d;
  d.delivery_id = std::string(delivery_id);
  d.bytes = params_json.size();
  {
    absl::MutexLock lock(&mu_);
    const int64_t count = static_cast<int64_t>(index_.size()) + reserved_count_;
    const int64_t bytes = bytes_ + reserved_bytes_;
    if (count + 1 > limits_.max_deliveries) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the relay queue is full: ", count, " deliveries are waiting (webhookQueueMaxDeliveries is ",
          limits_.max_deliveries, ") because the link to the platform is down or slow; retry later"));
    }
    if (bytes + static_cast<int64_t>(d.bytes) > limits_.max_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the relay queue is full: ", count, " deliveries hold ", bytes, " bytes and this one needs ", d.bytes,
          " more (webhookQueueMaxBytes is ", limits_.max_bytes,
          ") because the link to the platform is down or slow; retry later"));
    }
    d.seq = next_seq_++;
    ++reserved_count_;
    reserved_bytes_ += static_cast<int64_t>(d.bytes);
  }
  const fs::path final_path = PathOf(d);
  const fs::path temp_path = queue_dir_ / absl::StrCat(ToAbsl(kTempPrefix), d.seq, "-", d.delivery_id);
  absl::Status written = [&]() -> absl::Status {
    const int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("create", temp_path, errno);
    if (!WriteAll(fd, params_json) || fsync(fd) != 0) {
      const int err = errno;
      close(fd);
      unlink(temp_path.c_str());
      return Errno("write", temp_path, err);
    }
    if (close(fd) != 0) {
      const int err = errno;
      unlink(temp_path.c_str());
      return Errno("close", temp_path, err);
    }
    if (rename(temp_path.c_str(), final_path.c_str()) != 0) {
      const int err = errno;
      unlink(temp_path.c_str());
      return Errno("rename into place", final_path, err);
    }
    // The rename is durable only once the directory entry is.
    if (fsync(queue_dir_fd_) != 0) return Errno("fsync", queue_dir_, errno);
    return absl::OkStatus();
  }();
  absl::MutexLock lock(&mu_);
  --reserved_count_;
  reserved_bytes_ -= static_cast<int64_t>(d.bytes);
  if (!written.ok()) {
    // The rename may have happened before a failed directory fsync: do not leave a file the index does not know.
    unlink(final_path.c_str());
    return written;
  }
  bytes_ += static_cast<int64_t>(d.bytes);
  index_.emplace(d.seq, d);
  return d;
}

std::vector<QueuedDelivery> DiskQueue::Oldest(size_t max, const absl::flat_hash_set<uint64_t>& skip) const {
  std::vector<QueuedDelivery> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [seq, d] : index_) {
    if (out.size() >= max) break;
    if (!skip.contains(seq)) out.push_back(d);
  }
  return out;
}

absl::StatusOr<std::string> DiskQueue::Read(const QueuedDelivery& d) const {
  const fs::path path = PathOf(d);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path, errno);
  std::string out;
  out.resize(d.bytes);
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  if (done != out.size()) {
    return absl::DataLossError(absl::StrCat(path.string(), " is shorter than when it was queued (", done, " of ",
                                            d.bytes, " bytes)"));
  }
  return out;
}

absl::Status DiskQueue::Remove(uint64_t seq) {
  QueuedDelivery d;
  {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(seq);
    if (it == index_.end()) return absl::OkStatus();
    d = it->second;
    bytes_ -= static_cast<int64_t>(d.bytes);
    index_.erase(it);
  }
  // No directory fsync: if the unlink is lost in a crash, the delivery is sent again and the platform answers
  // "duplicate".
  if (unlink(PathOf(d).c_str()) != 0 && errno != ENOENT) return Errno("delete", PathOf(d), errno);
  return absl::OkStatus();
}

absl::Status DiskQueue::DeadLetter(uint64_t seq) {
  QueuedDelivery d;
  {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(seq);
    if (it == index_.end()) return absl::OkStatus();
    d = it->second;
    bytes_ -= static_cast<int64_t>(d.bytes);
    index_.erase(it);
    ++dead_lettered_;
  }
  const fs::path target = dead_letter_dir_ / FileName(d.seq, d.delivery_id);
  if (rename(PathOf(d).c_str(), target.c_str()) != 0) return Errno("move to dead-letter/", PathOf(d), errno);
  FsyncDir(dead_letter_dir_);
  FsyncDir(queue_dir_);
  return absl::OkStatus();
}

QueueStats DiskQueue::Stats() const {
  absl::MutexLock lock(&mu_);
  return QueueStats{static_cast<int64_t>(index_.size()), bytes_, dead_lettered_};
}

}  // namespace edge::runtime::relay
