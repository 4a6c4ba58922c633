// `edge-connector call <tool> --args JSON [--deployment ID]`: invokes a tool through the platform's REST API
// (POST /api/v1/tools/{name}/invoke, docs/api.md) and prints the result. This is how an operator tests the
// whole path: platform -> link -> connector -> executor -> plugin, and back.
#include <CLI/CLI.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands/commands.h"
#include "commands/http_client.h"
#include "commands/platform_client.h"
#include "harness/json_util.h"

namespace edge::cli {
namespace {

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
  PlatformOptions platform;
  int64_t timeout_ms = 0;
  bool json = false;
};

int Call(const CallOptions& o) {
  auto args = harness::ReadJsonOption("--args", o.args);
  if (!args.ok()) {
    PrintCommandError("call", args.status().message());
    return kExitUsage;
  }
  auto connection = ConnectPlatform(o.platform);
  if (!connection.ok()) {
    PrintCommandError("call", connection.status().message());
    return connection.status().code() == absl::StatusCode::kNotFound ? kExitUsage : kExitConfig;
  }
  std::string body = "{\"arguments\":" + *args;
  if (!o.deployment.empty()) body += ",\"deploymentId\":" + harness::JsonQuote(o.deployment);
  if (o.timeout_ms > 0) body += ",\"timeoutMs\":" + std::to_string(o.timeout_ms);
  body += "}";
  HttpRequest request;
  request.method = "POST";
  request.url = connection->api + "/api/v1/tools/" + UrlEscape(o.tool) + "/invoke";
  request.body = body;
  request.bearer_token = connection->token;
  request.ca_file = connection->ca_file;
  HttpResponse response;
  if (absl::Status s = HttpFetch(request, &response); !s.ok()) {
    std::fprintf(stderr, "edge-connector call: platform not reachable at %s: %s\n", connection->api.c_str(),
                 std::string(s.message()).c_str());
    return kExitCallError;
  }
  if (o.json) std::printf("%s\n", response.body.c_str());
  rapidjson::Document doc;
  doc.Parse(response.body.c_str());
  if (response.status != 200 || doc.HasParseError() || !doc.IsObject() || !doc.HasMember("result") ||
      !doc["result"].IsObject()) {
    if (!o.json) PrintCommandError("call", DescribeApiError(response));
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
  AddPlatformOptions(cmd, &options->platform);
  cmd->add_option("--timeout-ms", options->timeout_ms, "Maximum call duration in milliseconds");
  cmd->add_flag("--json", options->json, "Print the platform's JSON answer");
  cmd->footer("Exit codes: 0 result, 1 the tool returned an error result, 2 call failed (the message says why: "
              "connector unavailable, invalid arguments, timeout...), 64 usage, 78 configuration error.");
  cmd->callback([run, options] { *run = [options] { return Call(*options); }; });
}

}  // namespace edge::cli
