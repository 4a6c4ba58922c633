// The entry policy of docs/bundles.md section 5 (stack-notes section 7, "mode 1"), shared by ExtractArchive
// and ReadArchiveManifest, and the libarchive reader restricted to gzip + tar.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "edge/bundle/manifest.h"
#include "internal.h"
#include "libarchive_api.h"

namespace edge::bundle::internal {
namespace {

constexpr std::string_view kEntriesSetting = "bundleMaxEntries";
constexpr std::string_view kTotalSetting = "bundleMaxUncompressedBytes";
constexpr std::string_view kEntrySetting = "bundleMaxEntryBytes";

std::string_view TypeProblem(mode_t type) {
  switch (type) {
    case AE_IFIFO: return "FIFOs are not allowed in a bundle";
    case AE_IFCHR: return "character devices are not allowed in a bundle";
    case AE_IFBLK: return "block devices are not allowed in a bundle";
    case AE_IFSOCK: return "sockets are not allowed in a bundle";
    default: return "unsupported entry type: a bundle holds only regular files, directories and symlinks";
  }
}

// Where `target`, relative to the directory holding `link_parts`' last component, lands lexically (archive
// root-relative components); nullopt when it climbs above the archive root.
std::optional<std::vector<std::string_view>> ResolveLexically(const std::vector<std::string_view>& link_parts,
                                                              std::string_view target) {
  std::vector<std::string_view> at(link_parts.begin(), link_parts.end() - 1);
  for (std::string_view part : SplitPath(target)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (at.empty()) return std::nullopt;
      at.pop_back();
    } else {
      at.push_back(part);
    }
  }
  return at;
}

}  // namespace

absl::StatusOr<CheckedEntry> EntryPolicy::Check(archive_entry* entry) {
  const char* raw = la_.entry_pathname(entry);
  if (raw == nullptr) raw = la_.entry_pathname_utf8(entry);
  const std::string display = raw == nullptr ? std::string() : std::string(raw);
  if (++entries_ > limits_.max_entries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "entry '", display, "': archive has more than ", limits_.max_entries, " entries (", ToAbsl(kEntriesSetting),
        "): raise ", ToAbsl(kEntriesSetting), " if the bundle really needs that many files"));
  }
  if (display.empty()) return EntryError(display, "entry has no path");

  std::string_view path = display;
  if (path.front() == '/') return EntryError(display, "path is absolute; entries must be relative");
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);  // directories may end in '/'
  const std::vector<std::string_view> parts = SplitPath(path);
  for (std::string_view part : parts) {
    if (part == "..") return EntryError(display, "path contains '..'");
  }
  for (std::string_view part : parts) {
    if (part.empty()) return EntryError(display, "path has an empty component");
    if (part == ".") return EntryError(display, "path contains a '.' component");
  }
  if (path.find('\\') != std::string_view::npos) return EntryError(display, "path contains '\\'");
  if (path.size() > kDistDir.size() + 1 + kMaxPathBytes) {
    return EntryError(display, absl::StrCat("path is longer than ", kMaxPathBytes, " bytes below dist/"));
  }

  if (la_.entry_hardlink(entry) != nullptr) {
    return EntryError(display, absl::StrCat("hardlinks are not allowed in a bundle (links to '",
                                            la_.entry_hardlink(entry), "')"));
  }
  const mode_t type = la_.entry_filetype(entry);
  if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) return EntryError(display, TypeProblem(type));
  if (type == AE_IFREG && la_.entry_sparse_count(entry) > 0) {
    return EntryError(display, "sparse files are not supported");
  }

  CheckedEntry out;
  out.path = std::string(path);
  const std::string_view top = parts.front();
  if (top == kManifestName || top == kSignatureName) {
    if (parts.size() != 1 || type != AE_IFREG) {
      return EntryError(display, absl::StrCat("'", ToAbsl(top), "' must be a regular file at the top level"));
    }
    out.kind = top == kManifestName ? EntryKind::kManifest : EntryKind::kSignature;
  } else if (top == kDistDir) {
    if (parts.size() == 1 && type != AE_IFDIR) return EntryError(display, "'dist' must be a directory");
    out.kind = type == AE_IFDIR ? EntryKind::kDirectory : type == AE_IFREG ? EntryKind::kFile : EntryKind::kSymlink;
  } else {
    return EntryError(display, "not allowed at the top level: a bundle holds only manifest.json, "
                               "manifest.json.sig and dist/ (package it with `edge-connector package`)");
  }

  // Nothing may be written through, or over, a symlink accepted earlier.
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) prefix += '/';
    prefix.append(parts[i].data(), parts[i].size());
    if (symlinks_.count(prefix) != 0) {
      return EntryError(display, i + 1 == parts.size()
                                     ? absl::StrCat("would replace the symbolic link '", prefix, "'")
                                     : absl::StrCat("would be written through the symbolic link '", prefix, "'"));
    }
  }

  if (type == AE_IFLNK) {
    const char* target = la_.entry_symlink(entry);
    if (target == nullptr) target = la_.entry_symlink_utf8(entry);
    if (target == nullptr || *target == '\0') return EntryError(display, "symbolic link without a target");
    out.symlink_target = target;
    if (target[0] == '/') {
      return EntryError(display, absl::StrCat("symbolic link target '", target, "' is absolute"));
    }
    std::optional<std::vector<std::string_view>> lands = ResolveLexically(parts, out.symlink_target);
    // Strictly inside dist/: a link to dist/ itself followed by '..' would climb out.
    if (!lands.has_value() || lands->size() < 2 || lands->front() != kDistDir) {
      return EntryError(display, absl::StrCat("symbolic link target '", target, "' resolves outside dist/"));
    }
    symlinks_.insert(out.path);
  }

  if (type == AE_IFREG) {
    out.executable = (la_.entry_perm(entry) & 0111) != 0;
    if (la_.entry_size_is_set(entry)) {
      EDGE_BUNDLE_RETURN_IF_ERROR(CountBytes(out, 0, static_cast<uint64_t>(la_.entry_size(entry)), false));
    }
  }
  return out;
}

absl::Status EntryPolicy::CountBytes(const CheckedEntry& entry, uint64_t entry_bytes_so_far, uint64_t n,
                                     bool streamed) {
  const uint64_t entry_bytes = entry_bytes_so_far + n;
  const bool manifest_file = entry.kind == EntryKind::kManifest || entry.kind == EntryKind::kSignature;
  if (manifest_file && entry_bytes > kMaxManifestBytes) {
    return EntryError(entry.path, absl::StrCat("larger than the manifest cap of ", FormatBytes(kMaxManifestBytes)));
  }
  if (entry_bytes > limits_.max_entry_bytes) {
    return EntryError(entry.path, absl::StrCat("larger than the per-entry cap of ",
                                               FormatBytes(limits_.max_entry_bytes), " (", ToAbsl(kEntrySetting),
                                               "): raise ", ToAbsl(kEntrySetting), " if the file is legitimate"));
  }
  const uint64_t total = total_bytes_ + n;
  if (total > limits_.max_total_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "entry '", entry.path, "': archive expands past ", FormatBytes(limits_.max_total_bytes), " (",
        ToAbsl(kTotalSetting), "): raise ", ToAbsl(kTotalSetting), " if the bundle is legitimately this large"));
  }
  if (streamed) total_bytes_ = total;
  return absl::OkStatus();
}

void ArchiveReadCloser::operator()(archive* a) const { la->read_free(a); }

std::string ArchiveError(const LibArchive& la, archive* a) {
  const char* msg = la.error_string(a);
  return msg != nullptr ? std::string(msg) : std::string("unknown libarchive error");
}

absl::StatusOr<ArchiveReader> OpenArchive(const LibArchive& la, const std::filesystem::path& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) {
    int err = errno;
    absl::Status s = ErrnoError(absl::StrCat("cannot read archive ", file.string()), err);
    return err == ENOENT ? absl::NotFoundError(s.message()) : s;
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("not a gzip-compressed tar archive: ", file.string(),
                                                   " is not a regular file"));
  }
  ArchiveReader a(la.read_new(), ArchiveReadCloser{&la});
  if (a == nullptr) return absl::ResourceExhaustedError("cannot allocate a libarchive reader");
  // Only what a bundle is: no *_all, so no other format's parser is ever reachable from untrusted input.
  la.read_support_filter_gzip(a.get());
  la.read_support_format_tar(a.get());
  if (la.read_open_filename(a.get(), file.c_str(), 64 * 1024) != ARCHIVE_OK) {
    // Say more when the input is gzip: then it is damaged, or something other than a tar was compressed.
    char magic[2] = {0, 0};
    if (std::FILE* f = std::fopen(file.c_str(), "rb")) {
      if (std::fread(magic, 1, 2, f) != 2) magic[0] = 0;
      std::fclose(f);
    }
    const bool gzip = magic[0] == '\x1f' && magic[1] == '\x8b';
    return absl::InvalidArgumentError(absl::StrCat("not a gzip-compressed tar archive: ", file.string(), ": ",
                                                   gzip ? "gzip data is corrupt or truncated, or holds no tar (" : "",
                                                   ArchiveError(la, a.get()), gzip ? ")" : ""));
  }
  return a;
}

absl::StatusOr<bool> NextHeader(const LibArchive& la, archive* a, archive_entry** entry, bool first) {
  int r = la.read_next_header(a, entry);
  if (r == ARCHIVE_EOF) return false;
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    return absl::InvalidArgumentError(first ? absl::StrCat("not a gzip-compressed tar archive: ", ArchiveError(la, a))
                                            : absl::StrCat("archive is corrupt or truncated: ", ArchiveError(la, a)));
  }
  if (first && (la.filter_count(a) < 2 || la.filter_code(a, 0) != ARCHIVE_FILTER_GZIP)) {
    return absl::InvalidArgumentError(
        "not a gzip-compressed tar archive: the tar is not gzip-compressed (package it with "
        "`edge-connector package`)");
  }
  return true;
}

absl::Status ReadEntryData(const LibArchive& la, archive* a, EntryPolicy& policy, const CheckedEntry& entry,
                           absl::FunctionRef<absl::Status(std::string_view)> sink) {
  uint64_t done = 0;
  while (true) {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = la.read_data_block(a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) return absl::OkStatus();
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return EntryError(entry.path, absl::StrCat("archive is corrupt or truncated: ", ArchiveError(la, a)));
    }
    if (offset < 0 || static_cast<uint64_t>(offset) != done) {
      return EntryError(entry.path, "sparse files are not supported");
    }
    EDGE_BUNDLE_RETURN_IF_ERROR(policy.CountBytes(entry, done, size, true));
    EDGE_BUNDLE_RETURN_IF_ERROR(sink(std::string_view(static_cast<const char*>(buf), size)));
    done += size;
  }
}

}  // namespace edge::bundle::internal
