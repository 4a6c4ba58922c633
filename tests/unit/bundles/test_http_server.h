// A tiny HTTP/1.1 server on 127.0.0.1 for the bundle download tests: one thread per connection, one request per
// connection, canned answers from a handler. It can send a body chunked or end it by closing, stop after some
// bytes and stall (until the server is destroyed) or hang up, and records the requests it saw. DownloadFixture is
// the test fixture both download tests start from.
#ifndef EDGE_TESTS_UNIT_BUNDLES_TEST_HTTP_SERVER_H_
#define EDGE_TESTS_UNIT_BUNDLES_TEST_HTTP_SERVER_H_

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bundles/download.h"
#include "edge/bundle/tree.h"

namespace edge::runtime::bundles::testing {

struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct HttpAnswer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  bool chunked = false;                    // Transfer-Encoding: chunked (no Content-Length)
  size_t stall_after = std::string::npos;  // send this many body bytes, then stall until shutdown
  bool close_early = false;                // with stall_after: hang up there instead of stalling
  bool no_length = false;                  // neither Content-Length nor chunked: the body ends at the close
  std::string location{};                  // a Location header, for redirects
};

class TestHttpServer {
 public:
  using Handler = std::function<HttpAnswer(const HttpRequest&)>;

  explicit TestHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 16);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~TestHttpServer() {
    stop_.store(true);
    acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard<std::mutex> lock(mu_);
      workers.swap(workers_);
    }
    for (auto& t : workers) t.join();
    close(fd_);
  }
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  void set_handler(Handler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(handler);
  }

 private:
  void Accept() {
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, client] { Serve(client); });
    }
  }

  bool SendAll(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  void Serve(int fd) {
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (stop_.load() || poll(&p, 1, 20) < 0) break;
      if (!(p.revents & POLLIN)) continue;
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    HttpRequest request;
    size_t line_end = in.find("\r\n");
    std::string line = in.substr(0, line_end);
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 != std::string::npos && sp2 > sp1) {
      request.method = line.substr(0, sp1);
      request.path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    }
    size_t pos = line_end + 2;
    while (pos < in.size()) {
      size_t end = in.find("\r\n", pos);
      if (end == std::string::npos || end == pos) break;
      std::string header = in.substr(pos, end - pos);
      size_t colon = header.find(':');
      if (colon != std::string::npos) {
        std::string name = header.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t v = header.find_first_not_of(' ', colon + 1);
        request.headers[name] = v == std::string::npos ? "" : header.substr(v);
      }
      pos = end + 2;
    }
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      handler = handler_;
    }
    HttpAnswer a = handler(request);
    std::string head =
        "HTTP/1.1 " + std::to_string(a.status) + " X\r\nContent-Type: " + a.content_type + "\r\nConnection: close\r\n";
    if (!a.location.empty()) head += "Location: " + a.location + "\r\n";
    if (a.chunked) {
      head += "Transfer-Encoding: chunked\r\n";
    } else if (!a.no_length) {
      head += "Content-Length: " + std::to_string(a.body.size()) + "\r\n";
    }
    head += "\r\n";
    const size_t limit = std::min(a.stall_after, a.body.size());
    bool ok = SendAll(fd, head);
    if (a.chunked) {
      for (size_t off = 0; ok && off < limit; off += 1024) {
        size_t n = std::min<size_t>(1024, limit - off);
        char size_line[32];
        snprintf(size_line, sizeof(size_line), "%zx\r\n", n);
        ok = SendAll(fd, size_line + a.body.substr(off, n) + "\r\n");
      }
    } else if (ok) {
      ok = SendAll(fd, a.body.substr(0, limit));
    }
    if (limit < a.body.size() && !a.close_early) {
      while (!stop_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } else if (ok && a.chunked && limit == a.body.size()) {
      SendAll(fd, "0\r\n\r\n");
    }
    shutdown(fd, SHUT_WR);
    close(fd);
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<HttpRequest> requests_;
};

// A scratch dir /tmp/bundle-<name>-XXXXXX with an empty downloads/ inside, short HTTP timeouts, and archive
// requests with test credentials and a 1024 byte cap.
class DownloadFixture : public ::testing::Test {
 protected:
  DownloadFixture(std::string name, int stall_timeout_ms) : name_(std::move(name)) {
    settings_.connect_timeout_ms = 2000;
    settings_.request_timeout_ms = 5000;
    settings_.download_timeout_ms = 10000;
    settings_.stall_timeout_ms = stall_timeout_ms;
  }
  void SetUp() override {
    std::string tmpl = "/tmp/bundle-" + name_ + "-XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    downloads_ = dir_ / "downloads";
    std::filesystem::create_directories(downloads_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Every file left in the downloads directory.
  std::vector<std::string> Left() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(downloads_)) names.push_back(e.path().filename().string());
    return names;
  }
  bool DownloadsEmpty() const { return std::filesystem::is_empty(downloads_); }

  DownloadRequest Request(const std::string& url, const std::string& body) const {
    DownloadRequest r;
    r.url = url;
    r.authorization = "Basic ZGVwXzE6c2VjcmV0";
    r.expected_sha256 = bundle::Sha256Hex(body);
    r.max_bytes = 1024;
    r.downloads_dir = downloads_;
    return r;
  }

  std::string name_;
  std::filesystem::path dir_;
  std::filesystem::path downloads_;
  HttpSettings settings_;
};

}  // namespace edge::runtime::bundles::testing

#endif  // EDGE_TESTS_UNIT_BUNDLES_TEST_HTTP_SERVER_H_
