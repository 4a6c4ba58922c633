// bundles/http_get.h: one blocking HTTP/1.1 GET over libwebsockets' HTTP client, for download.cc.
//
// Each call creates a private, client-only lws context on the calling thread (never the link's loop: lws
// 4.1 is not thread-safe) and destroys it before returning. The context initialises TLS only for https://,
// so a connector whose URLs are all plain never loads OpenSSL's configuration. This replaced libcurl, which
// cost ~6.3 MiB of idle RSS that could not be given back (docs/performance.md, "Idle RSS").
#ifndef EDGE_RUNTIME_BUNDLES_HTTP_GET_H_
#define EDGE_RUNTIME_BUNDLES_HTTP_GET_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "bundles/download.h"

namespace edge::runtime::bundles {

struct HttpGetRequest {
  std::string url;            // http:// or https://, already checked by CheckHttpUrl
  std::string authorization;  // the Authorization header value; empty: none
  std::string accept;         // the Accept header value; empty: none
  int64_t timeout_ms = 30000;  // the whole exchange, connect included
  // An announced Content-Length over this fails a 2xx answer with kTooLarge before any body byte.
  std::optional<uint64_t> max_content_length;
};

enum class HttpGetFailure {
  kNone,
  kBadUrl,          // detail says why
  kInit,            // the lws context could not be created (detail)
  kConnect,         // refused, unreachable, DNS, protocol error (detail: lws's words)
  kConnectTimeout,  // no connection (TCP and TLS) within connect_timeout_ms
  kTls,             // certificate verification failed (detail: OpenSSL's words)
  kTimeout,         // timeout_ms passed
  kStall,           // no byte for stall_timeout_ms
  kAborted,         // settings.abort became true
  kTooLarge,        // the announced Content-Length is over max_content_length
  kStoppedByBody,   // the body callback returned false
  kTruncated,       // the connection closed before the announced end of the body
};

struct HttpGetResult {
  HttpGetFailure failure = HttpGetFailure::kNone;
  int status = 0;
  std::string detail;
  std::string error_body;  // the start of a non-2xx answer's body (for the platform's error message)
  std::string location;    // the Location of a 3xx answer: redirects are never followed
  uint64_t received = 0;   // body bytes
};

// Runs the GET. `body` receives a 2xx answer's body, chunk by chunk (chunked coding removed); returning false
// stops the transfer. A non-2xx answer is not a failure: its status and error_body are returned.
HttpGetResult HttpGet(const HttpGetRequest& request, const HttpSettings& settings,
                      const std::function<bool(std::string_view)>& body);

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_HTTP_GET_H_
