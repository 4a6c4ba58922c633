// plugins/schema.h: JSON Schema compilation and validation (valijson, draft 7) for tool arguments and results.
//
// A schema is compiled once, when its tool is loaded, and then validated against per call from any thread
// (valid documents against common schemas take a quick path: simple_schema.h).
// Violations are reported as a JSON Pointer to the offending field plus a reason a person can act on
// ("/repeat: value 0 is less than minimum 1"); argument errors also carry the pointer as a Status payload
// under kInvalidParamsFieldPayload so protocol layers can put it in an invalid-params error.
#ifndef EDGE_RUNTIME_PLUGINS_SCHEMA_H_
#define EDGE_RUNTIME_PLUGINS_SCHEMA_H_

#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace edge::runtime::plugins {

// Status payload type URL on InvalidArgument argument errors; the value is the field's JSON Pointer.
inline constexpr char kInvalidParamsFieldPayload[] = "edge.dev/invalid-params-field";

struct SchemaViolation {
  std::string pointer;  // JSON Pointer of the offending value ("" is the document root)
  std::string reason;   // e.g. "value 0 is less than minimum 1"

  // "/repeat: value 0 is less than minimum 1" ("(root): ..." for the document itself).
  std::string ToString() const;
};

class JsonSchema {
 public:
  // Parses and compiles a schema. Errors say what is wrong with it (JSON syntax with offset, or the
  // validator's complaint about a keyword) but not whose schema it is: callers add that.
  static absl::StatusOr<std::shared_ptr<const JsonSchema>> Compile(std::string_view schema_json);

  ~JsonSchema();
  JsonSchema(const JsonSchema&) = delete;
  JsonSchema& operator=(const JsonSchema&) = delete;

  // nullopt when `value` is valid; otherwise the most specific violation. Thread-safe.
  std::optional<SchemaViolation> Check(const rapidjson::Value& value) const;

  // True when valid documents are recognized without valijson (see simple_schema.h).
  bool has_quick_check() const;
  // With a quick check, true when `value` (a simdjson document) is certainly valid; false: not sure.
  bool SurelyAccepts(const simdjson::dom::element& value) const;

  // The root's "type" keyword when it is a single string ("object", ...), else "".
  const std::string& root_type() const { return root_type_; }

 private:
  struct Impl;
  explicit JsonSchema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string root_type_;
};

// A document for per-call parses: its values and both parse stacks (the reader's and the document's) come
// from one pool the caller seeds with a buffer on its stack, so small documents parse without the heap:
//   alignas(8) char buffer[4096];
//   ScratchPool pool(buffer, sizeof(buffer), kScratchChunkBytes);
//   ScratchDocument doc(&pool, kScratchStackBytes, &pool);
using ScratchPool = rapidjson::MemoryPoolAllocator<>;
using ScratchDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, ScratchPool, ScratchPool>;
// Beyond the buffer the pool grows in chunks of this size (RapidJSON's default, 64 KiB, would make every
// larger document pay for a 64 KiB malloc).
inline constexpr size_t kScratchChunkBytes = 16 * 1024;
inline constexpr size_t kScratchStackBytes = 512;

// Parses JSON text into `out` (UTF-8 is validated). The error names the offset and the problem.
absl::Status ParseJson(std::string_view text, rapidjson::Document& out);
absl::Status ParseJson(std::string_view text, ScratchDocument& out);
// True when `text` is one well-formed JSON object (UTF-8 validated), checked without building a document.
bool IsJsonObjectText(std::string_view text);

// A call's arguments text with blank (empty or whitespace only) read as "{}", the rule every check and the
// plugin itself see.
std::string_view ArgumentsOrEmptyObject(std::string_view args_json);

// Parses a call's arguments ("" counts as {}), requires a JSON object and validates it against `schema`
// (skipped when null). Errors are InvalidArgument "invalid params for tool '<tool>': <pointer>: <reason>" with
// the pointer as kInvalidParamsFieldPayload.
absl::Status ParseAndValidateArguments(std::string_view tool, std::string_view args_json, const JsonSchema* schema,
                                       rapidjson::Document& parsed);
absl::Status ParseAndValidateArguments(std::string_view tool, std::string_view args_json, const JsonSchema* schema,
                                       ScratchDocument& parsed);
// The same verdict and errors without handing out a document, for callers that only need the check: most
// calls are settled by the workers' quick simdjson parse and the schema's quick check, and only the rest are
// parsed with RapidJSON (and explained by valijson).
absl::Status ValidateArguments(std::string_view tool, std::string_view args_json, const JsonSchema* schema);

// The value in `root` at a JSON Pointer, or nullptr when absent.
const rapidjson::Value* ValueAtPointer(const rapidjson::Value& root, std::string_view pointer);

// Compact JSON text of `value`.
std::string JsonToString(const rapidjson::Value& value);

}  // namespace edge::runtime::plugins

#endif  // EDGE_RUNTIME_PLUGINS_SCHEMA_H_
