// commands/http_client.h: the small blocking HTTP client the CLI uses to talk to the platform API and to a
// local connector's health server (libcurl, loaded on first use; http and https only; the system CA store or
// EDGE_CA_FILE).
#ifndef EDGE_CLI_COMMANDS_HTTP_CLIENT_H_
#define EDGE_CLI_COMMANDS_HTTP_CLIENT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace edge::cli {

struct HttpResponse {
  long status = 0;
  std::string body;
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
};

// Performs the request. A transport failure (refused, DNS, TLS, timeout) is an Unavailable error naming
// curl's reason; libcurl missing from the system is FailedPrecondition naming the package to install. Any
// HTTP status is a response.
absl::Status HttpFetch(const HttpRequest& request, HttpResponse* response);

// Percent-encodes one path segment.
std::string UrlEscape(std::string_view segment);

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_HTTP_CLIENT_H_
