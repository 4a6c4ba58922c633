// `edge-connector status`: reads a running connector's /statusz and prints a readable summary (or the raw
// JSON). The JSON belongs to the daemon and may grow or lose fields, so every field is optional here ("-").
#include <CLI/CLI.hpp>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "commands/commands.h"
#include "commands/http_client.h"
#include "edge/runtime/config.h"
#include "edge/runtime/log.h"
#include "rapidjson/document.h"

namespace edge::cli {
namespace {

struct StatusOptions {
  std::string url;
  std::string install_dir;
  bool json = false;
};

constexpr size_t kMaxBody = 4 << 20;  // larger is not a status snapshot; stop reading

using Json = rapidjson::Value;

const Json* Get(const Json& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::string Str(const Json& obj, const char* key) {
  const Json* v = Get(obj, key);
  if (v == nullptr) return "-";
  if (v->IsString()) return v->GetStringLength() == 0 ? "-" : std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  return "-";
}

bool Int(const Json& obj, const char* key, int64_t* out) {
  const Json* v = Get(obj, key);
  if (v == nullptr || !v->IsNumber()) return false;
  *out = v->IsInt64() ? v->GetInt64() : static_cast<int64_t>(v->GetDouble());
  return true;
}

std::string Num(const Json& obj, const char* key) {
  int64_t v;
  return Int(obj, key, &v) ? std::to_string(v) : "-";
}

// 12s, 5m, 3h20m, 2d.
std::string Span(int64_t ms) {
  int64_t s = std::max<int64_t>(0, ms / 1000);
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrCat(s / 60, "m");
  if (s < 48 * 3600) return absl::StrCat(s / 3600, "h", (s % 3600) / 60, "m");
  return absl::StrCat(s / 86400, "d");
}

std::string Ago(const Json& obj, const char* key, int64_t now_ms) {
  int64_t at;
  if (!Int(obj, key, &at) || at <= 0) return "-";
  return Span(now_ms - at) + " ago";
}


// "Bundle: b_x v3 (sha256:3f1c4a5b6c7d…), sync idle, 2 swaps (last 16 ms), next check in 9m".
std::string BundleLine(const Json* bundle, int64_t now_ms) {
  if (bundle == nullptr) return "Bundle: none";
  std::string line = "Bundle: ";
  const std::string source = Str(*bundle, "source");
  if (source == "bundle") {
    std::string checksum = Str(*bundle, "checksum");
    if (checksum.size() > 19) checksum = checksum.substr(0, 19) + "...";
    absl::StrAppend(&line, Str(*bundle, "id"), " v", Num(*bundle, "version"), " (", checksum, ")");
  } else if (source == "local") {
    absl::StrAppend(&line, "a hand-installed directory");
  } else {
    absl::StrAppend(&line, "none installed");
  }
  const Json* sync = Get(*bundle, "sync");
  if (sync == nullptr) return line;
  absl::StrAppend(&line, ", sync ", Str(*sync, "state"));
  if (Str(*sync, "state") == "disabled" && Str(*sync, "disabledReason") != "-") {
    absl::StrAppend(&line, " (", Str(*sync, "disabledReason"), ")");
    return line;
  }
  absl::StrAppend(&line, ", ", Num(*sync, "swaps"), " swaps");
  if (Num(*sync, "lastSwapMs") != "-") absl::StrAppend(&line, " (last ", Num(*sync, "lastSwapMs"), " ms)");
  int64_t next;
  if (Int(*sync, "nextCheckAtMs", &next)) absl::StrAppend(&line, ", next check in ", Span(next - now_ms));
  const Json* retiring = Get(*sync, "retiringGenerations");
  if (retiring != nullptr && retiring->IsArray() && !retiring->Empty()) {
    absl::StrAppend(&line, ", ", retiring->Size(), " generation(s) draining");
  }
  if (Str(*sync, "lastError") != "-") absl::StrAppend(&line, "; last error: ", Str(*sync, "lastError"));
  return line;
}

void PrintSummary(const Json& s) {
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  const Json* ready = Get(s, "ready");
  std::string readiness = "readiness unknown";
  if (ready != nullptr && ready->IsBool()) {
    readiness = ready->GetBool() ? "ready" : "not ready";
    if (!ready->GetBool() && Str(s, "readyReason") != "-") readiness += ": " + Str(s, "readyReason");
  }
  std::printf("State: %s (%s)\n", Str(s, "state").c_str(), readiness.c_str());

  static const Json kEmpty(rapidjson::kObjectType);
  const Json* link_ptr = Get(s, "link");
  const Json& link = link_ptr != nullptr ? *link_ptr : kEmpty;
  std::string line = absl::StrCat("Link: ", Str(link, "state"), " ", Str(link, "url"), " as deployment ",
                                  Str(link, "deploymentId"), " (org ", Str(link, "orgId"), "), session ",
                                  Str(link, "sessionId"), ", connected ", Ago(link, "connectedSinceMs", now_ms),
                                  ", last heartbeat ", Ago(link, "lastHeartbeatAckMs", now_ms), ", ",
                                  Num(link, "reconnects"), " reconnects");
  int64_t next;
  if (Int(link, "nextAttemptInMs", &next)) absl::StrAppend(&line, ", next attempt in ", Span(next));
  if (Str(link, "lastError") != "-") absl::StrAppend(&line, "; last error: ", Str(link, "lastError"));
  std::printf("%s\n", line.c_str());

  const Json* tools = Get(s, "tools");
  if (tools == nullptr) {
    std::printf("Tools: -\n");
  } else {
    std::vector<std::string> names;
    const Json* list = Get(*tools, "names");
    size_t total = 0;
    if (list != nullptr && list->IsArray()) {
      total = list->Size();
      for (const auto& n : list->GetArray()) {
        if (names.size() == 10) break;
        if (n.IsString()) names.emplace_back(n.GetString(), n.GetStringLength());
      }
    }
    std::string shown = absl::StrJoin(names, ", ");
    if (total > names.size()) absl::StrAppend(&shown, ", ...");
    std::printf("Tools: %s (generation %s)%s%s\n", Num(*tools, "count").c_str(), Num(*tools, "generation").c_str(),
                shown.empty() ? "" : ": ", shown.c_str());
  }

  const Json* bundle = Get(s, "bundle");
  std::printf("%s\n", BundleLine(bundle, now_ms).c_str());

  const Json* calls = Get(s, "calls");
  if (calls == nullptr) {
    std::printf("Calls: -\n");
  } else {
    std::string c = absl::StrCat(Num(*calls, "inFlight"), " in flight (", Num(*calls, "running"), " running, ",
                                 Num(*calls, "queued"), " queued), ", Num(*calls, "completed"), " completed, ",
                                 Num(*calls, "failed"), " failed");
    for (const auto& [key, label] : {std::pair{"timedOut", "timed out"}, std::pair{"cancelled", "cancelled"},
                                     std::pair{"rejectedOverloaded", "rejected (overloaded)"},
                                     std::pair{"abandoned", "abandoned"}, std::pair{"lateResults", "late results"}}) {
      int64_t v;
      if (Int(*calls, key, &v) && v > 0) absl::StrAppend(&c, ", ", v, " ", label);
    }
    std::printf("Calls: %s\n", c.c_str());
  }

  int64_t uptime, rss;
  std::string up = Int(s, "uptimeMs", &uptime) ? Span(uptime) : "-";
  std::string rss_text = Int(s, "rssBytes", &rss) ? absl::StrFormat("%.1f MiB", rss / 1048576.0) : "-";
  std::printf("Process: pid %s, up %s, RSS %s, version %s\n", Num(s, "pid").c_str(), up.c_str(), rss_text.c_str(),
              Str(s, "version").c_str());
}

int Run(const StatusOptions& o) {
  std::string base = o.url;
  if (base.empty()) {
    runtime::ConfigInputs inputs;
    inputs.install_dir = o.install_dir;
    inputs.env = runtime::ProcessEnvironment();
    auto loaded = runtime::LoadConfig(inputs);
    if (!loaded.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(runtime::ToStd(loaded.status().message())).c_str());
      return kExitConfig;
    }
    const std::string& host = loaded->config.health_host;
    // The server binds every interface for 0.0.0.0; ask it on loopback.
    std::string connect_host = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
    if (connect_host.find(':') != std::string::npos) connect_host = "[" + connect_host + "]";
    base = absl::StrCat("http://", connect_host, ":", loaded->config.health_port);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = base + "/statusz";
  HttpRequest request;
  request.url = url;
  request.connect_timeout_ms = 3000;
  request.timeout_ms = 3000;
  request.max_body_bytes = kMaxBody;
  HttpResponse response;
  if (absl::Status s = HttpFetch(request, &response); !s.ok()) {
    if (s.code() == absl::StatusCode::kFailedPrecondition) {  // libcurl missing: not the connector's fault
      std::fprintf(stderr, "edge-connector status: %s\n", std::string(s.message()).c_str());
    } else {
      std::fprintf(stderr,
                   "connector not reachable at %s: %s. Is `edge-connector run` running? (health port: HEALTH_PORT)\n",
                   base.c_str(), std::string(s.message()).c_str());
    }
    return kExitToolError;
  }
  const std::string& body = response.body;
  if (response.status != 200) {
    std::fprintf(stderr, "unexpected HTTP %ld from %s: is this the connector's health port? (HEALTH_PORT)\n",
                 response.status, url.c_str());
    return kExitToolError;
  }
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    std::fprintf(stderr, "%s did not answer with a JSON object: is this the connector's health port? (HEALTH_PORT)\n",
                 url.c_str());
    return kExitToolError;
  }
  if (o.json) {
    std::printf("%s\n", body.c_str());
  } else {
    PrintSummary(doc);
  }
  return kExitOk;
}

}  // namespace

void AddStatusCommand(CLI::App& root, CommandRun* run) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* cmd = root.add_subcommand("status", "Show a running connector's state (its /statusz on the health port).");
  cmd->add_option("--url", options->url,
                  "Health server base URL (default: http://127.0.0.1:<healthPort from the configuration>)");
  cmd->add_option("--install-dir", options->install_dir,
                  "Installation directory whose configuration names the health port (default: the current directory)");
  cmd->add_flag("--json", options->json, "Print the raw /statusz JSON");
  cmd->footer("Exit codes: 0 the connector answered (ready or not), 1 not reachable, 78 invalid configuration.");
  cmd->callback([options, run] { *run = [options] { return Run(*options); }; });
}

}  // namespace edge::cli
