// Ed25519 signing and verifying keys (OpenSSL 3 EVP) and their PEM forms.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "internal.h"

namespace edge::protocol {
namespace {

// The last OpenSSL error as text, for messages (and clears the queue so later calls start clean).
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no OpenSSL error reported";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr ReadBio(std::string_view text) { return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))); }

// First 16 hex characters of SHA-256 over the raw public key ("" when it cannot be read).
std::string KeyIdOf(EVP_PKEY* pkey) {
  if (pkey == nullptr) return "";
  unsigned char raw[64];
  size_t raw_len = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(pkey, raw, &raw_len) != 1) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(raw, raw_len, digest, &digest_len, EVP_sha256(), nullptr) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned int i = 0; i < 8 && i < digest_len; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 0xF];
  }
  return id;
}

}  // namespace

struct SigningKey::Impl {
  EVP_PKEY* pkey = nullptr;
  ~Impl() { EVP_PKEY_free(pkey); }
};
struct VerifyingKey::Impl {
  EVP_PKEY* pkey = nullptr;
  ~Impl() { EVP_PKEY_free(pkey); }
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

absl::StatusOr<SigningKey> SigningKey::Generate() {
  auto impl = std::make_unique<Impl>();
  impl->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (impl->pkey == nullptr) {
    return absl::InternalError(absl::StrCat("cannot generate an Ed25519 key: ", OpenSslError()));
  }
  return SigningKey(std::move(impl));
}

absl::StatusOr<SigningKey> SigningKey::FromPrivatePem(std::string_view pem) {
  BioPtr bio = ReadBio(pem);
  auto impl = std::make_unique<Impl>();
  impl->pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (impl->pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a PEM private key (expected \"-----BEGIN PRIVATE KEY-----\"): ", OpenSslError()));
  }
  if (EVP_PKEY_get_id(impl->pkey) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("the PEM private key is not an Ed25519 key; generate one with "
                                      "`openssl genpkey -algorithm ed25519`");
  }
  return SigningKey(std::move(impl));
}

std::string SigningKey::PrivatePem() const {
  if (impl_ == nullptr) return "";  // moved-from
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), impl_->pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) return "";
  return BioText(bio.get());
}

std::string SigningKey::PublicPem() const {
  if (impl_ == nullptr) return "";  // moved-from
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(bio.get(), impl_->pkey) != 1) return "";
  return BioText(bio.get());
}

std::string SigningKey::KeyId() const {
  if (impl_ == nullptr) return "";  // moved-from
  return KeyIdOf(impl_->pkey);
}

std::string SigningKey::Sign(std::string_view data) const {
  if (impl_ == nullptr) return "";  // moved-from
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig(64, '\0');
  size_t len = sig.size();
  // Ed25519 is a one-shot signature: no digest (NULL) and a single EVP_DigestSign call.
  const bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, impl_->pkey) == 1 &&
                  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                                 reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return "";
  sig.resize(len);
  return sig;
}

VerifyingKey::VerifyingKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VerifyingKey::VerifyingKey(VerifyingKey&&) noexcept = default;
VerifyingKey& VerifyingKey::operator=(VerifyingKey&&) noexcept = default;
VerifyingKey::~VerifyingKey() = default;

absl::StatusOr<VerifyingKey> VerifyingKey::FromPublicPem(std::string_view pem) {
  BioPtr bio = ReadBio(pem);
  auto impl = std::make_unique<Impl>();
  impl->pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (impl->pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a PEM public key (expected \"-----BEGIN PUBLIC KEY-----\"): ", OpenSslError()));
  }
  if (EVP_PKEY_get_id(impl->pkey) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("the PEM public key is not an Ed25519 key");
  }
  return VerifyingKey(std::move(impl));
}

VerifyingKey VerifyingKey::Of(const SigningKey& key) {
  // The signing key's Impl is private to it; its public PEM is the one shared form.
  auto parsed = FromPublicPem(key.PublicPem());
  if (parsed.ok()) return *std::move(parsed);
  return VerifyingKey(std::make_unique<Impl>());  // verifies nothing
}

std::string VerifyingKey::KeyId() const {
  if (impl_ == nullptr) return "";  // moved-from
  return KeyIdOf(impl_->pkey);
}

bool VerifyingKey::Verify(std::string_view data, std::string_view signature) const {
  if (impl_ == nullptr || impl_->pkey == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, impl_->pkey) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                   reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

}  // namespace edge::protocol
