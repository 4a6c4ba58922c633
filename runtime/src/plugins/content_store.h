// plugins/content_store.h: the content-addressed plugin store (`<store>/<sha256>/<file name>`).
//
// glibc's dlopen hands back the already-loaded image when a path is opened again, even if the file changed,
// so the host never loads a plugin from where it was found: it copies it to a path named by its SHA-256.
// Entries are immutable: a new entry is built in a temporary directory inside the store, fsynced and renamed
// into place in one step, and an existing path is never overwritten.
#ifndef EDGE_RUNTIME_PLUGINS_CONTENT_STORE_H_
#define EDGE_RUNTIME_PLUGINS_CONTENT_STORE_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace edge::runtime::plugins {

// Lower-case hex SHA-256 of a file's bytes, read in chunks.
absl::StatusOr<std::string> Sha256File(const std::filesystem::path& file);

class ContentStore {
 public:
  struct Entry {
    std::filesystem::path path;  // <store>/<sha256>/<file name>, absolute
    std::string sha256;          // of the source bytes when they were installed
    bool fresh = false;          // this call wrote the file and hashed exactly the bytes it wrote
  };

  // `dir` is created when missing and made absolute.
  static absl::StatusOr<ContentStore> Open(const std::filesystem::path& dir);
  // A fresh private directory under the system temp dir (the caller removes it).
  static absl::StatusOr<ContentStore> OpenTemporary();

  // Copies `source` into the store, or returns the existing entry for the same bytes and file name. Does not
  // re-verify an existing entry: the host re-hashes whatever it is about to dlopen.
  // `expected_sha256`, when the caller already knows the source's hash, saves one full read of the file; the
  // copy is still hashed and refused (Aborted) if it differs.
  absl::StatusOr<Entry> Install(const std::filesystem::path& source, std::string_view expected_sha256 = {}) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit ContentStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace edge::runtime::plugins

#endif  // EDGE_RUNTIME_PLUGINS_CONTENT_STORE_H_
