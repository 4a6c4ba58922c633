// ToolResult/ToolDescriptor serialization, ToolRegistry and ToolCatalog.
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/json_writer.h"
#include "edge/runtime/log.h"
#include "edge/runtime/tool.h"

namespace edge::runtime {

size_t ToolResult::JsonSizeHint() const {
  size_t size = 64 + (structured_json ? structured_json->size() : 0);
  for (const auto& t : text) size += 32 + t.size();
  return size;
}

std::string ToolResult::ToJson() const {
  std::string out;
  out.reserve(JsonSizeHint());
  AppendJson(out);
  return out;
}

void ToolResult::AppendJson(std::string& out) const {
  JsonWriter w(out);
  w.BeginObject().Key("content").BeginArray();
  for (const auto& t : text) w.BeginObject().Key("type").String("text").Key("text").String(t).EndObject();
  w.EndArray();
  if (structured_json) w.Key("structuredContent").Raw(*structured_json);
  w.Key("isError").Bool(is_error).EndObject();
}

std::string ToolDescriptor::ToJson() const {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("name").String(name);
  if (!title.empty()) w.Key("title").String(title);
  w.Key("description").String(description);
  w.Key("inputSchema").Raw(input_schema);
  if (!output_schema.empty()) w.Key("outputSchema").Raw(output_schema);
  w.Key("annotations").BeginObject();
  if (!title.empty()) w.Key("title").String(title);
  auto hint = [&](const char* key, const std::optional<bool>& v) {
    if (v) w.Key(key).Bool(*v);
  };
  hint("readOnlyHint", read_only_hint);
  hint("destructiveHint", destructive_hint);
  hint("idempotentHint", idempotent_hint);
  hint("openWorldHint", open_world_hint);
  w.EndObject();
  // Our extensions live under a namespaced key so MCP clients can ignore them.
  w.Key("x-edge").BeginObject().Key("concurrent").Bool(concurrent);
  if (default_timeout > absl::ZeroDuration()) w.Key("defaultTimeoutMs").Int(absl::ToInt64Milliseconds(default_timeout));
  w.EndObject();
  w.EndObject();
  return out;
}

absl::StatusOr<std::shared_ptr<const ToolRegistry>> ToolRegistry::Create(std::vector<std::shared_ptr<const Tool>> tools) {
  auto registry = std::shared_ptr<ToolRegistry>(new ToolRegistry());
  for (auto& tool : tools) {
    const std::string& name = tool->descriptor().name;
    auto [it, inserted] = registry->by_name_.emplace(name, tool);
    if (!inserted) {
      return absl::AlreadyExistsError(absl::StrCat("duplicate tool name '", name, "': provided by ",
                                                   it->second->source(), " and by ", tool->source(),
                                                   "; rename one of the tools or remove one of the plugins"));
    }
    registry->tools_.push_back(std::move(tool));
  }
  return std::shared_ptr<const ToolRegistry>(std::move(registry));
}

std::shared_ptr<const Tool> ToolRegistry::Find(std::string_view name) const {
  auto it = by_name_.find(ToAbsl(name));
  return it == by_name_.end() ? nullptr : it->second;
}

ToolCatalog::ToolCatalog() {
  auto empty = ToolRegistry::Create({});
  current_ = *empty;
}

void ToolCatalog::Publish(std::shared_ptr<const ToolRegistry> registry) {
  absl::MutexLock lock(&mu_);
  current_ = std::move(registry);
  ++generation_;
}

std::shared_ptr<const ToolRegistry> ToolCatalog::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

uint64_t ToolCatalog::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

}  // namespace edge::runtime
