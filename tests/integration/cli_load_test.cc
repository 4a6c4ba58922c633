// Integration tests of load failures through the CLI: every rejected plugin exits 3 and the host's message
// (naming the problem and the fix) reaches the user unchanged, in every mode.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_test_util.h"

namespace edge::testing {
namespace {

using ::testing::HasSubstr;

struct LoadFailure {
  const char* name;
  const char* path;
  const char* message;  // a stable part of the host's message
};

void PrintTo(const LoadFailure& f, std::ostream* os) { *os << f.name; }

const LoadFailure kFailures[] = {
    {"init_fails", EDGE_FIXTURE_INIT_FAILS, "failed to initialise: missing config key 'db'"},
    {"abi_major2", EDGE_FIXTURE_ABI_MAJOR2, "was built for plugin ABI 2.x; this host serves 1.0"},
    {"abi_minor_too_new", EDGE_FIXTURE_ABI_MINOR_TOO_NEW, "requires plugin ABI 1.3; this host serves 1.0"},
    {"missing_entry", EDGE_FIXTURE_MISSING_ENTRY, "does not export edge_plugin_negotiate"},
    {"schema_invalid_json", EDGE_FIXTURE_SCHEMA_INVALID_JSON, "inputSchema is not valid JSON"},
    {"dup_names", EDGE_FIXTURE_DUP_NAMES, "declares tool 'bad.tool' twice"},
    {"api_tail_nonzero", EDGE_FIXTURE_API_TAIL_NONZERO, "non-zero bytes beyond"},
};

class LoadFailureTest : public ::testing::TestWithParam<LoadFailure> {};

TEST_P(LoadFailureTest, ListExitsThreeWithTheHostsMessage) {
  ProcessResult r = RunCli({"test", "--plugin", GetParam().path, "--list"});
  EXPECT_EQ(r.exit_code, 3) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("error: cannot load plugin " + std::string(GetParam().path)));
  EXPECT_THAT(r.err, HasSubstr(GetParam().message)) << Dump(r);
  EXPECT_EQ(r.out, "");
}

TEST_P(LoadFailureTest, CallExitsThree) {
  ProcessResult r = RunCli({"test", "--plugin", GetParam().path, "--tool", "bad.tool", "--args", "{}"});
  EXPECT_EQ(r.exit_code, 3) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr(GetParam().message)) << Dump(r);
}

TEST_P(LoadFailureTest, CheckReportsFailedLoad) {
  ProcessResult r = RunCli({"test", "--plugin", GetParam().path, "--check"});
  EXPECT_EQ(r.exit_code, 3) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("FAIL  load "));
  EXPECT_THAT(r.out, HasSubstr(GetParam().message)) << Dump(r);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LoadFailureTest, ::testing::ValuesIn(kFailures),
                         [](const ::testing::TestParamInfo<LoadFailure>& param_info) {
                           return std::string(param_info.param.name);
                         });

}  // namespace
}  // namespace edge::testing
