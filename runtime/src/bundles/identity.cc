// bundle-ref.json beside a generation.
#include "bundles/identity.h"

#include "absl/strings/str_cat.h"
#include "bundles/fs_util.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/auth.h"
#include "rapidjson/document.h"

namespace edge::runtime::bundles {
namespace fs = std::filesystem;

absl::StatusOr<BundleIdentity> ReadBundleIdentity(const fs::path& generation_dir) {
  const fs::path path = generation_dir / kBundleRefFile;
  absl::StatusOr<std::string> text = ReadFileLimited(path, 64 * 1024);
  if (!text.ok()) return text.status();
  rapidjson::Document doc;
  doc.Parse(text->c_str(), text->size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("bundleId") || !doc["bundleId"].IsString() ||
      !doc.HasMember("version") || !doc["version"].IsInt64() || !doc.HasMember("checksum") ||
      !doc["checksum"].IsString()) {
    return absl::DataLossError(absl::StrCat(path.string(), " is not {\"bundleId\",\"version\",\"checksum\"}"));
  }
  return BundleIdentity{doc["bundleId"].GetString(), doc["version"].GetInt64(), doc["checksum"].GetString()};
}

absl::Status WriteBundleIdentity(const fs::path& generation_dir, const BundleIdentity& identity) {
  std::string json;
  protocol::JsonWriter w(json);
  w.BeginObject()
      .Key("bundleId")
      .String(identity.bundle_id)
      .Key("version")
      .Int(identity.version)
      .Key("checksum")
      .String(identity.checksum)
      .EndObject();
  json += '\n';
  return WriteFileAtomically((generation_dir / kBundleRefFile).string(), json, 0644);
}

}  // namespace edge::runtime::bundles
