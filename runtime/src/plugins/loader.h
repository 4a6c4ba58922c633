// plugins/loader.h: opens a plugin library and negotiates the ABI, refusing anything the host cannot serve.
//
// The checks run in the order a problem would show: the file exists and is ELF, dlopen with RTLD_NOW (so an
// undefined symbol fails here, not at call time) and RTLD_LOCAL, the entry symbol, the version answer, and
// the plugin's API table (size, unknown tail, function pointers). Each refusal says what is wrong and how to
// fix it; dlopen problems quote dlerror(), never Boost's error_code (always "Bad file descriptor").
#ifndef EDGE_RUNTIME_PLUGINS_LOADER_H_
#define EDGE_RUNTIME_PLUGINS_LOADER_H_

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/shared_library.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/plugin.h"

namespace edge::runtime::plugins {

// The size of edge_plugin_api_v1 / edge_tool_descriptor_v1 in ABI 1.0: nothing smaller is acceptable.
inline constexpr size_t kPluginApiV1MinSize = offsetof(edge_plugin_api_v1, invoke) + sizeof(void*);
inline constexpr size_t kToolDescriptorV1MinSize =
    offsetof(edge_tool_descriptor_v1, default_timeout_ms) + sizeof(uint32_t);

// A negotiated library. Unloads on destruction (the caller first shuts the plugin down).
struct PluginLibrary {
  boost::dll::shared_library library;
  const edge_plugin_api_v1* api = nullptr;
  uint32_t negotiated_minor = 0;
  std::string name;
  std::string version;
  std::filesystem::path path;
};

// Loads and negotiates the library at an absolute path.
absl::StatusOr<std::unique_ptr<PluginLibrary>> OpenPluginLibrary(const std::filesystem::path& path);

// The size-prefix rule for a struct the plugin wrote: refuses `reported_size` below `min_size`, and above
// `known_size` unless every byte beyond `known_size` is zero. `what` names the struct in messages.
absl::Status CheckStructSize(const void* data, uint32_t reported_size, size_t min_size, size_t known_size,
                             std::string_view what);

}  // namespace edge::runtime::plugins

#endif  // EDGE_RUNTIME_PLUGINS_LOADER_H_
