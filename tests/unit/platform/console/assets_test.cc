// console/assets: every file of console/www/ is embedded byte for byte, lookups and content types, and the
// pages keep to what the Content-Security-Policy allows (docs/console.md section 2.1), which a browser would
// otherwise enforce only by silently dropping the offending script or style.
#include "console/assets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace edge::platform::console {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(ConsoleAssetsTest, EveryWwwFileIsEmbeddedByteForByte) {
  size_t count = 0;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(EDGE_CONSOLE_WWW_DIR)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = fs::relative(entry.path(), EDGE_CONSOLE_WWW_DIR).string();
    if (name[0] == '.') continue;
    ++count;
    std::optional<EmbeddedFile> file = FindFile(name);
    ASSERT_TRUE(file.has_value()) << name << " is in console/www/ but not in the binary: re-run CMake";
    EXPECT_EQ(file->body, ReadFile(entry.path())) << name;
  }
  EXPECT_EQ(FileNames().size(), count);
}

TEST(ConsoleAssetsTest, TheConsolePagesAreAllThere) {
  for (const char* name : {"index.html", "signin.html", "deployment.html", "bundles.html", "tools.html",
                           "device.html", "notfound.html", "console.css", "api.js", "ui.js"}) {
    EXPECT_TRUE(FindFile(name).has_value()) << name;
  }
}

TEST(ConsoleAssetsTest, LookupIsExactAndNamesAreSorted) {
  EXPECT_FALSE(FindFile("").has_value());
  EXPECT_FALSE(FindFile("../CMakeLists.txt").has_value());
  EXPECT_FALSE(FindFile("INDEX.HTML").has_value());
  std::vector<std::string_view> names = FileNames();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(ConsoleAssetsTest, ContentTypes) {
  EXPECT_EQ(ContentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("console.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("api.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("logo.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("blob"), "application/octet-stream");
}

TEST(ConsoleAssetsTest, SecurityHeadersForbidInlineCodeAndFraming) {
  std::map<std::string_view, std::string_view> headers(SecurityHeaders().begin(), SecurityHeaders().end());
  EXPECT_NE(headers["Content-Security-Policy"].find("default-src 'self'"), std::string_view::npos);
  EXPECT_NE(headers["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string_view::npos);
  EXPECT_EQ(headers["X-Frame-Options"], "DENY");
  EXPECT_EQ(headers["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(headers["Referrer-Policy"], "no-referrer");
}

// The CSP forbids inline scripts, inline handlers and inline styles; a page that used them would half work.
TEST(ConsoleAssetsTest, PagesUseNoInlineCodeAndOnlyEmbeddedAssets) {
  const std::regex inline_script(R"(<script(?![^>]*\bsrc=)[^>]*>)", std::regex::icase);
  const std::regex handler(R"(<[^>]*\son[a-z]+\s*=)", std::regex::icase);
  const std::regex style(R"(<style\b|<[^>]*\sstyle\s*=)", std::regex::icase);
  const std::regex asset(R"re((?:src|href)="(/console/[^"?#]*)")re");
  for (std::string_view name : FileNames()) {
    if (!name.ends_with(".html")) continue;
    const std::string html(FindFile(name)->body);
    EXPECT_FALSE(std::regex_search(html, inline_script)) << name << ": inline <script> (CSP blocks it)";
    EXPECT_FALSE(std::regex_search(html, handler)) << name << ": inline event handler (CSP blocks it)";
    EXPECT_FALSE(std::regex_search(html, style)) << name << ": inline style (CSP blocks it)";
    for (auto it = std::sregex_iterator(html.begin(), html.end(), asset); it != std::sregex_iterator(); ++it) {
      const std::string path = (*it)[1];
      const std::string file = path.substr(std::string("/console/").size());
      if (file.empty() || file == "signin" || file.rfind("deployments/", 0) == 0) continue;  // routes, not files
      EXPECT_TRUE(FindFile(file).has_value()) << name << " refers to " << path << ", which is not embedded";
    }
  }
}

}  // namespace
}  // namespace edge::platform::console
