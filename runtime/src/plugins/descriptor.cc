// Copying and checking tool descriptors.
#include "plugins/descriptor.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"
#include "plugins/host_api.h"
#include "plugins/loader.h"
#include "plugins/text_checks.h"

namespace edge::runtime::plugins {
namespace {

constexpr size_t kMaxToolName = 128;
constexpr uint32_t kMaxTools = 4096;

std::string_view View(edge_str s) { return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len); }

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxToolName) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<std::optional<bool>> Hint(edge_hint h, std::string_view field, const std::string& where) {
  switch (h) {
    case EDGE_HINT_UNSET:
      return std::optional<bool>();
    case EDGE_HINT_FALSE:
      return std::optional<bool>(false);
    case EDGE_HINT_TRUE:
      return std::optional<bool>(true);
  }
  return absl::InvalidArgumentError(absl::StrCat(where, " has ", ToAbsl(field), " = ", h,
                                                 ": use EDGE_HINT_UNSET, EDGE_HINT_FALSE or EDGE_HINT_TRUE"));
}

// Compiles a schema whose root must be an object schema (MCP: arguments and structuredContent are objects).
absl::StatusOr<std::shared_ptr<const JsonSchema>> CompileObjectSchema(std::string_view json, std::string_view field,
                                                                      const std::string& where) {
  absl::StatusOr<std::shared_ptr<const JsonSchema>> schema = JsonSchema::Compile(json);
  if (!schema.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", ToAbsl(field), " ", schema.status().message(),
                                                   ": fix the schema in the tool's descriptor"));
  }
  if ((*schema)->root_type() != "object") {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": ", ToAbsl(field), " must have \"type\":\"object\" at its root (MCP passes an object), found ",
        (*schema)->root_type().empty() ? "no single \"type\""
                                       : absl::StrCat("\"type\":\"", (*schema)->root_type(), "\""),
        ": add \"type\":\"object\" to the schema's root"));
  }
  return schema;
}

absl::Status CheckExamples(std::string_view json, const JsonSchema& input, const std::string& where,
                           std::vector<std::string>& out) {
  rapidjson::Document doc;
  if (absl::Status s = ParseJson(json, doc); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": examples are not valid JSON: ", s.message(), ": give a JSON array of argument objects"));
  }
  if (!doc.IsArray()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": examples must be a JSON array of argument objects"));
  }
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const rapidjson::Value& example = doc[i];
    if (!example.IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": example #", i, " is not a JSON object: ", "each example is an arguments object"));
    }
    if (std::optional<SchemaViolation> v = input.Check(example)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": example #", i, " does not match the inputSchema: ",
                                                     v->ToString(), ": fix the example or the schema"));
    }
    out.push_back(JsonToString(example));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CheckedTool> CheckDescriptor(std::string_view plugin, uint32_t index, const edge_tool_descriptor_v1* d) {
  std::string where = absl::StrCat("plugin '", ToAbsl(plugin), "' tool #", index);
  if (d == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": tool_at returned NULL for an index below tool_count: ", "return a descriptor for every index"));
  }
  if (absl::Status s = CheckStructSize(d, d->struct_size, kToolDescriptorV1MinSize, sizeof(edge_tool_descriptor_v1),
                                       "edge_tool_descriptor_v1");
      !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(where, ": ", s.message()));
  }
  const std::pair<const char*, edge_str> strings[] = {{"name", d->name},
                                                      {"title", d->title},
                                                      {"description", d->description},
                                                      {"input_schema_json", d->input_schema_json},
                                                      {"output_schema_json", d->output_schema_json},
                                                      {"examples_json", d->examples_json}};
  for (const auto& [field, s] : strings) {
    if (s.data == nullptr && s.len != 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", field, " has a NULL pointer with length ", s.len,
                                                     ": set len to 0 for an absent string"));
    }
    if (!IsValidUtf8(View(s))) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", field, " is not valid UTF-8: fix the string"));
    }
  }
  CheckedTool tool;
  tool.index = index;
  ToolDescriptor& out = tool.descriptor;
  out.name = std::string(View(d->name));
  if (!ValidName(out.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has an invalid name '", out.name, "': use 1 to 128 characters from [A-Za-z0-9_.-]"));
  }
  where = absl::StrCat("plugin '", ToAbsl(plugin), "' tool '", out.name, "'");
  out.title = std::string(View(d->title));
  out.description = std::string(View(d->description));
  if (out.description.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where,
                                                   " has no description: describe what the tool does and "
                                                   "when to use it (agents choose tools by it)"));
  }
  out.input_schema = std::string(View(d->input_schema_json));
  if (out.input_schema.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where,
                                                   " has no inputSchema: declare one, at least "
                                                   "{\"type\":\"object\"}"));
  }
  absl::StatusOr<std::shared_ptr<const JsonSchema>> input = CompileObjectSchema(out.input_schema, "inputSchema", where);
  if (!input.ok()) return input.status();
  tool.input_schema = *std::move(input);
  out.output_schema = std::string(View(d->output_schema_json));
  if (!out.output_schema.empty()) {
    absl::StatusOr<std::shared_ptr<const JsonSchema>> output =
        CompileObjectSchema(out.output_schema, "outputSchema", where);
    if (!output.ok()) return output.status();
    tool.output_schema = *std::move(output);
  }
  if (d->examples_json.len != 0) {
    if (absl::Status s = CheckExamples(View(d->examples_json), *tool.input_schema, where, out.examples); !s.ok())
      return s;
  }
  const std::pair<const char*, std::pair<edge_hint, std::optional<bool>*>> hints[] = {
      {"read_only_hint", {d->read_only_hint, &out.read_only_hint}},
      {"destructive_hint", {d->destructive_hint, &out.destructive_hint}},
      {"idempotent_hint", {d->idempotent_hint, &out.idempotent_hint}},
      {"open_world_hint", {d->open_world_hint, &out.open_world_hint}}};
  for (const auto& [field, h] : hints) {
    absl::StatusOr<std::optional<bool>> value = Hint(h.first, field, where);
    if (!value.ok()) return value.status();
    *h.second = *value;
  }
  out.default_timeout = absl::Milliseconds(d->default_timeout_ms);
  // Unknown flag bits may come from a newer minor; they only add capabilities, so they are ignored.
  out.concurrent = (d->flags & EDGE_TOOL_FLAG_CONCURRENT) != 0;
  return tool;
}

absl::StatusOr<std::vector<CheckedTool>> ReadTools(std::string_view plugin, const edge_plugin_api_v1& api,
                                                   edge_plugin_module_ptr state) {
  const uint32_t count = api.tool_count(state);
  if (count > kMaxTools) {
    return absl::InvalidArgumentError(absl::StrCat("plugin '", ToAbsl(plugin), "' reports ", count,
                                                   " tools; the host accepts at most ", kMaxTools,
                                                   ": split the plugin"));
  }
  std::vector<CheckedTool> tools;
  absl::flat_hash_map<std::string, uint32_t> index_by_name;
  for (uint32_t i = 0; i < count; ++i) {
    absl::StatusOr<CheckedTool> tool = CheckDescriptor(plugin, i, api.tool_at(state, i));
    if (!tool.ok()) return tool.status();
    auto [it, inserted] = index_by_name.emplace(tool->descriptor.name, i);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat("plugin '", ToAbsl(plugin), "' declares tool '",
                                                     tool->descriptor.name, "' twice (tools #", it->second, " and #", i,
                                                     "): tool names must be unique; rename or remove one"));
    }
    tools.push_back(*std::move(tool));
  }
  return tools;
}

}  // namespace edge::runtime::plugins
