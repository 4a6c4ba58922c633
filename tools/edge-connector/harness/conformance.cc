// The conformance checks, run in this process against one plugin session.
#include "harness/conformance.h"

#include <stdlib.h>

#include <fstream>
#include <memory>
#include <optional>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "edge/plugin.h"
#include "harness/invalid_args.h"
#include "harness/session.h"

namespace edge::harness {
namespace {

using runtime::ToAbsl;
using runtime::ToStd;

std::string Describe(const absl::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

std::string Ms(absl::Duration d) { return absl::StrFormat("%.1f ms", absl::ToDoubleMilliseconds(d)); }

// Shortens long JSON or messages so one check stays one readable line.
std::string Clip(std::string_view text, size_t max = 160) {
  if (text.size() <= max) return std::string(text);
  return absl::StrCat(ToAbsl(text.substr(0, max)), "...");
}

std::string FirstText(const runtime::ToolResult& r) { return r.text.empty() ? std::string() : Clip(r.text.front()); }

// A temporary directory (under `parent` when given) removed when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::filesystem::path& parent) {
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    std::string pattern =
        ((parent.empty() ? std::filesystem::temp_directory_path() : parent) / "edge-check-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class Checker {
 public:
  Checker(const ConformanceOptions& options, ConformanceObserver& observer) : options_(options), observer_(observer) {}

  bool Run() {
    if (!Load()) return true;
    Descriptors();
    if (options_.packaging_only) {
      Shutdown();
      return !stuck_;
    }
    for (const auto& tool : tools_) Examples(tool);
    for (const auto& tool : tools_) InvalidArguments(tool);
    for (const auto& tool : tools_) {
      if (stuck_) {
        Report("cancel " + tool.name, CheckVerdict::kSkip, "skipped: a call is still running inside the plugin");
      } else {
        Cancel(tool);
      }
    }
    Reload();
    Shutdown();
    return !stuck_;
  }

 private:
  void Step(const std::string& name) { observer_.OnStep(name); }
  void Report(std::string name, CheckVerdict verdict, std::string detail) {
    observer_.OnResult(CheckResult{std::move(name), verdict, std::move(detail)});
  }

  bool Load() {
    Step("load");
    SessionOptions session_options;
    session_options.store_dir = options_.store_dir;
    session_options.config_json = options_.config_json;
    session_options.logger = options_.logger;
    auto session = PluginSession::Open(options_.plugin, session_options);
    if (!session.ok()) {
      Report("load", CheckVerdict::kFail, std::string(ToStd(session.status().message())));
      Report("other checks", CheckVerdict::kSkip, "skipped: the plugin did not load (fix the error above first)");
      return false;
    }
    session_ = *std::move(session);
    const runtime::LoadedPlugin& p = session_->plugin();
    // Copies: the descriptors of the first generation go away with it at the reload.
    for (const auto& tool : p.tools()) tools_.push_back(tool->descriptor());
    Report("load", CheckVerdict::kPass,
           absl::StrCat(p.name(), " ", p.version(), ", negotiated ABI ", EDGE_ABI_MAJOR, ".",
                        p.negotiated_minor(), ", loaded from ", p.path().string()));
    return true;
  }

  void Descriptors() {
    Step("descriptors");
    if (tools_.empty()) {
      Report("descriptors", CheckVerdict::kFail,
             "the plugin declares no tools; declare at least one with plugin.tool(\"name\")");
      return;
    }
    std::vector<std::string> names;
    size_t examples = 0;
    for (const auto& d : tools_) {
      names.push_back(d.name);
      examples += d.examples.size();
    }
    // The host validates descriptors and schemas at load and refuses the whole plugin otherwise: its
    // acceptance is the verdict.
    Report("descriptors", CheckVerdict::kPass,
           absl::StrCat(tools_.size(), " tool(s) with valid descriptors and schemas (", absl::StrJoin(names, ", "),
                        "); ", examples, " example(s) declared"));
  }

  void Examples(const runtime::ToolDescriptor& d) {
    const std::string name = "examples " + d.name;
    Step(name);
    if (d.examples.empty()) {
      Report(name, CheckVerdict::kSkip,
             "no examples declared; add .example(R\"({...})\") to the tool so --check can call it");
      return;
    }
    absl::Duration total;
    for (size_t i = 0; i < d.examples.size(); ++i) {
      const std::string which = absl::StrCat("example #", i + 1, " ", Clip(d.examples[i], 80));
      CallReport r = session_->Call(d.name, d.examples[i]);
      total += r.outcome.elapsed;
      if (!r.outcome.result.ok()) {
        const absl::Status& st = r.outcome.result.status();
        std::string hint;
        if (st.code() == absl::StatusCode::kInvalidArgument) {
          hint = "; the example does not match the tool's own inputSchema: fix the example or the schema";
        } else if (st.code() == absl::StatusCode::kDeadlineExceeded) {
          hint = "; make the example finish faster, or raise the tool's default timeout";
        }
        Report(name, CheckVerdict::kFail, absl::StrCat(which, " failed: ", Describe(st), hint));
        return;
      }
      const runtime::ToolResult& result = *r.outcome.result;
      if (result.is_error) {
        Report(name, CheckVerdict::kFail,
               absl::StrCat(which, " returned a tool error (isError): ", FirstText(result),
                            "; examples must succeed (check the plugin's --config)"));
        return;
      }
      if (!d.output_schema.empty() && !result.structured_json) {
        Report(name, CheckVerdict::kFail,
               absl::StrCat(which, " returned no structuredContent although the tool declares an outputSchema; "
                                   "return edge::Result::structured(...)"));
        return;
      }
    }
    Report(name, CheckVerdict::kPass,
           absl::StrCat(d.examples.size(), " example(s) succeeded in ", Ms(total),
                        d.output_schema.empty() ? " (no outputSchema declared)"
                                                : "; structuredContent validated against outputSchema"));
  }

  void InvalidArguments(const runtime::ToolDescriptor& d) {
    const std::string name = "invalid-args " + d.name;
    Step(name);
    std::vector<InvalidArgsCase> cases =
        DeriveInvalidArguments(d.input_schema, d.examples.empty() ? std::string() : d.examples.front());
    std::vector<std::string> failures, labels;
    for (const auto& c : cases) {
      CallOptions call_options;
      call_options.timeout = absl::Seconds(10);  // a wrongly accepted call must not stall the checks
      CallReport r = session_->Call(d.name, c.arguments_json, call_options);
      labels.push_back(c.label);
      const auto& result = r.outcome.result;
      if (result.ok()) {
        failures.push_back(absl::StrCat(c.label, " ", Clip(c.arguments_json, 80), ": accepted (isError=",
                                        result->is_error ? "true" : "false", ") instead of INVALID_ARGUMENT"));
      } else if (result.status().code() != absl::StatusCode::kInvalidArgument) {
        failures.push_back(absl::StrCat(c.label, ": expected INVALID_ARGUMENT, got ", Describe(result.status())));
      } else if (!c.field.empty() && !absl::StrContains(result.status().message(), c.field)) {
        failures.push_back(absl::StrCat(c.label, ": rejected, but the message does not name '", c.field,
                                        "': ", result.status().message()));
      }
    }
    if (failures.empty()) {
      Report(name, CheckVerdict::kPass,
             absl::StrCat(cases.size(), " invalid input(s) rejected with INVALID_ARGUMENT before the tool ran (",
                          absl::StrJoin(labels, ", "), ")"));
    } else {
      Report(name, CheckVerdict::kFail, absl::StrJoin(failures, "; "));
    }
  }

  void Cancel(const runtime::ToolDescriptor& d) {
    const std::string name = "cancel " + d.name;
    Step(name);
    if (d.examples.empty()) {
      Report(name, CheckVerdict::kSkip, "no examples to run and cancel; declare one with .example(...)");
      return;
    }
    CallOptions call_options;
    call_options.cancel_after = options_.cancel_delay;
    CallReport r = session_->Call(d.name, d.examples.front(), call_options);
    if (!r.cancel_sent) {
      (void)session_->WaitIdle(options_.cancel_bound);
      Report(name, CheckVerdict::kPass,
             absl::StrCat("the call completed (in ", Ms(r.outcome.elapsed), ") before the harness cancelled it at ",
                          Ms(options_.cancel_delay), "; nothing left to cancel"));
      return;
    }
    const absl::Duration waited = absl::Now() - r.cancelled_at;
    if (!session_->WaitIdle(options_.cancel_bound - waited)) {
      stuck_ = true;
      Report(name, CheckVerdict::kFail,
             absl::StrCat("invoke was still running ", absl::FormatDuration(options_.cancel_bound),
                          " after the cancel; poll ctx.cancelled() or call ctx.check_cancelled() in long-running "
                          "handlers (and pass the cancellation on to blocking I/O)"));
      return;
    }
    const absl::Duration returned_after = absl::Now() - r.cancelled_at;
    std::string outcome = r.outcome.result.ok() ? "completed with a result"
                                                : absl::StrCat("ended with ", absl::StatusCodeToString(
                                                                                  r.outcome.result.status().code()));
    Report(name, CheckVerdict::kPass,
           absl::StrCat("cancelled after ", Ms(options_.cancel_delay), "; the call ", outcome,
                        " and invoke returned within ", Ms(returned_after), " (bound ",
                        absl::FormatDuration(options_.cancel_bound), ")"));
  }

  void Reload() {
    Step("reload");
    if (stuck_) {
      Report("reload", CheckVerdict::kSkip, "skipped: a call is still running inside the plugin");
      return;
    }
    // A second copy with a different content hash, as a new version would have: the host gives it a new
    // content-addressed path, so dlopen maps a second image instead of handing back the first one.
    TempDir dir(options_.scratch_dir);
    std::filesystem::path copy = dir.path() / options_.plugin.filename();
    std::error_code ec;
    if (dir.path().empty() || !std::filesystem::copy_file(options_.plugin, copy, ec)) {
      Report("reload", CheckVerdict::kFail, absl::StrCat("could not copy the plugin to a temporary directory: ",
                                                         ec ? ec.message() : "mkdtemp failed"));
      return;
    }
    {
      // Bytes past the end of an ELF file are ignored by the loader.
      std::ofstream out(copy, std::ios::binary | std::ios::app);
      out << "\nedge-connector --check reload copy\n";
    }
    const std::string first_sha = session_->plugin().sha256();
    auto previous = session_->Reload(copy);
    if (!previous.ok()) {
      Report("reload", CheckVerdict::kFail,
             absl::StrCat("loading the second copy failed: ", previous.status().message()));
      return;
    }
    // Nothing is in flight, so the first generation should go (shut down with RELOAD) as soon as the new
    // registry is published; allow a moment in case the host releases it asynchronously.
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (!previous->expired() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
    if (!previous->expired()) {
      Report("reload", CheckVerdict::kFail,
             "the first generation was still alive 5 s after the reload with no call in flight: something keeps "
             "a reference to it, so it is never shut down or unloaded");
      return;
    }
    std::string called = "no tool declares an example, so no call was made on the new generation";
    for (const auto& tool : session_->plugin().tools()) {
      const runtime::ToolDescriptor& d = tool->descriptor();
      if (d.examples.empty()) continue;
      CallReport r = session_->Call(d.name, d.examples.front());
      if (!r.outcome.result.ok() || r.outcome.result->is_error) {
        Report("reload", CheckVerdict::kFail,
               absl::StrCat("calling ", d.name, " on the reloaded generation failed: ",
                            r.outcome.result.ok() ? FirstText(*r.outcome.result) : Describe(r.outcome.result.status())));
        return;
      }
      called = absl::StrCat(d.name, " answered on the new generation");
      break;
    }
    Report("reload", CheckVerdict::kPass,
           absl::StrCat("second copy loaded (sha256 ", session_->plugin().sha256().substr(0, 12), " after ",
                        first_sha.substr(0, 12), "), published, first generation shut down with reason RELOAD; ",
                        called));
  }

  void Shutdown() {
    Step("shutdown");
    if (stuck_) {
      Report("shutdown", CheckVerdict::kSkip, "skipped: a call is still running inside the plugin");
      // Close leaks the session instead of blocking on the stuck call.
      (void)session_->Close(absl::ZeroDuration());
      return;
    }
    absl::Status closed = session_->Close(options_.cancel_bound);
    if (!closed.ok()) {
      Report("shutdown", CheckVerdict::kFail, std::string(ToStd(closed.message())));
      stuck_ = true;
      return;
    }
    Report("shutdown", CheckVerdict::kPass, "drained, shut down (reason SHUTDOWN) and unloaded without a crash");
  }

  const ConformanceOptions& options_;
  ConformanceObserver& observer_;
  std::unique_ptr<PluginSession> session_;
  std::vector<runtime::ToolDescriptor> tools_;
  bool stuck_ = false;
};

}  // namespace

std::string_view VerdictName(CheckVerdict verdict) {
  switch (verdict) {
    case CheckVerdict::kPass: return "PASS";
    case CheckVerdict::kFail: return "FAIL";
    case CheckVerdict::kSkip: return "SKIP";
  }
  return "?";
}

bool RunConformanceChecks(const ConformanceOptions& options, ConformanceObserver& observer) {
  Checker checker(options, observer);
  return checker.Run();
}

bool AllPassed(const std::vector<CheckResult>& results) {
  for (const auto& r : results) {
    if (r.verdict == CheckVerdict::kFail) return false;
  }
  return true;
}

}  // namespace edge::harness
