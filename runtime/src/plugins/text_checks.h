// plugins/text_checks.h: quick checks of text that crosses the plugin boundary (arguments, results, log lines).
//
// Both run on simdjson, behind this small header so that simdjson.h stays in one source file. RapidJSON's
// per-character UTF-8 check and its SAX parse were, together, about a sixth of an executor worker's time at 64
// calls in flight; simdjson does the same work in a fraction of it.
#ifndef EDGE_RUNTIME_PLUGINS_TEXT_CHECKS_H_
#define EDGE_RUNTIME_PLUGINS_TEXT_CHECKS_H_

#include <string_view>

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace edge::runtime::plugins {

// True when `text` is valid UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF, no truncated
// sequence.
bool IsValidUtf8(std::string_view text);

// True only when `text` is certainly one valid JSON object (valid UTF-8 included); false means "not sure".
// simdjson is stricter than RapidJSON in a few corners (integers beyond 64 bits, exponents out of range,
// nesting beyond kQuickParseMaxDepth containers), and texts over 16 KiB are not looked at (a worker's parser stays small): the
// caller decides those with RapidJSON.
bool IsSurelyJsonObject(std::string_view text);

// `text` parsed by this thread's simdjson parser when it is one valid JSON object of at most 16 KiB that
// nests at most kQuickParseMaxDepth containers deep; nullptr means "not sure" (as above). The element stays
// valid until the next QuickParseObject or IsSurelyJsonObject on this thread.
inline constexpr int kQuickParseMaxDepth = 127;
const simdjson::dom::element* QuickParseObject(std::string_view text);

}  // namespace edge::runtime::plugins

#endif  // EDGE_RUNTIME_PLUGINS_TEXT_CHECKS_H_
