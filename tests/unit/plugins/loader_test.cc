// Tests for runtime/src/plugins/loader.cc: every load-time refusal, asserting its message.
#include "plugins/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "plugin_test_util.h"

namespace edge::runtime {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testutil::TestHost;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

absl::Status LoadStatus(TestHost& t, const char* fixture) { return t.host->Load(fixture).status(); }

TEST(LoaderTest, RefusesAMissingFile) {
  TestHost t;
  absl::Status s = LoadStatus(t, "/nonexistent/dir/plugin.so");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(s),
              HasSubstr("cannot load plugin /nonexistent/dir/plugin.so: the file does not exist: check the path"));
  absl::Status direct = plugins::OpenPluginLibrary("/nonexistent/dir/plugin.so").status();
  EXPECT_THAT(Message(direct), HasSubstr("plugin file '/nonexistent/dir/plugin.so' does not exist"));
}

TEST(LoaderTest, RefusesARelativePath) {
  absl::Status s = plugins::OpenPluginLibrary("relative/plugin.so").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("plugin path 'relative/plugin.so' is not absolute: pass an absolute path"));
}

TEST(LoaderTest, RefusesANonElfFileQuotingDlerror) {
  TestHost t;
  const auto file = t.scratch / "not_elf.so";
  testutil::WriteFile(file,
                      "hello, I am text, long enough for dlopen to read a whole ELF header and then complain "
                      "about its contents rather than its length\n");
  absl::Status s = LoadStatus(t, file.c_str());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), AllOf(HasSubstr("is not an ELF shared library (its first bytes are 68 65 6c 6c"),
                                HasSubstr("dlopen says: "), HasSubstr("invalid ELF header"),
                                HasSubstr("pass a plugin built with edge_add_tool_plugin()")));
  EXPECT_THAT(Message(s), ::testing::Not(HasSubstr("Bad file descriptor")));
}

TEST(LoaderTest, RefusesAnEmptyFile) {
  TestHost t;
  const auto file = t.scratch / "empty.so";
  testutil::WriteFile(file, "");
  EXPECT_THAT(Message(LoadStatus(t, file.c_str())), AllOf(HasSubstr("its first bytes are none: the file is empty"),
                                                          HasSubstr("dlopen says: "), HasSubstr("file too short")));
}

TEST(LoaderTest, RefusesAnUndefinedSymbolAtLoadTime) {
  TestHost t;
  absl::Status s = LoadStatus(t, EDGE_FIXTURE_UNDEFINED_SYMBOL);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s), AllOf(HasSubstr("dlopen failed for '"),
                                HasSubstr("undefined symbol: edge_fixture_function_that_does_not_exist"),
                                HasSubstr("link the library that defines the symbol into the plugin")));
}

TEST(LoaderTest, RefusesALibraryWithoutTheEntrySymbol) {
  TestHost t;
  EXPECT_THAT(Message(LoadStatus(t, EDGE_FIXTURE_MISSING_ENTRY)),
              HasSubstr("missing_entry.so' does not export edge_plugin_negotiate: build it with "
                        "edge_add_tool_plugin() and the EDGE_PLUGIN macro"));
}

TEST(LoaderTest, RefusesAnotherAbiMajorEvenWhenThePluginSaysOk) {
  TestHost t;
  EXPECT_THAT(Message(LoadStatus(t, EDGE_FIXTURE_ABI_MAJOR2)),
              HasSubstr("plugin 'abi_major2.so' was built for plugin ABI 2.x; this host serves 1.0: rebuild it "
                        "against a 1.x SDK"));
}

TEST(LoaderTest, RefusesAPluginNeedingANewerMinor) {
  TestHost t;
  EXPECT_THAT(Message(LoadStatus(t, EDGE_FIXTURE_ABI_MINOR_TOO_NEW)),
              HasSubstr("plugin 'abi_minor_too_new.so' requires plugin ABI 1.3; this host serves 1.0: upgrade the "
                        "connector"));
}

TEST(LoaderTest, RefusesALargerApiTableWithANonZeroTail) {
  TestHost t;
  const size_t known = sizeof(edge_plugin_api_v1);
  EXPECT_THAT(Message(LoadStatus(t, EDGE_FIXTURE_API_TAIL_NONZERO)),
              HasSubstr(absl::StrCat("edge_plugin_api_v1 has struct_size ", known + 24, " > ", known,
                                     " known to this host and non-zero bytes beyond ", known,
                                     ": the plugin needs a newer host")));
}

TEST(LoaderTest, AcceptsALargerApiTableWithAZeroTail) {
  TestHost t;
  auto plugin = t.host->Load(EDGE_FIXTURE_API_TAIL_ZERO);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  EXPECT_EQ((*plugin)->name(), "api_tail_zero");
  EXPECT_EQ((*plugin)->negotiated_minor(), 0u);
  EXPECT_EQ(testutil::Text(testutil::Call(**plugin, "raw.ok", "{}")), "ok");
}

TEST(LoaderTest, RefusesASmallerApiTable) {
  TestHost t;
  const size_t known = sizeof(edge_plugin_api_v1);
  EXPECT_THAT(
      Message(LoadStatus(t, EDGE_FIXTURE_API_TOO_SMALL)),
      HasSubstr(absl::StrCat("edge_plugin_api_v1 has struct_size ", known - 8, " < ", known, ", its size in ABI 1.0")));
}

TEST(LoaderTest, RefusesNullFunctionPointers) {
  TestHost t;
  EXPECT_THAT(Message(LoadStatus(t, EDGE_FIXTURE_API_NULL_INVOKE)),
              HasSubstr("plugin 'api_null_invoke.so' has NULL function pointers in edge_plugin_api_v1 (invoke): "
                        "every function of the 1.0 table is required"));
}

TEST(LoaderTest, CheckStructSizeAppliesTheTailRule) {
  unsigned char bytes[16] = {};
  EXPECT_TRUE(plugins::CheckStructSize(bytes, 8, 8, 8, "x").ok());
  EXPECT_TRUE(plugins::CheckStructSize(bytes, 16, 8, 8, "x").ok());  // zero tail
  bytes[15] = 1;
  EXPECT_THAT(Message(plugins::CheckStructSize(bytes, 16, 8, 8, "x")),
              HasSubstr("x has struct_size 16 > 8 known to this host and non-zero bytes beyond 8"));
  EXPECT_TRUE(plugins::CheckStructSize(bytes, 12, 8, 8, "x").ok());  // the non-zero byte is beyond the size
  EXPECT_THAT(Message(plugins::CheckStructSize(bytes, 4, 8, 8, "x")), HasSubstr("x has struct_size 4 < 8"));
}

TEST(LoaderTest, HostKeepsWorkingAfterEveryRejection) {
  TestHost t;
  for (const char* bad : {EDGE_FIXTURE_UNDEFINED_SYMBOL, EDGE_FIXTURE_MISSING_ENTRY, EDGE_FIXTURE_ABI_MAJOR2,
                          EDGE_FIXTURE_ABI_MINOR_TOO_NEW, EDGE_FIXTURE_API_TAIL_NONZERO, EDGE_FIXTURE_API_TOO_SMALL,
                          EDGE_FIXTURE_API_NULL_INVOKE, EDGE_FIXTURE_INIT_FAILS, EDGE_FIXTURE_DUP_NAMES}) {
    EXPECT_FALSE(t.host->Load(bad).ok()) << bad;
  }
  auto plugin = t.host->Load(EDGE_FIXTURE_ECHO_A);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  EXPECT_EQ(testutil::Text(testutil::Call(**plugin, "fixture.echo", R"({"text":"still here"})")), "still here");
}

}  // namespace
}  // namespace edge::runtime
