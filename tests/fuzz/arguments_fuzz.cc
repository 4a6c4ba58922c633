// Fuzz target: a call's arguments, the connector's most exposed input, through parsing and schema validation.
// Any input must yield OK or InvalidArgument, never a crash, a hang or another code.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "plugins/schema.h"

namespace {

const edge::runtime::plugins::JsonSchema& Schema() {
  static const auto schema = edge::runtime::plugins::JsonSchema::Compile(R"({
    "type": "object",
    "properties": {
      "text": {"type": "string", "maxLength": 64, "pattern": "^[a-z ]*$"},
      "repeat": {"type": "integer", "minimum": 1, "maximum": 10},
      "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
      "mode": {"enum": ["a", "b"]},
      "nested": {"type": "object", "properties": {"x": {"type": "number"}}, "additionalProperties": false}
    },
    "required": ["text"]
  })");
  if (!schema.ok()) std::abort();
  return **schema;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rapidjson::Document parsed;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::Status status = edge::runtime::plugins::ParseAndValidateArguments("fuzz", input, &Schema(), parsed);
  if (!status.ok() && status.code() != absl::StatusCode::kInvalidArgument) std::abort();
  return 0;
}
