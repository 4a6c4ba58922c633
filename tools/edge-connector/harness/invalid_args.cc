// Derives schema-violating arguments from a tool's inputSchema.
#include "harness/invalid_args.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <set>

namespace edge::harness {
namespace {

std::string Serialize(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// The JSON Schema types a property allows; empty when the schema does not say (then we cannot pick a wrong
// type with certainty and skip the property).
std::set<std::string> AllowedTypes(const rapidjson::Value& property_schema) {
  std::set<std::string> types;
  if (!property_schema.IsObject()) return types;
  auto it = property_schema.FindMember("type");
  if (it == property_schema.MemberEnd()) return types;
  if (it->value.IsString()) types.insert(it->value.GetString());
  if (it->value.IsArray()) {
    for (const auto& t : it->value.GetArray()) {
      if (t.IsString()) types.insert(t.GetString());
    }
  }
  return types;
}

// A value of a type the property does not allow, or false when every type is allowed.
bool WrongValue(const std::set<std::string>& allowed, rapidjson::Value* out, std::string* type_name,
                rapidjson::Document::AllocatorType& a) {
  auto allows = [&](const char* t) { return allowed.count(t) > 0; };
  if (!allows("string")) {
    out->SetString("edge-check: wrong type", a);
    *type_name = "a string";
  } else if (!allows("integer") && !allows("number")) {
    out->SetInt(12345);
    *type_name = "a number";
  } else if (!allows("boolean")) {
    out->SetBool(true);
    *type_name = "a boolean";
  } else if (!allows("array")) {
    out->SetArray();
    *type_name = "an array";
  } else if (!allows("object")) {
    out->SetObject();
    *type_name = "an object";
  } else if (!allows("null")) {
    out->SetNull();
    *type_name = "null";
  } else {
    return false;
  }
  return true;
}

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& t : s) out += (out.empty() ? "" : "|") + t;
  return out;
}

}  // namespace

std::vector<InvalidArgsCase> DeriveInvalidArguments(std::string_view input_schema, std::string_view valid_example,
                                                    size_t max_properties) {
  std::vector<InvalidArgsCase> cases;
  cases.push_back({"malformed JSON", R"({"unterminated": )", ""});
  cases.push_back({"an array instead of an object", "[]", ""});
  cases.push_back({"a string instead of an object", R"("not an object")", ""});

  rapidjson::Document schema;
  schema.Parse(input_schema.data(), input_schema.size());
  if (schema.HasParseError() || !schema.IsObject()) return cases;

  rapidjson::Document base;
  if (!valid_example.empty()) base.Parse(valid_example.data(), valid_example.size());
  if (valid_example.empty() || base.HasParseError() || !base.IsObject()) base.SetObject();
  auto& a = base.GetAllocator();

  // Required properties first: they are the ones a handler most likely reads without a check.
  std::vector<std::string> required;
  if (auto it = schema.FindMember("required"); it != schema.MemberEnd() && it->value.IsArray()) {
    for (const auto& r : it->value.GetArray()) {
      if (r.IsString()) required.emplace_back(r.GetString(), r.GetStringLength());
    }
  }
  for (size_t i = 0; i < required.size() && i < max_properties; ++i) {
    rapidjson::Document args;
    args.CopyFrom(base, args.GetAllocator());
    args.RemoveMember(required[i].c_str());
    cases.push_back({"missing required '" + required[i] + "'", Serialize(args), required[i]});
  }

  const rapidjson::Value* properties = nullptr;
  if (auto it = schema.FindMember("properties"); it != schema.MemberEnd() && it->value.IsObject()) {
    properties = &it->value;
  }
  if (properties != nullptr) {
    std::vector<std::string> names = required;
    for (const auto& m : properties->GetObject()) {
      std::string name(m.name.GetString(), m.name.GetStringLength());
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    size_t typed = 0;
    for (const auto& name : names) {
      if (typed == max_properties) break;
      auto prop = properties->FindMember(name.c_str());
      if (prop == properties->MemberEnd()) continue;
      std::set<std::string> allowed = AllowedTypes(prop->value);
      rapidjson::Value wrong;
      std::string wrong_type;
      if (allowed.empty() || !WrongValue(allowed, &wrong, &wrong_type, a)) continue;
      ++typed;
      rapidjson::Document args;
      args.CopyFrom(base, args.GetAllocator());
      args.RemoveMember(name.c_str());
      args.AddMember(rapidjson::Value(name.c_str(), args.GetAllocator()), rapidjson::Value(wrong, args.GetAllocator()),
                     args.GetAllocator());
      cases.push_back({"'" + name + "' is " + wrong_type + " (schema: " + Join(allowed) + ")", Serialize(args), name});
    }
  }

  if (auto it = schema.FindMember("additionalProperties"); it != schema.MemberEnd() && it->value.IsFalse()) {
    const std::string extra = "edge_check_unexpected_property";
    if (properties == nullptr || !properties->HasMember(extra.c_str())) {
      rapidjson::Document args;
      args.CopyFrom(base, args.GetAllocator());
      args.AddMember(rapidjson::Value(extra.c_str(), args.GetAllocator()), rapidjson::Value(1), args.GetAllocator());
      cases.push_back({"unexpected property '" + extra + "' (additionalProperties is false)", Serialize(args), extra});
    }
  }
  return cases;
}

}  // namespace edge::harness
