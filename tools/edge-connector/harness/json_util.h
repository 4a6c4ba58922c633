// harness/json_util.h: JSON helpers for the command line (RapidJSON underneath).
//
// Command-line JSON comes from people typing in a shell, so a parse error must point at the spot: messages
// carry the line, the column and a caret under the offending character. `@file` arguments read the JSON from
// a file, like curl's `-d @file`.
#ifndef EDGE_HARNESS_JSON_UTIL_H_
#define EDGE_HARNESS_JSON_UTIL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace edge::harness {

// Checks that `text` is one JSON value; the error names the problem and where it is (line, column, caret).
absl::Status CheckJson(std::string_view text);

// Resolves an option value that is either inline JSON or `@path`, and checks that it parses.
// `option` (e.g. "--args") names the option in error messages.
absl::StatusOr<std::string> ReadJsonOption(std::string_view option, std::string_view value);

// Pretty-prints JSON with two-space indentation, every line prefixed by `indent`. Returns `json` unchanged
// when it does not parse (the caller shows what it got rather than nothing).
std::string PrettyJson(std::string_view json, std::string_view indent = "");

// Serializes a string as a JSON string literal (quotes and escapes included).
std::string JsonQuote(std::string_view text);

}  // namespace edge::harness

#endif  // EDGE_HARNESS_JSON_UTIL_H_
