// console/assets.h: the admin console's files (tools/edge-platform/console/www/), compiled into edge-platform
// by cmake/embed_files.cmake, and how each is served: its content type and the security headers every console
// answer carries (docs/console.md section 2.1).
#ifndef EDGE_PLATFORM_CONSOLE_ASSETS_H_
#define EDGE_PLATFORM_CONSOLE_ASSETS_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace edge::platform::console {

struct EmbeddedFile {
  std::string_view name;  // relative to www/, e.g. "index.html"
  std::string_view body;
};

// Defined in the generated console_assets.cc: sorted by name, followed by an empty sentinel entry.
extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

// The embedded file of that name, or nullopt.
std::optional<EmbeddedFile> FindFile(std::string_view name);
// Every embedded file's name, sorted.
std::vector<std::string_view> FileNames();

// "text/html; charset=utf-8" and the like, from the name's extension; application/octet-stream if unknown.
std::string_view ContentTypeFor(std::string_view name);

// The headers of every console page answer: a strict CSP (no inline code, no framing), no sniffing, no Referer
// (the sign-in link's token must not leak to other sites).
const std::vector<std::pair<std::string_view, std::string_view>>& SecurityHeaders();

}  // namespace edge::platform::console

#endif  // EDGE_PLATFORM_CONSOLE_ASSETS_H_
