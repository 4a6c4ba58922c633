// ObjectReader and the DOM helpers shared by the params parsers.
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/messages.h"
#include "internal.h"
#include "simdjson.h"

namespace edge::protocol {

std::string ParamPointer(const absl::Status& status) {
  auto p = status.GetPayload(kParamPointerPayload);
  return p.has_value() ? std::string(*p) : std::string();
}

namespace internal {
namespace {

// Appends `key` escaped as one JSON Pointer token (RFC 6901: '~' -> "~0", '/' -> "~1").
void AppendPointerToken(std::string& out, std::string_view key) {
  out += '/';
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
}

std::string_view TypeName(const simdjson::dom::element& e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY: return "an array";
    case simdjson::dom::element_type::OBJECT: return "an object";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64: return "an integer";
    case simdjson::dom::element_type::DOUBLE: return "a number";
    case simdjson::dom::element_type::STRING: return "a string";
    case simdjson::dom::element_type::BOOL: return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

std::string WrongType(std::string_view expected, const simdjson::dom::element& e) {
  return absl::StrCat("must be ", ToAbsl(expected), ", got ", ToAbsl(TypeName(e)));
}

}  // namespace

absl::Status FieldError(std::string_view what, std::string_view pointer, std::string_view problem) {
  absl::Status s = absl::InvalidArgumentError(
      absl::StrCat(ToAbsl(what), ": ", pointer.empty() ? "(params)" : ToAbsl(pointer), ": ", ToAbsl(problem)));
  s.SetPayload(kParamPointerPayload, absl::Cord(ToAbsl(pointer)));
  return s;
}

namespace {
// The params object DecodeMessage parsed last on this thread, and its minified text (Envelope::params). The
// element lives in DecodeMessage's parser, valid until its next DecodeMessage, which replaces this entry.
struct LastParams {
  std::string text;
  simdjson::dom::object object;
  bool valid = false;
};
thread_local LastParams last_params;
}  // namespace

// Called by DecodeMessage (declared there: internal.h keeps simdjson out of the public headers).
void RememberDecodedParams(std::string_view text, const simdjson::dom::object* object) {
  if (object == nullptr) {
    last_params.valid = false;
    return;
  }
  last_params.text.assign(text.data(), text.size());
  last_params.object = *object;
  last_params.valid = true;
}

absl::Status ParseObject(std::string_view what, std::string_view json, simdjson::dom::object* out) {
  // A params parser right after DecodeMessage gets the very text DecodeMessage minified from the object it
  // already parsed and validated: reuse that object instead of parsing the text a second time.
  if (last_params.valid && json == last_params.text) {
    *out = last_params.object;
    return absl::OkStatus();
  }
  // One parser and padded buffer per thread: allocation is the expensive part of a parse (stack-notes §4.1).
  thread_local simdjson::dom::parser parser;
  thread_local std::string buffer;
  buffer.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(json.data(), json.size());
  simdjson::dom::element root;
  if (auto err = parser.parse(buffer.data(), buffer.size(), false).get(root); err) {
    return FieldError(what, "", absl::StrCat("not valid JSON (", simdjson::error_message(err), ")"));
  }
  if (root.type() != simdjson::dom::element_type::OBJECT) {
    return FieldError(what, "", WrongType("an object", root));
  }
  *out = root.get_object().value_unsafe();
  return absl::OkStatus();
}

std::string RawText(const simdjson::dom::element& e) { return simdjson::minify(e); }

std::string ObjectReader::Pointer(std::string_view key) const {
  std::string p = prefix_;
  AppendPointerToken(p, key);
  return p;
}

bool ObjectReader::Find(std::string_view key, simdjson::dom::element* out) const {
  if (obj_.at_key(key).get(*out) != simdjson::SUCCESS) return false;
  return out->type() != simdjson::dom::element_type::NULL_VALUE;
}

absl::Status ObjectReader::String(std::string_view key, std::string* out, size_t min_bytes,
                                  size_t max_bytes) const {
  simdjson::dom::element e;
  if (!Find(key, &e)) return Error(key, "required string is missing");
  std::string_view v;
  if (e.get_string().get(v) != simdjson::SUCCESS) return Error(key, WrongType("a string", e));
  if (v.size() < min_bytes) {
    return Error(key, min_bytes == 1 ? std::string("must not be empty")
                                     : absl::StrCat("must have at least ", min_bytes, " bytes"));
  }
  if (max_bytes > 0 && v.size() > max_bytes) {
    return Error(key, absl::StrCat("is ", v.size(), " bytes long; the limit is ", max_bytes));
  }
  out->assign(v.data(), v.size());
  return absl::OkStatus();
}

absl::Status ObjectReader::OptString(std::string_view key, std::string* out, bool* present) const {
  simdjson::dom::element e;
  const bool found = Find(key, &e);
  if (present != nullptr) *present = found;
  if (!found) return absl::OkStatus();
  std::string_view v;
  if (e.get_string().get(v) != simdjson::SUCCESS) return Error(key, WrongType("a string", e));
  out->assign(v.data(), v.size());
  return absl::OkStatus();
}

absl::Status ObjectReader::Int(std::string_view key, int64_t* out) const {
  simdjson::dom::element e;
  if (!Find(key, &e)) return Error(key, "required integer is missing");
  if (e.type() == simdjson::dom::element_type::UINT64) return Error(key, "integer is out of range");
  if (e.get_int64().get(*out) != simdjson::SUCCESS) return Error(key, WrongType("an integer", e));
  return absl::OkStatus();
}

absl::Status ObjectReader::OptInt(std::string_view key, int64_t* out, bool* present) const {
  simdjson::dom::element e;
  const bool found = Find(key, &e);
  if (present != nullptr) *present = found;
  if (!found) return absl::OkStatus();
  return Int(key, out);
}

absl::Status ObjectReader::Uint(std::string_view key, uint64_t* out) const {
  simdjson::dom::element e;
  if (!Find(key, &e)) return Error(key, "required integer is missing");
  if (e.type() == simdjson::dom::element_type::INT64) {
    int64_t v = 0;
    v = e.get_int64().value_unsafe();
    if (v < 0) return Error(key, absl::StrCat("must not be negative, got ", v));
  }
  if (e.get_uint64().get(*out) != simdjson::SUCCESS) return Error(key, WrongType("an integer", e));
  return absl::OkStatus();
}

absl::Status ObjectReader::OptUint(std::string_view key, uint64_t* out) const {
  simdjson::dom::element e;
  if (!Find(key, &e)) return absl::OkStatus();
  return Uint(key, out);
}

absl::Status ObjectReader::Double(std::string_view key, double* out) const {
  simdjson::dom::element e;
  if (!Find(key, &e)) return Error(key, "required number is missing");
  if (e.get_double().get(*out) != simdjson::SUCCESS) return Error(key, WrongType("a number", e));
  return absl::OkStatus();
}

absl::Status ObjectReader::OptDouble(std::string_view key, std::optional<double>* out) const {
  simdjson::dom::element e;
  if (!Find(key, &e)) return absl::OkStatus();
  double v = 0;
  if (e.get_double().get(v) != simdjson::SUCCESS) return Error(key, WrongType("a number", e));
  *out = v;
  return absl::OkStatus();
}

absl::Status ObjectReader::Bool(std::string_view key, bool* out) const {
  simdjson::dom::element e;
  if (!Find(key, &e)) return Error(key, "required boolean is missing");
  if (e.get_bool().get(*out) != simdjson::SUCCESS) return Error(key, WrongType("a boolean", e));
  return absl::OkStatus();
}

absl::Status ObjectReader::Object(std::string_view key, bool required, simdjson::dom::object* out,
                                  bool* present) const {
  simdjson::dom::element e;
  *present = Find(key, &e);
  if (!*present) return required ? Error(key, "required object is missing") : absl::OkStatus();
  if (e.get_object().get(*out) != simdjson::SUCCESS) return Error(key, WrongType("an object", e));
  return absl::OkStatus();
}

MemberPlace PlaceOf(const simdjson::dom::object& object, std::string_view key) {
  int count = 0;
  bool last = false;
  for (auto field : object) {
    last = field.key == key;
    if (last) ++count;
  }
  if (count != 1) return MemberPlace::kUnknown;
  return last ? MemberPlace::kLast : MemberPlace::kOnce;
}

absl::Status ObjectReader::RawObject(std::string_view key, bool required, std::string* out, bool* present) const {
  simdjson::dom::element e;
  *present = Find(key, &e);
  if (!*present) return required ? Error(key, "required object is missing") : absl::OkStatus();
  if (e.type() != simdjson::dom::element_type::OBJECT) return Error(key, WrongType("an object", e));
  std::string_view span;
  if (!source_.empty() && MemberSpan(source_, key, &span, PlaceOf(obj_, key))) {
    out->assign(span.data(), span.size());
  } else {
    *out = RawText(e);
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace edge::protocol
