// ParseManifest: strict reading of manifest.json (docs/bundles.md section 2) with simdjson DOM. Every error
// names the field as a JSON Pointer, attached as kManifestFieldPayload.
#include <algorithm>
#include <map>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "edge/bundle/manifest.h"
#include "edge/bundle/tree.h"
#include "internal.h"
#include "simdjson.h"

namespace edge::bundle {
namespace {
using internal::ToAbsl;
namespace dom = simdjson::dom;

absl::Status FieldError(std::string_view pointer, std::string_view problem) {
  absl::Status s = absl::InvalidArgumentError(
      absl::StrCat("manifest.json: ", pointer.empty() ? "(document)" : ToAbsl(pointer), ": ", ToAbsl(problem)));
  s.SetPayload(kManifestFieldPayload, absl::Cord(ToAbsl(pointer)));
  return s;
}

std::string_view TypeName(const dom::element& e) {
  switch (e.type()) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64: return "an integer";
    case dom::element_type::DOUBLE: return "a number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

// Typed, required fields of one object whose JSON Pointer is `prefix`.
class Fields {
 public:
  Fields(dom::object obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

  std::string Pointer(std::string_view key) const { return absl::StrCat(prefix_, "/", ToAbsl(key)); }
  absl::Status Error(std::string_view key, std::string_view problem) const {
    return FieldError(Pointer(key), problem);
  }

  absl::StatusOr<dom::element> Get(std::string_view key) const {
    dom::element e;
    if (obj_.at_key(key).get(e) != simdjson::SUCCESS) return Error(key, "missing (required)");
    return e;
  }
  absl::Status WrongType(std::string_view key, std::string_view expected, const dom::element& e) const {
    return Error(key, absl::StrCat("must be ", ToAbsl(expected), ", got ", ToAbsl(TypeName(e))));
  }

  // A non-empty string (at most `max_bytes`).
  absl::Status String(std::string_view key, std::string* out, size_t max_bytes = 1024) const {
    absl::StatusOr<dom::element> e = Get(key);
    if (!e.ok()) return e.status();
    std::string_view v;
    if (e->get_string().get(v) != simdjson::SUCCESS) return WrongType(key, "a string", *e);
    if (v.empty()) return Error(key, "must not be empty");
    if (v.size() > max_bytes) return Error(key, absl::StrCat("is ", v.size(), " bytes long, the limit is ", max_bytes));
    out->assign(v.data(), v.size());
    return absl::OkStatus();
  }
  absl::Status Uint(std::string_view key, uint64_t* out, uint64_t max = UINT64_MAX) const {
    absl::StatusOr<dom::element> e = Get(key);
    if (!e.ok()) return e.status();
    uint64_t v = 0;
    if (e->get_uint64().get(v) != simdjson::SUCCESS) return WrongType(key, "a non-negative integer", *e);
    if (v > max) return Error(key, absl::StrCat("must be at most ", max, ", got ", v));
    *out = v;
    return absl::OkStatus();
  }
  absl::Status Object(std::string_view key, dom::object* out) const {
    absl::StatusOr<dom::element> e = Get(key);
    if (!e.ok()) return e.status();
    if (e->get_object().get(*out) != simdjson::SUCCESS) return WrongType(key, "an object", *e);
    return absl::OkStatus();
  }
  absl::Status Array(std::string_view key, dom::array* out) const {
    absl::StatusOr<dom::element> e = Get(key);
    if (!e.ok()) return e.status();
    if (e->get_array().get(*out) != simdjson::SUCCESS) return WrongType(key, "an array", *e);
    return absl::OkStatus();
  }
  absl::Status Sha256(std::string_view key, std::string* out) const {
    EDGE_BUNDLE_RETURN_IF_ERROR(String(key, out));
    if (!internal::IsLowerHex(*out, 64)) return Error(key, "expected 64 lowercase hex characters");
    return absl::OkStatus();
  }
  absl::Status Path(std::string_view key, std::string* out) const {
    absl::StatusOr<dom::element> e = Get(key);
    if (!e.ok()) return e.status();
    std::string_view v;
    if (e->get_string().get(v) != simdjson::SUCCESS) return WrongType(key, "a string", *e);
    if (std::optional<std::string> problem = internal::PathProblem(v)) return Error(key, *problem);
    out->assign(v.data(), v.size());
    return absl::OkStatus();
  }

 private:
  dom::object obj_;
  std::string prefix_;
};

absl::Status ParseFile(dom::element e, const std::string& pointer, ManifestFile* out) {
  dom::object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) {
    return FieldError(pointer, absl::StrCat("must be an object, got ", ToAbsl(TypeName(e))));
  }
  Fields f(obj, pointer);
  EDGE_BUNDLE_RETURN_IF_ERROR(f.Path("path", &out->path));
  EDGE_BUNDLE_RETURN_IF_ERROR(f.Sha256("sha256", &out->sha256));
  return f.Uint("size", &out->size);
}

absl::Status ParseTool(dom::element e, const std::string& pointer, ManifestTool* out) {
  dom::object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) {
    return FieldError(pointer, absl::StrCat("must be an object, got ", ToAbsl(TypeName(e))));
  }
  Fields f(obj, pointer);
  EDGE_BUNDLE_RETURN_IF_ERROR(f.String("name", &out->name, 128));
  EDGE_BUNDLE_RETURN_IF_ERROR(f.String("plugin", &out->plugin, 128));
  EDGE_BUNDLE_RETURN_IF_ERROR(f.String("pluginVersion", &out->plugin_version, 128));
  EDGE_BUNDLE_RETURN_IF_ERROR(f.Path("file", &out->file));
  EDGE_BUNDLE_RETURN_IF_ERROR(f.Sha256("sha256", &out->sha256));
  EDGE_BUNDLE_RETURN_IF_ERROR(f.Uint("size", &out->size));
  dom::object descriptor;
  EDGE_BUNDLE_RETURN_IF_ERROR(f.Object("descriptor", &descriptor));
  out->descriptor_json = simdjson::minify(descriptor);
  return absl::OkStatus();
}

absl::Status ParseHeader(const Fields& root, Manifest* m) {
  uint64_t schema = 0;
  absl::StatusOr<dom::element> schema_el = root.Get("schemaVersion");
  if (!schema_el.ok()) return schema_el.status();
  if (schema_el->get_uint64().get(schema) != simdjson::SUCCESS || schema != kManifestSchemaVersion) {
    return root.Error("schemaVersion", absl::StrCat("unsupported schema version ", simdjson::minify(*schema_el),
                                                    ": this reader supports ", kManifestSchemaVersion,
                                                    "; upgrade the reader or package the bundle with a matching "
                                                    "edge-connector"));
  }
  m->schema_version = kManifestSchemaVersion;

  EDGE_BUNDLE_RETURN_IF_ERROR(root.String("orgId", &m->org_id, 128));
  for (char c : m->org_id) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return root.Error("orgId", "must not contain '/', '\\' or control characters");
    }
  }
  EDGE_BUNDLE_RETURN_IF_ERROR(root.String("language", &m->language, 64));
  if (m->language != "native") {
    return root.Error("language", absl::StrCat("unsupported language '", m->language,
                                               "': only \"native\" plugins are supported"));
  }

  dom::object abi;
  EDGE_BUNDLE_RETURN_IF_ERROR(root.Object("abi", &abi));
  Fields abi_fields(abi, root.Pointer("abi"));
  uint64_t major = 0, minor = 0;
  EDGE_BUNDLE_RETURN_IF_ERROR(abi_fields.Uint("major", &major, UINT32_MAX));
  EDGE_BUNDLE_RETURN_IF_ERROR(abi_fields.Uint("minor", &minor, UINT32_MAX));
  m->abi_major = static_cast<uint32_t>(major);
  m->abi_minor = static_cast<uint32_t>(minor);

  dom::object platform;
  EDGE_BUNDLE_RETURN_IF_ERROR(root.Object("platform", &platform));
  Fields platform_fields(platform, root.Pointer("platform"));
  EDGE_BUNDLE_RETURN_IF_ERROR(platform_fields.String("os", &m->os, 64));
  EDGE_BUNDLE_RETURN_IF_ERROR(platform_fields.String("arch", &m->arch, 64));

  EDGE_BUNDLE_RETURN_IF_ERROR(root.String("builtAt", &m->built_at, 64));
  absl::Time t;
  std::string err;
  if (m->built_at.back() != 'Z' || !absl::ParseTime(absl::RFC3339_full, m->built_at, &t, &err)) {
    return root.Error("builtAt", absl::StrCat("expected an RFC 3339 UTC time like \"2026-11-23T16:42:00Z\", got \"",
                                              m->built_at, "\""));
  }

  EDGE_BUNDLE_RETURN_IF_ERROR(root.String("checksum", &m->checksum, 128));
  if (m->checksum.rfind("sha256:", 0) != 0 || !internal::IsLowerHex(std::string_view(m->checksum).substr(7), 64)) {
    return root.Error("checksum", "expected \"sha256:\" followed by 64 lowercase hex characters");
  }
  return absl::OkStatus();
}

absl::Status ParseFiles(const Fields& root, Manifest* m) {
  dom::array files;
  EDGE_BUNDLE_RETURN_IF_ERROR(root.Array("files", &files));
  std::map<std::string_view, size_t> seen;
  m->files.resize(files.size());
  size_t i = 0;
  for (dom::element e : files) {
    std::string pointer = absl::StrCat("/files/", i);
    EDGE_BUNDLE_RETURN_IF_ERROR(ParseFile(e, pointer, &m->files[i]));
    auto [it, inserted] = seen.emplace(m->files[i].path, i);
    if (!inserted) {
      return FieldError(pointer + "/path", absl::StrCat("duplicate path '", m->files[i].path, "' (also /files/",
                                                        it->second, ")"));
    }
    ++i;
  }
  return absl::OkStatus();
}

absl::Status ParseTools(const Fields& root, Manifest* m) {
  dom::array tools;
  EDGE_BUNDLE_RETURN_IF_ERROR(root.Array("tools", &tools));
  std::map<std::string_view, const ManifestFile*> files;
  for (const ManifestFile& f : m->files) files.emplace(f.path, &f);
  std::map<std::string_view, size_t> names;
  m->tools.resize(tools.size());
  size_t i = 0;
  for (dom::element e : tools) {
    std::string pointer = absl::StrCat("/tools/", i);
    ManifestTool& tool = m->tools[i];
    EDGE_BUNDLE_RETURN_IF_ERROR(ParseTool(e, pointer, &tool));
    auto [it, inserted] = names.emplace(tool.name, i);
    if (!inserted) {
      return FieldError(pointer + "/name",
                        absl::StrCat("duplicate tool name '", tool.name, "' (also /tools/", it->second, ")"));
    }
    auto file = files.find(tool.file);
    if (file == files.end()) {
      return FieldError(pointer + "/file", absl::StrCat("'", tool.file, "' is not listed in /files"));
    }
    if (file->second->sha256 != tool.sha256) {
      return FieldError(pointer + "/sha256", absl::StrCat("differs from /files entry for '", tool.file, "': ",
                                                          tool.sha256, " vs ", file->second->sha256));
    }
    if (file->second->size != tool.size) {
      return FieldError(pointer + "/size", absl::StrCat("differs from /files entry for '", tool.file, "': ",
                                                        tool.size, " vs ", file->second->size));
    }
    ++i;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Manifest> ParseManifest(std::string_view json) {
  if (json.size() > kMaxManifestBytes) {
    return FieldError("", absl::StrCat("is ", json.size(), " bytes, the limit is ", kMaxManifestBytes));
  }
  dom::parser parser;
  dom::element root_el;
  simdjson::padded_string padded(json.data(), json.size());
  if (auto err = parser.parse(padded).get(root_el); err != simdjson::SUCCESS) {
    return FieldError("", absl::StrCat("not valid JSON: ", simdjson::error_message(err)));
  }
  dom::object root_obj;
  if (root_el.get_object().get(root_obj) != simdjson::SUCCESS) {
    return FieldError("", absl::StrCat("must be a JSON object, got ", ToAbsl(TypeName(root_el))));
  }
  Fields root(root_obj, "");
  Manifest m;
  EDGE_BUNDLE_RETURN_IF_ERROR(ParseHeader(root, &m));
  EDGE_BUNDLE_RETURN_IF_ERROR(ParseFiles(root, &m));
  EDGE_BUNDLE_RETURN_IF_ERROR(ParseTools(root, &m));

  std::string computed = TreeChecksum(m.files);
  if (computed != m.checksum) {
    return root.Error("checksum", absl::StrCat("does not match /files: the manifest says ", m.checksum,
                                               ", /files hashes to ", computed));
  }
  // Canonical order, whatever order the writer used (ManifestToJson writes it sorted).
  std::sort(m.tools.begin(), m.tools.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::sort(m.files.begin(), m.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return m;
}

}  // namespace edge::bundle
