// SimpleSchema: the allocation-free "certainly valid" check for common JSON Schemas (see simple_schema.h).
//
// Each rule below mirrors valijson's (validation_visitor.hpp, strict types, as JsonSchema::Check runs it), and
// where exact agreement is not obvious the check declines instead of guessing.
#include "plugins/simple_schema.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "simdjson.h"

namespace edge::runtime::plugins {

namespace {

// JSON Schema's type names, as bits.
enum TypeBit : uint8_t {
  kNull = 1 << 0,
  kBoolean = 1 << 1,
  kObject = 1 << 2,
  kArray = 1 << 3,
  kNumber = 1 << 4,
  kInteger = 1 << 5,
  kString = 1 << 6,
};
constexpr uint8_t kAnyType = 0x7f;

// Keywords that never constrain a value.
constexpr std::string_view kAnnotations[] = {"title",   "description", "default",  "examples", "$comment",
                                             "$schema", "$id",         "readOnly", "writeOnly"};

std::string_view View(const rapidjson::Value& s) { return {s.GetString(), s.GetStringLength()}; }

std::optional<uint8_t> TypeBitOf(std::string_view name) {
  if (name == "null") return kNull;
  if (name == "boolean") return kBoolean;
  if (name == "object") return kObject;
  if (name == "array") return kArray;
  if (name == "number") return kNumber;
  if (name == "integer") return kInteger;
  if (name == "string") return kString;
  return std::nullopt;
}

bool IsScalar(const rapidjson::Value& v) { return !v.IsObject() && !v.IsArray(); }

// A non-negative integer keyword value (minLength, maxItems, ...).
std::optional<uint64_t> Count(const rapidjson::Value& v) {
  if (v.IsInt64() && v.GetInt64() >= 0) return static_cast<uint64_t>(v.GetInt64());
  return std::nullopt;  // valijson reads counts as int64_t too
}

// Scalar equality that valijson's strict enum/const comparison certainly shares; numbers only when both are
// integers of the same representation.
bool SurelyEqual(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsString() && b.IsString()) return View(a) == View(b);
  if (a.IsBool() && b.IsBool()) return a.GetBool() == b.GetBool();
  if (a.IsNull() && b.IsNull()) return true;
  if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
  if (a.IsUint64() && b.IsUint64() && !a.IsInt64() && !b.IsInt64()) return a.GetUint64() == b.GetUint64();
  return false;
}

// The number valijson compares with bounds (BasicAdapter::asDouble): integers go through int64_t, so an
// unsigned integer above INT64_MAX wraps to a negative number there; it must here too.
double AsValijsonDouble(const rapidjson::Value& v) {
  if (v.IsInt64()) return static_cast<double>(v.GetInt64());
  if (v.IsUint64()) return static_cast<double>(static_cast<int64_t>(v.GetUint64()));
  return v.GetDouble();
}

}  // namespace

struct SimpleSchema::Node {
  uint8_t types = kAnyType;
  // Objects. Property names point into the schema document; sorted for lookup.
  std::vector<std::pair<std::string_view, std::unique_ptr<Node>>> properties;
  std::vector<std::string_view> required;
  bool additional_forbidden = false;
  std::unique_ptr<Node> additional;  // schema for members not named in `properties`; null: any
  std::optional<uint64_t> min_properties, max_properties;
  // Arrays.
  std::unique_ptr<Node> items;
  std::optional<uint64_t> min_items, max_items;
  // Strings.
  std::optional<uint64_t> min_length, max_length;
  // Numbers, compared as valijson does: as doubles.
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
  // enum (an array) and const, in the schema document.
  const rapidjson::Value* choices = nullptr;
  const rapidjson::Value* constant = nullptr;

  const Node* Property(std::string_view name) const {
    auto it = std::lower_bound(properties.begin(), properties.end(), name,
                               [](const auto& p, std::string_view n) { return p.first < n; });
    return it != properties.end() && it->first == name ? it->second.get() : nullptr;
  }

  // `Ops` is RapidJsonOps or SimdjsonOps (below): the same rules over either kind of document.
  template <typename Ops>
  bool Accepts(const typename Ops::Value& v) const;
  template <typename Ops>
  bool AcceptsObject(const typename Ops::Value& v) const;
  template <typename Ops>
  bool AcceptsArray(const typename Ops::Value& v) const;
};

namespace {

using Node = SimpleSchema::Node;

std::unique_ptr<Node> Build(const rapidjson::Value& schema);

bool ReadType(const rapidjson::Value& v, Node& node) {
  if (v.IsString()) {
    std::optional<uint8_t> bit = TypeBitOf(View(v));
    if (!bit) return false;
    node.types = *bit;
    return true;
  }
  if (!v.IsArray() || v.Empty()) return false;
  node.types = 0;
  for (const auto& e : v.GetArray()) {
    std::optional<uint8_t> bit = e.IsString() ? TypeBitOf(View(e)) : std::nullopt;
    if (!bit) return false;
    node.types |= *bit;
  }
  return true;
}

bool ReadProperties(const rapidjson::Value& v, Node& node) {
  if (!v.IsObject()) return false;
  for (const auto& m : v.GetObject()) {
    std::unique_ptr<Node> sub = Build(m.value);
    if (sub == nullptr) return false;
    node.properties.emplace_back(View(m.name), std::move(sub));
  }
  std::sort(node.properties.begin(), node.properties.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // A name listed twice: which subschema valijson applies is its business.
  auto same = [](const auto& a, const auto& b) { return a.first == b.first; };
  return std::adjacent_find(node.properties.begin(), node.properties.end(), same) == node.properties.end();
}

// One keyword of a schema object; false when it is outside the subset or has an unexpected shape.
bool ReadKeyword(std::string_view key, const rapidjson::Value& v, Node& node) {
  auto count = [&](std::optional<uint64_t>& out) { return (out = Count(v)).has_value(); };
  auto bound = [&](std::optional<double>& out) {
    if (!v.IsNumber() || (v.IsUint64() && !v.IsInt64())) return false;  // no bound beyond int64 is worth it
    out = AsValijsonDouble(v);
    return true;
  };
  if (std::find(std::begin(kAnnotations), std::end(kAnnotations), key) != std::end(kAnnotations)) return true;
  if (key == "type") return ReadType(v, node);
  if (key == "properties") return ReadProperties(v, node);
  if (key == "required") {
    if (!v.IsArray()) return false;
    for (const auto& e : v.GetArray()) {
      if (!e.IsString()) return false;
      node.required.push_back(View(e));
    }
    return true;
  }
  if (key == "additionalProperties") {
    if (v.IsBool()) {
      node.additional_forbidden = !v.GetBool();
      return true;
    }
    return (node.additional = Build(v)) != nullptr;
  }
  if (key == "items") return v.IsObject() && (node.items = Build(v)) != nullptr;  // tuple form: not here
  if (key == "enum") {
    if (!v.IsArray() || v.Empty()) return false;
    node.choices = &v;
    return std::all_of(v.Begin(), v.End(), IsScalar);
  }
  if (key == "const") {
    node.constant = &v;
    return IsScalar(v);
  }
  if (key == "minimum") return bound(node.minimum);
  if (key == "maximum") return bound(node.maximum);
  if (key == "exclusiveMinimum") return bound(node.exclusive_minimum);  // draft 7: a number
  if (key == "exclusiveMaximum") return bound(node.exclusive_maximum);
  if (key == "minLength") return count(node.min_length);
  if (key == "maxLength") return count(node.max_length);
  if (key == "minItems") return count(node.min_items);
  if (key == "maxItems") return count(node.max_items);
  if (key == "minProperties") return count(node.min_properties);
  if (key == "maxProperties") return count(node.max_properties);
  return false;
}

std::unique_ptr<Node> Build(const rapidjson::Value& schema) {
  auto node = std::make_unique<Node>();
  if (schema.IsBool()) {
    if (!schema.GetBool()) node->types = 0;  // accepts nothing: such values go to valijson
    return node;
  }
  if (!schema.IsObject()) return nullptr;
  for (const auto& m : schema.GetObject()) {
    if (!ReadKeyword(View(m.name), m.value, *node)) return nullptr;
  }
  return node;
}

// Objects larger than this are left to valijson rather than checked for duplicate names pairwise.
constexpr size_t kMaxMembersChecked = 64;

bool Within(uint64_t n, const std::optional<uint64_t>& min, const std::optional<uint64_t>& max) {
  return (!min || n >= *min) && (!max || n <= *max);
}

// valijson counts characters as UTF-8 lead bytes of a NUL-terminated string; the same count, for strings
// without NUL (the text was checked to be valid UTF-8 before parsing).
std::optional<uint64_t> CharacterCount(std::string_view text) {
  uint64_t count = 0;
  for (char c : text) {
    if (c == '\0') return std::nullopt;
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

// What the check needs of a value, for RapidJSON documents (arguments parsed for valijson) and for simdjson
// elements (the workers' quick parse, plugins/text_checks.h). Integers are those without a fraction or
// exponent that fit 64 bits in both; simdjson refuses integers beyond that (the caller then falls back to
// RapidJSON, which reads them as doubles).
struct RapidJsonOps {
  using Value = rapidjson::Value;
  static constexpr bool kDoublesAsValijson = true;  // the same parse valijson judges
  static uint8_t TypeOf(const Value& v) {
    switch (v.GetType()) {
      case rapidjson::kNullType: return kNull;
      case rapidjson::kFalseType:
      case rapidjson::kTrueType: return kBoolean;
      case rapidjson::kObjectType: return kObject;
      case rapidjson::kArrayType: return kArray;
      case rapidjson::kStringType: return kString;
      case rapidjson::kNumberType: return v.IsInt64() || v.IsUint64() ? (kInteger | kNumber) : kNumber;
    }
    return 0;
  }
  static std::string_view String(const Value& v) { return View(v); }
  static bool SurelyEqualTo(const Value& v, const rapidjson::Value& c) { return SurelyEqual(v, c); }
  static double Number(const Value& v) { return AsValijsonDouble(v); }
  static size_t MemberCount(const Value& v) { return v.MemberCount(); }
  static bool HasMember(const Value& v, std::string_view name) {
    return v.FindMember(rapidjson::StringRef(name.data(), name.size())) != v.MemberEnd();
  }
  // True when a member name repeats, or the object is too large to tell cheaply.
  static bool HasDuplicateNames(const Value& v) {
    if (v.MemberCount() > kMaxMembersChecked) return true;
    for (auto a = v.MemberBegin(); a != v.MemberEnd(); ++a) {
      for (auto b = a + 1; b != v.MemberEnd(); ++b) {
        if (View(a->name) == View(b->name)) return true;
      }
    }
    return false;
  }
  template <typename F>
  static bool AllMembers(const Value& v, F&& accepts) {
    for (const auto& m : v.GetObject()) {
      if (!accepts(View(m.name), m.value)) return false;
    }
    return true;
  }
  static size_t Size(const Value& v) { return v.Size(); }
  template <typename F>
  static bool AllElements(const Value& v, F&& accepts) {
    return std::all_of(v.Begin(), v.End(), accepts);
  }
};

struct SimdjsonOps {
  using Value = simdjson::dom::element;
  static constexpr bool kDoublesAsValijson = false;  // integers are exact in both; decimals may differ
  using Type = simdjson::dom::element_type;
  static uint8_t TypeOf(const Value& v) {
    switch (v.type()) {
      case Type::NULL_VALUE: return kNull;
      case Type::BOOL: return kBoolean;
      case Type::OBJECT: return kObject;
      case Type::ARRAY: return kArray;
      case Type::STRING: return kString;
      case Type::INT64:
      case Type::UINT64: return kInteger | kNumber;
      case Type::DOUBLE: return kNumber;
    }
    return 0;
  }
  static std::string_view String(const Value& v) { return v.get_string().value_unsafe(); }
  // SurelyEqual's rules: RapidJSON's IsInt64 is simdjson's INT64, and IsUint64 without IsInt64 its UINT64.
  static bool SurelyEqualTo(const Value& v, const rapidjson::Value& c) {
    switch (v.type()) {
      case Type::STRING: return c.IsString() && View(c) == String(v);
      case Type::BOOL: return c.IsBool() && c.GetBool() == v.get_bool().value_unsafe();
      case Type::NULL_VALUE: return c.IsNull();
      case Type::INT64: return c.IsInt64() && c.GetInt64() == v.get_int64().value_unsafe();
      case Type::UINT64: return c.IsUint64() && !c.IsInt64() && c.GetUint64() == v.get_uint64().value_unsafe();
      default: return false;
    }
  }
  static double Number(const Value& v) {
    switch (v.type()) {
      case Type::INT64: return static_cast<double>(v.get_int64().value_unsafe());
      case Type::UINT64: return static_cast<double>(static_cast<int64_t>(v.get_uint64().value_unsafe()));
      default: return v.get_double().value_unsafe();
    }
  }
  static simdjson::dom::object Object(const Value& v) { return v.get_object().value_unsafe(); }
  static size_t MemberCount(const Value& v) { return Object(v).size(); }
  static bool HasMember(const Value& v, std::string_view name) {
    simdjson::dom::element ignored;
    return Object(v).at_key(name).get(ignored) == simdjson::SUCCESS;
  }
  static bool HasDuplicateNames(const Value& v) {
    const simdjson::dom::object object = Object(v);
    if (object.size() > kMaxMembersChecked) return true;
    for (auto a = object.begin(); a != object.end(); ++a) {
      auto b = a;
      for (++b; b != object.end(); ++b) {
        if (a.key() == b.key()) return true;
      }
    }
    return false;
  }
  template <typename F>
  static bool AllMembers(const Value& v, F&& accepts) {
    const simdjson::dom::object object = Object(v);
    for (const auto field : object) {
      if (!accepts(field.key, field.value)) return false;
    }
    return true;
  }
  static simdjson::dom::array Array(const Value& v) { return v.get_array().value_unsafe(); }
  static size_t Size(const Value& v) { return Array(v).size(); }
  template <typename F>
  static bool AllElements(const Value& v, F&& accepts) {
    const simdjson::dom::array array = Array(v);
    for (const simdjson::dom::element e : array) {
      if (!accepts(e)) return false;
    }
    return true;
  }
};

}  // namespace

template <typename Ops>
bool Node::Accepts(const typename Ops::Value& v) const {
  const uint8_t type = Ops::TypeOf(v);
  if ((types & type) == 0) return false;
  if (choices != nullptr && std::none_of(choices->Begin(), choices->End(),
                                         [&](const rapidjson::Value& c) { return Ops::SurelyEqualTo(v, c); })) {
    return false;
  }
  if (constant != nullptr && !Ops::SurelyEqualTo(v, *constant)) return false;
  if (type == kObject) return AcceptsObject<Ops>(v);
  if (type == kArray) return AcceptsArray<Ops>(v);
  if (type == kString) {
    if (!min_length && !max_length) return true;
    std::optional<uint64_t> n = CharacterCount(Ops::String(v));
    return n.has_value() && Within(*n, min_length, max_length);
  }
  if ((type & kNumber) != 0) {
    const double d = Ops::Number(v);
    if (!Ops::kDoublesAsValijson && type == kNumber) {
      // simdjson rounds decimals correctly, RapidJSON's default parse (the one valijson judges) may differ in
      // the last bits: within a hair of a bound the two could disagree, so leave those to valijson.
      for (const std::optional<double>& bound : {minimum, maximum, exclusive_minimum, exclusive_maximum}) {
        if (bound && std::abs(d - *bound) <= std::abs(*bound) * 1e-9) return false;
      }
    }
    return (!minimum || d >= *minimum) && (!maximum || d <= *maximum) &&
           (!exclusive_minimum || d > *exclusive_minimum) && (!exclusive_maximum || d < *exclusive_maximum);
  }
  return true;
}

template <typename Ops>
bool Node::AcceptsObject(const typename Ops::Value& v) const {
  if (!Within(Ops::MemberCount(v), min_properties, max_properties)) return false;
  if (Ops::HasDuplicateNames(v)) return false;  // valijson's verdict on those is its own
  for (std::string_view name : required) {
    if (!Ops::HasMember(v, name)) return false;
  }
  return Ops::AllMembers(v, [&](std::string_view name, const typename Ops::Value& value) {
    const Node* sub = Property(name);
    if (sub == nullptr) {
      if (additional_forbidden) return false;
      sub = additional.get();
    }
    return sub == nullptr || sub->Accepts<Ops>(value);
  });
}

template <typename Ops>
bool Node::AcceptsArray(const typename Ops::Value& v) const {
  if (!Within(Ops::Size(v), min_items, max_items)) return false;
  if (items == nullptr) return true;
  return Ops::AllElements(v, [&](const typename Ops::Value& e) { return items->Accepts<Ops>(e); });
}

std::unique_ptr<const SimpleSchema> SimpleSchema::From(const rapidjson::Value& schema) {
  std::unique_ptr<Node> root = Build(schema);
  if (root == nullptr) return nullptr;
  return std::unique_ptr<const SimpleSchema>(new SimpleSchema(std::move(root)));
}

SimpleSchema::SimpleSchema(std::unique_ptr<Node> root) : root_(std::move(root)) {}
SimpleSchema::~SimpleSchema() = default;

bool SimpleSchema::Accepts(const rapidjson::Value& value) const { return root_->Accepts<RapidJsonOps>(value); }
bool SimpleSchema::Accepts(const simdjson::dom::element& value) const {
  return root_->Accepts<SimdjsonOps>(value);
}

}  // namespace edge::runtime::plugins
