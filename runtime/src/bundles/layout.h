// bundles/layout.h: the bundle layout of an installation directory (docs/bundles.md section 7).
//
//   <install>/dist -> bundles/current/dist                    fixed relative links: what the daemon loads
//   <install>/manifest.json -> bundles/current/manifest.json
//   <install>/bundles/current -> generations/<hex>            flipped atomically (symlink + rename)
//   <install>/bundles/previous -> generations/<hex>           the generation before, kept for rollback
//   <install>/bundles/generations/<hex>/                      complete, verified, immutable generations
//   <install>/bundles/staging/, downloads/                    work in progress, emptied at start
//
// `Layout` owns every path and every state change of that tree: start-up recovery, the atomic flip, pruning.
// A directory only ever appears under generations/ by rename() from staging/, and leaves it the same way
// (renamed into staging/ before it is deleted), so everything under generations/ is always complete.
#ifndef EDGE_RUNTIME_BUNDLES_LAYOUT_H_
#define EDGE_RUNTIME_BUNDLES_LAYOUT_H_

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace edge::runtime::bundles {

// What start-up recovery found and did.
struct RecoveryReport {
  std::optional<std::string> current;  // the generation `current` points at (its directory exists)
  std::optional<std::string> previous;
  bool local_manifest_missing = false;  // `current` exists but <install>/manifest.json does not: re-sync
  bool hand_installed_dist = false;     // <install>/dist is a real directory (left alone until a bundle arrives)
  std::vector<std::string> cleaned;     // left-overs removed (relative to bundles/), for the log
};

class Layout {
 public:
  explicit Layout(std::filesystem::path install_dir);

  const std::filesystem::path& install_dir() const { return install_dir_; }
  std::filesystem::path bundles_dir() const { return install_dir_ / "bundles"; }
  std::filesystem::path generations_dir() const { return bundles_dir() / "generations"; }
  std::filesystem::path staging_dir() const { return bundles_dir() / "staging"; }
  std::filesystem::path downloads_dir() const { return bundles_dir() / "downloads"; }
  std::filesystem::path current_link() const { return bundles_dir() / "current"; }
  std::filesystem::path previous_link() const { return bundles_dir() / "previous"; }
  std::filesystem::path generation_dir(std::string_view hex) const { return generations_dir() / std::string(hex); }
  std::filesystem::path dist_link() const { return install_dir_ / "dist"; }
  std::filesystem::path manifest_link() const { return install_dir_ / "manifest.json"; }

  // Creates the directories, empties staging/ and downloads/, removes left-over `*.new` links, and reports
  // the current and previous generations. A missing local manifest is reported, not repaired: the caller
  // treats it as "no bundle" and the next sync recreates both links (docs/bundles.md section 7). A missing
  // `dist` link beside a present manifest is recreated.
  absl::StatusOr<RecoveryReport> Recover() const;

  // The generation a link points at, when it has the form generations/<hex> and that directory exists.
  std::optional<std::string> CurrentGeneration() const;
  std::optional<std::string> PreviousGeneration() const;

  // Makes generations/<hex> the serving generation: ensures the two fixed links exist (moving a hand-installed
  // dist/ to bundles/local-dist-<timestamp> and a manifest.json file to bundles/local-manifest-<timestamp>.json),
  // points `previous` at the old current generation, then flips `current`. Every step is atomic and fsynced.
  absl::Status Activate(std::string_view hex) const;

  // Removes every generation except current, previous and `protect`, keeping the `keep` most recent ones in
  // all (at least current and previous). Returns the removed generations.
  absl::StatusOr<std::vector<std::string>> Prune(int keep, const std::vector<std::string>& protect) const;

  // A fresh, not yet existing staging/<random> path.
  std::filesystem::path NewStagingPath() const;
  // Removes a directory by first renaming it into staging/ (so generations/ never holds a partial tree).
  absl::Status Discard(const std::filesystem::path& dir) const;

 private:
  std::optional<std::string> LinkGeneration(const std::filesystem::path& link) const;
  absl::Status EnsureInstallLink(const std::filesystem::path& link, std::string_view target,
                                 std::string_view aside_prefix, std::string_view aside_suffix) const;

  std::filesystem::path install_dir_;
};

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_LAYOUT_H_
