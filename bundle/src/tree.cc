// HashTree, TreeChecksum and VerifyTree (docs/bundles.md section 3).
#include <algorithm>
#include <map>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "edge/bundle/tree.h"
#include "internal.h"

namespace edge::bundle {
namespace fs = std::filesystem;
using internal::ToAbsl;

namespace {

std::string_view TypeName(fs::file_type type) {
  switch (type) {
    case fs::file_type::regular: return "a regular file";
    case fs::file_type::directory: return "a directory";
    case fs::file_type::symlink: return "a symbolic link";
    case fs::file_type::block: return "a block device";
    case fs::file_type::character: return "a character device";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::not_found: return "missing";
    default: return "an unknown kind of file";
  }
}

// Every non-directory under `dist_dir` by relative path ('/'-separated), with its type.
absl::StatusOr<std::map<std::string, fs::file_type>> ListTree(const fs::path& dist_dir) {
  std::error_code ec;
  fs::file_status root = fs::symlink_status(dist_dir, ec);
  if (ec || root.type() != fs::file_type::directory) {
    return absl::NotFoundError(absl::StrCat(dist_dir.string(), " is not a directory (",
                                            ToAbsl(TypeName(root.type())), "): expected the bundle's dist/ tree"));
  }
  std::map<std::string, fs::file_type> out;
  fs::recursive_directory_iterator it(dist_dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    if (st.type() == fs::file_type::directory) continue;
    out.emplace(it->path().lexically_relative(dist_dir).generic_string(), st.type());
  }
  if (ec) return internal::ErrnoError(absl::StrCat("cannot list ", dist_dir.string()), ec.value());
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ManifestFile>> HashTree(const fs::path& dist_dir) {
  absl::StatusOr<std::map<std::string, fs::file_type>> listing = ListTree(dist_dir);
  if (!listing.ok()) return listing.status();
  std::vector<ManifestFile> files;
  for (const auto& [path, type] : *listing) {  // std::map: bytewise order
    if (type != fs::file_type::regular) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dist/", path, ": is ", ToAbsl(TypeName(type)),
          "; a bundle holds only regular files and directories: replace it with a regular file"));
    }
    if (std::optional<std::string> problem = internal::PathProblem(path)) {
      return absl::InvalidArgumentError(absl::StrCat("dist/", path, ": ", *problem, ": rename it"));
    }
    absl::StatusOr<internal::FileDigest> digest = internal::HashFile(dist_dir / path);
    if (!digest.ok()) return digest.status();
    files.push_back(ManifestFile{path, std::move(digest->sha256), digest->size});
  }
  return files;
}

std::string TreeChecksum(const std::vector<ManifestFile>& files) {
  std::vector<const ManifestFile*> sorted;
  sorted.reserve(files.size());
  for (const ManifestFile& f : files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(), [](const ManifestFile* a, const ManifestFile* b) { return a->path < b->path; });
  Sha256 h;
  for (const ManifestFile* f : sorted) {
    h.Update(absl::StrCat(f->sha256, "  ", f->size, "  ", f->path, "\n"));
  }
  return absl::StrCat("sha256:", h.HexDigest());
}

absl::Status VerifyTree(const Manifest& manifest, const fs::path& dist_dir) {
  absl::StatusOr<std::map<std::string, fs::file_type>> listing = ListTree(dist_dir);
  if (!listing.ok()) return absl::DataLossError(listing.status().message());

  for (const ManifestFile& f : manifest.files) {
    auto found = listing->find(f.path);
    if (found == listing->end()) {
      std::error_code ec;
      if (fs::symlink_status(dist_dir / f.path, ec).type() == fs::file_type::directory) {
        return absl::DataLossError(absl::StrCat("dist/", f.path, ": expected a regular file, found a directory"));
      }
      return absl::DataLossError(absl::StrCat("dist/", f.path, ": missing (expected a regular file of ", f.size,
                                              " bytes with sha256 ", f.sha256, ")"));
    }
    if (found->second != fs::file_type::regular) {
      return absl::DataLossError(absl::StrCat("dist/", f.path, ": expected a regular file, found ",
                                              ToAbsl(TypeName(found->second))));
    }
    absl::StatusOr<internal::FileDigest> digest = internal::HashFile(dist_dir / f.path);
    if (!digest.ok()) return absl::DataLossError(digest.status().message());
    if (digest->size != f.size) {
      return absl::DataLossError(
          absl::StrCat("dist/", f.path, ": size: expected ", f.size, " bytes, found ", digest->size));
    }
    if (digest->sha256 != f.sha256) {
      return absl::DataLossError(
          absl::StrCat("dist/", f.path, ": sha256: expected ", f.sha256, ", found ", digest->sha256));
    }
  }

  std::map<std::string_view, const ManifestFile*> listed;
  for (const ManifestFile& f : manifest.files) listed.emplace(f.path, &f);
  for (const auto& [path, type] : *listing) {
    if (listed.count(path) != 0) continue;
    // Symlinks that stayed inside dist/ are allowed by extraction (section 5); anything else is not.
    if (type == fs::file_type::symlink) continue;
    return absl::DataLossError(absl::StrCat("dist/", path, ": not listed in the manifest's files[] (found ",
                                            ToAbsl(TypeName(type)), ", expected nothing)"));
  }

  std::string computed = TreeChecksum(manifest.files);
  if (computed != manifest.checksum) {
    return absl::DataLossError(absl::StrCat("checksum: expected ", manifest.checksum, " (manifest), found ",
                                            computed, " (computed from files[])"));
  }
  return absl::OkStatus();
}

}  // namespace edge::bundle
