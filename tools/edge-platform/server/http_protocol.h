// server/http_protocol.h: the lws protocol that serves the REST API on the "api" vhost. It turns lws's HTTP
// callbacks into api::HttpExchange objects (headers, body chunks up to api::kMaxRequestBodyBytes) and writes
// answers, immediate or deferred, in LWS_CALLBACK_HTTP_WRITEABLE.
//
// Two exceptions to "everything in memory", both for bundles:
// - Request bodies the Api takes as a stream (Api::NewBodySink, decided from method + path alone: only
//   POST /api/v1/bundles) go chunk by chunk to the sink. A request the sink refuses from its headers (size
//   over the limit, bad credentials) is dispatched at once, unread; the answer then carries
//   "Connection: close", the body still arriving is dropped, and the connection closes when it is complete
//   (or after 10 s), so the client reads the answer rather than a connection reset.
// - File answers (HttpResponse::file) are read and written 64 KiB per WRITEABLE, never loaded whole.
//
// A deferred answer (a tool call) holds the exchange, not the wsi: when the client goes away the exchange is
// detached first, so a late Respond never touches a freed wsi; the detach also runs the handler's
// OnAbandoned (cancel the call).
#ifndef EDGE_PLATFORM_SERVER_HTTP_PROTOCOL_H_
#define EDGE_PLATFORM_SERVER_HTTP_PROTOCOL_H_

#include <libwebsockets.h>

#include <array>

#include "api/api.h"

namespace edge::platform::server {

class HttpProtocol {
 public:
  explicit HttpProtocol(api::Api* api);
  // The vhost's protocols: the HTTP one and the terminator. Valid for this object's lifetime.
  const lws_protocols* Protocols() const { return protocols_.data(); }

 private:
  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

  api::Api* api_;
  std::array<lws_protocols, 2> protocols_{};
};

}  // namespace edge::platform::server

#endif  // EDGE_PLATFORM_SERVER_HTTP_PROTOCOL_H_
