// A plugin's config file and data directory.
#include "bundles/plugin_options.h"

#include <system_error>

#include "absl/strings/str_cat.h"
#include "bundles/fs_util.h"

namespace edge::runtime::bundles {
namespace fs = std::filesystem;

absl::StatusOr<PluginLoadOptions> PluginOptionsFor(const fs::path& plugin_file, const fs::path& data_root) {
  PluginLoadOptions options;
  fs::path config = plugin_file;
  config.replace_extension(".json");
  std::error_code ec;
  if (fs::exists(config, ec)) {
    absl::StatusOr<std::string> text = ReadFileLimited(config, 4 * 1024 * 1024);
    if (!text.ok()) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot read plugin config ", config.string(), ": ", text.status().message()));
    }
    options.config_json = *std::move(text);
  }
  options.data_dir = data_root / plugin_file.stem();
  fs::create_directories(options.data_dir, ec);
  return options;
}

}  // namespace edge::runtime::bundles
