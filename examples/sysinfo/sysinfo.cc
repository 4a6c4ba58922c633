// The sysinfo example: read-only system information from /proc and uname(2).
//
//   system.info       host name, kernel, CPUs, memory, load and uptime
//   system.processes  the processes using the most memory (RSS), optionally filtered by name
//
// Everything is read fresh on each call (the values change), and nothing is written anywhere.
#include <dirent.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <edge/sdk.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string ReadProcFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw edge::ToolError("cannot read " + path + ": " + std::strerror(errno) + " (is /proc mounted?)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of "Key:<spaces>value" in a /proc file such as meminfo, status or cpuinfo; "" when absent.
std::string Field(const std::string& text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view k = line.substr(0, colon);
      while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.remove_suffix(1);
      if (k == key) {
        std::string_view v = line.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        return std::string(v);
      }
    }
    pos = eol + 1;
  }
  return "";
}

// A "123 kB" meminfo/status value in bytes; 0 when absent (e.g. kernel threads have no VmRSS).
uint64_t KibField(const std::string& text, std::string_view key) {
  return std::strtoull(Field(text, key).c_str(), nullptr, 10) * 1024;
}

std::string HumanBytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
  return buf;
}

edge::Result SystemInfo() {
  utsname u{};
  if (uname(&u) != 0) throw edge::ToolError(std::string("uname failed: ") + std::strerror(errno));

  std::string cpuinfo = ReadProcFile("/proc/cpuinfo");
  int64_t logical = 0;
  for (size_t pos = 0; (pos = cpuinfo.find("processor", pos)) != std::string::npos; pos += 9) {
    if (pos == 0 || cpuinfo[pos - 1] == '\n') ++logical;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  int64_t usable = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
  std::string model = Field(cpuinfo, "model name");
  if (model.empty()) model = Field(cpuinfo, "Hardware");  // many ARM kernels name the SoC there instead

  std::string meminfo = ReadProcFile("/proc/meminfo");
  uint64_t total = KibField(meminfo, "MemTotal");
  uint64_t available = KibField(meminfo, "MemAvailable");

  double avg1 = 0, avg5 = 0, avg15 = 0;
  long long runnable = 0, tasks = 0;
  std::string loadavg = ReadProcFile("/proc/loadavg");
  if (std::sscanf(loadavg.c_str(), "%lf %lf %lf %lld/%lld", &avg1, &avg5, &avg15, &runnable, &tasks) != 5) {
    throw edge::ToolError("unexpected /proc/loadavg format: '" + loadavg + "'");
  }
  double uptime = 0;
  if (std::sscanf(ReadProcFile("/proc/uptime").c_str(), "%lf", &uptime) != 1) {
    throw edge::ToolError("unexpected /proc/uptime format");
  }

  edge::Json out = edge::Json::object();
  out.set("hostname", u.nodename)
      .set("os", edge::Json::object().set("sysname", u.sysname).set("release", u.release).set("version", u.version)
                     .set("machine", u.machine))
      .set("cpu", edge::Json::object().set("logicalCpus", logical).set("usableCpus", usable).set("model", model))
      .set("memory", edge::Json::object()
                         .set("totalBytes", total)
                         .set("availableBytes", available)
                         .set("freeBytes", KibField(meminfo, "MemFree"))
                         .set("swapTotalBytes", KibField(meminfo, "SwapTotal"))
                         .set("swapFreeBytes", KibField(meminfo, "SwapFree")))
      .set("load", edge::Json::object().set("avg1", avg1).set("avg5", avg5).set("avg15", avg15)
                       .set("runnable", runnable).set("tasks", tasks))
      .set("uptimeSeconds", uptime);

  char summary[512];
  std::snprintf(summary, sizeof(summary), "%s: %s %s %s, %lld usable CPUs (%s), %s available of %s, load %.2f %.2f %.2f, up %.0f s",
                u.nodename, u.sysname, u.release, u.machine, static_cast<long long>(usable), model.c_str(),
                HumanBytes(available).c_str(), HumanBytes(total).c_str(), avg1, avg5, avg15, std::floor(uptime));
  return edge::Result::structured(out, summary);
}

struct ProcessRow {
  int64_t pid, ppid, uid, threads;
  uint64_t rss;
  std::string name, state;
};

edge::Result Processes(const edge::Args& args, edge::Context& ctx) {
  auto limit = args.get_or<int64_t>("limit", 10);
  std::string name_filter = args.get_or<std::string>("nameContains", "");

  DIR* dir = opendir("/proc");
  if (dir == nullptr) throw edge::ToolError(std::string("cannot list /proc: ") + std::strerror(errno));
  std::vector<ProcessRow> rows;
  int64_t scanned = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;  // only the numeric (process) entries
    if (++scanned % 64 == 0 && ctx.cancelled()) break;
    std::ifstream in(std::string("/proc/") + e->d_name + "/status");
    if (!in) continue;  // the process exited while we listed: not an error
    std::ostringstream s;
    s << in.rdbuf();
    std::string status = s.str();
    ProcessRow r{std::strtoll(e->d_name, nullptr, 10), std::strtoll(Field(status, "PPid").c_str(), nullptr, 10),
                 std::strtoll(Field(status, "Uid").c_str(), nullptr, 10),
                 std::strtoll(Field(status, "Threads").c_str(), nullptr, 10), KibField(status, "VmRSS"),
                 Field(status, "Name"), Field(status, "State")};
    if (!name_filter.empty() && r.name.find(name_filter) == std::string::npos) continue;
    rows.push_back(std::move(r));
  }
  closedir(dir);
  ctx.check_cancelled();

  std::sort(rows.begin(), rows.end(), [](const ProcessRow& a, const ProcessRow& b) {
    return a.rss != b.rss ? a.rss > b.rss : a.pid < b.pid;
  });
  edge::Json list = edge::Json::array();
  std::string text;
  for (size_t i = 0; i < rows.size() && static_cast<int64_t>(i) < limit; ++i) {
    const ProcessRow& r = rows[i];
    list.push(edge::Json::object().set("pid", r.pid).set("ppid", r.ppid).set("name", r.name).set("state", r.state)
                  .set("uid", r.uid).set("rssBytes", r.rss).set("threads", r.threads));
    text += std::to_string(r.pid) + " " + r.name + " rss=" + std::to_string(r.rss / 1024) + "KiB\n";
  }
  edge::Json out = edge::Json::object();
  out.set("processes", list).set("matched", static_cast<int64_t>(rows.size())).set("scanned", scanned);
  if (rows.empty()) text = name_filter.empty() ? "no processes found" : "no process name contains '" + name_filter + "'";
  return edge::Result::structured(out, text);
}

constexpr const char* kInfoOutputSchema = R"schema({
  "type": "object",
  "properties": {
    "hostname": {"type": "string"},
    "os": {"type": "object", "properties": {
      "sysname": {"type": "string"}, "release": {"type": "string"}, "version": {"type": "string"},
      "machine": {"type": "string"}}, "required": ["sysname", "release", "version", "machine"]},
    "cpu": {"type": "object", "properties": {
      "logicalCpus": {"type": "integer", "minimum": 0, "description": "processors listed in /proc/cpuinfo"},
      "usableCpus": {"type": "integer", "minimum": 1, "description": "CPUs this process may run on (nproc)"},
      "model": {"type": "string"}}, "required": ["logicalCpus", "usableCpus", "model"]},
    "memory": {"type": "object", "properties": {
      "totalBytes": {"type": "integer", "minimum": 0}, "availableBytes": {"type": "integer", "minimum": 0},
      "freeBytes": {"type": "integer", "minimum": 0}, "swapTotalBytes": {"type": "integer", "minimum": 0},
      "swapFreeBytes": {"type": "integer", "minimum": 0}},
      "required": ["totalBytes", "availableBytes", "freeBytes", "swapTotalBytes", "swapFreeBytes"]},
    "load": {"type": "object", "properties": {
      "avg1": {"type": "number", "minimum": 0}, "avg5": {"type": "number", "minimum": 0},
      "avg15": {"type": "number", "minimum": 0}, "runnable": {"type": "integer", "minimum": 0},
      "tasks": {"type": "integer", "minimum": 0}}, "required": ["avg1", "avg5", "avg15", "runnable", "tasks"]},
    "uptimeSeconds": {"type": "number", "minimum": 0}
  },
  "required": ["hostname", "os", "cpu", "memory", "load", "uptimeSeconds"]
})schema";

constexpr const char* kProcessesOutputSchema = R"schema({
  "type": "object",
  "properties": {
    "processes": {"type": "array", "items": {"type": "object", "properties": {
      "pid": {"type": "integer", "minimum": 1}, "ppid": {"type": "integer", "minimum": 0},
      "name": {"type": "string"}, "state": {"type": "string"}, "uid": {"type": "integer", "minimum": 0},
      "rssBytes": {"type": "integer", "minimum": 0}, "threads": {"type": "integer", "minimum": 0}},
      "required": ["pid", "ppid", "name", "state", "uid", "rssBytes", "threads"]}},
    "matched": {"type": "integer", "minimum": 0, "description": "processes that matched before the limit applied"},
    "scanned": {"type": "integer", "minimum": 0, "description": "process entries read from /proc"}
  },
  "required": ["processes", "matched", "scanned"]
})schema";

}  // namespace

EDGE_PLUGIN("sysinfo", "1.0.0") {
  plugin.tool("system.info")
      .title("System information")
      .description("Describes the machine the connector runs on: host name, kernel (uname), CPU count and model, "
                   "memory and swap in bytes (from /proc/meminfo), load averages and uptime. Read-only.")
      .input_schema(R"({"type":"object","properties":{},"additionalProperties":false})")
      .output_schema(kInfoOutputSchema)
      .example("{}")
      .read_only()
      .idempotent()
      .open_world(false)
      .handler([](const edge::Args&, edge::Context&) { return SystemInfo(); });

  plugin.tool("system.processes")
      .title("Top processes by memory")
      .description("Lists the processes using the most resident memory (RSS), largest first, with pid, parent pid, "
                   "name, state, owner uid and thread count. 'nameContains' keeps only processes whose name "
                   "(as in /proc/<pid>/status, at most 15 characters) contains the given text. Read-only.")
      .input_schema(R"({"type":"object","properties":{
          "limit":{"type":"integer","minimum":1,"maximum":500,"default":10,"description":"how many processes to return"},
          "nameContains":{"type":"string","maxLength":64,"description":"case-sensitive substring of the process name"}},
          "additionalProperties":false})")
      .output_schema(kProcessesOutputSchema)
      .example(R"({"limit":5})")
      .read_only()
      .open_world(false)
      .handler(Processes);
}
