// Resolution of an extracted symlink inside the finished tree, the way the kernel would follow it, without
// ever looking outside the tree: the check behind "symlinks must stay inside dist/" once the lexical check
// (which cannot see chains like "q -> a/t/../../x" with "a/t -> ../c") has passed.
#include <sys/stat.h>
#include <unistd.h>

#include <deque>

#include "edge/bundle/manifest.h"
#include "internal.h"

namespace edge::bundle::internal {

bool SymlinkStaysInsideDist(const std::filesystem::path& root, std::string_view link) {
  std::vector<std::string> at;  // resolved components, relative to root
  std::deque<std::string> todo;
  for (std::string_view part : SplitPath(link)) todo.emplace_back(part);
  int hops = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (at.empty()) return false;  // above the tree
      at.pop_back();
      continue;
    }
    at.push_back(part);
    std::string rel;
    for (const std::string& p : at) rel += (rel.empty() ? "" : "/") + p;
    const std::filesystem::path full = root / rel;
    struct stat st;
    if (::lstat(full.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) continue;  // missing: the kernel stops there
    if (++hops > 40) return false;                                          // ELOOP
    std::string target(4096, '\0');
    ssize_t n = ::readlink(full.c_str(), target.data(), target.size());
    if (n <= 0 || static_cast<size_t>(n) >= target.size()) return false;
    target.resize(static_cast<size_t>(n));
    if (target.front() == '/') return false;
    at.pop_back();
    std::vector<std::string_view> parts = SplitPath(target);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.emplace_front(*it);
  }
  return at.size() >= 2 && at.front() == kDistDir;
}

}  // namespace edge::bundle::internal
