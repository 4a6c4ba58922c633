// ProcessLock: held by another process (a forked child), released on exit or crash, stale files ignored.
#include "daemon/process_lock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace edge::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ProcessLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "edge-lock-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/edge-runtime.lock";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Contents() {
    std::stringstream s;
    s << std::ifstream(path_).rdbuf();
    return s.str();
  }

  // A child that takes the lock, says so on a pipe, and holds it until `release_fd` closes (or it is killed).
  pid_t SpawnHolder(int* release_fd) {
    int ready[2], release[2];
    EXPECT_EQ(pipe(ready), 0);
    EXPECT_EQ(pipe(release), 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(ready[0]);
      close(release[1]);
      auto lock = ProcessLock::Acquire(path_);
      char status = lock.ok() ? 'y' : 'n';
      if (write(ready[1], &status, 1) != 1) _exit(2);
      char buf;
      while (read(release[0], &buf, 1) > 0) {
      }
      _exit(lock.ok() ? 0 : 1);
    }
    close(ready[1]);
    close(release[0]);
    char status = 0;
    EXPECT_EQ(read(ready[0], &status, 1), 1);
    EXPECT_EQ(status, 'y');
    close(ready[0]);
    *release_fd = release[1];
    return pid;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(ProcessLockTest, WritesOwnPidWithMode0644) {
  const mode_t old_umask = umask(0);
  auto lock = ProcessLock::Acquire(path_);
  umask(old_umask);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ(Contents(), absl::StrCat(getpid(), "\n"));
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ((*lock)->path(), path_);
}

TEST_F(ProcessLockTest, HeldByAnotherProcess) {
  int release = -1;
  pid_t child = SpawnHolder(&release);
  auto second = ProcessLock::Acquire(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr(absl::StrCat("Edge runtime already running (pid ", child, ")")));
  EXPECT_THAT(second.status().message(), HasSubstr(path_));

  close(release);  // the child exits normally and the kernel drops its lock
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto third = ProcessLock::Acquire(path_);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(Contents(), absl::StrCat(getpid(), "\n"));
}

TEST_F(ProcessLockTest, CrashedHolderNeverBlocks) {
  int release = -1;
  pid_t child = SpawnHolder(&release);
  kill(child, SIGKILL);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  close(release);
  EXPECT_EQ(Contents(), absl::StrCat(child, "\n"));  // the dead holder's pid is still in the file
  auto lock = ProcessLock::Acquire(path_);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ(Contents(), absl::StrCat(getpid(), "\n"));
}

TEST_F(ProcessLockTest, StaleFileWithDeadPid) {
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  std::ofstream(path_) << dead << "\n-- some longer leftover text --\n";
  auto lock = ProcessLock::Acquire(path_);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ(Contents(), absl::StrCat(getpid(), "\n"));
}

TEST_F(ProcessLockTest, ReleasedOnDestruction) {
  {
    auto lock = ProcessLock::Acquire(path_);
    ASSERT_TRUE(lock.ok());
    // A second descriptor in the same process conflicts too (flock is per open file description).
    auto again = ProcessLock::Acquire(path_);
    ASSERT_FALSE(again.ok());
    EXPECT_THAT(again.status().message(), HasSubstr(absl::StrCat("(pid ", getpid(), ")")));
  }
  EXPECT_TRUE(ProcessLock::Acquire(path_).ok());
}

TEST_F(ProcessLockTest, UnknownPidWhenTheFileIsGarbage) {
  int release = -1;
  pid_t child = SpawnHolder(&release);
  std::ofstream(path_, std::ios::trunc) << "garbage";
  auto second = ProcessLock::Acquire(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("Edge runtime already running (pid unknown)"));
  close(release);
  waitpid(child, nullptr, 0);
}

TEST_F(ProcessLockTest, MissingDirectoryIsNamed) {
  auto lock = ProcessLock::Acquire(dir_ + "/no/such/dir/edge-runtime.lock");
  ASSERT_FALSE(lock.ok());
  EXPECT_THAT(lock.status().message(), HasSubstr(dir_ + "/no/such/dir/edge-runtime.lock"));
  EXPECT_THAT(lock.status().message(), HasSubstr("No such file or directory"));
}

}  // namespace
}  // namespace edge::runtime
