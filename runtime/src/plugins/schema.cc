// JSON Schema compilation and validation with valijson, and readable violation messages.
#include "plugins/schema.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/reader.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <exception>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"
#include "plugins/simple_schema.h"
#include "plugins/text_checks.h"
// valijson must throw (not abort the process) on a bad schema, so exceptions are on for its headers. Its
// RapidJSON adapter would then also redefine RAPIDJSON_ASSERT, which must stay the same in every translation
// unit: the adapter (which needs no exception switch itself) is included with the switch off.
#define VALIJSON_USE_EXCEPTIONS 1
#include "valijson/exceptions.hpp"
#undef VALIJSON_USE_EXCEPTIONS
#include "valijson/adapters/rapidjson_adapter.hpp"
#define VALIJSON_USE_EXCEPTIONS 1
#include "valijson/schema.hpp"
#include "valijson/schema_parser.hpp"
#include "valijson/validation_results.hpp"
#include "valijson/validator.hpp"

namespace edge::runtime::plugins {

struct JsonSchema::Impl {
  rapidjson::Document document;  // kept: messages look up "type" and "enum" in it
  valijson::Schema schema;
  std::unique_ptr<const SimpleSchema> quick;  // null when the schema is not simple enough; points into document
};

namespace {

constexpr size_t kMaxQuotedValue = 60;

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// valijson's context is {"<root>", "[name]", "[0]", ...}; a JSON Pointer is "/name/0".
std::vector<std::string> ContextTokens(const std::vector<std::string>& context) {
  std::vector<std::string> tokens;
  for (size_t i = 1; i < context.size(); ++i) {
    const std::string& c = context[i];
    tokens.push_back(c.size() >= 2 && c.front() == '[' && c.back() == ']' ? c.substr(1, c.size() - 2) : c);
  }
  return tokens;
}

std::string ToPointer(const std::vector<std::string>& tokens) {
  std::string out;
  for (const auto& t : tokens) absl::StrAppend(&out, "/", EscapePointerToken(t));
  return out;
}

// The subschema that applies at `tokens`, following properties/items/additionalProperties; best effort.
const rapidjson::Value* SubschemaAt(const rapidjson::Value& root, const std::vector<std::string>& tokens) {
  const rapidjson::Value* node = &root;
  for (const auto& t : tokens) {
    if (!node->IsObject()) return nullptr;
    auto props = node->FindMember("properties");
    if (props != node->MemberEnd() && props->value.IsObject()) {
      auto m = props->value.FindMember(rapidjson::StringRef(t.data(), t.size()));
      if (m != props->value.MemberEnd()) {
        node = &m->value;
        continue;
      }
    }
    auto items = node->FindMember("items");
    if (items != node->MemberEnd() && items->value.IsObject()) {
      node = &items->value;
      continue;
    }
    auto extra = node->FindMember("additionalProperties");
    if (extra != node->MemberEnd() && extra->value.IsObject()) {
      node = &extra->value;
      continue;
    }
    return nullptr;
  }
  return node;
}

std::string TypeName(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "boolean";
    case rapidjson::kObjectType:
      return "object";
    case rapidjson::kArrayType:
      return "array";
    case rapidjson::kStringType:
      return "string";
    case rapidjson::kNumberType:
      return v.IsInt64() || v.IsUint64() ? "integer" : "number";
  }
  return "value";
}

std::string Quoted(const rapidjson::Value* v) {
  if (v == nullptr) return "?";
  std::string s = JsonToString(*v);
  if (s.size() > kMaxQuotedValue) s = s.substr(0, kMaxQuotedValue) + "...";
  return s;
}

// valijson prints limits with std::to_string(double): "1.000000" reads better as "1".
std::string TrimDecimalZeros(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      out += text[i++];
      continue;
    }
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i + 1 < text.size() && text[i] == '.' && std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      size_t frac_end = i + 1;
      while (frac_end < text.size() && std::isdigit(static_cast<unsigned char>(text[frac_end]))) ++frac_end;
      size_t last = frac_end;
      while (last > i + 1 && text[last - 1] == '0') --last;
      out.append(text.substr(start, (last == i + 1 ? i : last) - start));
      i = frac_end;
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

bool ConsumePrefix(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Turns one valijson error into {pointer, reason}, moving the pointer to the property a message names.
SchemaViolation Explain(const valijson::ValidationResults::Error& error, const rapidjson::Value& value,
                        const rapidjson::Value& schema_root) {
  std::vector<std::string> tokens = ContextTokens(error.context);
  std::string desc = error.description;
  if (!desc.empty() && desc.back() == '.') desc.pop_back();
  std::string_view d = desc;
  const rapidjson::Value* actual = ValueAtPointer(value, ToPointer(tokens));
  const std::string got = Quoted(actual);
  std::string reason;

  if (ConsumePrefix(d, "Missing required property '")) {
    if (!d.empty() && d.back() == '\'') d.remove_suffix(1);
    tokens.emplace_back(d);
    reason = "required property is missing";
  } else if (ConsumePrefix(d,
                           "Object contains a property that could not be validated using 'properties' or "
                           "'additionalProperties' constraints: '")) {
    if (!d.empty() && d.back() == '\'') d.remove_suffix(1);
    tokens.emplace_back(d);
    reason = "property is not allowed by the schema (unknown property)";
  } else if (d == "Value type not permitted by 'type' constraint") {
    const rapidjson::Value* sub = SubschemaAt(schema_root, tokens);
    std::string expected;
    if (sub != nullptr && sub->IsObject() && sub->HasMember("type")) {
      const rapidjson::Value& t = (*sub)["type"];
      if (t.IsString()) {
        expected = t.GetString();
      } else if (t.IsArray()) {
        for (const auto& e : t.GetArray()) {
          if (e.IsString()) absl::StrAppend(&expected, expected.empty() ? "" : " or ", e.GetString());
        }
      }
    }
    reason = absl::StrCat("expected ", expected.empty() ? "another type" : expected, ", got ",
                          actual ? TypeName(*actual) : "a value", " ", got);
  } else if (ConsumePrefix(d, "Expected number greater than or equal to ")) {
    reason = absl::StrCat("value ", got, " is less than minimum ", TrimDecimalZeros(d));
  } else if (ConsumePrefix(d, "Expected number greater than ")) {
    reason = absl::StrCat("value ", got, " must be greater than ", TrimDecimalZeros(d), " (exclusiveMinimum)");
  } else if (ConsumePrefix(d, "Expected number less than or equal to ")) {
    reason = absl::StrCat("value ", got, " is greater than maximum ", TrimDecimalZeros(d));
  } else if (ConsumePrefix(d, "Expected number less than ")) {
    reason = absl::StrCat("value ", got, " must be less than ", TrimDecimalZeros(d), " (exclusiveMaximum)");
  } else if (d == "Failed to match against any enum values") {
    const rapidjson::Value* sub = SubschemaAt(schema_root, tokens);
    std::string allowed = sub != nullptr && sub->IsObject() && sub->HasMember("enum") ? Quoted(&(*sub)["enum"]) : "";
    reason = absl::StrCat("value ", got, " is not one of the allowed values", allowed.empty() ? "" : " ", allowed);
  } else {
    reason = TrimDecimalZeros(desc);
    if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    if (actual != nullptr && !actual->IsObject() && !actual->IsArray()) absl::StrAppend(&reason, " (got ", got, ")");
  }
  return SchemaViolation{ToPointer(tokens), std::move(reason)};
}

}  // namespace

std::string SchemaViolation::ToString() const {
  return absl::StrCat(pointer.empty() ? "(root)" : pointer, ": ", reason);
}

std::string JsonToString(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  value.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

const rapidjson::Value* ValueAtPointer(const rapidjson::Value& root, std::string_view pointer) {
  if (pointer.empty()) return &root;
  rapidjson::Pointer p(pointer.data(), pointer.size());
  return p.IsValid() ? p.Get(root) : nullptr;
}

namespace {

// Deeper documents are refused: validation recurses per level, and no real arguments or schema nest this far.
constexpr int kMaxNestingDepth = 128;

// The nesting depth of `root`, walked iteratively so a hostile document cannot exhaust the stack here.
int NestingDepth(const rapidjson::Value& root) {
  int deepest = 0;
  absl::InlinedVector<std::pair<const rapidjson::Value*, int>, 32> pending{{&root, 1}};  // no heap when small
  while (!pending.empty()) {
    auto [v, depth] = pending.back();
    pending.pop_back();
    deepest = std::max(deepest, depth);
    if (depth > kMaxNestingDepth) break;
    if (v->IsObject()) {
      for (const auto& m : v->GetObject()) pending.emplace_back(&m.value, depth + 1);
    } else if (v->IsArray()) {
      for (const auto& e : v->GetArray()) pending.emplace_back(&e, depth + 1);
    }
  }
  return deepest;
}

// A local "$ref" chain that returns to itself without any other keyword in between ({"$ref":"#"}, or a->b->a)
// sends valijson's parser into unbounded recursion, so such schemas are refused up front. Recursion through
// real structure ("items": {"$ref": "#"}) is fine and allowed.
std::optional<std::string> FindRefAliasCycle(const rapidjson::Value& root) {
  std::vector<const rapidjson::Value*> pending{&root};
  while (!pending.empty()) {
    const rapidjson::Value* v = pending.back();
    pending.pop_back();
    if (v->IsArray()) {
      for (const auto& e : v->GetArray()) pending.push_back(&e);
      continue;
    }
    if (!v->IsObject()) continue;
    for (const auto& m : v->GetObject()) pending.push_back(&m.value);
    std::vector<const rapidjson::Value*> chain{v};
    const rapidjson::Value* node = v;
    while (node->IsObject()) {
      auto ref = node->FindMember("$ref");
      if (ref == node->MemberEnd() || !ref->value.IsString()) break;
      std::string_view target(ref->value.GetString(), ref->value.GetStringLength());
      if (target.empty() || target[0] != '#') break;  // remote references are the parser's business
      target.remove_prefix(1);
      const rapidjson::Value* next = ValueAtPointer(root, target);
      if (next == nullptr) break;
      if (std::find(chain.begin(), chain.end(), next) != chain.end()) {
        return std::string(ref->value.GetString(), ref->value.GetStringLength());
      }
      chain.push_back(next);
      node = next;
    }
  }
  return std::nullopt;
}

}  // namespace

// Encoding is checked once, up front, by the SIMD validator (text_checks.h); RapidJSON's per-character check is
// only used to name the offset of an encoding error.
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag;  // no stack overflow on deep nesting
constexpr unsigned kParseFlagsCheckingEncoding = kParseFlags | rapidjson::kParseValidateEncodingFlag;

bool IsJsonObjectText(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return false;
  if (IsSurelyJsonObject(text)) return true;  // the usual case, at a fraction of RapidJSON's cost
  if (!IsValidUtf8(text)) return false;
  // SAX into a handler that keeps nothing: no document. The reader's stack starts in a buffer here.
  alignas(8) char buffer[1024];
  ScratchPool pool(buffer, sizeof(buffer), kScratchChunkBytes);
  rapidjson::BaseReaderHandler<> ignore;
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, ScratchPool> reader(&pool);
  rapidjson::MemoryStream bytes(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
  return !reader.Parse<kParseFlags>(in, ignore).IsError();
}

namespace {

template <typename Document>
absl::Status ParseJsonInto(std::string_view text, Document& out) {
  const bool valid_utf8 = IsValidUtf8(text);
  if (valid_utf8) {
    out.template Parse<kParseFlags>(text.data(), text.size());
  } else {
    out.template Parse<kParseFlagsCheckingEncoding>(text.data(), text.size());  // finds where
    if (!out.HasParseError()) return absl::InvalidArgumentError("the text is not valid UTF-8");
  }
  if (out.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat(rapidjson::GetParseError_En(out.GetParseError()), " at offset ", out.GetErrorOffset()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseJson(std::string_view text, rapidjson::Document& out) { return ParseJsonInto(text, out); }
absl::Status ParseJson(std::string_view text, ScratchDocument& out) { return ParseJsonInto(text, out); }

JsonSchema::JsonSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonSchema::~JsonSchema() = default;

absl::StatusOr<std::shared_ptr<const JsonSchema>> JsonSchema::Compile(std::string_view schema_json) {
  auto impl = std::make_unique<Impl>();
  if (absl::Status s = ParseJson(schema_json, impl->document); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("is not valid JSON: ", s.message()));
  }
  if (!impl->document.IsObject()) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be a JSON object (a JSON Schema), not ", TypeName(impl->document)));
  }
  if (NestingDepth(impl->document) > kMaxNestingDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("nests deeper than ", kMaxNestingDepth, " levels: flatten it, or use definitions and $ref"));
  }
  if (auto cycle = FindRefAliasCycle(impl->document)) {
    return absl::InvalidArgumentError(absl::StrCat("has a $ref cycle through \"", *cycle,
                                                   "\" that never reaches a real schema: point the $ref at a schema "
                                                   "that constrains something (e.g. via \"items\" or \"properties\")"));
  }
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::RapidJsonAdapter adapter(impl->document);
    parser.populateSchema(adapter, impl->schema);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("is not a valid JSON Schema (draft 7): ", e.what()));
  }
  impl->quick = SimpleSchema::From(impl->document);
  std::string root_type;
  auto type = impl->document.FindMember("type");
  if (type != impl->document.MemberEnd() && type->value.IsString()) root_type = type->value.GetString();
  std::shared_ptr<JsonSchema> schema(new JsonSchema(std::move(impl)));
  schema->root_type_ = std::move(root_type);
  return std::shared_ptr<const JsonSchema>(std::move(schema));
}

bool JsonSchema::has_quick_check() const { return impl_->quick != nullptr; }

bool JsonSchema::SurelyAccepts(const simdjson::dom::element& value) const {
  return impl_->quick != nullptr && impl_->quick->Accepts(value);
}

std::optional<SchemaViolation> JsonSchema::Check(const rapidjson::Value& value) const {
  // Most calls are valid against a simple schema: settle those without valijson's per-call allocations.
  if (impl_->quick != nullptr && impl_->quick->Accepts(value)) return std::nullopt;
  valijson::adapters::RapidJsonAdapter target(value);
  {
    // Without a results object valijson stops at the first failure: the common (valid) case stays cheap.
    valijson::Validator fast;
    if (fast.validate(impl_->schema, target, nullptr)) return std::nullopt;
  }
  valijson::Validator validator;
  valijson::ValidationResults results;
  validator.validate(impl_->schema, target, &results);
  const valijson::ValidationResults::Error* best = nullptr;
  for (const auto& e : results) {
    // The deepest error is the most specific; parents only repeat "failed to validate property x".
    if (best == nullptr || e.context.size() > best->context.size()) best = &e;
  }
  if (best == nullptr) return SchemaViolation{"", "value does not match the schema"};
  return Explain(*best, value, impl_->document);
}

namespace {

template <typename Document>
absl::Status ParseAndValidate(std::string_view tool, std::string_view args_json, const JsonSchema* schema,
                              Document& parsed) {
  args_json = ArgumentsOrEmptyObject(args_json);
  auto fail = [&](std::string_view pointer, std::string_view what) {
    absl::Status s =
        absl::InvalidArgumentError(absl::StrCat("invalid params for tool '", ToAbsl(tool), "': ", ToAbsl(what)));
    s.SetPayload(kInvalidParamsFieldPayload, absl::Cord(ToAbsl(pointer)));
    return s;
  };
  if (absl::Status s = ParseJsonInto(args_json, parsed); !s.ok()) {
    return fail("", absl::StrCat("arguments are not valid JSON: ", s.message()));
  }
  if (NestingDepth(parsed) > kMaxNestingDepth) {
    return fail("", absl::StrCat("arguments nest deeper than ", kMaxNestingDepth, " levels"));
  }
  if (!parsed.IsObject()) {
    return fail("", absl::StrCat("arguments must be a JSON object, got ", TypeName(parsed),
                                 ": pass named arguments as {\"name\": value}"));
  }
  if (schema == nullptr) return absl::OkStatus();
  if (std::optional<SchemaViolation> v = schema->Check(parsed)) return fail(v->pointer, v->ToString());
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseAndValidateArguments(std::string_view tool, std::string_view args_json, const JsonSchema* schema,
                                       rapidjson::Document& parsed) {
  return ParseAndValidate(tool, args_json, schema, parsed);
}

absl::Status ParseAndValidateArguments(std::string_view tool, std::string_view args_json, const JsonSchema* schema,
                                       ScratchDocument& parsed) {
  return ParseAndValidate(tool, args_json, schema, parsed);
}

std::string_view ArgumentsOrEmptyObject(std::string_view args_json) {
  return args_json.find_first_not_of(" \t\r\n") == std::string_view::npos ? std::string_view("{}") : args_json;
}

absl::Status ValidateArguments(std::string_view tool, std::string_view args_json, const JsonSchema* schema) {
  if (schema == nullptr || schema->has_quick_check()) {
    const std::string_view text = ArgumentsOrEmptyObject(args_json);
    // A quick parse is an object nesting at most kQuickParseMaxDepth containers, so its NestingDepth (which
    // also counts the innermost scalars) is within kMaxNestingDepth.
    static_assert(kQuickParseMaxDepth + 1 <= kMaxNestingDepth);
    if (const simdjson::dom::element* root = QuickParseObject(text);
        root != nullptr && (schema == nullptr || schema->SurelyAccepts(*root))) {
      return absl::OkStatus();
    }
  }
  alignas(8) char buffer[4096];
  ScratchPool pool(buffer, sizeof(buffer), kScratchChunkBytes);
  ScratchDocument parsed(&pool, kScratchStackBytes, &pool);
  return ParseAndValidate(tool, args_json, schema, parsed);
}

}  // namespace edge::runtime::plugins
