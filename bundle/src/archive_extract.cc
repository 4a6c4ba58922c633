// ExtractArchive: stack-notes section 7 "mode 1" with our own writer. Every entry passes EntryPolicy; files
// are created relative to directory fds with O_CREAT|O_EXCL|O_NOFOLLOW and directories are opened with
// O_NOFOLLOW, so even a path the policy missed cannot be written through a symlink. Files and directories are
// fsynced before returning: the connector renames the tree into place right after.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "edge/bundle/archive.h"
#include "edge/bundle/manifest.h"
#include "internal.h"
#include "libarchive_api.h"

namespace edge::bundle {
namespace {
namespace fs = std::filesystem;
using internal::CheckedEntry;
using internal::EntryError;
using internal::EntryKind;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

class Extractor {
 public:
  Extractor(const internal::LibArchive& la, fs::path dest, Fd root)
      : la_(la), dest_(std::move(dest)), root_(std::move(root)) {}

  absl::Status Run(archive* a, const ExtractLimits& limits) {
    internal::EntryPolicy policy(la_, limits);
    bool have_manifest = false;
    for (bool first = true;; first = false) {
      archive_entry* entry = nullptr;
      absl::StatusOr<bool> more = internal::NextHeader(la_, a, &entry, first);
      if (!more.ok()) return more.status();
      if (!*more) break;
      absl::StatusOr<CheckedEntry> checked = policy.Check(entry);
      if (!checked.ok()) return checked.status();
      if (checked->kind == EntryKind::kManifest) have_manifest = true;
      EDGE_BUNDLE_RETURN_IF_ERROR(Write(a, policy, *checked));
    }
    if (!have_manifest) {
      return absl::InvalidArgumentError(
          "archive has no manifest.json at the top level: it is not a bundle (package it with "
          "`edge-connector package`)");
    }
    std::vector<std::string_view> dist = {kDistDir, "x"};
    absl::StatusOr<Fd> dist_parent = OpenParent(dist, "dist");  // creates dist/ for an empty tree
    if (!dist_parent.ok()) return dist_parent.status();
    EDGE_BUNDLE_RETURN_IF_ERROR(CheckSymlinksOnDisk());
    return SyncAll();
  }

 private:
  // Opens (creating as needed) the directory holding the last of `parts`, never following a symlink.
  absl::StatusOr<Fd> OpenParent(const std::vector<std::string_view>& parts, std::string_view display) {
    Fd dir(::dup(root_.get()));
    if (dir.get() < 0) return internal::ErrnoError("dup", errno);
    std::string rel;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      std::string name(parts[i]);
      rel += rel.empty() ? name : "/" + name;
      int fd = ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT) {
        if (::mkdirat(dir.get(), name.c_str(), 0755) != 0) {
          return internal::ErrnoError(absl::StrCat("cannot create ", (dest_ / rel).string()), errno);
        }
        ::fchmodat(dir.get(), name.c_str(), 0755, 0);  // umask must not narrow it
        dirs_.push_back(rel);
        fd = ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR) {
          return EntryError(display, absl::StrCat("would be written through '", rel, "', which is not a directory"));
        }
        return internal::ErrnoError(absl::StrCat("cannot open ", (dest_ / rel).string()), errno);
      }
      dir = Fd(fd);
    }
    return dir;
  }

  absl::Status Write(archive* a, internal::EntryPolicy& policy, const CheckedEntry& entry) {
    std::vector<std::string_view> parts = internal::SplitPath(entry.path);
    if (entry.kind == EntryKind::kDirectory) {
      parts.push_back("x");  // open the directory itself as the "parent" of a placeholder
      absl::StatusOr<Fd> dir = OpenParent(parts, entry.path);
      return dir.status();
    }
    absl::StatusOr<Fd> parent = OpenParent(parts, entry.path);
    if (!parent.ok()) return parent.status();
    const std::string name(parts.back());
    if (entry.kind == EntryKind::kSymlink) {
      if (::symlinkat(entry.symlink_target.c_str(), parent->get(), name.c_str()) != 0) {
        if (errno == EEXIST) return EntryError(entry.path, "appears twice in the archive");
        return internal::ErrnoError(absl::StrCat("cannot create symlink ", (dest_ / entry.path).string()), errno);
      }
      symlinks_.push_back(entry.path);
      return absl::OkStatus();
    }
    // Permissions are never taken from the archive: 0755 for executables, 0644 otherwise (no suid/sgid/sticky).
    const mode_t mode = entry.executable ? 0755 : 0644;
    Fd file(::openat(parent->get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (file.get() < 0) {
      if (errno == EEXIST) return EntryError(entry.path, "appears twice in the archive");
      return internal::ErrnoError(absl::StrCat("cannot create ", (dest_ / entry.path).string()), errno);
    }
    if (::fchmod(file.get(), mode) != 0) {
      return internal::ErrnoError(absl::StrCat("cannot chmod ", (dest_ / entry.path).string()), errno);
    }
    const std::string what = (dest_ / entry.path).string();
    EDGE_BUNDLE_RETURN_IF_ERROR(internal::ReadEntryData(
        la_, a, policy, entry, [&](std::string_view block) { return internal::WriteAll(file.get(), block, what); }));
    if (::fsync(file.get()) != 0) return internal::ErrnoError(absl::StrCat("cannot fsync ", what), errno);
    return absl::OkStatus();
  }

  // The lexical check cannot see through chains of links ("q -> a/t/../../../x" with "a/t -> ../../c"):
  // follow each link on the finished tree and make sure it still lands strictly inside dist/.
  absl::Status CheckSymlinksOnDisk() {
    for (const std::string& link : symlinks_) {
      if (!internal::SymlinkStaysInsideDist(dest_, link)) {
        return EntryError(link, "symbolic link resolves outside dist/ (through other links in the bundle)");
      }
    }
    return absl::OkStatus();
  }

  absl::Status SyncAll() {
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      EDGE_BUNDLE_RETURN_IF_ERROR(internal::SyncDirectory(dest_ / *it));
    }
    if (::fsync(root_.get()) != 0) return internal::ErrnoError(absl::StrCat("cannot fsync ", dest_.string()), errno);
    return internal::SyncDirectory(dest_.parent_path());
  }

  const internal::LibArchive& la_;
  fs::path dest_;
  Fd root_;
  std::vector<std::string> dirs_;      // created, relative to dest_
  std::vector<std::string> symlinks_;  // created, relative to dest_
};

}  // namespace

absl::Status ExtractArchive(const fs::path& archive_file, const fs::path& dest_dir, const ExtractLimits& limits) {
  fs::path normal = dest_dir.lexically_normal();
  if (!normal.empty() && !normal.has_filename()) normal = normal.parent_path();  // "staging/x/" -> "staging/x"
  if (normal.empty() || normal.filename() == "." || normal.filename() == "..") {
    return absl::InvalidArgumentError(absl::StrCat("extraction directory '", dest_dir.string(),
                                                   "' must name a new directory"));
  }
  std::error_code ec;
  fs::path parent = normal.has_parent_path() ? normal.parent_path() : fs::path(".");
  // Canonical destination: SECURE_SYMLINKS-style checks and our own must not trip over a symlinked prefix.
  fs::path canonical_parent = fs::canonical(parent, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat("cannot extract into ", dest_dir.string(), ": its parent ",
                                                      parent.string(), " is not usable: ", ec.message()));
  }
  const fs::path dest = canonical_parent / normal.filename();

  absl::StatusOr<internal::ArchiveLibrary> library = internal::ArchiveLibrary::Acquire();
  if (!library.ok()) return library.status();
  const internal::LibArchive& la = library->api();
  absl::StatusOr<internal::ArchiveReader> reader = internal::OpenArchive(la, archive_file);
  if (!reader.ok()) return reader.status();

  if (::mkdir(dest.c_str(), 0755) != 0) {
    if (errno == EEXIST) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot extract into ", dest.string(), ": it already exists; extract into a new directory"));
    }
    return internal::ErrnoError(absl::StrCat("cannot create ", dest.string()), errno);
  }
  absl::Cleanup remove_dest = [&dest] {
    std::error_code ignored;
    fs::remove_all(dest, ignored);
  };
  ::chmod(dest.c_str(), 0755);
  Fd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (root.get() < 0) return internal::ErrnoError(absl::StrCat("cannot open ", dest.string()), errno);

  Extractor extractor(la, dest, std::move(root));
  absl::Status status = extractor.Run(reader->get(), limits);
  if (status.ok()) std::move(remove_dest).Cancel();
  return status;
}

}  // namespace edge::bundle
