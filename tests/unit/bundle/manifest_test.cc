// ParseManifest (every bad field named by its JSON Pointer), ManifestToJson round trips, CheckCompatibility
// and the archive file name.
#include "edge/bundle/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "edge/bundle/tree.h"

namespace edge::bundle {
namespace {
using ::testing::HasSubstr;

Manifest ValidManifest() {
  Manifest m;
  m.org_id = "org_acme";
  m.abi_major = 1;
  m.abi_minor = 2;
  m.arch = "x86_64";
  m.built_at = "2026-11-23T16:42:00Z";
  m.files = {{"tools/echo.json", Sha256Hex("{}"), 2}, {"tools/echo.so", Sha256Hex("plugin"), 6}};
  m.checksum = TreeChecksum(m.files);
  ManifestTool t;
  t.name = "echo";
  t.plugin = "echo";
  t.plugin_version = "1.0.0";
  t.file = "tools/echo.so";
  t.sha256 = Sha256Hex("plugin");
  t.size = 6;
  t.descriptor_json = R"({"name":"echo","title":"Echo","inputSchema":{"type":"object","properties":{}}})";
  m.tools.push_back(t);
  return m;
}

// The valid manifest's JSON with the first `from` replaced by `to` (which must occur).
std::string Replace(const std::string& from, const std::string& to) {
  std::string json = ManifestToJson(ValidManifest());
  size_t at = json.find(from);
  if (at == std::string::npos) ADD_FAILURE() << "'" << from << "' not in " << json;
  else json.replace(at, from.size(), to);
  return json;
}

std::string WithManifest(const std::function<void(Manifest&)>& change) {
  Manifest m = ValidManifest();
  change(m);
  return ManifestToJson(m);
}

struct BadCase {
  std::string name;
  std::string json;
  std::string pointer;
  std::string problem;
};

class ParseManifestBadFieldTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseManifestBadFieldTest, NamesTheField) {
  const BadCase& c = GetParam();
  absl::StatusOr<Manifest> m = ParseManifest(c.json);
  ASSERT_FALSE(m.ok()) << c.json;
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ManifestErrorField(m.status()), c.pointer) << m.status();
  const std::string message(m.status().message());
  EXPECT_THAT(message, HasSubstr("manifest.json: " + (c.pointer.empty() ? "(document)" : c.pointer) + ": "));
  EXPECT_THAT(message, HasSubstr(c.problem));
}

const std::string kHash = std::string(64, 'a');

INSTANTIATE_TEST_SUITE_P(
    Fields, ParseManifestBadFieldTest,
    ::testing::Values(
        BadCase{"NotJson", "{", "", "not valid JSON"},
        BadCase{"ArrayRoot", "[]", "", "must be a JSON object"},
        BadCase{"SchemaVersion2", Replace("\"schemaVersion\":1", "\"schemaVersion\":2"), "/schemaVersion",
                "unsupported schema version 2: this reader supports 1"},
        BadCase{"SchemaVersionString", Replace("\"schemaVersion\":1", "\"schemaVersion\":\"1\""), "/schemaVersion",
                "unsupported schema version \"1\""},
        BadCase{"SchemaVersionMissing", Replace("\"schemaVersion\":1,", ""), "/schemaVersion", "missing"},
        BadCase{"OrgIdMissing", Replace("\"orgId\":\"org_acme\",", ""), "/orgId", "missing"},
        BadCase{"OrgIdEmpty", Replace("\"orgId\":\"org_acme\"", "\"orgId\":\"\""), "/orgId", "must not be empty"},
        BadCase{"OrgIdNumber", Replace("\"orgId\":\"org_acme\"", "\"orgId\":7"), "/orgId",
                "must be a string, got an integer"},
        BadCase{"OrgIdSlash", Replace("\"orgId\":\"org_acme\"", "\"orgId\":\"a/b\""), "/orgId", "'/'"},
        BadCase{"Language", Replace("\"language\":\"native\"", "\"language\":\"python\""), "/language",
                "unsupported language 'python'"},
        BadCase{"AbiNotObject", Replace("\"abi\":{\"major\":1,\"minor\":2}", "\"abi\":1"), "/abi",
                "must be an object"},
        BadCase{"AbiMajorMissing", Replace("\"major\":1,", ""), "/abi/major", "missing"},
        BadCase{"AbiMinorNegative", Replace("\"minor\":2", "\"minor\":-1"), "/abi/minor", "non-negative integer"},
        BadCase{"AbiMajorHuge", Replace("\"major\":1", "\"major\":4294967296"), "/abi/major",
                "at most 4294967295"},
        BadCase{"ArchMissing", Replace(",\"arch\":\"x86_64\"", ""), "/platform/arch", "missing"},
        BadCase{"OsEmpty", Replace("\"os\":\"linux\"", "\"os\":\"\""), "/platform/os", "must not be empty"},
        BadCase{"BuiltAtNotTime", Replace("2026-11-23T16:42:00Z", "yesterday"), "/builtAt", "RFC 3339 UTC"},
        BadCase{"BuiltAtNotUtc", Replace("2026-11-23T16:42:00Z", "2026-11-23T16:42:00+02:00"), "/builtAt",
                "RFC 3339 UTC"},
        BadCase{"ChecksumPrefix", Replace("\"checksum\":\"sha256:", "\"checksum\":\"md5:"), "/checksum",
                "\"sha256:\" followed by 64 lowercase hex"},
        BadCase{"ChecksumMismatch",
                WithManifest([](Manifest& m) { m.checksum = "sha256:" + std::string(64, '0'); }), "/checksum",
                "does not match /files"},
        BadCase{"ToolsNotArray", Replace("\"tools\":[", "\"tools\":7,\"t\":["), "/tools",
                "must be an array, got an integer"},
        BadCase{"ToolNotObject", Replace("\"tools\":[", "\"tools\":[\"x\","), "/tools/0",
                "must be an object, got a string"},
        BadCase{"ToolNameMissing", Replace("\"name\":\"echo\",\"plugin\"", "\"plugin\""), "/tools/0/name",
                "missing"},
        BadCase{"ToolVersionNumber", Replace("\"pluginVersion\":\"1.0.0\"", "\"pluginVersion\":1"),
                "/tools/0/pluginVersion", "must be a string"},
        BadCase{"ToolShaNotHex",
                WithManifest([](Manifest& m) { m.tools[0].sha256 = "XYZ"; }), "/tools/0/sha256",
                "expected 64 lowercase hex characters"},
        BadCase{"ToolShaUppercase",
                WithManifest([](Manifest& m) { m.tools[0].sha256 = std::string(64, 'A'); }), "/tools/0/sha256",
                "expected 64 lowercase hex characters"},
        BadCase{"ToolFileAbsolute", WithManifest([](Manifest& m) { m.tools[0].file = "/etc/passwd"; }),
                "/tools/0/file", "absolute"},
        BadCase{"ToolFileDotDot", WithManifest([](Manifest& m) { m.tools[0].file = "../x.so"; }), "/tools/0/file",
                "'..'"},
        BadCase{"ToolFileNotListed", WithManifest([](Manifest& m) { m.tools[0].file = "tools/other.so"; }),
                "/tools/0/file", "'tools/other.so' is not listed in /files"},
        BadCase{"ToolShaDiffers", WithManifest([](Manifest& m) { m.tools[0].sha256 = std::string(64, 'b'); }),
                "/tools/0/sha256", "differs from /files entry for 'tools/echo.so'"},
        BadCase{"ToolSizeDiffers", WithManifest([](Manifest& m) { m.tools[0].size = 7; }), "/tools/0/size",
                "differs from /files entry"},
        BadCase{"ToolDescriptorString", Replace("\"descriptor\":{", "\"descriptor\":\"x\",\"d\":{"),
                "/tools/0/descriptor", "must be an object, got a string"},
        BadCase{"DuplicateTool",
                WithManifest([](Manifest& m) { m.tools.push_back(m.tools[0]); }), "/tools/1/name",
                "duplicate tool name 'echo' (also /tools/0)"},
        BadCase{"FilesMissing", Replace(",\"files\":[", ",\"other\":["), "/files", "missing"},
        BadCase{"FileNotObject", Replace("\"files\":[", "\"files\":[1,"), "/files/0", "must be an object"},
        BadCase{"FilePathEmptyComponent", WithManifest([](Manifest& m) { m.files[0].path = "tools//x"; }),
                "/files/0/path", "empty component"},
        BadCase{"FilePathDot", WithManifest([](Manifest& m) { m.files[0].path = "./x"; }), "/files/0/path",
                "'.' component"},
        BadCase{"FilePathTooLong", WithManifest([](Manifest& m) { m.files[0].path = std::string(256, 'p'); }),
                "/files/0/path", "256 bytes long, the limit is 255"},
        BadCase{"FileSizeString", Replace("\"size\":2}", "\"size\":\"2\"}"), "/files/0/size",
                "must be a non-negative integer, got a string"},
        BadCase{"FileShaMissing", Replace("\"path\":\"tools/echo.json\",\"sha256\":\"" + Sha256Hex("{}") + "\",",
                                          "\"path\":\"tools/echo.json\","),
                "/files/0/sha256", "missing"},
        BadCase{"DuplicateFile",
                WithManifest([](Manifest& m) { m.files.push_back(m.files[1]); }), "/files/2/path",
                "duplicate path 'tools/echo.so' (also /files/1)"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) { return param_info.param.name; });

TEST(ParseManifestTest, ValidManifestParses) {
  absl::StatusOr<Manifest> m = ParseManifest(ManifestToJson(ValidManifest()));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, ValidManifest());
}

TEST(ParseManifestTest, EmptyToolsAndFilesAreValid) {
  Manifest m = ValidManifest();
  m.tools.clear();
  m.files.clear();
  m.checksum = TreeChecksum({});
  absl::StatusOr<Manifest> parsed = ParseManifest(ManifestToJson(m));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, m);
}

TEST(ParseManifestTest, RoundTripIsCanonical) {
  const std::string json = ManifestToJson(ValidManifest());
  absl::StatusOr<Manifest> m = ParseManifest(json);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(ManifestToJson(*m), json);
}

TEST(ParseManifestTest, AnyOrderAndWhitespaceAreNormalised) {
  Manifest m = ValidManifest();
  ManifestTool other = m.tools[0];
  other.name = "alpha";
  m.tools.push_back(other);
  const std::string canonical = ManifestToJson(m);
  // Files and tools out of order, a descriptor with whitespace, an unknown field: same manifest.
  std::string json = R"({ "files": [ {"size":6,"path":"tools/echo.so","sha256":")" + Sha256Hex("plugin") +
                     R"("}, {"path":"tools/echo.json","sha256":")" + Sha256Hex("{}") + R"(","size":2} ],
    "future": {"x": 1}, "checksum": ")" + m.checksum + R"(", "builtAt": "2026-11-23T16:42:00Z",
    "platform": {"arch":"x86_64","os":"linux"}, "abi": {"minor":2,"major":1}, "language":"native",
    "orgId":"org_acme", "schemaVersion": 1, "tools": [
      {"name":"echo","plugin":"echo","pluginVersion":"1.0.0","file":"tools/echo.so","sha256":")" +
                     Sha256Hex("plugin") + R"(","size":6,
       "descriptor": { "name" : "echo", "title":"Echo", "inputSchema": {"type":"object", "properties": {} } }},
      {"name":"alpha","plugin":"echo","pluginVersion":"1.0.0","file":"tools/echo.so","sha256":")" +
                     Sha256Hex("plugin") + R"(","size":6,
       "descriptor": { "name" : "echo", "title":"Echo", "inputSchema": {"type":"object", "properties": {} } }}]})";
  absl::StatusOr<Manifest> parsed = ParseManifest(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->tools[0].name, "alpha");
  EXPECT_EQ(parsed->files[0].path, "tools/echo.json");
  EXPECT_EQ(ManifestToJson(*parsed), canonical);
}

TEST(ParseManifestTest, OversizedDocumentRefused) {
  std::string json = ManifestToJson(ValidManifest());
  json.append(kMaxManifestBytes, ' ');
  absl::StatusOr<Manifest> m = ParseManifest(json);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(std::string(m.status().message()), HasSubstr("the limit is 4194304"));
}

TEST(ParseManifestTest, ErrorFieldIsEmptyForOtherErrors) {
  EXPECT_EQ(ManifestErrorField(absl::InvalidArgumentError("x")), "");
}

TEST(ManifestToJsonTest, KeysInDocumentedOrder) {
  const std::string json = ManifestToJson(ValidManifest());
  const char* keys[] = {"\"schemaVersion\"", "\"orgId\"", "\"language\"", "\"abi\"", "\"platform\"",
                        "\"builtAt\"", "\"checksum\"", "\"tools\"", "\"files\""};
  size_t last = 0;
  for (const char* k : keys) {
    size_t at = json.find(k);
    ASSERT_NE(at, std::string::npos) << k;
    EXPECT_GT(at, last) << k;
    last = at;
  }
}

TEST(CheckCompatibilityTest, SamePlatformAndAbiIsOk) {
  Manifest m = ValidManifest();  // ABI 1.2, linux/x86_64
  EXPECT_TRUE(CheckCompatibility(m, 1, 2, "linux", "x86_64").ok());
  EXPECT_TRUE(CheckCompatibility(m, 1, 5, "linux", "x86_64").ok());
}

TEST(CheckCompatibilityTest, HigherMinorAsksToUpgradeTheConnector) {
  Manifest m = ValidManifest();
  m.abi_minor = 3;
  absl::Status s = CheckCompatibility(m, 1, 2, "linux", "x86_64");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "bundle needs plugin ABI 1.3, this connector serves 1.2: upgrade the connector");
}

TEST(CheckCompatibilityTest, HigherMajorAsksToUpgradeTheConnector) {
  Manifest m = ValidManifest();
  m.abi_major = 2;
  m.abi_minor = 0;
  absl::Status s = CheckCompatibility(m, 1, 2, "linux", "x86_64");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("bundle needs plugin ABI 2.0, this connector serves 1.2"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("upgrade the connector"));
}

TEST(CheckCompatibilityTest, LowerMajorAsksToRebuildThePlugins) {
  Manifest m = ValidManifest();
  absl::Status s = CheckCompatibility(m, 2, 0, "linux", "x86_64");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("bundle needs plugin ABI 1.2, this connector serves 2.0"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("rebuild the plugins against plugin ABI 2"));
}

TEST(CheckCompatibilityTest, OtherArchRefused) {
  Manifest m = ValidManifest();
  m.arch = "aarch64";
  absl::Status s = CheckCompatibility(m, 1, 2, "linux", "x86_64");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("bundle is built for linux/aarch64, this connector runs on linux/x86_64"));
}

TEST(CheckCompatibilityTest, OtherOsRefused) {
  Manifest m = ValidManifest();
  m.os = "darwin";
  EXPECT_EQ(CheckCompatibility(m, 1, 2, "linux", "x86_64").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CheckCompatibilityTest, OtherLanguageRefused) {
  Manifest m = ValidManifest();
  m.language = "wasm";
  absl::Status s = CheckCompatibility(m, 1, 2, "linux", "x86_64");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("'wasm'"));
}

TEST(HostPlatformTest, IsLinuxAndUnameMachine) {
  EXPECT_EQ(HostOs(), "linux");
  EXPECT_FALSE(HostArch().empty());
  EXPECT_NE(HostArch(), "unknown");
  // A manifest stamped with this host's platform is compatible with it.
  Manifest m = ValidManifest();
  m.arch = HostArch();
  EXPECT_TRUE(CheckCompatibility(m, 1, 2, HostOs(), HostArch()).ok());
}

TEST(ArchiveFileNameTest, UsesOrgAndBuildTime) {
  EXPECT_EQ(ArchiveFileName(ValidManifest()), "edge-bundle-org_acme-20261123T164200Z.tgz");
}

}  // namespace
}  // namespace edge::bundle
