// `edge-connector call <tool> --args JSON [--deployment ID]`: invokes a tool through the platform's REST API
// (POST /api/v1/tools/{name}/invoke, docs/api.md) and prints the result. This is how an operator tests the
// whole path: platform -> link -> connector -> executor -> plugin, and back.
#include <CLI/CLI.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "commands/commands.h"
#include "commands/http_client.h"
#include "edge/runtime/config.h"
#include "edge/runtime/log.h"
#include "harness/json_util.h"

namespace edge::cli {
namespace {

// A string member of an object member path ("" when absent): Member(doc, {"error", "message"}).
std::string StringAt(const rapidjson::Value& root, std::initializer_list<const char*> path) {
  const rapidjson::Value* v = &root;
  for (const char* key : path) {
    if (!v->IsObject() || !v->HasMember(key)) return "";
    v = &(*v)[key];
  }
  return v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
}

// Prints a CallToolResult: each text item; the structured content only when there is no text (tools put a
// readable summary in the text; --json shows everything).
void PrintResult(const rapidjson::Value& result) {
  bool printed = false;
  if (result.HasMember("content") && result["content"].IsArray()) {
    for (const auto& item : result["content"].GetArray()) {
      if (item.IsObject() && item.HasMember("text") && item["text"].IsString()) {
        std::printf("%s\n", item["text"].GetString());
        printed = true;
      }
    }
  }
  if (!printed && result.HasMember("structuredContent")) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    result["structuredContent"].Accept(writer);
    std::printf("structuredContent: %s\n", harness::PrettyJson(buffer.GetString()).c_str());
  }
}

struct CallOptions {
  std::string tool;
  std::string args = "{}";
  std::string deployment;
  std::string api;
  std::string token;
  std::string install_dir;
  int64_t timeout_ms = 0;
  bool json = false;
};

// The admin token: --token, then EDGE_ADMIN_TOKEN, then the connector's auth-token.json.
std::string FindToken(const CallOptions& o, const runtime::ConnectorConfig& config, std::string* source) {
  if (!o.token.empty()) {
    *source = "--token";
    return o.token;
  }
  if (const char* env = std::getenv("EDGE_ADMIN_TOKEN"); env != nullptr && *env != '\0') {
    *source = "EDGE_ADMIN_TOKEN";
    return env;
  }
  std::ifstream in(config.auth_token_path);
  if (!in) return "";
  std::stringstream buffer;
  buffer << in.rdbuf();
  *source = config.auth_token_path;
  rapidjson::Document doc;
  doc.Parse(buffer.str().c_str());
  if (doc.HasParseError()) return "";
  return StringAt(doc, {"token"});
}

int Call(const CallOptions& o) {
  runtime::ConfigInputs inputs;
  inputs.install_dir = o.install_dir.empty() ? "." : o.install_dir;
  inputs.env = runtime::ProcessEnvironment();
  auto config = runtime::LoadConfig(inputs);
  if (!config.ok()) {
    std::fprintf(stderr, "edge-connector call: %s\n", std::string(config.status().message()).c_str());
    return kExitConfig;
  }
  auto args = harness::ReadJsonOption("--args", o.args);
  if (!args.ok()) {
    std::fprintf(stderr, "edge-connector call: %s\n", std::string(args.status().message()).c_str());
    return kExitUsage;
  }
  std::string token_source;
  const std::string token = FindToken(o, config->config, &token_source);
  if (token.empty()) {
    std::fprintf(stderr,
                 "edge-connector call: no platform token: pass --token <admin jwt>, set EDGE_ADMIN_TOKEN, or save "
                 "one with `edge-connector auth --token`\n");
    return kExitUsage;
  }
  std::string api = o.api.empty() ? config->config.platform_api_url : o.api;
  while (!api.empty() && api.back() == '/') api.pop_back();

  std::string body = "{\"arguments\":" + *args;
  if (!o.deployment.empty()) body += ",\"deploymentId\":" + harness::JsonQuote(o.deployment);
  if (o.timeout_ms > 0) body += ",\"timeoutMs\":" + std::to_string(o.timeout_ms);
  body += "}";
  HttpRequest request;
  request.method = "POST";
  request.url = api + "/api/v1/tools/" + UrlEscape(o.tool) + "/invoke";
  request.body = body;
  request.bearer_token = token;
  request.ca_file = config->config.ca_file;
  HttpResponse response;
  if (absl::Status s = HttpFetch(request, &response); !s.ok()) {
    std::fprintf(stderr, "edge-connector call: platform not reachable at %s: %s\n", api.c_str(),
                 std::string(s.message()).c_str());
    return kExitCallError;
  }
  if (o.json) std::printf("%s\n", response.body.c_str());
  rapidjson::Document doc;
  doc.Parse(response.body.c_str());
  if (response.status != 200 || doc.HasParseError() || !doc.IsObject() || !doc.HasMember("result") ||
      !doc["result"].IsObject()) {
    if (!o.json) {
      std::string message = doc.HasParseError() ? response.body : StringAt(doc, {"error", "message"});
      std::string code = doc.HasParseError() ? "" : StringAt(doc, {"error", "code"});
      std::fprintf(stderr, "edge-connector call: %s (HTTP %ld%s%s)\n", message.c_str(), response.status,
                   code.empty() ? "" : " ", code.c_str());
    }
    return kExitCallError;
  }
  const rapidjson::Value& result = doc["result"];
  const bool is_error = result.HasMember("isError") && result["isError"].IsBool() && result["isError"].GetBool();
  if (!o.json) {
    if (is_error) std::printf("tool error (isError: true):\n");
    PrintResult(result);
  }
  return is_error ? kExitToolError : kExitOk;
}

}  // namespace

void AddCallCommand(CLI::App& root, CommandRun* run) {
  auto options = std::make_shared<CallOptions>();
  CLI::App* cmd = root.add_subcommand("call", "Call a tool through the platform API (the whole path, end to end).");
  cmd->add_option("tool", options->tool, "Tool name")->required();
  cmd->add_option("--args", options->args, "Arguments: a JSON object, or @FILE (default {})");
  cmd->add_option("--deployment", options->deployment, "Run it on this deployment (default: any that serves it)");
  cmd->add_option("--api", options->api, "Platform API URL (default: platformApiUrl, PLATFORM_API_URL)");
  cmd->add_option("--token", options->token, "Admin token (default: EDGE_ADMIN_TOKEN, then auth-token.json)");
  cmd->add_option("--install-dir", options->install_dir, "Installation directory whose configuration to use");
  cmd->add_option("--timeout-ms", options->timeout_ms, "Maximum call duration in milliseconds");
  cmd->add_flag("--json", options->json, "Print the platform's JSON answer");
  cmd->footer("Exit codes: 0 result, 1 the tool returned an error result, 2 call failed (the message says why: "
              "connector unavailable, invalid arguments, timeout...), 64 usage, 78 configuration error.");
  cmd->callback([run, options] { *run = [options] { return Call(*options); }; });
}

}  // namespace edge::cli
