// Tests for the sysinfo example: values checked against /proc and libc read independently by the test, first
// through FakeHost (the plugin source is compiled into this test), then through the real host.
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <edge/testing.hpp>
#include <fstream>
#include <sstream>
#include <string>

namespace {

using ::edge::testing::FakeHost;
using ::edge::testing::IsHostError;
using ::edge::testing::PluginUnderTest;
using ::edge::testing::StructuredOf;
using ::testing::HasSubstr;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// MemTotal in bytes, parsed here independently of the plugin.
uint64_t MemTotalBytes() {
  std::istringstream in(Slurp("/proc/meminfo"));
  std::string key, unit;
  uint64_t kib = 0;
  while (in >> key >> kib >> unit) {
    if (key == "MemTotal:") return kib * 1024;
  }
  return 0;
}

double UptimeSeconds() { return std::stod(Slurp("/proc/uptime")); }

std::string OwnComm() {
  std::string comm = Slurp("/proc/self/comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

class SysinfoFakeHostTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(host_.Init("{}"), EDGE_STATUS_OK) << host_.init_error(); }
  FakeHost host_{&edge_plugin_negotiate};
};

TEST_F(SysinfoFakeHostTest, DeclaresReadOnlyToolsWithOutputSchemas) {
  EXPECT_THAT(host_.ToolNames(), ::testing::ElementsAre("system.info", "system.processes"));
  for (const char* name : {"system.info", "system.processes"}) {
    const edge_tool_descriptor_v1* d = host_.Descriptor(name);
    ASSERT_NE(d, nullptr) << name;
    EXPECT_EQ(d->read_only_hint, EDGE_HINT_TRUE) << name;
    EXPECT_GT(d->output_schema_json.len, 0u) << name;
    EXPECT_GT(d->examples_json.len, 0u) << name;
  }
}

TEST_F(SysinfoFakeHostTest, InfoAgreesWithProcAndUname) {
  double uptime_before = UptimeSeconds();
  edge::testing::FakeCallResult r = host_.Invoke("system.info", "{}");
  double uptime_after = UptimeSeconds();
  ASSERT_TOOL_OK(r);
  rapidjson::Document out = StructuredOf(r);
  ASSERT_TRUE(out.IsObject());

  utsname u{};
  ASSERT_EQ(uname(&u), 0);
  EXPECT_STREQ(out["hostname"].GetString(), u.nodename);
  EXPECT_STREQ(out["os"]["sysname"].GetString(), u.sysname);
  EXPECT_STREQ(out["os"]["release"].GetString(), u.release);
  EXPECT_STREQ(out["os"]["machine"].GetString(), u.machine);

  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_EQ(out["cpu"]["usableCpus"].GetInt64(), CPU_COUNT(&set));
  EXPECT_EQ(out["cpu"]["logicalCpus"].GetInt64(), sysconf(_SC_NPROCESSORS_ONLN));

  const auto& mem = out["memory"];
  EXPECT_EQ(mem["totalBytes"].GetUint64(), MemTotalBytes());
  EXPECT_LE(mem["availableBytes"].GetUint64(), mem["totalBytes"].GetUint64());
  EXPECT_LE(mem["freeBytes"].GetUint64(), mem["totalBytes"].GetUint64());
  EXPECT_LE(mem["swapFreeBytes"].GetUint64(), mem["swapTotalBytes"].GetUint64());

  EXPECT_GE(out["load"]["runnable"].GetInt64(), 1) << "this test's own thread is runnable";
  EXPECT_GE(out["load"]["tasks"].GetInt64(), out["load"]["runnable"].GetInt64());
  EXPECT_GE(out["uptimeSeconds"].GetDouble(), uptime_before);
  EXPECT_LE(out["uptimeSeconds"].GetDouble(), uptime_after);

  EXPECT_THAT(r.text.at(0), HasSubstr(u.release)) << "the text summary is for clients without structured output";
}

TEST_F(SysinfoFakeHostTest, ProcessesFindsThisProcessByName) {
  std::string args = R"({"limit":50,"nameContains":")" + OwnComm() + R"("})";
  edge::testing::FakeCallResult r = host_.Invoke("system.processes", args);
  ASSERT_TOOL_OK(r);
  rapidjson::Document out = StructuredOf(r);
  bool found = false;
  for (const auto& p : out["processes"].GetArray()) {
    EXPECT_THAT(p["name"].GetString(), HasSubstr(OwnComm()));
    if (p["pid"].GetInt64() != getpid()) continue;
    found = true;
    EXPECT_EQ(p["ppid"].GetInt64(), getppid());
    EXPECT_EQ(p["uid"].GetInt64(), static_cast<int64_t>(getuid()));
    EXPECT_GT(p["rssBytes"].GetUint64(), 0u);
    EXPECT_GE(p["threads"].GetInt64(), 1);
  }
  EXPECT_TRUE(found) << "pid " << getpid() << " missing from " << r.text.at(0);
}

TEST_F(SysinfoFakeHostTest, ProcessesAreSortedByRssAndLimited) {
  edge::testing::FakeCallResult r = host_.Invoke("system.processes", R"({"limit":3})");
  ASSERT_TOOL_OK(r);
  rapidjson::Document out = StructuredOf(r);
  const auto& list = out["processes"];
  ASSERT_GE(list.Size(), 1u);
  EXPECT_LE(list.Size(), 3u);
  EXPECT_GE(out["matched"].GetInt64(), static_cast<int64_t>(list.Size()));
  for (rapidjson::SizeType i = 1; i < list.Size(); ++i) {
    EXPECT_GE(list[i - 1]["rssBytes"].GetUint64(), list[i]["rssBytes"].GetUint64());
  }
}

TEST_F(SysinfoFakeHostTest, ProcessesWithNoMatchSaysSo) {
  edge::testing::FakeCallResult r = host_.Invoke("system.processes", R"({"nameContains":"no-such-process-name"})");
  ASSERT_TOOL_OK(r);
  EXPECT_EQ(StructuredOf(r)["processes"].Size(), 0u);
  EXPECT_THAT(r.text.at(0), HasSubstr("no process name contains 'no-such-process-name'"));
}

TEST_F(SysinfoFakeHostTest, ProcessesStopWhenCancelled) {
  host_.Cancel();
  EXPECT_THAT(host_.Invoke("system.processes", "{}"), IsHostError(absl::StatusCode::kCancelled));
}

// Through the real host: arguments and structured results are validated against the declared schemas.
TEST(SysinfoRealHostTest, ExamplesAndResultsPassTheHostsSchemaChecks) {
  auto loaded = PluginUnderTest::Load(EDGE_PLUGIN_FILE);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  PluginUnderTest& plugin = **loaded;
  for (const std::string& name : plugin.ToolNames()) {
    const edge::runtime::ToolDescriptor* d = plugin.Find(name);
    ASSERT_NE(d, nullptr);
    ASSERT_FALSE(d->examples.empty()) << name;
    for (const std::string& example : d->examples) EXPECT_TOOL_OK(plugin.Call(name, example)) << name << " " << example;
  }
}

TEST(SysinfoRealHostTest, OutOfRangeLimitIsRefusedBeforeThePluginRuns) {
  auto loaded = PluginUnderTest::Load(EDGE_PLUGIN_FILE);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT((*loaded)->Call("system.processes", R"({"limit":0})"),
              IsHostError(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
}

}  // namespace
