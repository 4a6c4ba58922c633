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

const simdjson::dom::element* QuickParseObject(std::string_view text) {
  if (text.size() > kMaxQuickCheckBytes) return nullptr;
  struct Quick {
    Quick() : parser(kMaxQuickCheckBytes) {
      // Starts small and grows with the texts (up to the cap); the depth limit stays.
      if (parser.allocate(1024, kQuickParseMaxDepth) != simdjson::SUCCESS) usable = false;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    bool usable = true;
  };
  thread_local Quick quick;
  if (!quick.usable) return nullptr;
  // realloc_if_needed: simdjson reads past the end, so it copies the text into its own padded buffer.
  if (quick.parser.parse(text.data(), text.size(), true).get(quick.root) != simdjson::SUCCESS) return nullptr;
  return quick.root.type() == simdjson::dom::element_type::OBJECT ? &quick.root : nullptr;
}

bool IsSurelyJsonObject(std::string_view text) { return QuickParseObject(text) != nullptr; }

}  // namespace edge::runtime::plugins
