// Integration tests of `edge-connector --version` and `test --list` / `test --tool`: the real binary, the
// real plugins, asserting output and exit codes (0 ok, 1 tool error, 2 call error, 3 load error, 64 usage).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "cli_test_util.h"

namespace edge::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kEcho = EDGE_ECHO_PLUGIN;
const std::string kProbe = CLI_PROBE_PLUGIN;

class TempFile {
 public:
  TempFile(const std::string& name, const std::string& content)
      : path_(std::filesystem::path(::testing::TempDir()) / name) {
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(CliVersion, PrintsVersionAndAbi) {
  ProcessResult r = RunCli({"--version"});
  EXPECT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("edge-connector 0.1.0 (plugin ABI 1.0)")) << Dump(r);
}

TEST(CliUsage, HelpDocumentsExitCodes) {
  ProcessResult r = RunCli({"test", "--help"});
  EXPECT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("Exit codes:"));
  EXPECT_THAT(r.out, HasSubstr("130  interrupted"));
}

TEST(CliUsage, MissingPluginIsUsageError) {
  ProcessResult r = RunCli({"test", "--list"});
  EXPECT_EQ(r.exit_code, 64) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("--plugin"));
}

TEST(CliUsage, NoModeNamesTheChoices) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho});
  EXPECT_EQ(r.exit_code, 64) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("--list, --tool NAME --args JSON, or --check"));
}

TEST(CliUsage, ExclusiveModes) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--list", "--check"});
  EXPECT_EQ(r.exit_code, 64) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("exclusive"));
}

TEST(CliUsage, InvalidArgsJsonShowsPositionAndFix) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--tool", "echo", "--args", R"({"text": "hi",})"});
  EXPECT_EQ(r.exit_code, 64) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("--args is not valid JSON"));
  EXPECT_THAT(r.err, HasSubstr("line 1, column 15"));
  EXPECT_THAT(r.err, HasSubstr("^"));
  EXPECT_THAT(r.err, HasSubstr("single quotes"));
}

TEST(CliUsage, MissingArgsFileNamesTheFile) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--tool", "echo", "--args", "@/nonexistent/args.json"});
  EXPECT_EQ(r.exit_code, 64) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("--args @/nonexistent/args.json: cannot read the file"));
  EXPECT_THAT(r.err, HasSubstr("No such file or directory"));
}

TEST(CliUsage, BadTimeoutShowsTheFormat) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--tool", "echo", "--timeout", "5x"});
  EXPECT_EQ(r.exit_code, 64) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("--timeout '5x' is not a positive duration; write it like 500ms"));
}

TEST(CliUsage, ArgsWithoutToolIsUsageError) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--list", "--args", "{}"});
  EXPECT_EQ(r.exit_code, 64) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("add --tool NAME"));
}

TEST(CliList, PrintsToolsAnnotationsAndSchemas) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--list"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("echo 1.0.0 (ABI 1.0), 1 tool(s)"));
  EXPECT_THAT(r.out, HasSubstr("echo (Echo)"));
  EXPECT_THAT(r.out, HasSubstr("Returns the text it is given"));
  EXPECT_THAT(r.out, HasSubstr("readOnlyHint=true idempotentHint=true"));
  EXPECT_THAT(r.out, HasSubstr("concurrent (calls may run in parallel)"));
  EXPECT_THAT(r.out, HasSubstr("default timeout: host default"));
  EXPECT_THAT(r.out, HasSubstr("inputSchema:\n    {\n      \"type\": \"object\""));
  EXPECT_THAT(r.out, HasSubstr("outputSchema:\n"));
  EXPECT_THAT(r.out, HasSubstr(R"({"text":"hello"})"));
}

TEST(CliList, JsonIsMcpShaped) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  rapidjson::Document doc = ParseJson(r.out);
  ASSERT_FALSE(doc.HasParseError()) << Dump(r);
  ASSERT_TRUE(doc.HasMember("tools") && doc["tools"].IsArray()) << Dump(r);
  ASSERT_EQ(doc["tools"].Size(), 1u);
  const auto& tool = doc["tools"][0];
  EXPECT_STREQ(tool["name"].GetString(), "echo");
  EXPECT_STREQ(tool["title"].GetString(), "Echo");
  EXPECT_STREQ(tool["inputSchema"]["type"].GetString(), "object");
  EXPECT_TRUE(tool["outputSchema"].IsObject());
  EXPECT_TRUE(tool["annotations"]["readOnlyHint"].GetBool());
}

TEST(CliCall, SuccessPrintsTextAndStructuredContent) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--tool", "echo", "--args", R"({"text":"hi","repeat":3})"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("hihihi\nstructuredContent:\n  {\n    \"text\": \"hihihi\"\n  }"));
}

TEST(CliCall, ArgsFromFile) {
  TempFile args("cli_args.json", R"({"text":"from a file"})");
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--tool", "echo", "--args", "@" + args.path()});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("from a file"));
}

TEST(CliCall, JsonPrintsTheMcpResult) {
  ProcessResult r =
      RunCli({"test", "--plugin", kEcho, "--tool", "echo", "--args", R"({"text":"hi"})", "--json"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  rapidjson::Document doc = ParseJson(r.out);
  ASSERT_FALSE(doc.HasParseError()) << Dump(r);
  EXPECT_STREQ(doc["content"][0]["type"].GetString(), "text");
  EXPECT_STREQ(doc["content"][0]["text"].GetString(), "hi");
  EXPECT_STREQ(doc["structuredContent"]["text"].GetString(), "hi");
  EXPECT_FALSE(doc["isError"].GetBool());
}

TEST(CliCall, ToolErrorExitsOne) {
  ProcessResult r =
      RunCli({"test", "--plugin", kProbe, "--tool", "probe.fail", "--args", R"({"message":"disk on fire"})"});
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("probe failure: disk on fire"));
  EXPECT_THAT(r.err, HasSubstr("returned an error result (isError)"));
}

TEST(CliCall, ToolErrorJsonHasIsError) {
  ProcessResult r = RunCli(
      {"test", "--plugin", kProbe, "--tool", "probe.fail", "--args", R"({"message":"x"})", "--json"});
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  rapidjson::Document doc = ParseJson(r.out);
  ASSERT_FALSE(doc.HasParseError()) << Dump(r);
  EXPECT_TRUE(doc["isError"].GetBool());
}

TEST(CliCall, MissingRequiredFieldExitsTwoNamingIt) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--tool", "echo", "--args", R"({"repeat":2})"});
  EXPECT_EQ(r.exit_code, 2) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(r.err, HasSubstr("text"));
  EXPECT_THAT(r.err, HasSubstr("fix --args to match the tool's inputSchema"));
}

TEST(CliCall, OutOfRangeFieldExitsTwoNamingIt) {
  ProcessResult r =
      RunCli({"test", "--plugin", kEcho, "--tool", "echo", "--args", R"({"text":"x","repeat":1000})", "--json"});
  EXPECT_EQ(r.exit_code, 2) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("repeat"));
  rapidjson::Document doc = ParseJson(r.out);
  ASSERT_FALSE(doc.HasParseError()) << Dump(r);
  EXPECT_STREQ(doc["error"]["code"].GetString(), "INVALID_ARGUMENT");
}

TEST(CliCall, UnknownToolExitsTwoListingTools) {
  ProcessResult r = RunCli({"test", "--plugin", kEcho, "--tool", "nope"});
  EXPECT_EQ(r.exit_code, 2) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("has no tool 'nope'; its tools are: echo"));
}

TEST(CliCall, TimeoutExitsTwo) {
  ProcessResult r =
      RunCli({"test", "--plugin", kProbe, "--tool", "probe.wait", "--args", R"({"ms":20000})", "--timeout", "300ms"});
  EXPECT_EQ(r.exit_code, 2) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("DEADLINE_EXCEEDED"));
  EXPECT_THAT(r.err, HasSubstr("hint: raise --timeout (it caps the whole call)"));
  EXPECT_LT(r.elapsed, std::chrono::seconds(10)) << Dump(r);
}

TEST(CliCall, ProgressGoesToStderr) {
  ProcessResult r = RunCli({"test", "--plugin", kProbe, "--tool", "probe.wait", "--args", R"({"ms":60})"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("progress: 10/60 waiting"));
  EXPECT_THAT(r.out, Not(HasSubstr("progress:")));
  EXPECT_THAT(r.out, HasSubstr("\"waited_ms\": 60"));
}

TEST(CliCall, CtrlCCancelsTheCallAndExits130) {
  Subprocess p({EDGE_CONNECTOR_BIN, "test", "--plugin", kProbe, "--tool", "probe.wait", "--args", R"({"ms":60000})"});
  ASSERT_TRUE(p.ReadUntil([](const std::string&, const std::string& err) { return err.find("progress:") != std::string::npos; },
                          std::chrono::seconds(20)));
  auto sent = std::chrono::steady_clock::now();
  p.Signal(SIGINT);
  ProcessResult r = p.Wait(std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 130) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("interrupted: the call was cancelled"));
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(5)) << Dump(r);
}

TEST(CliCall, ConfigReachesThePlugin) {
  ProcessResult r = RunCli({"test", "--plugin", kProbe, "--tool", "probe.config", "--config", R"({"region":"eu-1"})"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr(R"("region": "eu-1")"));
}

TEST(CliCall, ConfigMustBeAnObject) {
  ProcessResult r = RunCli({"test", "--plugin", kProbe, "--tool", "probe.config", "--config", "[1]"});
  EXPECT_EQ(r.exit_code, 64) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("--config must be a JSON object"));
}

TEST(CliLoad, MissingFileExitsThreeWithTheHostsMessage) {
  const std::string missing = "/nonexistent/dir/plugin.so";
  ProcessResult r = RunCli({"test", "--plugin", missing, "--list"});
  EXPECT_EQ(r.exit_code, 3) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr(missing));
}

TEST(CliLoad, NonElfFileExitsThreeWithTheHostsMessage) {
  TempFile not_elf("not_a_plugin.so", "this is a text file, not a shared library\n");
  ProcessResult r = RunCli({"test", "--plugin", not_elf.path(), "--tool", "echo"});
  EXPECT_EQ(r.exit_code, 3) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("not_a_plugin.so"));
  EXPECT_THAT(r.err, HasSubstr("ELF"));
}

}  // namespace
}  // namespace edge::testing
