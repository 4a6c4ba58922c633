#include "hub_test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace edge::platform::testing {

bool LogCapture::Contains(std::string_view text) const {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(text) != l.npos; });
}

HubOptions TestOptions(runtime::Logger* logger) {
  HubOptions o;
  o.heartbeat_interval_ms = 200;
  o.heartbeat_timeout_ms = 1000;
  o.hello_timeout_ms = 3000;
  o.call_slack_ms = 200;
  o.platform_version = "0.0.0-test";
  o.enable_test_hooks = true;
  o.logger = logger;
  return o;
}

std::string RawUpgrade(HubTestEnv& env, const std::string& extra_headers, int64_t timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(env.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {};
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const std::string request =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: edge-tool-rpc.v1, edge-tool-rpc\r\n" +
      extra_headers + "\r\n";
  size_t sent = 0;
  std::string answer;
  bool eof = false;
  // The server runs on this thread: poll the socket between service rounds.
  env.RunUntil(
      [&] {
        if (sent < request.size()) {
          const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
          if (n > 0) sent += static_cast<size_t>(n);
        }
        char buf[4096];
        for (;;) {
          const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
          if (n > 0) {
            answer.append(buf, static_cast<size_t>(n));
            continue;
          }
          if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) eof = true;
          break;
        }
        return eof;
      },
      timeout_ms);
  ::close(fd);
  std::transform(answer.begin(), answer.end(), answer.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return answer;
}

}  // namespace edge::platform::testing
