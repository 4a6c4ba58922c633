// WriteArchive: a deterministic pax (restricted) tar + gzip (docs/bundles.md section 1). Same inputs, same
// bytes: entries in a fixed order, mtime = builtAt, uid/gid 0, no names, fixed modes, no gzip timestamp.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
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

struct TreeEntry {
  std::string path;  // relative to dist/, '/'-separated
  bool directory = false;
  bool executable = false;
};

absl::StatusOr<std::vector<TreeEntry>> ListDist(const fs::path& dist_dir) {
  std::error_code ec;
  if (fs::symlink_status(dist_dir, ec).type() != fs::file_type::directory) {
    return absl::NotFoundError(absl::StrCat(dist_dir.string(), " is not a directory: expected the dist/ tree"));
  }
  std::vector<TreeEntry> out;
  fs::recursive_directory_iterator it(dist_dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    const std::string rel = it->path().lexically_relative(dist_dir).generic_string();
    if (std::optional<std::string> problem = internal::PathProblem(rel)) {
      return absl::InvalidArgumentError(absl::StrCat("dist/", rel, ": ", *problem, ": rename it"));
    }
    if (st.type() == fs::file_type::directory) {
      out.push_back({rel, true, false});
    } else if (st.type() == fs::file_type::regular) {
      out.push_back({rel, false, (st.permissions() & (fs::perms::owner_exec | fs::perms::group_exec |
                                                      fs::perms::others_exec)) != fs::perms::none});
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "dist/", rel, ": not a regular file or directory (symlinks, devices, FIFOs and sockets cannot be "
          "packaged): replace it with a regular file"));
    }
  }
  if (ec) return internal::ErrnoError(absl::StrCat("cannot list ", dist_dir.string()), ec.value());
  std::sort(out.begin(), out.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  return out;
}

class Writer {
 public:
  Writer(const internal::LibArchive& la, archive* a, int64_t mtime) : la_(la), a_(a), mtime_(mtime) {}

  absl::Status Header(const std::string& path, mode_t type, mode_t perm, int64_t size) {
    archive_entry* e = la_.entry_new();
    la_.entry_set_pathname(e, path.c_str());
    la_.entry_set_filetype(e, type);
    la_.entry_set_perm(e, perm);
    la_.entry_set_size(e, size);
    la_.entry_set_mtime(e, mtime_, 0);
    la_.entry_set_uid(e, 0);
    la_.entry_set_gid(e, 0);
    int r = la_.write_header(a_, e);
    la_.entry_free(e);
    if (r != ARCHIVE_OK) return Error(path);
    return absl::OkStatus();
  }

  absl::Status Memory(const std::string& path, std::string_view data) {
    EDGE_BUNDLE_RETURN_IF_ERROR(Header(path, AE_IFREG, 0644, static_cast<int64_t>(data.size())));
    return Data(path, data);
  }

  absl::Status File(const std::string& path, const fs::path& source, bool executable) {
    int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return internal::ErrnoError(absl::StrCat("cannot open ", source.string()), errno);
    absl::Cleanup close_fd = [fd] { ::close(fd); };
    struct stat st;
    if (::fstat(fd, &st) != 0) return internal::ErrnoError(absl::StrCat("cannot stat ", source.string()), errno);
    EDGE_BUNDLE_RETURN_IF_ERROR(Header(path, AE_IFREG, executable ? 0755 : 0644, st.st_size));
    std::string buf(64 * 1024, '\0');
    int64_t left = st.st_size;
    while (left > 0) {
      ssize_t n = ::read(fd, buf.data(), static_cast<size_t>(std::min<int64_t>(left, buf.size())));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return internal::ErrnoError(absl::StrCat("cannot read ", source.string()), errno);
      if (n == 0) {
        return absl::AbortedError(absl::StrCat(source.string(), " shrank while it was packaged: package again"));
      }
      EDGE_BUNDLE_RETURN_IF_ERROR(Data(path, std::string_view(buf.data(), static_cast<size_t>(n))));
      left -= n;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Data(const std::string& path, std::string_view data) {
    if (!data.empty() && la_.write_data(a_, data.data(), data.size()) != static_cast<la_ssize_t>(data.size())) {
      return Error(path);
    }
    return absl::OkStatus();
  }
  absl::Status Error(const std::string& path) {
    return absl::InternalError(
        absl::StrCat("cannot write '", path, "' to the archive: ", internal::ArchiveError(la_, a_)));
  }

  const internal::LibArchive& la_;
  archive* a_;
  int64_t mtime_;
};

struct ArchiveWriteFree {
  const internal::LibArchive* la;
  void operator()(archive* a) const { la->write_free(a); }
};

}  // namespace

absl::Status WriteArchive(const fs::path& out_file, std::string_view manifest_json,
                          std::optional<std::string_view> signature_json, const fs::path& dist_dir,
                          absl::Time built_at) {
  absl::StatusOr<std::vector<TreeEntry>> tree = ListDist(dist_dir);
  if (!tree.ok()) return tree.status();
  absl::StatusOr<internal::ArchiveLibrary> library = internal::ArchiveLibrary::Acquire();
  if (!library.ok()) return library.status();
  const internal::LibArchive& la = library->api();

  const fs::path part = fs::path(out_file.string() + ".part");
  int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return internal::ErrnoError(absl::StrCat("cannot create ", part.string()), errno);
  bool keep_part = false;
  absl::Cleanup cleanup = [&] {
    if (fd >= 0) ::close(fd);
    if (!keep_part) ::unlink(part.c_str());
  };

  std::unique_ptr<archive, ArchiveWriteFree> a(la.write_new(), ArchiveWriteFree{&la});
  if (a == nullptr) return absl::ResourceExhaustedError("cannot allocate a libarchive writer");
  // No timestamp in the gzip header: otherwise two packages of the same inputs differ.
  if (la.write_add_filter_gzip(a.get()) != ARCHIVE_OK ||
      la.write_set_filter_option(a.get(), "gzip", "timestamp", nullptr) != ARCHIVE_OK ||
      la.write_set_format_pax_restricted(a.get()) != ARCHIVE_OK || la.write_open_fd(a.get(), fd) != ARCHIVE_OK) {
    return absl::InternalError(absl::StrCat("cannot set up the archive writer: ", internal::ArchiveError(la, a.get())));
  }

  Writer w(la, a.get(), absl::ToUnixSeconds(built_at));
  EDGE_BUNDLE_RETURN_IF_ERROR(w.Memory(std::string(kManifestName), manifest_json));
  if (signature_json.has_value()) EDGE_BUNDLE_RETURN_IF_ERROR(w.Memory(std::string(kSignatureName), *signature_json));
  const std::string dist = std::string(kDistDir) + "/";
  EDGE_BUNDLE_RETURN_IF_ERROR(w.Header(dist, AE_IFDIR, 0755, 0));
  for (const TreeEntry& e : *tree) {
    if (e.directory) {
      EDGE_BUNDLE_RETURN_IF_ERROR(w.Header(dist + e.path + "/", AE_IFDIR, 0755, 0));
    } else {
      EDGE_BUNDLE_RETURN_IF_ERROR(w.File(dist + e.path, dist_dir / e.path, e.executable));
    }
  }
  if (la.write_close(a.get()) != ARCHIVE_OK) {
    return absl::InternalError(
        absl::StrCat("cannot finish ", part.string(), ": ", internal::ArchiveError(la, a.get())));
  }
  if (::fsync(fd) != 0) return internal::ErrnoError(absl::StrCat("cannot fsync ", part.string()), errno);
  if (::close(fd) != 0) {
    fd = -1;
    return internal::ErrnoError(absl::StrCat("cannot close ", part.string()), errno);
  }
  fd = -1;
  if (::rename(part.c_str(), out_file.c_str()) != 0) {
    return internal::ErrnoError(absl::StrCat("cannot rename ", part.string(), " to ", out_file.string()), errno);
  }
  keep_part = true;  // renamed: nothing left to remove
  fs::path parent = out_file.has_parent_path() ? out_file.parent_path() : fs::path(".");
  return internal::SyncDirectory(parent);
}

}  // namespace edge::bundle
