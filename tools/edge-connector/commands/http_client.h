// commands/http_client.h: the small blocking HTTP client the CLI uses to talk to the platform API and to a
// local connector's health server (libcurl, loaded on first use; http and https only; the system CA store or
// EDGE_CA_FILE). Bodies are strings, or files streamed from and to disk (bundle upload and download) with a
// progress callback.
#ifndef EDGE_CLI_COMMANDS_HTTP_CLIENT_H_
#define EDGE_CLI_COMMANDS_HTTP_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace edge::cli {

struct HttpResponse {
  long status = 0;
  std::string body;  // the whole body; with HttpRequest::download_to, only a non-2xx body (the API error)
  std::map<std::string, std::string> headers;  // names lower-cased; the last value wins
  uint64_t downloaded_bytes = 0;               // bytes written to download_to
};

// Bytes moved so far; a total is 0 while unknown.
struct HttpProgress {
  uint64_t upload_now = 0, upload_total = 0;
  uint64_t download_now = 0, download_total = 0;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::string body;          // sent as application/json when not empty
  std::string bearer_token;  // Authorization: Bearer ... when not empty
  std::string ca_file;       // private CA (PEM); empty: the system store
  long timeout_ms = 0;       // 0: no overall limit (tool calls may be long); connect is always bounded
  long connect_timeout_ms = 0;  // 0: 5 s
  size_t max_body_bytes = 0;    // a longer body fails the request; 0: no limit
  long stall_timeout_s = 0;     // fail when no byte moves for this long (a stalled transfer); 0: never

  // Upload: the body is this file, streamed from disk with its size as Content-Length (`body` is ignored).
  std::filesystem::path body_file;
  std::string body_content_type = "application/octet-stream";  // for body_file
  // Download: a 2xx body is streamed into this file (created or truncated); any other status's body goes to
  // HttpResponse::body so the API error can be shown. More than max_download_bytes fails the request with
  // ResourceExhausted naming the cap (0: no cap).
  std::filesystem::path download_to;
  uint64_t max_download_bytes = 0;
  // Called from the transfer loop (often: rate-limit any drawing). Never called when empty.
  std::function<void(const HttpProgress&)> on_progress;
};

// Performs the request. A transport failure (refused, DNS, TLS, timeout, stall, a truncated body) is an
// Unavailable error naming curl's reason; libcurl missing from the system is FailedPrecondition naming the
// package to install; an unreadable body_file is NotFound and an unwritable download_to PermissionDenied, naming
// the path. Any HTTP status is a response.
absl::Status HttpFetch(const HttpRequest& request, HttpResponse* response);

// Percent-encodes one path segment (or query value).
std::string UrlEscape(std::string_view segment);

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_HTTP_CLIENT_H_
