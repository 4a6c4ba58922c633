// `edge-connector test --check`: the conformance report. The checks run in a child process (see
// harness/conformance.h) so a crashing plugin is reported, not fatal.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "commands/commands.h"
#include "commands/test_command.h"
#include "harness/conformance.h"
#include "harness/json_util.h"

namespace edge::cli {
namespace {

void PrintLine(const harness::CheckResult& r) {
  std::printf("%-4s  %-30s %s\n", std::string(harness::VerdictName(r.verdict)).c_str(), r.name.c_str(),
              r.detail.c_str());
  std::fflush(stdout);  // one line per check as it finishes, even through a pipe
}

}  // namespace

int RunTestCheck(const TestOptions& options) {
  harness::ConformanceOptions check;
  check.plugin = options.plugin;
  check.config_json = options.session.config_json;
  check.store_dir = options.session.store_dir;
  check.cancel_delay = options.cancel_delay;
  check.cancel_bound = options.cancel_bound;
  check.step_timeout = options.step_timeout;

  if (!options.json) std::printf("Conformance checks for %s\n", options.plugin.c_str());
  std::vector<harness::CheckResult> results =
      harness::RunConformanceIsolated(check, options.json ? std::function<void(const harness::CheckResult&)>()
                                                          : &PrintLine);
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& r : results) {
    switch (r.verdict) {
      case harness::CheckVerdict::kPass: ++passed; break;
      case harness::CheckVerdict::kFail: ++failed; break;
      case harness::CheckVerdict::kSkip: ++skipped; break;
    }
  }
  const bool ok = failed == 0 && passed > 0;
  if (options.json) {
    std::string out = absl::StrCat("{\"plugin\":", harness::JsonQuote(options.plugin), ",\"ok\":", ok ? "true" : "false",
                                   ",\"passed\":", passed, ",\"failed\":", failed, ",\"skipped\":", skipped,
                                   ",\"checks\":[");
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      absl::StrAppend(&out, i ? "," : "", "{\"name\":", harness::JsonQuote(r.name), ",\"status\":\"",
                      runtime::ToAbsl(harness::VerdictName(r.verdict)), "\",\"detail\":", harness::JsonQuote(r.detail), "}");
    }
    out += "]}";
    std::printf("%s\n", out.c_str());
  } else {
    std::printf("\n%s: %d passed, %d failed, %d skipped\n", ok ? "PASS" : "FAIL", passed, failed, skipped);
  }
  if (ok) return kExitOk;
  // Same code as the other modes when the plugin does not even load, so scripts can tell the cases apart.
  for (const auto& r : results) {
    if (r.name == "load" && r.verdict == harness::CheckVerdict::kFail) return kExitLoadError;
  }
  return kExitToolError;
}

}  // namespace edge::cli
