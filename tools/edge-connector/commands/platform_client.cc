// The platform API plumbing shared by call, upload and bundle.
#include "commands/platform_client.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "edge/runtime/config.h"
#include "edge/runtime/log.h"

namespace edge::cli {
namespace {

absl::StatusOr<runtime::ConnectorConfig> LoadConfiguration(const PlatformOptions& options) {
  runtime::ConfigInputs inputs;
  inputs.install_dir = options.install_dir.empty() ? "." : options.install_dir;
  inputs.env = runtime::ProcessEnvironment();
  auto loaded = runtime::LoadConfig(inputs);
  if (!loaded.ok()) return loaded.status();
  return loaded->config;
}

std::string TokenFromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream buffer;
  buffer << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(buffer.str().c_str());
  if (doc.HasParseError()) return "";
  return StringAt(doc, {"token"});
}

std::string TokenFromFlagOrEnv(const PlatformOptions& options, std::string* source) {
  if (!options.token.empty()) {
    *source = "--token";
    return options.token;
  }
  if (const char* env = std::getenv("EDGE_ADMIN_TOKEN"); env != nullptr && *env != '\0') {
    *source = "EDGE_ADMIN_TOKEN";
    return env;
  }
  return "";
}

}  // namespace

void AddPlatformOptions(CLI::App* cmd, PlatformOptions* options) {
  cmd->add_option("--api", options->api, "Platform API URL (default: platformApiUrl, PLATFORM_API_URL)")
      ->type_name("URL");
  cmd->add_option("--token", options->token, "Admin token (default: EDGE_ADMIN_TOKEN, then auth-token.json)")
      ->type_name("JWT");
  cmd->add_option("--install-dir", options->install_dir,
                  "Installation directory whose configuration to use (default: the current directory)")
      ->type_name("DIR");
}

std::string StringAt(const rapidjson::Value& root, std::initializer_list<const char*> path) {
  const rapidjson::Value* v = &root;
  for (const char* key : path) {
    if (!v->IsObject() || !v->HasMember(key)) return "";
    v = &(*v)[key];
  }
  return v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
}

std::string FindAdminToken(const PlatformOptions& options, std::string* source, std::string* error) {
  if (std::string token = TokenFromFlagOrEnv(options, source); !token.empty()) return token;
  auto config = LoadConfiguration(options);
  if (!config.ok()) {
    if (error != nullptr) *error = std::string(runtime::ToStd(config.status().message()));
    return "";
  }
  std::string token = TokenFromFile(config->auth_token_path);
  if (!token.empty()) *source = config->auth_token_path;
  return token;
}

absl::StatusOr<PlatformConnection> ConnectPlatform(const PlatformOptions& options) {
  auto config = LoadConfiguration(options);
  if (!config.ok()) return absl::InvalidArgumentError(config.status().message());
  PlatformConnection connection;
  connection.ca_file = config->ca_file;
  connection.token = TokenFromFlagOrEnv(options, &connection.token_source);
  if (connection.token.empty()) {
    connection.token = TokenFromFile(config->auth_token_path);
    connection.token_source = config->auth_token_path;
  }
  if (connection.token.empty()) {
    return absl::NotFoundError(
        "no platform token: pass --token <admin jwt>, set EDGE_ADMIN_TOKEN, or save one with `edge-connector auth "
        "--token`");
  }
  connection.api = options.api.empty() ? config->platform_api_url : options.api;
  while (!connection.api.empty() && connection.api.back() == '/') connection.api.pop_back();
  if (!absl::StartsWith(connection.api, "http://") && !absl::StartsWith(connection.api, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the platform API URL '", connection.api,
        "' is not an http(s) URL: pass --api http(s)://host:port or set PLATFORM_API_URL"));
  }
  return connection;
}

std::string DescribeApiError(const HttpResponse& response) {
  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  std::string message, code;
  if (!doc.HasParseError() && doc.IsObject()) {
    message = StringAt(doc, {"error", "message"});
    code = StringAt(doc, {"error", "code"});
  }
  if (message.empty()) {
    message = response.body.size() > 200 ? response.body.substr(0, 200) + "..." : response.body;
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
    if (message.empty()) message = "the platform answered with an error and no message";
  }
  return absl::StrCat(message, " (HTTP ", response.status, code.empty() ? "" : " ", code, ")");
}

absl::Status CallApi(const PlatformConnection& connection, std::string_view method, std::string_view path,
                     const std::string& body, rapidjson::Document* doc, std::string* raw) {
  HttpRequest request;
  request.method = std::string(method);
  request.url = absl::StrCat(connection.api, runtime::ToAbsl(path));
  request.body = body;
  request.bearer_token = connection.token;
  request.ca_file = connection.ca_file;
  request.timeout_ms = 60000;
  request.max_body_bytes = 64 << 20;
  HttpResponse response;
  if (absl::Status s = HttpFetch(request, &response); !s.ok()) {
    if (s.code() == absl::StatusCode::kFailedPrecondition) return s;  // libcurl missing
    return absl::UnavailableError(absl::StrCat("platform not reachable at ", connection.api, ": ", s.message()));
  }
  if (response.status < 200 || response.status >= 300) return absl::UnknownError(DescribeApiError(response));
  doc->Parse(response.body.c_str(), response.body.size());
  if (doc->HasParseError() || !doc->IsObject()) {
    return absl::DataLossError(absl::StrCat("the platform answered HTTP ", response.status, " with a body that is ",
                                            "not a JSON object: is ", connection.api, " the platform API?"));
  }
  if (raw != nullptr) *raw = std::move(response.body);
  return absl::OkStatus();
}

void PrintCommandError(std::string_view command, absl::string_view message) {
  std::fprintf(stderr, "edge-connector %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data());
}

}  // namespace edge::cli
