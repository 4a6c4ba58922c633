// plugins/simple_schema.h: a quick "certainly valid" check for schemas that use only the common JSON Schema
// keywords (type, properties, required, additionalProperties, items, enum/const of scalars, numeric and size
// bounds, and annotations such as title or description).
//
// Most tool schemas are of that kind, and most calls are valid. valijson checks them too, but allocates on
// every call (context paths, callbacks, sets of names), which on a busy connector costs more than the tool:
// this check allocates nothing. It only ever answers "valid" or "not sure": a document it does not accept
// goes to valijson, which decides and explains the violation, so messages and edge cases stay valijson's.
// The check therefore must never accept a document valijson rejects; wherever the two could differ (an
// integer written as 1.0, a number exactly on a bound, integers beyond 2^53) it says "not sure".
#ifndef EDGE_RUNTIME_PLUGINS_SIMPLE_SCHEMA_H_
#define EDGE_RUNTIME_PLUGINS_SIMPLE_SCHEMA_H_

#include <rapidjson/document.h>

#include <memory>

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace edge::runtime::plugins {

class SimpleSchema {
 public:
  // The check for `schema` (a draft 7 JSON Schema that valijson accepted), or nullptr when it uses a keyword
  // outside the subset ($ref, pattern, format, allOf, ...). `schema` must outlive the result: enum and const
  // values are compared in place.
  static std::unique_ptr<const SimpleSchema> From(const rapidjson::Value& schema);

  ~SimpleSchema();
  SimpleSchema(const SimpleSchema&) = delete;
  SimpleSchema& operator=(const SimpleSchema&) = delete;

  // True only when `value` satisfies the schema; false means "not sure". Thread-safe, allocation-free.
  bool Accepts(const rapidjson::Value& value) const;
  // The same check on a simdjson document (the workers' quick parse, plugins/text_checks.h).
  bool Accepts(const simdjson::dom::element& value) const;

  struct Node;

 private:
  explicit SimpleSchema(std::unique_ptr<Node> root);
  std::unique_ptr<Node> root_;
};

}  // namespace edge::runtime::plugins

#endif  // EDGE_RUNTIME_PLUGINS_SIMPLE_SCHEMA_H_
