// SHA-256 over OpenSSL EVP: incremental, one-shot, and over a file.
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "edge/bundle/tree.h"
#include "internal.h"

namespace edge::bundle {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  // Only fails on allocation failure, where nothing sensible is left to do.
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) std::abort();
}

Sha256::~Sha256() = default;

void Sha256::Update(std::string_view data) {
  if (!data.empty()) EVP_DigestUpdate(impl_->ctx, data.data(), data.size());
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, digest, &len);
  return internal::Hex(digest, len);
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

namespace internal {

absl::StatusOr<FileDigest> HashFile(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return internal::ErrnoError(absl::StrCat("cannot open ", file.string()), errno);
  Sha256 h;
  uint64_t size = 0;
  std::string buf(64 * 1024, '\0');
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return internal::ErrnoError(absl::StrCat("cannot read ", file.string()), err);
    }
    if (n == 0) break;
    h.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
    size += static_cast<uint64_t>(n);
  }
  ::close(fd);
  return FileDigest{h.HexDigest(), size};
}

}  // namespace internal

absl::StatusOr<std::string> Sha256FileHex(const std::filesystem::path& file) {
  absl::StatusOr<internal::FileDigest> digest = internal::HashFile(file);
  if (!digest.ok()) return digest.status();
  return std::move(digest->sha256);
}

}  // namespace edge::bundle
