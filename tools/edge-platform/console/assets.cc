// The embedded console files: lookup, content types and security headers.
#include "console/assets.h"

#include <algorithm>


namespace edge::platform::console {

std::optional<EmbeddedFile> FindFile(std::string_view name) {
  const EmbeddedFile* begin = kEmbeddedFiles;
  const EmbeddedFile* end = kEmbeddedFiles + kEmbeddedFileCount;
  const EmbeddedFile* it =
      std::lower_bound(begin, end, name, [](const EmbeddedFile& f, std::string_view n) { return f.name < n; });
  if (it == end || it->name != name) return std::nullopt;
  return *it;
}

std::vector<std::string_view> FileNames() {
  std::vector<std::string_view> names;
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) names.push_back(kEmbeddedFiles[i].name);
  return names;
}

std::string_view ContentTypeFor(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".json", "application/json"},
      {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (name.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

const std::vector<std::pair<std::string_view, std::string_view>>& SecurityHeaders() {
  static const auto* const kHeaders = new std::vector<std::pair<std::string_view, std::string_view>>{
      {"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
      {"X-Frame-Options", "DENY"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
  };
  return *kHeaders;
}

}  // namespace edge::platform::console
