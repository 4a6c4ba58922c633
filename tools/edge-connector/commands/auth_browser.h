// commands/auth_browser.h: `edge-connector auth --browser`: sign in through the platform's admin console
// (docs/console.md section 3) instead of pasting a token.
#ifndef EDGE_CLI_COMMANDS_AUTH_BROWSER_H_
#define EDGE_CLI_COMMANDS_AUTH_BROWSER_H_

#include <cstdint>
#include <string>

namespace edge::cli {

struct AuthBrowserOptions {
  std::string api;          // "": platformApiUrl / PLATFORM_API_URL of the configuration
  std::string deployment;   // asks for a token bound to this deployment
  int64_t timeout_s = 0;    // 0: the code's lifetime
  std::string install_dir;
};

// Asks for a code, prints where to approve it, polls until approved, denied, expired or timed out, and saves the
// token like `auth --token`. Returns the exit code.
int RunAuthBrowser(const AuthBrowserOptions& options);

// "10 minutes", "1 minute", "45 seconds": how long codes last, for the expired message.
std::string DescribeLifetime(int64_t ms);

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_AUTH_BROWSER_H_
