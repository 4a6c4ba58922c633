// The installation's bundle layout: recovery, the atomic flip, pruning (docs/bundles.md section 7).
#include "bundles/layout.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bundles/fs_util.h"
#include "edge/runtime/log.h"

namespace edge::runtime::bundles {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kGenerationsPrefix = "generations/";

absl::Status FsError(const std::string& what, const fs::path& path, const std::error_code& ec) {
  return absl::InternalError(absl::StrCat("cannot ", what, " ", path.string(), ": ", ec.message()));
}

absl::Status MakeDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FsError("create the directory", dir, ec);
  if (!fs::is_directory(dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir.string(), " exists but is not a directory: move it away so bundles can be installed"));
  }
  return absl::OkStatus();
}

// Removes everything inside `dir`, returning the names removed.
std::vector<std::string> Empty(const fs::path& dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code rm;
    fs::remove_all(it->path(), rm);
    removed.push_back(it->path().filename().string());
  }
  return removed;
}

std::optional<std::string> ReadLink(const fs::path& link) {
  std::error_code ec;
  if (!fs::is_symlink(fs::symlink_status(link, ec))) return std::nullopt;
  fs::path target = fs::read_symlink(link, ec);
  if (ec) return std::nullopt;
  return target.string();
}

std::string Timestamp() { return absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone()); }

}  // namespace

Layout::Layout(fs::path install_dir) : install_dir_(std::move(install_dir)) {}

std::optional<std::string> Layout::LinkGeneration(const fs::path& link) const {
  std::optional<std::string> target = ReadLink(link);
  if (!target || target->rfind(kGenerationsPrefix, 0) != 0) return std::nullopt;
  std::string hex = target->substr(kGenerationsPrefix.size());
  std::error_code ec;
  if (!IsSha256Hex(hex) || !fs::is_directory(generation_dir(hex), ec)) return std::nullopt;
  return hex;
}

std::optional<std::string> Layout::CurrentGeneration() const { return LinkGeneration(current_link()); }
std::optional<std::string> Layout::PreviousGeneration() const { return LinkGeneration(previous_link()); }

absl::StatusOr<RecoveryReport> Layout::Recover() const {
  RecoveryReport report;
  for (const fs::path& dir : {bundles_dir(), generations_dir(), staging_dir(), downloads_dir()}) {
    if (absl::Status s = MakeDir(dir); !s.ok()) return s;
  }
  for (const std::string& name : Empty(staging_dir())) report.cleaned.push_back("staging/" + name);
  for (const std::string& name : Empty(downloads_dir())) report.cleaned.push_back("downloads/" + name);
  // A kill between symlink() and rename() in ReplaceSymlink leaves a `.new` link behind.
  for (const fs::path& left : {bundles_dir() / "current.new", bundles_dir() / "previous.new", install_dir_ / "dist.new",
                               install_dir_ / "manifest.json.new"}) {
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(left, ec)) && fs::remove(left, ec)) {
      report.cleaned.push_back(fs::relative(left, bundles_dir(), ec).string());
    }
  }
  report.current = CurrentGeneration();
  report.previous = PreviousGeneration();
  std::error_code ec;
  const fs::file_status dist = fs::symlink_status(dist_link(), ec);
  report.hand_installed_dist = fs::is_directory(dist);
  if (report.current) {
    report.local_manifest_missing = !fs::is_regular_file(manifest_link(), ec);
    if (!report.local_manifest_missing && !fs::exists(dist) && !report.hand_installed_dist) {
      if (absl::Status s = ReplaceSymlink(dist_link(), "bundles/current/dist"); !s.ok()) return s;
    }
  }
  return report;
}

absl::Status Layout::EnsureInstallLink(const fs::path& link, std::string_view target, std::string_view aside_prefix,
                                       std::string_view aside_suffix) const {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(link, ec);
  if (fs::is_symlink(st) && ReadLink(link) == std::string(target)) return absl::OkStatus();
  if (fs::exists(st)) {
    // Whatever an operator put there (a hand-installed tree, another link) is kept, out of the way.
    fs::path aside = bundles_dir() / absl::StrCat(ToAbsl(aside_prefix), Timestamp(), ToAbsl(aside_suffix));
    for (int n = 2; fs::exists(fs::symlink_status(aside, ec)); ++n) {
      aside = bundles_dir() / absl::StrCat(ToAbsl(aside_prefix), Timestamp(), "-", n, ToAbsl(aside_suffix));
    }
    fs::rename(link, aside, ec);
    if (ec) return FsError(absl::StrCat("move aside (to ", aside.string(), ")"), link, ec);
  }
  return ReplaceSymlink(link, fs::path(std::string(target)));
}

absl::Status Layout::Activate(std::string_view hex) const {
  std::error_code ec;
  if (!IsSha256Hex(hex) || !fs::is_directory(generation_dir(hex), ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("generation ", ToAbsl(hex), " is not installed under ", generations_dir().string()));
  }
  // The fixed links first: until `current` flips they dangle (no bundle), never point at a mix.
  if (absl::Status s = EnsureInstallLink(dist_link(), "bundles/current/dist", "local-dist-", ""); !s.ok()) return s;
  if (absl::Status s = EnsureInstallLink(manifest_link(), "bundles/current/manifest.json", "local-manifest-", ".json");
      !s.ok()) {
    return s;
  }
  const std::optional<std::string> old = CurrentGeneration();
  if (old && *old != hex) {
    if (absl::Status s = ReplaceSymlink(previous_link(), absl::StrCat(ToAbsl(kGenerationsPrefix), *old)); !s.ok())
      return s;
  }
  return ReplaceSymlink(current_link(), absl::StrCat(ToAbsl(kGenerationsPrefix), ToAbsl(hex)));
}

fs::path Layout::NewStagingPath() const { return staging_dir() / RandomHex(8); }

absl::Status Layout::Discard(const fs::path& dir) const {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) return absl::OkStatus();
  if (absl::Status s = MakeDir(staging_dir()); !s.ok()) return s;
  const fs::path trash = staging_dir() / absl::StrCat("discard-", RandomHex(8));
  fs::rename(dir, trash, ec);
  if (ec) return FsError("move into staging/ for removal", dir, ec);
  (void)FsyncPath(dir.parent_path());
  fs::remove_all(trash, ec);
  if (ec) return FsError("remove", trash, ec);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Layout::Prune(int keep, const std::vector<std::string>& protect) const {
  std::set<std::string> kept(protect.begin(), protect.end());
  if (auto c = CurrentGeneration()) kept.insert(*c);
  if (auto p = PreviousGeneration()) kept.insert(*p);
  std::vector<std::pair<fs::file_time_type, std::string>> others;
  std::error_code ec;
  for (fs::directory_iterator it(generations_dir(), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!IsSha256Hex(name) || kept.contains(name)) continue;
    std::error_code tec;
    others.emplace_back(fs::last_write_time(it->path(), tec), std::move(name));
  }
  if (ec) return FsError("list", generations_dir(), ec);
  // Newest first: with keep > 2 the most recently installed extra generations survive.
  std::sort(others.begin(), others.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> removed;
  for (auto& [mtime, name] : others) {
    if (static_cast<int>(kept.size()) < keep) {
      kept.insert(name);
      continue;
    }
    if (absl::Status s = Discard(generation_dir(name)); !s.ok()) return s;
    removed.push_back(std::move(name));
  }
  return removed;
}

}  // namespace edge::runtime::bundles
