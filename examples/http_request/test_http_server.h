// test_http_server.h: a tiny HTTP/1.1 server on 127.0.0.1 (port 0) for the http_request tests.
//
// One request per connection ("Connection: close"); fixed routes that exercise what the plugin must handle
// (headers, bodies, redirects, big and binary bodies, a stalled response). Every request is recorded so tests
// can assert that a refused request never reached the server.
#ifndef EDGE_EXAMPLES_TEST_HTTP_SERVER_H_
#define EDGE_EXAMPLES_TEST_HTTP_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_util.h"

class TestHttpServer {
 public:
  struct Request {
    std::string method, path, body;
    std::map<std::string, std::string> headers;  // lower-case names
  };

  TestHttpServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 16) != 0 || getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("test server: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestHttpServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : workers_) t.join();
    close(listen_fd_);
  }

  int port() const { return port_; }
  std::string url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return "http://" + host + ":" + std::to_string(port_) + path;
  }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      workers_.emplace_back([this, fd] {
        Serve(fd);
        close(fd);
      });
    }
  }

  // Waits for readable data (or the peer closing) in short slices so shutdown stays prompt.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      int n = poll(&p, 1, 20);
      if (n > 0) return true;
      if (n < 0) return false;
    }
    return false;
  }

  void Serve(int fd) {
    std::string in;
    size_t header_end;
    char buf[4096];
    while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
      if (!WaitReadable(fd)) return;
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    Request req;
    std::string head = in.substr(0, header_end);
    size_t eol = head.find("\r\n");
    std::string line = head.substr(0, eol);
    req.method = line.substr(0, line.find(' '));
    req.path = line.substr(line.find(' ') + 1, line.rfind(' ') - line.find(' ') - 1);
    for (size_t pos = eol; pos != std::string::npos && pos < head.size();) {
      size_t next = head.find("\r\n", pos + 2);
      std::string h = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      size_t colon = h.find(':');
      if (colon != std::string::npos) {
        size_t value = h.find_first_not_of(' ', colon + 1);
        req.headers[http_example::Lower(h.substr(0, colon))] = value == std::string::npos ? "" : h.substr(value);
      }
      pos = next;
    }
    size_t want = req.headers.count("content-length") ? std::strtoul(req.headers["content-length"].c_str(), nullptr, 10) : 0;
    req.body = in.substr(header_end + 4);
    while (req.body.size() < want && WaitReadable(fd)) {
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      req.body.append(buf, static_cast<size_t>(n));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
    }
    Route(fd, req);
  }

  static void SendAll(int fd, const std::string& data) {
    for (size_t off = 0; off < data.size();) {
      ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  static void Respond(int fd, int status, const std::string& reason, const std::string& body,
                      const std::string& extra_headers = "") {
    SendAll(fd, "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body);
  }
  static std::string Chunk(const std::string& data) {
    char size[16];
    snprintf(size, sizeof(size), "%zx", data.size());
    return std::string(size) + "\r\n" + data + "\r\n";
  }

  void Route(int fd, Request& req) {
    const std::string& p = req.path;
    if (p == "/") return Respond(fd, 200, "OK", "index");
    if (p == "/hello") return Respond(fd, 200, "OK", "hello", "Content-Type: text/plain\r\nX-Test: yes\r\nX-Multi: a\r\nX-Multi: b\r\n");
    if (p == "/echo") return Respond(fd, 200, "OK", req.method + " " + req.body + " auth=" + req.headers["authorization"]);
    if (p == "/missing") return Respond(fd, 404, "Not Found", "nope");
    if (p == "/redirect-local") return Respond(fd, 302, "Found", "", "Location: /hello\r\n");
    if (p == "/redirect-away") return Respond(fd, 302, "Found", "", "Location: " + url("/echo", "localhost") + "\r\n");
    if (p == "/see-other") return Respond(fd, 303, "See Other", "", "Location: /echo\r\n");
    if (p == "/loop") return Respond(fd, 302, "Found", "", "Location: /loop\r\n");
    if (p == "/big") return Respond(fd, 200, "OK", std::string(100000, 'x'));
    if (p == "/big-utf8") {
      std::string body;
      for (int i = 0; i < 1000; ++i) body += "\xc3\xa9";  // U+00E9, two bytes each
      return Respond(fd, 200, "OK", body, "Content-Type: text/plain; charset=utf-8\r\n");
    }
    if (p == "/binary") return Respond(fd, 200, "OK", std::string("\x00\xff\xfe", 3), "Content-Type: application/octet-stream\r\n");
    if (p == "/big-chunked" || p == "/stall") {
      SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
      if (p == "/big-chunked") {
        for (int i = 0; i < 100; ++i) SendAll(fd, Chunk(std::string(1000, 'y')));
        return SendAll(fd, "0\r\n\r\n");
      }
      SendAll(fd, Chunk("partial"));
      // Never finish: hold the connection until the client gives up (recv returns 0) or the server stops.
      char buf[256];
      while (WaitReadable(fd) && recv(fd, buf, sizeof(buf), 0) > 0) {
      }
      return;
    }
    Respond(fd, 404, "Not Found", "no route " + p);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;  // only touched by the acceptor thread and, after it stopped, the destructor
  mutable std::mutex mu_;
  std::vector<Request> requests_;
};

#endif  // EDGE_EXAMPLES_TEST_HTTP_SERVER_H_
