// api/http.h: the REST API's view of one HTTP exchange, independent of libwebsockets. The server (server/)
// fills an HttpRequest from lws and implements HttpExchange; handlers answer at once or later (a tool call
// answers when its outcome arrives), always on the service thread.
#ifndef EDGE_PLATFORM_API_HTTP_H_
#define EDGE_PLATFORM_API_HTTP_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace edge::platform::api {

inline constexpr size_t kMaxRequestBodyBytes = 8 * 1024 * 1024;

struct HttpRequest {
  std::string method;  // GET, POST, DELETE, ...
  std::string path;    // decoded, without the query
  std::string query;   // "limit=5&x=y" (decoded pairs joined by '&'), "" when none
  std::string authorization;
  std::string org_header;  // X-Edge-Org
  std::string content_type;
  std::string body;
  bool body_too_large = false;  // the body passed kMaxRequestBodyBytes; `body` then holds only a prefix
};

struct HttpResponse {
  int status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, Retry-After, ...)
};

class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual const HttpRequest& request() const = 0;
  // Sends the answer. Only the first call counts; it is dropped when the client has gone.
  virtual void Respond(HttpResponse response) = 0;
  // Runs `f` if the client disconnects before Respond (e.g. cancels the tool call it waits for).
  virtual void OnAbandoned(absl::AnyInvocable<void()> f) = 0;
};

}  // namespace edge::platform::api

#endif  // EDGE_PLATFORM_API_HTTP_H_
