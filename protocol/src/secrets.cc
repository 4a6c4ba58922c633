// Deployment secrets at rest (scrypt) and random tokens.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "edge/protocol/auth.h"
#include "internal.h"

namespace edge::protocol {
namespace {

using internal::ToAbsl;

constexpr uint64_t kScryptN = 16384, kScryptR = 8, kScryptP = 1;
constexpr size_t kSaltBytes = 16, kHashBytes = 32;
// Bounds for parameters read back from storage, so a corrupt hash cannot make verification eat memory/CPU.
constexpr uint64_t kMaxN = 1 << 17, kMaxR = 16, kMaxP = 4;
constexpr uint64_t kMaxMem = 512ull << 20;

void RandomBytes(unsigned char* buf, size_t n) {
  if (RAND_bytes(buf, static_cast<int>(n)) != 1) {
    // Carrying on with predictable secrets would be worse than stopping.
    std::fprintf(stderr, "edge_protocol: RAND_bytes failed: the system random source is unavailable\n");
    std::abort();
  }
}

bool Scrypt(std::string_view secret, std::string_view salt, uint64_t n, uint64_t r, uint64_t p, size_t len,
            std::string* out) {
  out->assign(len, '\0');
  return EVP_PBE_scrypt(secret.data(), secret.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                        salt.size(), n, r, p, kMaxMem, reinterpret_cast<unsigned char*>(out->data()), len) == 1;
}

}  // namespace

std::string HashSecret(std::string_view secret) {
  std::string salt(kSaltBytes, '\0');
  RandomBytes(reinterpret_cast<unsigned char*>(salt.data()), salt.size());
  std::string hash;
  if (!Scrypt(secret, salt, kScryptN, kScryptR, kScryptP, kHashBytes, &hash)) return "";
  return absl::StrCat("scrypt$", kScryptN, "$", kScryptR, "$", kScryptP, "$", Base64Encode(salt), "$",
                      Base64Encode(hash));
}

bool VerifySecret(std::string_view secret, std::string_view stored_hash) {
  std::vector<absl::string_view> parts = absl::StrSplit(ToAbsl(stored_hash), '$');
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  uint64_t n = 0, r = 0, p = 0;
  if (!absl::SimpleAtoi(parts[1], &n) || !absl::SimpleAtoi(parts[2], &r) || !absl::SimpleAtoi(parts[3], &p)) {
    return false;
  }
  if (n < 2 || n > kMaxN || (n & (n - 1)) != 0 || r == 0 || r > kMaxR || p == 0 || p > kMaxP) return false;
  std::string salt, expected;
  if (!Base64Decode(internal::ToStd(parts[4]), &salt) || !Base64Decode(internal::ToStd(parts[5]), &expected)) {
    return false;
  }
  // Exactly the length we write: a truncated hash would otherwise still match its own prefix.
  if (salt.empty() || expected.size() != kHashBytes) return false;
  std::string actual;
  if (!Scrypt(secret, salt, n, r, p, expected.size(), &actual)) return false;
  return CRYPTO_memcmp(actual.data(), expected.data(), expected.size()) == 0;
}

std::string RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  if (bytes > 0) RandomBytes(reinterpret_cast<unsigned char*>(raw.data()), raw.size());
  return Base64UrlEncode(raw);
}

namespace {

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr) != 1) std::abort();
  return Hex(digest, n);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  // An empty key is legal for HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : static_cast<const void*>(key.data());
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), digest, &n) == nullptr) {
    std::abort();
  }
  return Hex(digest, n);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace edge::protocol
