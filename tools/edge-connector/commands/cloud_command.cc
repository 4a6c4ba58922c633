// `edge-connector cloud provision | start | stop | status | delete | force-complete --deployment ID`: a
// deployment's cloud connector, the connector instance the platform hosts for it (docs/cloud-connectors.md §7).
// Each subcommand is one request to the REST API (§6); --wait (cloud_wait.cc) then follows the connector to the
// operation's target state.
#include "commands/cloud_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "commands/bundle_command.h"
#include "commands/cloud_view.h"
#include "commands/commands.h"
#include "commands/http_client.h"

namespace edge::cli {
namespace {

constexpr char kExitCodes[] =
    "Exit codes: 0 success, 1 the platform refused (an illegal transition names the state and the allowed "
    "actions), could not be reached, or --wait ended without reaching the target state; 64 usage error; 78 "
    "configuration error (no token, bad URL).";

// An operation that changes the state: its request and the state --wait waits for.
struct Operation {
  const char* name;         // the subcommand
  const char* method;
  const char* path;         // below .../cloud-connector
  const char* target;       // the state --wait waits for
  const char* description;  // --help
};

constexpr Operation kOperations[] = {
    {"provision", "POST", "", "Stopped",
     "Create the deployment's cloud connector (install dir, credentials, configuration); it ends Stopped."},
    {"start", "POST", "/start", "Running",
     "Start the cloud connector; it is Running once its link is up and its tools are registered."},
    {"stop", "POST", "/stop", "Stopped",
     "Stop the cloud connector; calls in progress complete before its link closes."},
    {"force-complete", "POST", "/force-complete", "Stopped",
     "End a stuck or failed operation: the connector becomes Stopped (a process is killed); then retry or delete."},
};

std::string Field(const rapidjson::Value& doc, const char* key) { return StringAt(doc, {key}); }

int RunOperation(const Operation& op, const CloudOptions& o) {
  const std::string command = absl::StrCat("cloud ", op.name);
  const absl::Time deadline = absl::Now() + absl::Seconds(o.timeout_s);
  int exit_code = kExitOk;
  auto connection = ConnectOrExplain(command.c_str(), o.platform, &exit_code);
  if (!connection) return exit_code;
  CloudAnswer answer;
  if (absl::Status s = CloudRequest(*connection, op.method, o.deployment, op.path, absl::Seconds(60), &answer);
      !s.ok()) {
    PrintCommandError(command, s.message());
    return kExitToolError;
  }
  if (!answer.ok()) return ReportCloudError(command.c_str(), o, answer);
  if (o.wait) return WaitForCloudState(command.c_str(), *connection, o, op.target, std::move(answer), deadline);
  if (o.json) {
    std::printf("%s\n", answer.body.c_str());
  } else {
    std::printf("%s\n", CloudOutcomeLine(answer.doc).c_str());
    if (Field(answer.doc, "state") != op.target) {
      std::printf("Follow it with `edge-connector cloud status --deployment %s`, or pass --wait.\n",
                  o.deployment.c_str());
    }
  }
  return kExitOk;
}

int RunStatus(const CloudOptions& o) {
  int exit_code = kExitOk;
  auto connection = ConnectOrExplain("cloud status", o.platform, &exit_code);
  if (!connection) return exit_code;
  CloudAnswer answer;
  if (absl::Status s = CloudRequest(*connection, "GET", o.deployment, "", absl::Seconds(60), &answer); !s.ok()) {
    PrintCommandError("cloud status", s.message());
    return kExitToolError;
  }
  if (!answer.ok()) return ReportCloudError("cloud status", o, answer);
  if (o.json) {
    std::printf("%s\n", answer.body.c_str());
  } else {
    std::printf("%s", FormatCloudStatus(answer.doc, absl::ToUnixMillis(absl::Now())).c_str());
  }
  return kExitOk;
}

int RunDelete(const CloudOptions& o) {
  int exit_code = kExitOk;
  auto connection = ConnectOrExplain("cloud delete", o.platform, &exit_code);
  if (!connection) return exit_code;
  CloudAnswer answer;
  if (absl::Status s = CloudRequest(*connection, "DELETE", o.deployment, "", absl::Seconds(60), &answer);
      !s.ok()) {
    PrintCommandError("cloud delete", s.message());
    return kExitToolError;
  }
  if (!answer.ok()) return ReportCloudError("cloud delete", o, answer);
  if (o.json) {
    std::printf("%s\n", answer.body.c_str());
  } else {
    std::printf("Cloud connector %s of deployment %s deleted: its install dir and credentials are released.\n",
                Field(answer.doc, "id").c_str(), o.deployment.c_str());
  }
  return kExitOk;
}

CLI::App* AddCommon(CLI::App* cloud, const char* name, const char* description, CloudOptions* o) {
  CLI::App* cmd = cloud->add_subcommand(name, description);
  cmd->add_option("--deployment", o->deployment, "Deployment id")->required();
  AddPlatformOptions(cmd, &o->platform);
  cmd->add_flag("--json", o->json, "Print the platform's JSON answer (the connector, or the error object)");
  cmd->footer(kExitCodes);
  return cmd;
}

}  // namespace

absl::Status CloudRequest(const PlatformConnection& connection, const std::string& method,
                          const std::string& deployment, const std::string& path, absl::Duration timeout,
                          CloudAnswer* answer) {
  HttpRequest request;
  request.method = std::string(method);
  request.url = absl::StrCat(connection.api, "/api/v1/deployments/", UrlEscape(deployment), "/cloud-connector",
                             path);
  if (method == "POST") request.body = "{}";
  request.bearer_token = connection.token;
  request.ca_file = connection.ca_file;
  request.timeout_ms = std::max<long>(1000, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  request.max_body_bytes = 4 << 20;
  HttpResponse response;
  if (absl::Status s = HttpFetch(request, &response); !s.ok()) {
    if (s.code() == absl::StatusCode::kFailedPrecondition) return s;  // libcurl missing
    return absl::UnavailableError(absl::StrCat("platform not reachable at ", connection.api, ": ", s.message()));
  }
  answer->status = response.status;
  answer->body = std::move(response.body);
  while (!answer->body.empty() && (answer->body.back() == '\n' || answer->body.back() == '\r')) {
    answer->body.pop_back();
  }
  answer->doc.Parse(answer->body.c_str(), answer->body.size());
  if (answer->doc.HasParseError()) answer->doc.SetNull();
  if (answer->status >= 200 && answer->status < 300 && !answer->doc.IsObject()) {
    return absl::DataLossError(absl::StrCat("the platform answered HTTP ", answer->status, " with a body that is ",
                                            "not a JSON object: is ", connection.api, " the platform API?"));
  }
  return absl::OkStatus();
}

int ReportCloudError(const char* command, const CloudOptions& options, const CloudAnswer& answer) {
  if (options.json) std::printf("%s\n", answer.body.c_str());
  HttpResponse response;
  response.status = answer.status;
  response.body = answer.body;
  PrintCommandError(command, DescribeApiError(response));
  return kExitToolError;
}

std::string CloudOutcomeLine(const rapidjson::Value& c) {
  std::string line = absl::StrCat("Cloud connector ", Field(c, "id"), " of deployment ", Field(c, "deploymentId"),
                                  " is ", Field(c, "state"));
  if (c.HasMember("pid") && c["pid"].IsInt64()) absl::StrAppend(&line, " (pid ", c["pid"].GetInt64(), ")");
  return line + ".";
}

void AddCloudCommand(CLI::App& root, CommandRun* run) {
  CLI::App* cloud = root.add_subcommand(
      "cloud", "Manage a deployment's cloud connector (a connector the platform hosts): provision, start, stop, "
               "status, delete, force-complete.");
  cloud->require_subcommand(1);
  cloud->footer(absl::StrCat(
      "Each subcommand takes --deployment ID, --api, --token, --install-dir and --json; provision, start, stop "
      "and force-complete also --wait and --timeout.\nStates: docs/cloud-connectors.md. ",
      kExitCodes));
  for (const Operation& op : kOperations) {
    auto o = std::make_shared<CloudOptions>();
    CLI::App* cmd = AddCommon(cloud, op.name, op.description, o.get());
    cmd->add_flag("--wait", o->wait,
                  absl::StrCat("Block until the connector is ", op.target,
                               " (progress on stderr); fail as soon as it is stuck or failed"));
    cmd->add_option("--timeout", o->timeout_s, "Give up waiting after this many seconds (default 180)")
        ->type_name("SECONDS")
        ->check(CLI::PositiveNumber);
    const Operation* operation = &op;
    cmd->callback([run, o, operation] { *run = [o, operation] { return RunOperation(*operation, *o); }; });
  }
  auto status = std::make_shared<CloudOptions>();
  AddCommon(cloud, "status",
            "Show the cloud connector: state, stuck or failed, time in state, last heartbeat, pid, restarts, "
            "bundle, tools, last error.",
            status.get())
      ->callback([run, status] { *run = [status] { return RunStatus(*status); }; });
  auto del = std::make_shared<CloudOptions>();
  AddCommon(cloud, "delete",
            "Delete the cloud connector (only when Stopped): releases its install dir and credentials. Irreversible.",
            del.get())
      ->callback([run, del] { *run = [del] { return RunDelete(*del); }; });
}

}  // namespace edge::cli
