// commands/platform_client.h: what every command that talks to the platform's REST API shares: the --api,
// --token and --install-dir options, resolving them (token from --token, EDGE_ADMIN_TOKEN, then the
// installation's auth-token.json; URL from --api, then platformApiUrl / PLATFORM_API_URL), JSON requests, and
// API errors shown as "<message> (HTTP <status> <code>)" rather than raw JSON.
#ifndef EDGE_CLI_COMMANDS_PLATFORM_CLIENT_H_
#define EDGE_CLI_COMMANDS_PLATFORM_CLIENT_H_

#include <rapidjson/document.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "commands/http_client.h"

namespace CLI {
class App;
}  // namespace CLI

namespace edge::cli {

// The options as typed.
struct PlatformOptions {
  std::string api;
  std::string token;
  std::string install_dir;
};

// Adds --api, --token and --install-dir to `cmd`.
void AddPlatformOptions(CLI::App* cmd, PlatformOptions* options);

// Where and as whom to call the API.
struct PlatformConnection {
  std::string api;           // base URL without a trailing '/'
  std::string token;
  std::string token_source;  // "--token", "EDGE_ADMIN_TOKEN" or the auth-token.json path
  std::string ca_file;       // caFile / EDGE_CA_FILE of the configuration
};

// The admin token alone ("" when there is none; `error` says why the configuration could not be read, if
// that was the reason). `package` uses it to default --org.
std::string FindAdminToken(const PlatformOptions& options, std::string* source, std::string* error = nullptr);

// Resolves options and configuration. Errors: NotFound when there is no token (the message names the three
// ways to give one), InvalidArgument for an unreadable configuration or a URL that is not http(s).
absl::StatusOr<PlatformConnection> ConnectPlatform(const PlatformOptions& options);

// A string at a member path of a JSON object, "" when absent or not a string: StringAt(doc, {"error", "code"}).
std::string StringAt(const rapidjson::Value& root, std::initializer_list<const char*> path);

// "<message> (HTTP <status> <code>)" for an error answer; a body that is not an API error is clipped.
std::string DescribeApiError(const HttpResponse& response);

// One JSON request to `path` (e.g. "/api/v1/bundles"); `body` is sent as JSON when not empty. On a 2xx answer
// fills `raw` (the body as received) and `doc` (parsed). Errors carry a printable message: Unavailable when
// the platform cannot be reached (naming the URL), Unknown with DescribeApiError for an error answer.
absl::Status CallApi(const PlatformConnection& connection, std::string_view method, std::string_view path,
                     const std::string& body, rapidjson::Document* doc, std::string* raw = nullptr);

// "edge-connector <command>: <message>" on stderr.
void PrintCommandError(std::string_view command, absl::string_view message);

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_PLATFORM_CLIENT_H_
