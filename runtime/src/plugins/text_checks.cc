// IsValidUtf8 and IsSurelyJsonObject on simdjson (see text_checks.h).
#include "plugins/text_checks.h"

#include "simdjson.h"

namespace edge::runtime::plugins {
namespace {

// Each worker thread keeps one parser; its buffers are sized to the largest text it saw, so that size is
// capped: results are usually small, and a large one is rare enough for RapidJSON's constant-memory check.
constexpr size_t kMaxQuickCheckBytes = 16 * 1024;

}  // namespace

bool IsValidUtf8(std::string_view text) { return simdjson::validate_utf8(text.data(), text.size()); }

bool IsSurelyJsonObject(std::string_view text) {
  if (text.size() > kMaxQuickCheckBytes) return false;
  thread_local simdjson::dom::parser parser(kMaxQuickCheckBytes);
  simdjson::dom::element root;
  // realloc_if_needed: simdjson reads past the end, so it copies the text into its own padded buffer.
  if (parser.parse(text.data(), text.size(), true).get(root) != simdjson::SUCCESS) return false;
  return root.type() == simdjson::dom::element_type::OBJECT;
}

}  // namespace edge::runtime::plugins
