// console/device_flow.cc: see device_flow.h.
#include "console/device_flow.h"

#include <openssl/rand.h>

#include <array>

#include "absl/strings/ascii.h"

namespace edge::platform::console {

std::string NewUserCode() {
  std::array<unsigned char, 8> random{};
  // RAND_bytes only fails without an entropy source, where nothing of the platform's security holds anyway.
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) random.fill(0);
  std::string code;
  for (size_t i = 0; i < random.size(); ++i) {
    if (i == 4) code += '-';
    // 19 letters: the modulo bias (256 % 19 = 9) leaves every letter near 1/19, harmless for a code that
    // lives 10 minutes and is compared by a human.
    code += kUserCodeAlphabet[random[i] % kUserCodeAlphabet.size()];
  }
  return code;
}

std::optional<std::string> NormalizeUserCode(std::string_view typed) {
  std::string letters;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    const char upper = absl::ascii_toupper(static_cast<unsigned char>(c));
    if (kUserCodeAlphabet.find(upper) == std::string_view::npos) return std::nullopt;
    letters += upper;
  }
  if (letters.size() != 8) return std::nullopt;
  return letters.substr(0, 4) + "-" + letters.substr(4);
}

}  // namespace edge::platform::console
