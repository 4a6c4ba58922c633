// The shared lws server pieces of lws_server.h.
#include "common/lws_server.h"

#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "common/thread_name.h"

namespace edge::runtime {

void LwsServerThread::Start(lws_context* context, const char* thread_name) {
  context_ = context;
  stopping_.store(false);
  thread_ = std::thread([this] {
    while (!stopping_.load()) {
      if (lws_service(context_, 0) < 0) break;
    }
  });
  NameThread(thread_, thread_name);
}

void LwsServerThread::Stop() {
  if (context_ == nullptr) return;
  stopping_.store(true);
  lws_cancel_service(context_);  // the only lws call allowed off the service thread
  if (thread_.joinable()) thread_.join();
  lws_context_destroy(context_);  // the service thread is gone: this thread owns the context now
  context_ = nullptr;
}

void LogLwsLine(Logger* logger, int level, const char* line) {
  if (logger == nullptr) logger = &Logger::Default();
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  logger->Log(level == LLL_ERR ? LogLevel::kError : LogLevel::kWarn, "lws", text);
}

const char* LwsRequestMethod(lws* wsi) {
  struct Known {
    lws_token_indexes token;
    const char* name;
  };
  static constexpr Known kKnown[] = {
      {WSI_TOKEN_GET_URI, "GET"},         {WSI_TOKEN_HEAD_URI, "HEAD"},     {WSI_TOKEN_POST_URI, "POST"},
      {WSI_TOKEN_PUT_URI, "PUT"},         {WSI_TOKEN_PATCH_URI, "PATCH"},   {WSI_TOKEN_DELETE_URI, "DELETE"},
      {WSI_TOKEN_OPTIONS_URI, "OPTIONS"}, {WSI_TOKEN_CONNECT, "CONNECT"},
  };
  for (const Known& k : kKnown) {
    if (lws_hdr_total_length(wsi, k.token) > 0) return k.name;
  }
  return "?";
}

int ProbeBindErrno(const sockaddr* address, socklen_t length) {
  int err = 0;
  const int fd = socket(address->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, address, length) != 0 || listen(fd, 1) != 0) err = errno;
    close(fd);
  }
  return err;
}

}  // namespace edge::runtime
