// api/http.h: the REST API's view of one HTTP exchange, independent of libwebsockets. The server (server/)
// fills an HttpRequest from lws and implements HttpExchange; handlers answer at once or later (a tool call
// answers when its outcome arrives), always on the service thread.
//
// Bodies are small JSON held in memory (up to kMaxRequestBodyBytes), except where the Api hands the server a
// BodySink (bundle uploads): the server then feeds the body to the sink chunk by chunk. Answers are JSON in
// memory, or a file streamed from disk in chunks (bundle downloads).
#ifndef EDGE_PLATFORM_API_HTTP_H_
#define EDGE_PLATFORM_API_HTTP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace edge::platform::api {

inline constexpr size_t kMaxRequestBodyBytes = 8 * 1024 * 1024;

// Receives a request body that is not buffered in memory. Created by Api::NewBodySink before the body
// arrives; the server calls Append for every chunk and Finish once the body is complete (not at all when the
// client goes away first).
class BodySink {
 public:
  virtual ~BodySink() = default;
  // False: the request is refused from its headers alone (an announced size over the limit, bad
  // credentials). The server then dispatches it at once without reading the body; the handler's answer goes
  // out with "Connection: close" and the body that still arrives is dropped.
  virtual bool WantsBody() const = 0;
  virtual void Append(std::string_view chunk) = 0;
  virtual void Finish() = 0;
};

struct HttpRequest {
  std::string method;  // GET, POST, DELETE, ...
  std::string path;    // decoded, without the query
  std::string query;   // "limit=5&x=y" (decoded pairs joined by '&'), "" when none
  std::string authorization;
  std::string org_header;  // X-Edge-Org
  std::string content_type;
  std::string body;
  bool body_too_large = false;  // the body passed kMaxRequestBodyBytes; `body` then holds only a prefix
  std::optional<uint64_t> content_length;  // as announced; nullopt without the header (e.g. chunked)
  // Set when the body goes to a sink instead of `body` (Api::NewBodySink).
  std::shared_ptr<BodySink> body_sink;
};

// A response body read from a file in chunks, never loaded whole.
struct FileBody {
  // Test hooks (--enable-test-hooks): how to misbehave while sending this file.
  enum class Fault {
    kNone,
    kStall,     // send about half, then nothing more (the connection stays open)
    kTruncate,  // send about half, then close the connection
    kCorrupt,   // send every byte, with some of them changed
  };
  std::string path;
  uint64_t size = 0;  // the Content-Length; the file must hold at least this many bytes
  Fault fault = Fault::kNone;
};

struct HttpResponse {
  int status = 200;
  std::string body;  // JSON, unless `file` is set
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, Retry-After, ...)
  std::string content_type = "application/json";
  std::optional<FileBody> file;   // the body is this file (`body` is then ignored)
  bool close_connection = false;  // close after answering (the request body was not read)
};

class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual const HttpRequest& request() const = 0;
  // Sends the answer. Only the first call counts; it is dropped when the client has gone.
  virtual void Respond(HttpResponse response) = 0;
  // Runs `f` if the client disconnects before Respond (e.g. cancels the tool call it waits for).
  virtual void OnAbandoned(absl::AnyInvocable<void()> f) = 0;
  // Any request header by lower-case name (no ':'), nullopt when absent. Valid while the handler is first
  // called (webhook receivers keep selected headers).
  virtual std::optional<std::string> Header(std::string_view /*name*/) const { return std::nullopt; }
};

}  // namespace edge::platform::api

#endif  // EDGE_PLATFORM_API_HTTP_H_
