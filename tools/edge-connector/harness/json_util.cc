// JSON option parsing with precise error positions, and pretty-printing.
#include "harness/json_util.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"

namespace edge::harness {
namespace {

using runtime::ToAbsl;

// Parses the whole text as one value; RapidJSON itself rejects trailing content ("root not singular").
bool Parse(std::string_view text, rapidjson::Document& doc, size_t* error_offset, std::string* error) {
  doc.Parse(text.data(), text.size());
  if (!doc.HasParseError()) return true;
  *error_offset = doc.GetErrorOffset();
  *error = rapidjson::GetParseError_En(doc.GetParseError());
  return false;
}

// "at line L, column C:" plus the offending line and a caret, so the user sees the spot at once.
std::string Locate(std::string_view text, size_t offset) {
  if (offset > text.size()) offset = text.size();
  size_t newline = offset == 0 ? std::string_view::npos : text.rfind('\n', offset - 1);
  size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
  size_t line_end = text.find('\n', offset);
  if (line_end == std::string_view::npos) line_end = text.size();
  size_t line_no = 1;
  for (size_t i = 0; i < line_start; ++i) line_no += text[i] == '\n' ? 1 : 0;
  std::string_view line = text.substr(line_start, line_end - line_start);
  size_t column = offset - line_start;
  // Long one-line JSON: show a window around the error, not the whole line.
  constexpr size_t kWindow = 60;
  size_t from = column > kWindow ? column - kWindow : 0;
  std::string_view shown = line.substr(from, 2 * kWindow);
  return absl::StrCat("at line ", line_no, ", column ", column + 1, " (offset ", offset, "):\n    ", ToAbsl(shown),
                      "\n    ", std::string(column - from, ' '), "^");
}

}  // namespace

absl::Status CheckJson(std::string_view text) {
  rapidjson::Document doc;
  size_t offset = 0;
  std::string error;
  if (Parse(text, doc, &offset, &error)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(error, " ", Locate(text, offset)));
}

absl::StatusOr<std::string> ReadJsonOption(std::string_view option, std::string_view value) {
  std::string text;
  std::string source = absl::StrCat(ToAbsl(option));
  if (!value.empty() && value.front() == '@') {
    std::string path(value.substr(1));
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(absl::StrCat(ToAbsl(option), " @", path, ": cannot read the file (",
                                                     std::strerror(errno),
                                                     "); pass an existing file after '@', or the JSON itself"));
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    text = buf.str();
    source = absl::StrCat(ToAbsl(option), " @", path);
  } else {
    text = std::string(value);
  }
  absl::Status st = CheckJson(text);
  if (!st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, " is not valid JSON: ", st.message(),
        "\n  fix the JSON; in a shell, wrap it in single quotes, e.g. ", ToAbsl(option), " '{\"text\":\"hi\"}'"));
  }
  return text;
}

std::string PrettyJson(std::string_view json, std::string_view indent) {
  rapidjson::Document doc;
  size_t offset = 0;
  std::string error;
  if (!Parse(json, doc, &offset, &error)) return std::string(json);
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  doc.Accept(w);
  std::string_view pretty(buf.GetString(), buf.GetSize());
  if (indent.empty()) return std::string(pretty);
  std::string out;
  size_t start = 0;
  while (start <= pretty.size()) {
    size_t end = pretty.find('\n', start);
    if (end == std::string_view::npos) end = pretty.size();
    out.append(indent).append(pretty.substr(start, end - start));
    if (end == pretty.size()) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::string JsonQuote(std::string_view text) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace edge::harness
