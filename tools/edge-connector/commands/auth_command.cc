// `edge-connector auth --token <jwt|file>`: validates a token locally and stores it as the connector's
// auth-token.json (mode 0600), where `run` reads it before every connection attempt. `auth --browser` gets the
// token through the platform's console instead (commands/auth_browser.cc).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "commands/auth_browser.h"
#include "commands/commands.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/auth.h"
#include "edge/runtime/config.h"
#include "edge/runtime/log.h"
#include "rapidjson/document.h"

namespace edge::cli {
namespace {

struct AuthOptions {
  std::string token;
  std::string install_dir;
  bool browser = false;
  AuthBrowserOptions browser_options;
};

void PrintError(std::string_view message) {
  std::fprintf(stderr, "error: %.*s\n", static_cast<int>(message.size()), message.data());
}

// The claims of the token just written, read back from the file (what `run` will read).
absl::StatusOr<protocol::JwtClaims> SavedClaims(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::NotFoundError("the saved token file cannot be read back");
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  std::fclose(f);
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("token") || !doc["token"].IsString()) {
    return absl::DataLossError("the saved token file is not {\"token\": ...}");
  }
  return protocol::DecodeJwtUnverified(std::string_view(doc["token"].GetString(), doc["token"].GetStringLength()));
}

int Run(const AuthOptions& o) {
  runtime::ConfigInputs inputs;
  inputs.install_dir = o.install_dir;
  inputs.env = runtime::ProcessEnvironment();
  auto loaded = runtime::LoadConfig(inputs);
  if (!loaded.ok()) {
    PrintError(runtime::ToStd(loaded.status().message()));
    return kExitConfig;
  }
  for (const std::string& w : loaded->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  const std::string& path = loaded->config.auth_token_path;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  if (absl::Status s = runtime::SaveToken(o.token, path, now); !s.ok()) {
    PrintError(runtime::ToStd(s.message()));
    return kExitToolError;
  }
  auto claims = SavedClaims(path);
  if (!claims.ok()) {
    PrintError(runtime::ToStd(claims.status().message()));
    return kExitToolError;
  }
  std::string org = claims->org_id.empty() ? claims->SingleOrg() : claims->org_id;
  if (org.empty()) org = std::to_string(claims->orgs.size()) + " orgs";
  std::string expires =
      absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(claims->expires_at), absl::UTCTimeZone());
  std::printf("Token saved to %s (org %s, subject %s, expires %s)\n", path.c_str(), org.c_str(),
              claims->subject.empty() ? "-" : claims->subject.c_str(), expires.c_str());
  if (!loaded->config.deployment_id.empty() && !loaded->config.deployment_secret.empty()) {
    std::printf("Note: DEPLOYMENT_ID and DEPLOYMENT_SECRET are set, and deployment credentials win over the token.\n");
  }
  return kExitOk;
}

}  // namespace

void AddAuthCommand(CLI::App& root, CommandRun* run) {
  auto options = std::make_shared<AuthOptions>();
  CLI::App* cmd = root.add_subcommand("auth", "Save the token the connector authenticates with (auth-token.json).");
  CLI::Option* token = cmd->add_option("--token", options->token,
                                       "A JWT from the platform, or the path of a JSON file {\"token\": \"...\"}");
  CLI::Option* browser = cmd->add_flag("--browser", options->browser,
                                       "Sign in through the platform's admin console instead (docs/console.md)");
  token->excludes(browser);
  cmd->add_option("--api", options->browser_options.api,
                  "With --browser: the platform API URL (default: platformApiUrl / PLATFORM_API_URL)")
      ->needs(browser);
  cmd->add_option("--deployment", options->browser_options.deployment,
                  "With --browser: ask for a token bound to this deployment")
      ->needs(browser);
  cmd->add_option("--timeout", options->browser_options.timeout_s,
                  "With --browser: seconds to wait for approval (default: the code's lifetime)")
      ->needs(browser)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--install-dir", options->install_dir,
                  "Installation directory (default: the current directory); the token goes to authTokenPath, "
                  "by default <install-dir>/auth-token.json");
  cmd->footer("The token's format, expiry and organization claim are checked before it is saved (mode 0600).\n"
              "Exit codes: 0 saved, 1 invalid or expired token or write failure (with --browser also: denied, "
              "expired, timed out), 78 invalid configuration.");
  cmd->callback([options, run, token, browser] {
    if (token->count() == 0 && browser->count() == 0) {
      throw CLI::RequiredError("--token <jwt|file> or --browser");
    }
    *run = [options] {
      if (!options->browser) return Run(*options);
      options->browser_options.install_dir = options->install_dir;
      return RunAuthBrowser(options->browser_options);
    };
  });
}

}  // namespace edge::cli
