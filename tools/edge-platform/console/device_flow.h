// console/device_flow.h: the pure rules of the CLI's browser sign-in (docs/console.md section 3, after
// RFC 8628): user codes ("BCDF-GHJK": 8 characters from consonants without look-alikes) and their reading.
#ifndef EDGE_PLATFORM_CONSOLE_DEVICE_FLOW_H_
#define EDGE_PLATFORM_CONSOLE_DEVICE_FLOW_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edge::platform::console {

// No vowels (no words by chance) and no look-alikes of digits (no O, I, L, U); the alphabet RFC 8628
// section 6.1 suggests.
inline constexpr std::string_view kUserCodeAlphabet = "BCDFGHJKMNPQRSTVWXZ";
inline constexpr int64_t kDeviceIntervalMs = 2000;
inline constexpr int64_t kMaxOpenDeviceRequests = 100;

// A fresh random user code, "XXXX-XXXX".
std::string NewUserCode();
// The canonical form of a typed code: upper-cased, separators (spaces, '-') dropped and the dash restored;
// nullopt when it is not 8 characters of the alphabet.
std::optional<std::string> NormalizeUserCode(std::string_view typed);

}  // namespace edge::platform::console

#endif  // EDGE_PLATFORM_CONSOLE_DEVICE_FLOW_H_
