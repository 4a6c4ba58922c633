// ReadArchiveManifest: the manifest files of an archive, with every entry checked by the extraction policy
// but nothing written (the platform's upload validation).
#include "absl/strings/str_cat.h"
#include "edge/bundle/archive.h"
#include "internal.h"
#include "libarchive_api.h"

namespace edge::bundle {

absl::StatusOr<ArchiveManifest> ReadArchiveManifest(const std::filesystem::path& archive_file,
                                                    const ExtractLimits& limits) {
  absl::StatusOr<internal::ArchiveLibrary> library = internal::ArchiveLibrary::Acquire();
  if (!library.ok()) return library.status();
  const internal::LibArchive& la = library->api();
  absl::StatusOr<internal::ArchiveReader> reader = internal::OpenArchive(la, archive_file);
  if (!reader.ok()) return reader.status();
  archive* a = reader->get();
  internal::EntryPolicy policy(la, limits);
  ArchiveManifest out;
  bool have_manifest = false;
  for (bool first = true;; first = false) {
    archive_entry* entry = nullptr;
    absl::StatusOr<bool> more = internal::NextHeader(la, a, &entry, first);
    if (!more.ok()) return more.status();
    if (!*more) break;
    absl::StatusOr<internal::CheckedEntry> checked = policy.Check(entry);
    if (!checked.ok()) return checked.status();
    if (checked->kind == internal::EntryKind::kDirectory || checked->kind == internal::EntryKind::kSymlink) continue;

    std::string* keep = nullptr;
    if (checked->kind == internal::EntryKind::kManifest) {
      if (have_manifest) return internal::EntryError(checked->path, "appears twice in the archive");
      have_manifest = true;
      keep = &out.manifest_json;
    } else if (checked->kind == internal::EntryKind::kSignature) {
      if (out.signature_json.has_value()) return internal::EntryError(checked->path, "appears twice in the archive");
      out.signature_json.emplace();
      keep = &*out.signature_json;
    }
    // Every file is streamed so the byte caps count real, not declared, sizes.
    EDGE_BUNDLE_RETURN_IF_ERROR(internal::ReadEntryData(la, a, policy, *checked, [&](std::string_view block) {
      if (keep != nullptr) keep->append(block.data(), block.size());
      return absl::OkStatus();
    }));
  }
  if (!have_manifest) {
    return absl::InvalidArgumentError(
        "archive has no manifest.json at the top level: it is not a bundle (package it with "
        "`edge-connector package`)");
  }
  return out;
}

}  // namespace edge::bundle
