// RunConformanceIsolated: the checks in a forked child, results relayed over a pipe.
//
// The child writes one line per event: "S\t<step>" before a step, "R\t<verdict>\t<name>\t<detail>" per
// result, "D" when done. The parent keeps the last step it saw, so a signal, an exit or a silence is pinned
// to the step that caused it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "harness/conformance.h"

namespace edge::harness {
namespace {

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out;
}

std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[++i];
      out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
    } else {
      out += s[i];
    }
  }
  return out;
}

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent is gone; nobody is left to tell
    off += static_cast<size_t>(n);
  }
}

class PipeObserver : public ConformanceObserver {
 public:
  explicit PipeObserver(int fd) : fd_(fd) {}
  void OnStep(std::string_view step) override { WriteAll(fd_, "S\t" + Escape(step) + "\n"); }
  void OnResult(const CheckResult& r) override {
    WriteAll(fd_, absl::StrCat("R\t", runtime::ToAbsl(VerdictName(r.verdict)), "\t", Escape(r.name), "\t", Escape(r.detail), "\n"));
  }
  void Done() { WriteAll(fd_, "D\n"); }

 private:
  int fd_;
};

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  const char* description = strsignal(sig);
  return absl::StrCat(abbrev ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig), " (",
                      description ? description : "unknown", ")");
}

[[noreturn]] void RunChild(const ConformanceOptions& options, int fd) {
  // The parent's stdout carries the report: whatever the plugin prints goes to stderr instead.
  dup2(STDERR_FILENO, STDOUT_FILENO);
  // A crash must end the child with its signal, so the parent can name it: drop inherited handlers (a
  // sanitizer's, or a failure-signal handler) that would turn it into an ordinary exit.
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) signal(sig, SIG_DFL);
  PipeObserver observer(fd);
  RunConformanceChecks(options, observer);
  observer.Done();
  // _exit: the parent's atexit handlers and stdio buffers are not the child's to run or flush, and a session
  // leaked around a stuck call must not be torn down.
  _exit(0);
}

}  // namespace

std::vector<CheckResult> RunConformanceIsolated(const ConformanceOptions& options,
                                                const std::function<void(const CheckResult&)>& on_result) {
  std::vector<CheckResult> results;
  auto add = [&](CheckResult r) {
    if (on_result) on_result(r);
    results.push_back(std::move(r));
  };

  // A child that crashes or is killed cannot clean up its temporary files: the parent owns them.
  ConformanceOptions child_options = options;
  std::filesystem::path owned_root;
  std::string pattern = (std::filesystem::temp_directory_path() / "edge-check-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) {
    owned_root = pattern;
    if (child_options.store_dir.empty()) child_options.store_dir = owned_root / "store";
    if (child_options.scratch_dir.empty()) child_options.scratch_dir = owned_root / "scratch";
  }
  auto cleanup = absl::MakeCleanup([&owned_root] {
    std::error_code ec;
    if (!owned_root.empty()) std::filesystem::remove_all(owned_root, ec);
  });

  std::fflush(stdout);
  std::fflush(stderr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    add({"isolation", CheckVerdict::kFail, absl::StrCat("pipe2 failed: ", strerror(errno))});
    return results;
  }
  pid_t pid = fork();
  if (pid < 0) {
    add({"isolation", CheckVerdict::kFail, absl::StrCat("fork failed: ", strerror(errno))});
    close(fds[0]);
    close(fds[1]);
    return results;
  }
  if (pid == 0) {
    close(fds[0]);
    RunChild(child_options, fds[1]);
  }
  close(fds[1]);

  std::string step = "startup";
  std::string buffer;
  bool done = false;
  bool hung = false;
  absl::Time last_event = absl::Now();
  while (true) {
    absl::Duration left = options.step_timeout - (absl::Now() - last_event);
    if (left <= absl::ZeroDuration()) {
      hung = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;  // the loop head notices the timeout
    char chunk[4096];
    ssize_t n = read(fds[0], chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child exited (or died)
    last_event = absl::Now();
    buffer.append(chunk, static_cast<size_t>(n));
    size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits('\t', 3));
      if (parts[0] == "S" && parts.size() == 2) {
        step = Unescape(parts[1]);
      } else if (parts[0] == "R" && parts.size() == 4) {
        CheckVerdict verdict = parts[1] == "PASS" ? CheckVerdict::kPass
                               : parts[1] == "SKIP" ? CheckVerdict::kSkip
                                                    : CheckVerdict::kFail;
        add({Unescape(parts[2]), verdict, Unescape(parts[3])});
      } else if (parts[0] == "D") {
        done = true;
      }
    }
  }
  close(fds[0]);

  if (hung) {
    kill(pid, SIGKILL);
    add({step, CheckVerdict::kFail,
         absl::StrCat("plugin hung: no progress for ", absl::FormatDuration(options.step_timeout), " during ", step,
                      "; the harness killed it (raise --step-timeout if the tool is just slow)")});
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (hung) return results;
  if (WIFSIGNALED(status)) {
    add({step, CheckVerdict::kFail,
         absl::StrCat("plugin crashed with ", SignalName(WTERMSIG(status)), " during ", step)});
  } else if (!done) {
    add({step, CheckVerdict::kFail,
         absl::StrCat("the process exited with status ", WIFEXITED(status) ? WEXITSTATUS(status) : -1, " during ",
                      step, "; a plugin must never call exit() (a sanitizer report on stderr explains other causes)")});
  }
  return results;
}

}  // namespace edge::harness
