// plugins/utf8.h: UTF-8 validation for text that crosses the plugin boundary (arguments, results, log lines).
//
// simdjson's SIMD validator behind a small header, so that simdjson.h stays in one source file. RapidJSON's
// own per-character check (kParseValidateEncodingFlag) was a tenth of an executor worker's time at 64 calls
// in flight; this validates the same rules at a fraction of the cost, and the parses that follow skip it.
#ifndef EDGE_RUNTIME_PLUGINS_UTF8_H_
#define EDGE_RUNTIME_PLUGINS_UTF8_H_

#include <string_view>

namespace edge::runtime::plugins {

// True when `text` is valid UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF, no truncated
// sequence.
bool IsValidUtf8(std::string_view text);

}  // namespace edge::runtime::plugins

#endif  // EDGE_RUNTIME_PLUGINS_UTF8_H_
