// The built-in diagnostics tools: edge.ping, edge.system_info, edge.runtime_status.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json_writer.h"
#include "diagnostics/builtin_tool.h"
#include "diagnostics/system_probe.h"
#include "edge/runtime/diagnostics.h"
#include "edge/runtime/log.h"

namespace edge::runtime {
namespace {

using diagnostics::BuiltinTool;

constexpr char kNoArgsSchema[] = R"({"type":"object","properties":{},"additionalProperties":false})";

ToolDescriptor ReadOnlyDescriptor(std::string name, std::string title, std::string description) {
  ToolDescriptor d;
  d.name = std::move(name);
  d.title = std::move(title);
  d.description = std::move(description);
  d.read_only_hint = true;
  d.destructive_hint = false;
  d.idempotent_hint = true;
  d.open_world_hint = false;
  d.concurrent = true;
  return d;
}

// Structured results also go out as text, for MCP clients that do not read structuredContent.
ToolResult Structured(std::string json, std::string text = "") {
  ToolResult r;
  r.text.push_back(text.empty() ? json : std::move(text));
  r.structured_json = std::move(json);
  return r;
}

ToolDescriptor PingDescriptor() {
  ToolDescriptor d = ReadOnlyDescriptor("edge.ping", "Ping the connector",
                                        "Checks that the connector answers. Echoes an optional message and returns "
                                        "the connector's current time.");
  d.input_schema = R"({"type":"object","properties":{"message":{"type":"string","maxLength":1024,)"
                   R"("description":"Text to echo back"}},"additionalProperties":false})";
  d.output_schema =
      R"({"type":"object","properties":{"message":{"type":"string"},)"
      R"("time":{"type":"string","description":"RFC 3339, UTC"},)"
      R"("unixTimeMs":{"type":"integer"}},"required":["time","unixTimeMs"],"additionalProperties":false})";
  d.examples = {R"({})", R"({"message":"hello"})"};
  return d;
}

absl::StatusOr<ToolResult> Ping(const rapidjson::Value& args, const CallContext&, CallControl&) {
  const absl::Time now = absl::Now();
  std::string json;
  JsonWriter w(json);
  w.BeginObject();
  std::string text = "pong";
  if (auto m = args.FindMember("message"); m != args.MemberEnd()) {
    std::string_view message(m->value.GetString(), m->value.GetStringLength());
    w.Key("message").String(message);
    text = absl::StrCat("pong: ", ToAbsl(message));
  }
  w.Key("time").String(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()));
  w.Key("unixTimeMs").Int(absl::ToUnixMillis(now));
  w.EndObject();
  return Structured(std::move(json), std::move(text));
}

ToolDescriptor SystemInfoDescriptor() {
  ToolDescriptor d = ReadOnlyDescriptor("edge.system_info", "Connector host information",
                                        "Describes the machine the connector runs on: host name, operating system, "
                                        "kernel, CPU count, memory and load averages.");
  d.input_schema = kNoArgsSchema;
  d.output_schema = R"({"type":"object","properties":{)"
                    R"("hostname":{"type":"string"},)"
                    R"("os":{"type":"object","properties":{"name":{"type":"string"},"sysname":{"type":"string"},)"
                    R"("kernel":{"type":"string"},"version":{"type":"string"},"machine":{"type":"string"}},)"
                    R"("required":["name","sysname","kernel","machine"]},)"
                    R"("cpuCount":{"type":"integer","minimum":1},)"
                    R"("memory":{"type":"object","properties":{"totalBytes":{"type":"integer","minimum":0},)"
                    R"("availableBytes":{"type":"integer","minimum":0}}},)"
                    R"("load":{"type":"object","properties":{"one":{"type":"number","minimum":0},)"
                    R"("five":{"type":"number","minimum":0},"fifteen":{"type":"number","minimum":0}},)"
                    R"("required":["one","five","fifteen"]},)"
                    R"("uptimeSeconds":{"type":"number","minimum":0}},)"
                    R"("required":["hostname","os","cpuCount"]})";
  d.examples = {R"({})"};
  return d;
}

std::string GiB(uint64_t bytes) { return absl::StrFormat("%.1f GiB", static_cast<double>(bytes) / (1 << 30)); }

absl::StatusOr<ToolResult> SystemInfo(const rapidjson::Value&, const CallContext&, CallControl&) {
  const diagnostics::SystemFacts f = diagnostics::ProbeSystem();
  std::string json;
  JsonWriter w(json);
  w.BeginObject().Key("hostname").String(f.hostname);
  w.Key("os").BeginObject().Key("name").String(f.os_name).Key("sysname").String(f.sysname);
  w.Key("kernel").String(f.kernel_release).Key("version").String(f.kernel_version);
  w.Key("machine").String(f.machine).EndObject();
  w.Key("cpuCount").Int(f.cpu_count);
  if (f.memory_total_bytes || f.memory_available_bytes) {
    w.Key("memory").BeginObject();
    if (f.memory_total_bytes) w.Key("totalBytes").Uint(*f.memory_total_bytes);
    if (f.memory_available_bytes) w.Key("availableBytes").Uint(*f.memory_available_bytes);
    w.EndObject();
  }
  if (f.load1) {
    w.Key("load").BeginObject().Key("one").Double(*f.load1).Key("five").Double(*f.load5);
    w.Key("fifteen").Double(*f.load15).EndObject();
  }
  if (f.uptime_seconds) w.Key("uptimeSeconds").Double(*f.uptime_seconds);
  w.EndObject();

  std::string text = absl::StrCat(f.hostname, ": ", f.os_name, ", kernel ", f.kernel_release, " (", f.machine, "), ",
                                  f.cpu_count, " CPUs");
  if (f.memory_total_bytes && f.memory_available_bytes) {
    absl::StrAppend(&text, ", ", GiB(*f.memory_available_bytes), " of ", GiB(*f.memory_total_bytes),
                    " memory available");
  }
  if (f.load1) absl::StrAppend(&text, absl::StrFormat(", load %.2f %.2f %.2f", *f.load1, *f.load5, *f.load15));
  return Structured(std::move(json), std::move(text));
}

ToolDescriptor RuntimeStatusDescriptor() {
  ToolDescriptor d = ReadOnlyDescriptor("edge.runtime_status", "Connector runtime status",
                                        "Reports the connector runtime's own status: loaded tools, calls, uptime "
                                        "and memory use.");
  d.input_schema = kNoArgsSchema;
  d.output_schema = R"({"type":"object"})";  // the embedder defines the shape
  d.examples = {R"({})"};
  return d;
}

absl::StatusOr<ToolResult> RuntimeStatus(const RuntimeStatusProvider& provider) {
  if (!provider) return Structured(R"({"status":"unknown","reason":"no runtime status provider is configured"})");
  std::string json = provider();
  rapidjson::Document doc;
  if (absl::Status s = plugins::ParseJson(json, doc); !s.ok() || !doc.IsObject()) {
    return absl::InternalError(
        absl::StrCat("the runtime status provider returned ",
                     s.ok() ? "JSON that is not an object" : absl::StrCat("invalid JSON (", s.message(), ")"),
                     ": this is a connector bug; report it"));
  }
  return Structured(std::move(json));
}

}  // namespace

std::vector<std::shared_ptr<const Tool>> BuiltinDiagnosticsTools(RuntimeStatusProvider status_provider) {
  std::vector<std::pair<ToolDescriptor, diagnostics::BuiltinHandler>> specs;
  specs.emplace_back(PingDescriptor(), &Ping);
  specs.emplace_back(SystemInfoDescriptor(), &SystemInfo);
  specs.emplace_back(RuntimeStatusDescriptor(),
                     [provider = std::move(status_provider)](const rapidjson::Value&, const CallContext&,
                                                             CallControl&) { return RuntimeStatus(provider); });
  std::vector<std::shared_ptr<const Tool>> tools;
  for (auto& [descriptor, handler] : specs) {
    absl::StatusOr<std::shared_ptr<const Tool>> tool = BuiltinTool::Create(std::move(descriptor), std::move(handler));
    if (tool.ok()) {
      tools.push_back(*std::move(tool));
    } else {
      // Only a broken built-in schema gets here, and the diagnostics tests catch that first.
      Logger::Default().Error("diagnostics", tool.status().message());
    }
  }
  return tools;
}

}  // namespace edge::runtime
