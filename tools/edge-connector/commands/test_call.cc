// `edge-connector test --tool NAME --args JSON`: one call through the real executor, as the runtime runs it.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "commands/commands.h"
#include "commands/test_command.h"
#include "harness/json_util.h"

namespace edge::cli {
namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "used from a signal handler");

void OnInterrupt(int) { g_interrupted.store(true); }

// The first Ctrl-C cancels the call; SA_RESETHAND makes a second one kill the process the usual way.
void InstallInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = &OnInterrupt;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void PrintProgress(const runtime::Progress& p) {
  std::string line = absl::StrCat("progress: ", p.progress);
  if (p.total > 0) absl::StrAppend(&line, "/", p.total);
  if (!p.message.empty()) absl::StrAppend(&line, " ", p.message);
  std::fprintf(stderr, "%s\n", line.c_str());
}

std::string Hint(const absl::Status& status, const TestOptions& options) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return absl::StrCat("fix --args to match the tool's inputSchema (see: edge-connector test --plugin ",
                          options.plugin, " --list)");
    case absl::StatusCode::kDeadlineExceeded:
      return options.timeout ? "raise --timeout (it caps the whole call)"
                             : "pass a longer --timeout, or make the tool report progress (progress resets the "
                               "inactivity timeout)";
    case absl::StatusCode::kCancelled:
      return "the call was cancelled before it produced a result";
    default:
      return "";
  }
}

void PrintResult(const runtime::ToolResult& result) {
  for (const auto& text : result.text) {
    // The SDK mirrors structured content as a text item for clients without structured output: print once.
    if (result.structured_json && text == *result.structured_json) continue;
    std::printf("%s\n", text.c_str());
  }
  if (result.structured_json) {
    std::printf("structuredContent:\n%s\n", harness::PrettyJson(*result.structured_json, "  ").c_str());
  }
}

int Finish(harness::PluginSession& session, int code) {
  std::fflush(stdout);
  absl::Status closed = session.Close(absl::Seconds(2));
  if (!closed.ok()) {
    std::fprintf(stderr, "warning: %.*s\n", static_cast<int>(closed.message().size()), closed.message().data());
    std::fflush(stderr);
    RemoveTemporaryStore();
    std::_Exit(code);  // normal exit would run destructors under the call still inside the plugin
  }
  return code;
}

}  // namespace

int RunTestCall(const TestOptions& options) {
  auto opened = harness::PluginSession::Open(options.plugin, options.session);
  if (!opened.ok()) return ReportLoadError(opened.status());
  harness::PluginSession& session = **opened;

  if (session.FindTool(options.tool) == nullptr) {
    std::vector<std::string> names;
    for (const auto& tool : session.plugin().tools()) names.push_back(tool->descriptor().name);
    std::fprintf(stderr, "error: NOT_FOUND: plugin %s has no tool '%s'; its tools are: %s\n",
                 session.plugin().name().c_str(), options.tool.c_str(), absl::StrJoin(names, ", ").c_str());
    if (options.json) {
      std::printf("{\"error\":{\"code\":\"NOT_FOUND\",\"message\":%s}}\n",
                  harness::JsonQuote(absl::StrCat("no tool '", options.tool, "'")).c_str());
    }
    return Finish(session, kExitCallError);
  }

  InstallInterruptHandler();
  harness::CallOptions call_options;
  call_options.timeout = options.timeout;
  call_options.interrupted = [] { return g_interrupted.load(); };
  call_options.on_progress = &PrintProgress;
  harness::CallReport report = session.Call(options.tool, options.args_json, call_options);

  if (g_interrupted.load()) {
    std::fprintf(stderr, "interrupted: the call was cancelled\n");
    return Finish(session, kExitInterrupted);
  }
  const auto& result = report.outcome.result;
  if (!result.ok()) {
    const absl::Status& st = result.status();
    std::string code(absl::StatusCodeToString(st.code()));
    std::fprintf(stderr, "error: %s: %.*s\n", code.c_str(), static_cast<int>(st.message().size()), st.message().data());
    std::string hint = Hint(st, options);
    if (!hint.empty()) std::fprintf(stderr, "hint: %s\n", hint.c_str());
    if (options.json) {
      std::printf("{\"error\":{\"code\":%s,\"message\":%s}}\n", harness::JsonQuote(code).c_str(),
                  harness::JsonQuote(runtime::ToStd(st.message())).c_str());
    }
    return Finish(session, kExitCallError);
  }
  if (options.json) {
    std::printf("%s\n", result->ToJson().c_str());
  } else {
    PrintResult(*result);
  }
  if (result->is_error) {
    std::fprintf(stderr, "error: tool '%s' returned an error result (isError)\n", options.tool.c_str());
    return Finish(session, kExitToolError);
  }
  return Finish(session, kExitOk);
}

}  // namespace edge::cli
