// Fuzz target: JSON Schema text from a plugin descriptor (untrusted: any plugin may ship any schema).
// Compiling must fail cleanly or succeed; a compiled schema must check a fixed document without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugins/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto schema = edge::runtime::plugins::JsonSchema::Compile(input);
  if (!schema.ok()) return 0;
  rapidjson::Document doc;
  doc.Parse(R"({"a":1,"b":"two","c":[true,null,3.5],"d":{"e":{}}})");
  (void)(*schema)->Check(doc);
  return 0;
}
