// edge/testing/matchers.hpp: GoogleTest matchers and helpers for tool results.
//
// Every matcher accepts a CallReport, an absl::StatusOr<ToolResult>, a ToolResult or a FakeCallResult, so the
// same assertions read the same against the real host and the fake one:
//
//   EXPECT_TOOL_OK(report);                                   // a result without isError
//   EXPECT_THAT(report, IsToolError(HasSubstr("not found"))); // a tool-level error (MCP isError)
//   EXPECT_THAT(report, IsHostError(absl::StatusCode::kCancelled));
//   EXPECT_THAT(report, HasText(StartsWith("hello")));
//   rapidjson::Document out = StructuredOf(report);          // structuredContent, parsed
#ifndef EDGE_TESTING_MATCHERS_HPP_
#define EDGE_TESTING_MATCHERS_HPP_

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/runtime/tool.h"
#include "edge/testing/fake_host.hpp"
#include "edge/testing/plugin_under_test.hpp"

namespace edge::testing {

// The canonical code a host maps an edge_status to (unknown codes count as internal, per the ABI).
inline absl::StatusCode StatusCodeFromEdge(edge_status s) {
  // The same mapping as the real host (docs/plugin-abi.md section 8), so FakeHost tests agree with production.
  // One exception: FakeHost reports a tool name it cannot resolve as TOOL_NOT_FOUND, which the real runtime
  // reports (from the executor) as NotFound.
  switch (s) {
    case EDGE_STATUS_OK: return absl::StatusCode::kOk;
    case EDGE_STATUS_INVALID_ARGUMENT: return absl::StatusCode::kInvalidArgument;
    case EDGE_STATUS_CANCELLED: return absl::StatusCode::kCancelled;
    case EDGE_STATUS_TOOL_NOT_FOUND: return absl::StatusCode::kNotFound;
    case EDGE_STATUS_UNSUPPORTED_ABI:
    case EDGE_STATUS_INIT_FAILED:
    case EDGE_STATUS_INTERNAL:
    case EDGE_STATUS_OUT_OF_MEMORY:
    case EDGE_STATUS_RESULT_TOO_LARGE:
    case EDGE_STATUS_BAD_STATE: return absl::StatusCode::kInternal;
    default: return absl::StatusCode::kUnknown;
  }
}

namespace internal {

// What the matchers look at, whatever produced the result.
struct ResultView {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string host_message;
  bool is_error = false;
  std::vector<std::string> text;
  std::optional<std::string> structured_json;

  std::string JoinedText() const {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) out += (i ? "\n" : "") + text[i];
    return out;
  }
  // Short, for match explanations (the value itself is printed beside them).
  std::string Kind() const {
    if (code != absl::StatusCode::kOk) return "a host-level failure " + absl::StatusCodeToString(code) + ": " + host_message;
    return is_error ? "a tool error" : "a successful result";
  }
  std::string Describe() const {
    std::ostringstream os;
    Describe(&os);
    return os.str();
  }
  void Describe(std::ostream* os) const {
    if (code != absl::StatusCode::kOk) {
      *os << "a host-level failure " << absl::StatusCodeToString(code) << ": " << host_message;
    } else {
      *os << (is_error ? "a tool error" : "a successful result") << " with text \"" << JoinedText() << "\"";
    }
  }
};

inline ResultView View(const runtime::ToolResult& r) { return ResultView{absl::StatusCode::kOk, "", r.is_error, r.text, r.structured_json}; }
inline ResultView View(const absl::StatusOr<runtime::ToolResult>& r) {
  if (r.ok()) return View(*r);
  ResultView v;
  v.code = r.status().code();
  v.host_message = std::string(r.status().message());
  return v;
}
inline ResultView View(const CallReport& r) { return View(r.result); }
inline ResultView View(const FakeCallResult& r) {
  if (r.status != EDGE_STATUS_OK) {
    ResultView v;
    v.code = StatusCodeFromEdge(r.status);
    v.host_message = "edge_status " + std::to_string(r.status) + ": " + r.error;
    return v;
  }
  return ResultView{absl::StatusCode::kOk, "", r.is_error, r.text, r.structured_json};
}

class ToolOkMatcher {
 public:
  template <typename T>
  bool MatchAndExplain(const T& value, ::testing::MatchResultListener* listener) const {
    ResultView v = View(value);
    bool ok = v.code == absl::StatusCode::kOk && !v.is_error;
    if (!ok) {
      *listener << "which is " << v.Kind();  // stream() is null when gmock only asks for a yes/no
    }
    return ok;
  }
  void DescribeTo(std::ostream* os) const { *os << "is a successful tool result (no host failure, no isError)"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is not a successful tool result"; }
};

class HostErrorMatcher {
 public:
  HostErrorMatcher(absl::StatusCode code, ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}
  template <typename T>
  bool MatchAndExplain(const T& value, ::testing::MatchResultListener* listener) const {
    ResultView v = View(value);
    if (v.code != code_) {
      *listener << "which is " << v.Kind();
      return false;
    }
    return message_.MatchAndExplain(v.host_message, listener);
  }
  void DescribeTo(std::ostream* os) const {
    *os << "is a host-level failure " << absl::StatusCodeToString(code_) << " whose message ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "is not a host-level failure " << absl::StatusCodeToString(code_);
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

// Matches a result's joined text; with require_error, only a tool error (isError) result.
class TextMatcher {
 public:
  TextMatcher(::testing::Matcher<const std::string&> text, bool require_error)
      : text_(std::move(text)), require_error_(require_error) {}
  template <typename T>
  bool MatchAndExplain(const T& value, ::testing::MatchResultListener* listener) const {
    ResultView v = View(value);
    if (v.code != absl::StatusCode::kOk || (require_error_ && !v.is_error)) {
      *listener << "which is " << v.Kind();
      return false;
    }
    return text_.MatchAndExplain(v.JoinedText(), listener);
  }
  void DescribeTo(std::ostream* os) const {
    *os << (require_error_ ? "is a tool error (isError) whose text " : "is a result whose text ");
    text_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << (require_error_ ? "is not a tool error whose text " : "is not a result whose text ");
    text_.DescribeTo(os);
  }

 private:
  ::testing::Matcher<const std::string&> text_;
  bool require_error_;
};

}  // namespace internal

// A result without isError (and no host-level failure).
inline ::testing::PolymorphicMatcher<internal::ToolOkMatcher> IsToolOk() {
  return ::testing::MakePolymorphicMatcher(internal::ToolOkMatcher());
}
// A tool-level error (MCP isError); `text` matches the joined text content.
inline ::testing::PolymorphicMatcher<internal::TextMatcher> IsToolError(
    ::testing::Matcher<const std::string&> text = ::testing::_) {
  return ::testing::MakePolymorphicMatcher(internal::TextMatcher(std::move(text), /*require_error=*/true));
}
// A host-level failure with `code` (e.g. kCancelled, kDeadlineExceeded, kInvalidArgument).
inline ::testing::PolymorphicMatcher<internal::HostErrorMatcher> IsHostError(
    absl::StatusCode code, ::testing::Matcher<const std::string&> message = ::testing::_) {
  return ::testing::MakePolymorphicMatcher(internal::HostErrorMatcher(code, std::move(message)));
}
// A result (error or not) whose joined text content matches.
inline ::testing::PolymorphicMatcher<internal::TextMatcher> HasText(::testing::Matcher<const std::string&> text) {
  return ::testing::MakePolymorphicMatcher(internal::TextMatcher(std::move(text), /*require_error=*/false));
}

// structuredContent, parsed. Records a test failure (and returns a null document) when there is none.
template <typename T>
rapidjson::Document StructuredOf(const T& result) {
  internal::ResultView v = internal::View(result);
  rapidjson::Document doc;
  if (!v.structured_json) {
    ADD_FAILURE() << "expected structuredContent, got " << v.Describe();
    return doc;
  }
  doc.Parse(v.structured_json->c_str(), v.structured_json->size());
  if (doc.HasParseError()) ADD_FAILURE() << "structuredContent is not valid JSON: " << *v.structured_json;
  return doc;
}

inline void PrintTo(const FakeCallResult& r, std::ostream* os) { internal::View(r).Describe(os); }

}  // namespace edge::testing

#define EXPECT_TOOL_OK(result) EXPECT_THAT((result), ::edge::testing::IsToolOk())
#define ASSERT_TOOL_OK(result) ASSERT_THAT((result), ::edge::testing::IsToolOk())

#endif  // EDGE_TESTING_MATCHERS_HPP_
