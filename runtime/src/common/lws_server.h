// Pieces shared by the runtime's small lws HTTP servers (health, webhook relay): the service thread, the lws
// log hook's line handling, the request method, and the probe bind that names why a listen failed.
#ifndef EDGE_RUNTIME_SRC_COMMON_LWS_SERVER_H_
#define EDGE_RUNTIME_SRC_COMMON_LWS_SERVER_H_

#include <libwebsockets.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "edge/runtime/log.h"

namespace edge::runtime {

// Services one lws context on its own thread. lws 4.1 is not thread-safe: off the service thread only
// lws_cancel_service is allowed, so Stop wakes the thread, joins it, and only then destroys the context.
class LwsServerThread {
 public:
  LwsServerThread() = default;
  ~LwsServerThread() { Stop(); }
  LwsServerThread(const LwsServerThread&) = delete;
  LwsServerThread& operator=(const LwsServerThread&) = delete;

  // Takes `context` (with its vhosts made, not yet serviced) and services it until Stop, on a thread named
  // `thread_name` (NameThread).
  void Start(lws_context* context, const char* thread_name);
  // Ends the service thread and destroys the context; nothing when not running.
  void Stop();
  bool running() const { return context_ != nullptr; }

 private:
  lws_context* context_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

// One line from lws's log hook (LLL_ERR or LLL_WARN) to `logger` (the default logger when null), as component
// "lws" without the trailing newline.
void LogLwsLine(Logger* logger, int level, const char* line);

// The request's method, from the header lws parsed the URI into; "?" when none is known.
const char* LwsRequestMethod(lws* wsi);

// lws only logs why a bind failed: binds and listens once on a fresh socket, and returns the errno of the failure
// (0 when that worked, or when no socket could be made).
int ProbeBindErrno(const sockaddr* address, socklen_t length);

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_SRC_COMMON_LWS_SERVER_H_
