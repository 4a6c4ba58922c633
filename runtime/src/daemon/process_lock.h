// daemon/process_lock.h: one connector per installation directory.
//
// An flock on <install>/edge-runtime.lock, held for the daemon's life. The kernel drops it when the process
// dies, however it dies, so a lock file left by a crash never blocks the next start; the pid written into the
// file only serves the "already running (pid N)" message.
#ifndef EDGE_RUNTIME_DAEMON_PROCESS_LOCK_H_
#define EDGE_RUNTIME_DAEMON_PROCESS_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace edge::runtime {

class ProcessLock {
 public:
  // Takes the lock without waiting. Held by another process: FailedPrecondition "Edge runtime already running
  // (pid N)" naming the lock file.
  static absl::StatusOr<std::unique_ptr<ProcessLock>> Acquire(const std::string& path);
  ~ProcessLock();  // releases
  ProcessLock(const ProcessLock&) = delete;
  ProcessLock& operator=(const ProcessLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  ProcessLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_DAEMON_PROCESS_LOCK_H_
