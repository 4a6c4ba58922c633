// The benchmark's stand-in for the platform's bundle endpoints (see fake_platform.h).
#include "fake_platform.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"

namespace edge::bench {

namespace {

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void Reply(int fd, int status, const std::string& content_type, std::string_view body) {
  SendAll(fd, absl::StrCat("HTTP/1.1 ", status, status == 200 ? " OK" : " Not Found", "\r\nContent-Type: ",
                           content_type, "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n"));
  SendAll(fd, body);
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

absl::StatusOr<std::unique_ptr<FakePlatform>> FakePlatform::Start() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string why = std::strerror(errno);
    close(fd);
    return absl::InternalError(absl::StrCat("cannot listen on 127.0.0.1: ", why));
  }
  return std::unique_ptr<FakePlatform>(new FakePlatform(fd, ntohs(addr.sin_port)));
}

FakePlatform::FakePlatform(int fd, int port) : fd_(fd), port_(port) {
  thread_ = std::thread([this] { Serve(); });
}

FakePlatform::~FakePlatform() {
  stop_.store(true);
  thread_.join();
  close(fd_);
}

void FakePlatform::Assign(const GenerationBundle& bundle) {
  absl::MutexLock lock(&mu_);
  assigned_ = bundle;
}

std::string FakePlatform::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

void FakePlatform::Serve() {
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    Answer(client);
    shutdown(client, SHUT_WR);
    close(client);
  }
}

void FakePlatform::Answer(int client) {
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos && !stop_.load()) {
    pollfd p{client, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) return;  // a client that sends nothing for a second is not the sync
    const ssize_t n = recv(client, buf, sizeof(buf), 0);
    if (n <= 0) return;
    in.append(buf, static_cast<size_t>(n));
  }
  // "GET <path> HTTP/1.1"
  const size_t sp1 = in.find(' ');
  const size_t sp2 = in.find(' ', sp1 + 1);
  const std::string path =
      sp1 == std::string::npos || sp2 == std::string::npos ? "" : in.substr(sp1 + 1, sp2 - sp1 - 1);

  std::optional<GenerationBundle> target;
  {
    absl::MutexLock lock(&mu_);
    target = assigned_;
  }
  if (!target) {
    Reply(client, 404, "application/json", R"({"error":{"code":"no_bundle_assigned","message":"none"}})");
    return;
  }
  const int64_t version = target->index + 1;
  const std::string download = absl::StrCat("/api/v1/bundles/", kBenchBundleId, "/versions/", version, "/download");
  if (path == absl::StrCat("/api/v1/deployments/", kBenchDeployment, "/bundle")) {
    Reply(client, 200, "application/json",
          absl::StrCat(R"({"deploymentId":")", kBenchDeployment, R"(","bundleId":")", kBenchBundleId,
                       R"(","bundleName":"default","version":)", version, R"(,"checksum":")", target->checksum,
                       R"(","archiveSha256":")", target->archive_sha256, R"(","size":)", target->size,
                       R"(,"source":"assignment","pinned":true,"downloadPath":")", download, R"("})"));
  } else if (path == download) {
    Reply(client, 200, "application/gzip", ReadAll(target->archive));
  } else {
    Reply(client, 404, "application/json", R"({"error":{"code":"not_found","message":"no such path"}})");
  }
}

}  // namespace edge::bench
