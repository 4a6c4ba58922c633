// PluginHost: content-addressed install, path-reuse guard, load, init, descriptor checks, LoadedPlugin.
#include "edge/runtime/plugin_host.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <exception>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugins/content_store.h"
#include "plugins/descriptor.h"
#include "plugins/loader.h"
#include "plugins/plugin_instance.h"
#include "plugins/plugin_tool.h"
#include "plugins/schema.h"

namespace edge::runtime {
namespace fs = std::filesystem;
using plugins::PluginInstance;

namespace {

class LoadedPluginImpl final : public LoadedPlugin {
 public:
  LoadedPluginImpl(std::shared_ptr<PluginInstance> instance, std::vector<std::shared_ptr<const Tool>> tools)
      : instance_(std::move(instance)), tools_(std::move(tools)) {}

  const std::string& name() const override { return instance_->name(); }
  const std::string& version() const override { return instance_->version(); }
  const fs::path& path() const override { return instance_->path(); }
  const std::string& sha256() const override { return instance_->sha256(); }
  uint32_t negotiated_minor() const override { return instance_->negotiated_minor(); }
  const std::vector<std::shared_ptr<const Tool>>& tools() const override { return tools_; }
  void SetShutdownReason(int32_t reason) override { instance_->SetShutdownReason(reason); }

 private:
  // Tools hold the instance too; the instance holds neither, so there is no cycle.
  std::shared_ptr<PluginInstance> instance_;
  std::vector<std::shared_ptr<const Tool>> tools_;
};

absl::Status Prefixed(const fs::path& file, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("cannot load plugin ", file.string(), ": ", s.message()));
}

}  // namespace

PluginHost::PluginHost(PluginHostOptions options) : options_(std::move(options)) {
  if (options_.logger == nullptr) options_.logger = &Logger::Default();
  if (options_.content_store_dir.empty()) {
    absl::StatusOr<plugins::ContentStore> store = plugins::ContentStore::OpenTemporary();
    if (store.ok()) {
      store_dir_ = store->dir();
      owns_store_dir_ = true;
    } else {
      // Load reports it: a constructor has no way to.
      options_.logger->Error("plugins", "cannot create a temporary plugin content store: ", store.status().message());
    }
  } else {
    std::error_code ec;
    store_dir_ = fs::absolute(options_.content_store_dir, ec);
  }
}

PluginHost::~PluginHost() {
  if (owns_store_dir_) {
    // Safe even while libraries from it are mapped: unlinking never changes a mapped file's bytes.
    std::error_code ec;
    fs::remove_all(store_dir_, ec);
  }
}

absl::StatusOr<std::shared_ptr<LoadedPlugin>> PluginHost::Load(const fs::path& plugin_file,
                                                               const PluginLoadOptions& options) {
  std::error_code ec;
  const fs::path source = fs::absolute(plugin_file, ec);
  try {
    if (!fs::exists(source, ec)) {
      return absl::NotFoundError(
          absl::StrCat("cannot load plugin ", source.string(), ": the file does not exist: check the path"));
    }
    if (store_dir_.empty()) {
      return Prefixed(
          source, absl::FailedPreconditionError("no plugin content store: the temporary one could not be created; set "
                                                "content_store_dir to a writable directory"));
    }
    const std::string config = options.config_json.empty() ? "{}" : options.config_json;
    rapidjson::Document config_doc;
    if (absl::Status s = plugins::ParseJson(config, config_doc); !s.ok() || !config_doc.IsObject()) {
      return Prefixed(source, absl::InvalidArgumentError(absl::StrCat(
                                  "its configuration is not a JSON object",
                                  s.ok() ? "" : absl::StrCat(" (", s.message(), ")"), ": fix the plugin's config")));
    }

    absl::StatusOr<plugins::ContentStore> store = plugins::ContentStore::Open(store_dir_);
    if (!store.ok()) return Prefixed(source, store.status());
    absl::StatusOr<plugins::ContentStore::Entry> entry = store->Install(source, options.expected_sha256);
    if (!entry.ok()) return Prefixed(source, entry.status());
    // Hash exactly what dlopen will read (Envoy re-hashes its cached module before each load, too). A fresh
    // entry was hashed while this call wrote it: hashing it again would only re-read the same bytes.
    absl::StatusOr<std::string> actual =
        entry->fresh ? absl::StatusOr<std::string>(entry->sha256) : plugins::Sha256File(entry->path);
    if (!actual.ok()) return Prefixed(source, actual.status());
    {
      absl::MutexLock lock(&mu_);
      auto it = loaded_paths_.find(entry->path.string());
      if (it != loaded_paths_.end() && it->second != *actual) {
        return Prefixed(source,
                        absl::FailedPreconditionError(absl::StrCat(
                            entry->path.string(), " previously held sha256 ", it->second, " and now holds ", *actual,
                            "; a loaded library's path is never reused: install the new version "
                            "under a new path")));
      }
      if (*actual != entry->sha256) {
        return Prefixed(source,
                        absl::DataLossError(absl::StrCat("content store file ", entry->path.string(), " holds sha256 ",
                                                         *actual, " but is filed under ", entry->sha256,
                                                         ": it was modified outside the connector; "
                                                         "delete ",
                                                         entry->path.parent_path().string(), " and load again")));
      }
      // Recorded before dlopen: from here on glibc may hold an image of this path.
      loaded_paths_[entry->path.string()] = *actual;
    }

    absl::StatusOr<std::unique_ptr<plugins::PluginLibrary>> library = plugins::OpenPluginLibrary(entry->path);
    if (!library.ok()) return Prefixed(source, library.status());
    plugins::InstanceOptions instance_options;
    instance_options.logger = options_.logger;
    instance_options.shutdown_deadline_ms = options_.shutdown_deadline_ms;
    instance_options.config_json = config;
    instance_options.data_dir = options.data_dir;
    instance_options.sha256 = *actual;
    absl::StatusOr<std::shared_ptr<PluginInstance>> instance =
        PluginInstance::Start(*std::move(library), std::move(instance_options));
    if (!instance.ok()) return Prefixed(source, instance.status());

    absl::StatusOr<std::vector<plugins::CheckedTool>> checked =
        plugins::ReadTools((*instance)->name(), (*instance)->api(), (*instance)->state());
    if (!checked.ok()) {
      (*instance)->SetShutdownReason(EDGE_SHUTDOWN_REASON_ERROR);  // the host gives up on it
      return Prefixed(source, checked.status());
    }
    plugins::ToolCallOptions call_options{options_.validate_arguments, options_.validate_output,
                                          options_.max_result_bytes};
    std::vector<std::shared_ptr<const Tool>> tools;
    for (auto& tool : *checked) {
      tools.push_back(std::make_shared<plugins::PluginTool>(*instance, std::move(tool), call_options));
    }
    options_.logger->Info("plugins", "loaded plugin ", (*instance)->label(), " from ", source.string(), " (",
                          tools.size(), " tools, ABI ", EDGE_ABI_MAJOR, ".", (*instance)->negotiated_minor(), ")");
    return std::shared_ptr<LoadedPlugin>(std::make_shared<LoadedPluginImpl>(*std::move(instance), std::move(tools)));
  } catch (const std::exception& e) {
    return Prefixed(source, absl::InternalError(absl::StrCat("unexpected error: ", e.what())));
  } catch (...) {
    return Prefixed(source, absl::InternalError("unexpected error of unknown type"));
  }
}

PluginHost::DirectoryLoad PluginHost::LoadDirectory(
    const fs::path& dir, const absl::flat_hash_map<std::string, PluginLoadOptions>& options_by_file) {
  DirectoryLoad out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".so" && it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) {
    out.failed.emplace_back(dir, absl::NotFoundError(absl::StrCat("cannot read plugin directory ", dir.string(), ": ",
                                                                  ec.message(), ": check the path")));
    return out;
  }
  std::sort(files.begin(), files.end());
  static const PluginLoadOptions kDefaults;
  for (const fs::path& file : files) {
    const PluginLoadOptions* options = &kDefaults;
    for (const std::string& key : {file.filename().string(), file.string()}) {
      auto it = options_by_file.find(key);
      if (it != options_by_file.end()) {
        options = &it->second;
        break;
      }
    }
    absl::StatusOr<std::shared_ptr<LoadedPlugin>> plugin = Load(file, *options);
    if (plugin.ok()) {
      out.loaded.push_back(*std::move(plugin));
    } else {
      out.failed.emplace_back(file, plugin.status());
    }
  }
  return out;
}

}  // namespace edge::runtime
