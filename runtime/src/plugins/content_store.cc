// The content-addressed plugin store: SHA-256 (OpenSSL) and atomic, never-overwriting installs.
#include "plugins/content_store.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"

namespace edge::runtime::plugins {
namespace fs = std::filesystem;

namespace {

constexpr size_t kChunk = 64 * 1024;

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

// OpenSSL's low-level SHA-256 (the same assembly the default provider runs), not EVP: in OpenSSL 3 the first
// EVP digest initialises the library context, reads openssl.cnf and loads the default provider, which adds
// ~2 MiB to the idle daemon's RSS for the sake of hashing a few plugin files. These functions are deprecated
// in 3.0 but present in every 3.x build that keeps the deprecated API (Debian's does).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
class Sha256 {
 public:
  Sha256() { ok_ = SHA256_Init(&ctx_) == 1; }
  void Update(const void* data, size_t len) { ok_ = ok_ && SHA256_Update(&ctx_, data, len) == 1; }
  absl::StatusOr<std::string> HexDigest() {
    unsigned char md[SHA256_DIGEST_LENGTH];
    if (!ok_ || SHA256_Final(md, &ctx_) != 1) {
      return absl::InternalError("OpenSSL SHA-256 failed: check the OpenSSL installation");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char byte : md) {
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
    return out;
  }

 private:
  SHA256_CTX ctx_;
  bool ok_ = false;
};
#pragma GCC diagnostic pop

absl::Status IoError(std::string_view what, const fs::path& path, int err) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", std::string(what), " '", path.string(), "': ", ErrnoText(err)));
}

// Reads `source`, hashing it, and writes a copy to `target` when it is not empty.
absl::StatusOr<std::string> HashAndCopy(const fs::path& source, const fs::path& target) {
  int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return IoError("read", source, errno);
  absl::Cleanup close_in = [in] { ::close(in); };
  int out = -1;
  if (!target.empty()) {
    // Read-only and executable: nothing in the store is ever written again.
    out = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0555);
    if (out < 0) return IoError("create", target, errno);
  }
  absl::Cleanup close_out = [out] {
    if (out >= 0) ::close(out);
  };
  Sha256 sha;
  auto buf = std::make_unique<char[]>(kChunk);
  while (true) {
    ssize_t n = ::read(in, buf.get(), kChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("read", source, errno);
    if (n == 0) break;
    sha.Update(buf.get(), static_cast<size_t>(n));
    for (ssize_t done = 0; out >= 0 && done < n;) {
      ssize_t w = ::write(out, buf.get() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return IoError("write", target, errno);
      done += w;
    }
  }
  if (out >= 0 && ::fsync(out) != 0) return IoError("fsync", target, errno);
  return sha.HexDigest();
}

// Makes a rename or link durable.
void SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

absl::StatusOr<fs::path> MakeTempDir(const fs::path& parent, std::string_view prefix) {
  std::string pattern = (parent / absl::StrCat(ToAbsl(prefix), "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) return IoError("create a directory in", parent, errno);
  return fs::path(pattern);
}

absl::Status ChangedWhileCopying(const fs::path& source, std::string_view before, std::string_view during) {
  return absl::AbortedError(absl::StrCat(
      "'", source.string(), "' changed while it was being installed (sha256 ", ToAbsl(before), " before, ",
      ToAbsl(during), " while copying): publish plugin files by renaming complete files into place, then load again"));
}

}  // namespace

absl::StatusOr<std::string> Sha256File(const fs::path& file) { return HashAndCopy(file, fs::path()); }

absl::StatusOr<ContentStore> ContentStore::Open(const fs::path& dir) {
  std::error_code ec;
  fs::path abs = fs::absolute(dir, ec);
  if (ec) return IoError("resolve", dir, ec.value());
  fs::create_directories(abs, ec);
  if (ec || !fs::is_directory(abs)) {
    return absl::FailedPreconditionError(absl::StrCat("cannot use '", abs.string(), "' as the plugin content store (",
                                                      ec ? ec.message() : "not a directory",
                                                      "): point content_store_dir at a writable directory"));
  }
  return ContentStore(abs);
}

absl::StatusOr<ContentStore> ContentStore::OpenTemporary() {
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  if (ec) tmp = "/tmp";
  absl::StatusOr<fs::path> dir = MakeTempDir(tmp, absl::StrCat("edge-plugin-store-", ::getpid(), "-"));
  if (!dir.ok()) return dir.status();
  return ContentStore(*dir);
}

absl::StatusOr<ContentStore::Entry> ContentStore::Install(const fs::path& source,
                                                           std::string_view expected_sha256) const {
  absl::StatusOr<std::string> sha =
      expected_sha256.empty() ? Sha256File(source) : absl::StatusOr<std::string>(std::string(expected_sha256));
  if (!sha.ok()) return sha.status();
  const fs::path name = source.filename();
  const fs::path entry_dir = dir_ / *sha;
  const fs::path target = entry_dir / name;
  std::error_code ec;
  if (fs::exists(target, ec)) return Entry{target, *sha};

  if (!fs::exists(entry_dir, ec)) {
    // Build the whole entry aside, then publish it with one rename: readers never see a partial file.
    absl::StatusOr<fs::path> tmp = MakeTempDir(dir_, ".tmp-");
    if (!tmp.ok()) return tmp.status();
    absl::Cleanup remove_tmp = [&] { fs::remove_all(*tmp, ec); };
    absl::StatusOr<std::string> copied = HashAndCopy(source, *tmp / name);
    if (!copied.ok()) return copied.status();
    if (*copied != *sha) return ChangedWhileCopying(source, *sha, *copied);
    SyncDir(*tmp);
    if (::rename(tmp->c_str(), entry_dir.c_str()) == 0) {
      SyncDir(dir_);
      return Entry{target, *sha, /*fresh=*/true};
    }
    if (errno != EEXIST && errno != ENOTEMPTY) return IoError("install into", entry_dir, errno);
    // Someone installed the same bytes meanwhile: fall through and add our file name if needed.
    if (fs::exists(target, ec)) return Entry{target, *sha};
  }

  // Same bytes already stored under another file name: add this name without touching existing files.
  static std::atomic<uint64_t> next_tmp{0};  // unique per process and thread: O_EXCL must not collide
  const fs::path tmp_file =
      entry_dir / absl::StrCat(".tmp-", ::getpid(), "-", next_tmp.fetch_add(1), "-", name.string());
  fs::remove(tmp_file, ec);
  absl::StatusOr<std::string> copied = HashAndCopy(source, tmp_file);
  absl::Cleanup remove_tmp = [&] { fs::remove(tmp_file, ec); };
  if (!copied.ok()) return copied.status();
  if (*copied != *sha) return ChangedWhileCopying(source, *sha, *copied);
  // link() fails instead of replacing an existing target, unlike rename().
  if (::link(tmp_file.c_str(), target.c_str()) != 0 && errno != EEXIST) return IoError("install", target, errno);
  SyncDir(entry_dir);
  return Entry{target, *sha, /*fresh=*/true};
}

}  // namespace edge::runtime::plugins
