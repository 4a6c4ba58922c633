// edge/runtime/plugin_host.h: loads tool plugins (shared libraries speaking edge/plugin.h) safely.
//
// The host copies each plugin into a content-addressed store (`<store>/<sha256>/<file>`) and loads it from
// there with RTLD_NOW | RTLD_LOCAL, so a path never holds two different libraries and hot reload never gets a
// stale image from dlopen. It negotiates the ABI, checks every descriptor and schema, and returns precise
// errors naming the problem and the fix. A rejected plugin never affects the host or other plugins.
#ifndef EDGE_RUNTIME_PLUGIN_HOST_H_
#define EDGE_RUNTIME_PLUGIN_HOST_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "edge/runtime/log.h"
#include "edge/runtime/tool.h"

namespace edge::runtime {

struct PluginHostOptions {
  // Where plugins are copied before loading. Empty: a per-process temporary directory.
  std::filesystem::path content_store_dir;
  bool validate_arguments = true;  // check arguments against inputSchema before the plugin sees them
  bool validate_output = true;     // check structuredContent against outputSchema
  size_t max_result_bytes = 4 * 1024 * 1024;
  uint32_t shutdown_deadline_ms = 5000;
  Logger* logger = nullptr;  // nullptr: the process default logger
};

struct PluginLoadOptions {
  std::string config_json = "{}";  // handed to the plugin's init
  std::filesystem::path data_dir;  // optional writable directory for the plugin
  // The file's SHA-256 (lowercase hex) when the caller has just checked it (a bundle generation checks every
  // plugin against its manifest). The host then hashes the bytes once, while copying them into the store, and
  // refuses them if they differ; without it the file is hashed before the copy as well.
  std::string expected_sha256;
};

// One loaded, initialised plugin instance. Its tools keep it alive: the library is shut down and unloaded
// only when the last tool reference (including every in-flight call) is gone. It may outlive its PluginHost.
class LoadedPlugin {
 public:
  virtual ~LoadedPlugin() = default;
  virtual const std::string& name() const = 0;
  virtual const std::string& version() const = 0;
  virtual const std::filesystem::path& path() const = 0;  // the content-addressed path it was loaded from
  virtual const std::string& sha256() const = 0;
  virtual uint32_t negotiated_minor() const = 0;
  virtual const std::vector<std::shared_ptr<const Tool>>& tools() const = 0;
  // Sets the reason the plugin's shutdown will receive (reload when a newer generation replaced it).
  virtual void SetShutdownReason(int32_t edge_shutdown_reason) = 0;
};

class PluginHost {
 public:
  explicit PluginHost(PluginHostOptions options = {});
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Loads one plugin file (relative paths are made absolute). Errors name the file and the fix: NotFound (no
  // such file), InvalidArgument (not ELF, bad descriptor or schema, bad config), FailedPrecondition (dlopen,
  // entry symbol, ABI, init failure, path reuse), DataLoss (tampered content store entry). Thread-safe.
  absl::StatusOr<std::shared_ptr<LoadedPlugin>> Load(const std::filesystem::path& plugin_file,
                                                     const PluginLoadOptions& options = {});

  // Loads every *.so under `dir` (non-recursive, sorted). Failures are reported per file and do not stop the
  // others.
  struct DirectoryLoad {
    std::vector<std::shared_ptr<LoadedPlugin>> loaded;
    std::vector<std::pair<std::filesystem::path, absl::Status>> failed;
  };
  DirectoryLoad LoadDirectory(const std::filesystem::path& dir,
                              const absl::flat_hash_map<std::string, PluginLoadOptions>& options_by_file = {});

  const PluginHostOptions& options() const { return options_; }

 private:
  PluginHostOptions options_;
  std::filesystem::path store_dir_;
  bool owns_store_dir_ = false;
  absl::Mutex mu_;
  // Every path this process ever loaded, with the bytes it held: a path is never reopened with other bytes.
  absl::flat_hash_map<std::string, std::string> loaded_paths_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_PLUGIN_HOST_H_
