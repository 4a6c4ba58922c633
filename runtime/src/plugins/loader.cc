// Opening plugin libraries: ELF check, dlopen (RTLD_NOW | RTLD_LOCAL), entry symbol, ABI negotiation.
#include "plugins/loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "edge/runtime/log.h"

namespace edge::runtime::plugins {
namespace fs = std::filesystem;

namespace {

using NegotiateSignature = edge_status(const edge_abi_version*, edge_abi_version*, const void**);

constexpr char kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr size_t kMaxPluginNameBytes = 128;

std::string HostVersion() { return absl::StrCat(EDGE_ABI_MAJOR, ".", EDGE_ABI_MINOR); }

std::string DlErrorText() {
  const char* why = dlerror();  // thread-local in glibc; read before any other dl* call
  return why != nullptr ? why : "no dlerror() message";
}

// Returns the first bytes of the file, for the ELF check.
std::string ReadPrefix(const fs::path& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string buf(n, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(n));
  buf.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return buf;
}

std::string HexBytes(std::string_view bytes) {
  std::vector<std::string> parts;
  for (char c : bytes) parts.push_back(absl::StrFormat("%02x", static_cast<unsigned char>(c)));
  return parts.empty() ? "none: the file is empty" : absl::StrJoin(parts, " ");
}

std::string_view View(edge_str s) { return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len); }

absl::Status Refuse(std::string_view label, std::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat("plugin '", ToAbsl(label), "' ", ToAbsl(why)));
}

absl::StatusOr<std::unique_ptr<PluginLibrary>> CheckApiTable(std::unique_ptr<PluginLibrary> lib, std::string label,
                                                             const edge_plugin_api_v1* api, uint32_t plugin_minor) {
  if (absl::Status s =
          CheckStructSize(api, api->struct_size, kPluginApiV1MinSize, sizeof(edge_plugin_api_v1), "edge_plugin_api_v1");
      !s.ok()) {
    return Refuse(label, absl::StrCat("has an unusable API table: ", s.message()));
  }
  std::vector<std::string> missing;
  if (api->init == nullptr) missing.push_back("init");
  if (api->shutdown == nullptr) missing.push_back("shutdown");
  if (api->tool_count == nullptr) missing.push_back("tool_count");
  if (api->tool_at == nullptr) missing.push_back("tool_at");
  if (api->invoke == nullptr) missing.push_back("invoke");
  if (!missing.empty()) {
    return Refuse(label, absl::StrCat("has NULL function pointers in edge_plugin_api_v1 (",
                                      absl::StrJoin(missing, ", "), "): every function of the 1.0 table is required"));
  }
  std::string_view name = View(api->plugin_name), version = View(api->plugin_version);
  if ((api->plugin_name.data == nullptr && api->plugin_name.len != 0) ||
      (api->plugin_version.data == nullptr && api->plugin_version.len != 0)) {
    return Refuse(label, "has a NULL plugin_name or plugin_version with a non-zero length: fix the API table");
  }
  if (name.empty() || name.size() > kMaxPluginNameBytes || name.find('\0') != std::string_view::npos) {
    return Refuse(label,
                  absl::StrCat("has an invalid plugin_name (", name.size(),
                               " bytes): give the plugin a name of 1 to 128 bytes in EDGE_PLUGIN(name, version)"));
  }
  if (version.empty()) return Refuse(name, "has an empty plugin_version: set one in EDGE_PLUGIN(name, version)");
  lib->api = api;
  lib->negotiated_minor = std::min<uint32_t>(plugin_minor, EDGE_ABI_MINOR);
  lib->name = std::string(name);
  lib->version = std::string(version);
  return lib;
}

}  // namespace

absl::Status CheckStructSize(const void* data, uint32_t reported_size, size_t min_size, size_t known_size,
                             std::string_view what) {
  if (reported_size < min_size) {
    return absl::FailedPreconditionError(absl::StrCat(ToAbsl(what), " has struct_size ", reported_size, " < ", min_size,
                                                      ", its size in ABI 1.0: the plugin was built against a broken or "
                                                      "pre-release header; rebuild it against a 1.x SDK"));
  }
  if (reported_size > known_size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = known_size; i < reported_size; ++i) {
      if (bytes[i] != 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            ToAbsl(what), " has struct_size ", reported_size, " > ", known_size,
            " known to this host and non-zero bytes beyond ", known_size,
            ": the plugin needs a newer host (upgrade the connector) or must leave the newer fields zero"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PluginLibrary>> OpenPluginLibrary(const fs::path& path) {
  if (!path.is_absolute()) {
    return absl::InvalidArgumentError(absl::StrCat("plugin path '", path.string(),
                                                   "' is not absolute: pass an absolute path (the host never searches "
                                                   "library directories)"));
  }
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) {
    return absl::NotFoundError(absl::StrCat("plugin file '", path.string(), "' does not exist: check the path"));
  }
  if (!fs::is_regular_file(st)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path.string(), "' is not a regular file: pass the plugin's .so file"));
  }

  auto lib = std::make_unique<PluginLibrary>();
  lib->path = path;
  const std::string magic = ReadPrefix(path, sizeof(kElfMagic));
  const bool is_elf = magic.size() == sizeof(kElfMagic) && std::memcmp(magic.data(), kElfMagic, sizeof(kElfMagic)) == 0;
  const auto mode = boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local;
  if (!is_elf) {
    // Still ask dlopen: its reason goes into the message, and it cannot load a file without the magic.
    lib->library.load(path, ec, mode);
    std::string why = ec ? DlErrorText() : "it unexpectedly loaded";
    return absl::InvalidArgumentError(
        absl::StrCat("'", path.string(), "' is not an ELF shared library (its first bytes are ", HexBytes(magic),
                     "; an ELF file starts with 7f 45 4c 46); dlopen says: ", why,
                     ": pass a plugin built with edge_add_tool_plugin()"));
  }
  lib->library.load(path, ec, mode);
  if (ec) {
    std::string why = DlErrorText();
    std::string fix = why.find("undefined symbol") != std::string::npos
                          ? "link the library that defines the symbol into the plugin (edge_add_tool_plugin() links "
                            "with --no-undefined so this fails at build time)"
                          : "check that the plugin was built for this platform and that its dependencies are "
                            "installed (ldd shows missing ones)";
    return absl::FailedPreconditionError(absl::StrCat("dlopen failed for '", path.string(), "': ", why, ": ", fix));
  }
  const std::string file_label = path.filename().string();
  if (!lib->library.has(EDGE_PLUGIN_ENTRY_SYMBOL)) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path.string(), "' does not export ", EDGE_PLUGIN_ENTRY_SYMBOL,
                     ": build it with edge_add_tool_plugin() and the EDGE_PLUGIN macro"));
  }
  NegotiateSignature& negotiate = lib->library.get<NegotiateSignature>(EDGE_PLUGIN_ENTRY_SYMBOL);

  const edge_abi_version offer{sizeof(edge_abi_version), EDGE_ABI_MAJOR, EDGE_ABI_MINOR, 0};
  edge_abi_version answer{};
  answer.struct_size = sizeof(edge_abi_version);
  const void* out_api = nullptr;
  edge_status status = EDGE_STATUS_INTERNAL;
  try {
    status = negotiate(&offer, &answer, &out_api);
  } catch (...) {
    return Refuse(file_label,
                  "threw an exception from edge_plugin_negotiate: nothing may unwind across the C ABI "
                  "(the C++ SDK's EDGE_PLUGIN macro catches everything)");
  }
  // The host applies its own rules whatever the plugin returned.
  if (answer.major != EDGE_ABI_MAJOR) {
    if (answer.major == 0 && status != EDGE_STATUS_OK) {
      return Refuse(file_label, absl::StrCat("refused ABI negotiation (status ", status,
                                             ") without saying which version it needs: rebuild it against a ",
                                             EDGE_ABI_MAJOR, ".x SDK"));
    }
    return Refuse(file_label, absl::StrCat("was built for plugin ABI ", answer.major, ".x; this host serves ",
                                           HostVersion(), ": rebuild it against a ", EDGE_ABI_MAJOR, ".x SDK"));
  }
  if (answer.required_minor > EDGE_ABI_MINOR) {
    return Refuse(file_label, absl::StrCat("requires plugin ABI ", answer.major, ".", answer.required_minor,
                                           "; this host serves ", HostVersion(), ": upgrade the connector"));
  }
  if (status != EDGE_STATUS_OK) {
    return Refuse(file_label,
                  absl::StrCat("refused ABI negotiation (status ", status, ") although it reports ABI ", answer.major,
                               ".", answer.minor, " needing ", answer.major, ".", answer.required_minor,
                               " and this host serves ", HostVersion(), ": fix the plugin's edge_plugin_negotiate"));
  }
  if (out_api == nullptr) {
    return Refuse(file_label, "returned EDGE_STATUS_OK from edge_plugin_negotiate without an API table: set *out_api");
  }
  return CheckApiTable(std::move(lib), file_label, static_cast<const edge_plugin_api_v1*>(out_api), answer.minor);
}

}  // namespace edge::runtime::plugins
