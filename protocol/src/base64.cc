// base64 (RFC 4648 §4, padded) and base64url (§5, unpadded) with strict decoders: any character outside the
// alphabet, a bad length or non-zero unused bits fails, so one token has exactly one text form.
#include "edge/protocol/auth.h"

#include <array>

namespace edge::protocol {
namespace {

constexpr std::string_view kStd = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(std::string_view data, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t v = byte(i) << 16;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

// `padded`: the text must carry '=' padding to a multiple of 4; otherwise it must carry none.
bool Decode(std::string_view text, std::string_view alphabet, bool padded, std::string* out) {
  std::array<int8_t, 256> value;
  value.fill(-1);
  for (size_t k = 0; k < alphabet.size(); ++k) value[static_cast<unsigned char>(alphabet[k])] = static_cast<int8_t>(k);
  if (padded) {
    if (text.size() % 4 != 0) return false;
    if (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (!text.empty() && text.back() == '=') text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) return false;
  std::string result;
  result.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int8_t v = value[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      result += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return false;  // non-canonical trailing bits
  *out = std::move(result);
  return true;
}

}  // namespace

std::string Base64Encode(std::string_view data) { return Encode(data, kStd, true); }
bool Base64Decode(std::string_view text, std::string* out) { return Decode(text, kStd, true, out); }
std::string Base64UrlEncode(std::string_view data) { return Encode(data, kUrl, false); }
bool Base64UrlDecode(std::string_view text, std::string* out) { return Decode(text, kUrl, false, out); }

}  // namespace edge::protocol
