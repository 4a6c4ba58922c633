// IsValidUtf8 on simdjson's validator (see utf8.h).
#include "plugins/utf8.h"

#include "simdjson.h"

namespace edge::runtime::plugins {

bool IsValidUtf8(std::string_view text) { return simdjson::validate_utf8(text.data(), text.size()); }

}  // namespace edge::runtime::plugins
