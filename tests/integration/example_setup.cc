// ExampleSetup: a SQLite file and a loopback HTTP server for the sqlite_query and http_request examples.
#include "example_setup.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

namespace edge::testing {

LoopbackHttpServer::LoopbackHttpServer() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 16) != 0 || getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "cannot listen on 127.0.0.1";
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void LoopbackHttpServer::Loop() {
  while (!stop_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Read until the end of the request head (the checks only send GETs without a body).
    std::string in;
    char buf[2048];
    while (in.find("\r\n\r\n") == std::string::npos) {
      pollfd cfd{fd, POLLIN, 0};
      if (poll(&cfd, 1, 2000) <= 0) break;
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    const std::string body = "{\"ok\":true}";
    const std::string out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    (void)send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    close(fd);
  }
}

ExampleSetup::ExampleSetup() {
  std::string pattern = (std::filesystem::path(::testing::TempDir()) / "edge-examples-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return;
  }
  dir_ = pattern;
}

ExampleSetup::~ExampleSetup() {
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string ExampleSetup::ConfigFor(const std::string& name) {
  if (name == "sqlite_query") {
    const std::string db_path = dir_ + "/check.db";
    sqlite3* db = nullptr;
    if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) {
      ADD_FAILURE() << "cannot create " << db_path;
    } else if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT);"
                                "INSERT INTO items(name) VALUES ('a'), ('b');",
                            nullptr, nullptr, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot fill " << db_path << ": " << sqlite3_errmsg(db);
    }
    sqlite3_close(db);
    return "{\"database\":\"" + db_path + "\"}";
  }
  if (name == "http_request") {
    if (!http_) http_ = std::make_unique<LoopbackHttpServer>();
    return "{\"allowedHosts\":[\"127.0.0.1:" + std::to_string(http_->port()) + "\"]}";
  }
  return "";
}

}  // namespace edge::testing
