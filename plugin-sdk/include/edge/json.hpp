// edge/json.hpp: small JSON helpers for plugin authors, on top of RapidJSON (header-only).
//
// `edge::Json` is an owning JSON value with a terse builder API for structured results; `edge::Args` gives
// typed, checked access to a call's arguments. Both wrap RapidJSON, so authors can drop down to it
// (`json()`, `value()`) whenever they need more.
#ifndef EDGE_JSON_HPP_
#define EDGE_JSON_HPP_

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace edge {

// Thrown from a handler (or by Args accessors) to return a tool-level error (MCP isError) to the agent.
class ToolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

// RapidJSON's default document starts its pool with a 64 KiB chunk. On glibc every malloc of 1 KiB or more
// also consolidates the fastbins, so one such document per call cost more than the call itself. These
// documents start in a buffer allocated together with their pool and grow in chunks that stay in the
// small-allocation path; bigger values get a chunk of their size.
constexpr size_t kPoolChunkBytes = 960;
constexpr size_t kPoolFirstBytes = 640;
constexpr size_t kParseStackBytes = 256;
using Pool = rapidjson::MemoryPoolAllocator<>;

// A pool and its first chunk in one allocation. It lives on the heap so that documents using it can move.
struct PoolBlock {
  alignas(8) char first[kPoolFirstBytes];
  Pool pool{first, sizeof(first), kPoolChunkBytes};
};

// A document with its own small-chunk pool. Movable: the pool lives on the heap, so a moved document keeps
// pointing at it.
struct PooledDocument {
  std::unique_ptr<PoolBlock> block = std::make_unique<PoolBlock>();
  rapidjson::Document doc{&block->pool, kParseStackBytes};
};

// A parse-only document whose parser stacks come from the same pool as its values: parsing a small document
// then costs one allocation (the block) instead of one per stack plus their regrowth.
using ParsedDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;
struct PooledParse {
  std::unique_ptr<PoolBlock> block = std::make_unique<PoolBlock>();
  ParsedDocument doc{&block->pool, kParseStackBytes, &block->pool};
};

// Writes JSON straight into a std::string (RapidJSON's StringBuffer would be copied into one afterwards).
// The writer reserves room before each token and then writes unchecked: PutReserve and PutUnsafe below
// (found by argument-dependent lookup) make a character a plain store instead of a push_back, which was
// most of the cost of serializing a small result.
struct StringSink {
  using Ch = char;
  std::string* out;  // sized to the room; the first `written` bytes are the text
  size_t written = 0;
  void Reserve(size_t count) {
    if (written + count > out->size()) out->resize(std::max(out->size() * 2, written + count));
  }
  void Put(char c) {
    Reserve(1);
    (*out)[written++] = c;
  }
  void Flush() {}
  void Finish() { out->resize(written); }
};
inline void PutReserve(StringSink& sink, size_t count) { sink.Reserve(count); }
inline void PutUnsafe(StringSink& sink, char c) { (*sink.out)[sink.written++] = c; }

inline std::string Serialize(const rapidjson::Value& v) {
  std::string text(64, '\0');
  StringSink sink{&text};
  // The writer's nesting stack starts in this buffer rather than in a malloc of its own.
  alignas(8) char levels[640];
  Pool level_pool(levels, sizeof(levels), kPoolChunkBytes);
  rapidjson::Writer<StringSink, rapidjson::UTF8<>, rapidjson::UTF8<>, Pool> w(sink, &level_pool);
  v.Accept(w);
  sink.Finish();
  return text;
}
}  // namespace detail

// An owning JSON value (object, array or scalar) with a builder API:
//   edge::Json out = edge::Json::object();
//   out.set("rows", 3).set("name", "x").set("tags", edge::Json::array().push("a").push("b"));
class Json {
 public:
  Json() = default;  // null
  static Json object() { Json j; j.doc().SetObject(); return j; }
  static Json array() { Json j; j.doc().SetArray(); return j; }
  // Parses JSON text; throws ToolError naming the parse error.
  static Json parse(std::string_view text) {
    Json j;
    // Without kParseStopWhenDoneFlag RapidJSON itself rejects trailing content ("root must not be followed").
    j.doc().Parse(text.data(), text.size());
    if (j.doc().HasParseError()) {
      throw ToolError(std::string("invalid JSON: ") + rapidjson::GetParseError_En(j.doc().GetParseError()));
    }
    return j;
  }

  Json(const Json& other) { doc().CopyFrom(other.doc(), doc().GetAllocator()); }
  Json& operator=(const Json& other) {
    if (this != &other) doc().CopyFrom(other.doc(), doc().GetAllocator());
    return *this;
  }
  Json(Json&&) noexcept = default;
  Json& operator=(Json&&) noexcept = default;

  template <typename T>
  Json& set(std::string_view key, T&& value) {
    if (!doc().IsObject()) doc().SetObject();
    auto& a = doc().GetAllocator();
    rapidjson::Value k(key.data(), static_cast<rapidjson::SizeType>(key.size()), a);
    rapidjson::Value v = ToValue(std::forward<T>(value), a);
    auto it = doc().FindMember(k);
    if (it != doc().MemberEnd()) {
      it->value = std::move(v);
    } else {
      doc().AddMember(k, v, a);
    }
    return *this;
  }
  template <typename T>
  Json& push(T&& value) {
    if (!doc().IsArray()) doc().SetArray();
    auto& a = doc().GetAllocator();
    rapidjson::Value v = ToValue(std::forward<T>(value), a);
    doc().PushBack(v, a);
    return *this;
  }

  bool is_object() const { return doc().IsObject(); }
  std::string dump() const { return detail::Serialize(doc()); }
  const rapidjson::Value& value() const { return doc(); }
  rapidjson::Document& document() { return doc(); }

 private:
  using Alloc = rapidjson::Document::AllocatorType;
  static rapidjson::Value ToValue(const Json& j, Alloc& a) { return rapidjson::Value(j.doc(), a); }
  static rapidjson::Value ToValue(Json&& j, Alloc& a) { return rapidjson::Value(j.doc(), a); }
  static rapidjson::Value ToValue(Json& j, Alloc& a) { return rapidjson::Value(j.doc(), a); }
  static rapidjson::Value ToValue(const rapidjson::Value& v, Alloc& a) { return rapidjson::Value(v, a); }
  static rapidjson::Value ToValue(std::string_view s, Alloc& a) {
    return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
  }
  static rapidjson::Value ToValue(const std::string& s, Alloc& a) { return ToValue(std::string_view(s), a); }
  static rapidjson::Value ToValue(const char* s, Alloc& a) { return ToValue(std::string_view(s), a); }
  static rapidjson::Value ToValue(std::nullptr_t, Alloc&) { return rapidjson::Value(); }
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<std::decay_t<T>>>>
  static rapidjson::Value ToValue(T v, Alloc&) {
    using D = std::decay_t<T>;
    if constexpr (std::is_same_v<D, bool>) {
      return rapidjson::Value(v);
    } else if constexpr (std::is_floating_point_v<D>) {
      return rapidjson::Value(static_cast<double>(v));
    } else if constexpr (std::is_signed_v<D>) {
      return rapidjson::Value(static_cast<int64_t>(v));
    } else {
      return rapidjson::Value(static_cast<uint64_t>(v));
    }
  }

  rapidjson::Document& doc() { return pooled_.doc; }
  const rapidjson::Document& doc() const { return pooled_.doc; }

  detail::PooledDocument pooled_;
};

// A call's arguments: a JSON object already validated by the host against the tool's inputSchema.
// Accessors throw ToolError with the argument's name when it is missing or has the wrong type, so a handler
// can use them without checks of its own.
class Args {
 public:
  explicit Args(std::string_view json_text) : raw_(json_text) {
    doc().Parse(json_text.data(), json_text.size());
    if (doc().HasParseError()) {
      throw ToolError(std::string("arguments are not valid JSON: ") + rapidjson::GetParseError_En(doc().GetParseError()));
    }
    if (!doc().IsObject()) throw ToolError("arguments must be a JSON object");
  }

  bool has(std::string_view key) const { return Find(key) != nullptr; }

  template <typename T>
  T get(std::string_view key) const {
    const rapidjson::Value* v = Find(key);
    if (v == nullptr || v->IsNull()) throw ToolError("missing required argument '" + std::string(key) + "'");
    return Convert<T>(key, *v);
  }
  template <typename T>
  T get_or(std::string_view key, T fallback) const {
    const rapidjson::Value* v = Find(key);
    if (v == nullptr || v->IsNull()) return fallback;
    return Convert<T>(key, *v);
  }

  // The member itself (nullptr when absent), for arrays and nested objects.
  const rapidjson::Value* find(std::string_view key) const { return Find(key); }
  const rapidjson::Value& json() const { return doc(); }
  std::string_view raw() const { return raw_; }

 private:
  const rapidjson::Value* Find(std::string_view key) const {
    auto it = doc().FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size()))));
    return it == doc().MemberEnd() ? nullptr : &it->value;
  }
  [[noreturn]] static void TypeError(std::string_view key, const char* want) {
    throw ToolError("argument '" + std::string(key) + "' must be " + want);
  }
  template <typename T>
  static T Convert(std::string_view key, const rapidjson::Value& v) {
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
      if (!v.IsString()) TypeError(key, "a string");
      return T(v.GetString(), v.GetStringLength());
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v.IsBool()) TypeError(key, "a boolean");
      return v.GetBool();
    } else if constexpr (std::is_integral_v<T>) {
      if (!v.IsInt64() && !(v.IsDouble() && v.GetDouble() == static_cast<double>(static_cast<int64_t>(v.GetDouble())))) {
        TypeError(key, "an integer");
      }
      int64_t n = v.IsInt64() ? v.GetInt64() : static_cast<int64_t>(v.GetDouble());
      if constexpr (std::is_unsigned_v<T>) {
        if (n < 0) TypeError(key, "a non-negative integer");
      }
      if (n < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          (n > 0 && static_cast<uint64_t>(n) > static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
        TypeError(key, "an integer in range");
      }
      return static_cast<T>(n);
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.IsNumber()) TypeError(key, "a number");
      return static_cast<T>(v.GetDouble());
    } else if constexpr (std::is_same_v<T, Json>) {
      Json j;
      j.document().CopyFrom(v, j.document().GetAllocator());
      return j;
    } else {
      static_assert(sizeof(T) == 0, "Args::get supports std::string, std::string_view, bool, integers, floating point and edge::Json");
    }
  }

  std::string_view raw_;
  detail::ParsedDocument& doc() { return pooled_.doc; }
  const detail::ParsedDocument& doc() const { return pooled_.doc; }

  detail::PooledParse pooled_;
};

}  // namespace edge

#endif  // EDGE_JSON_HPP_
