// `edge-connector auth --browser` (docs/console.md section 3): the device-authorization flow against the
// platform's public /api/v1/device endpoints, then the same local validation and 0600 write as `auth --token`.
#include "commands/auth_browser.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "commands/commands.h"
#include "commands/http_client.h"
#include "commands/platform_client.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/auth.h"
#include "edge/runtime/config.h"
#include "edge/runtime/log.h"
#include "rapidjson/document.h"

extern char** environ;

namespace edge::cli {
namespace {

void PrintLine(FILE* f, const std::string& text) { std::fprintf(f, "%s\n", text.c_str()); }

int64_t NumberAt(const rapidjson::Document& doc, const char* key, int64_t fallback) {
  auto m = doc.FindMember(key);
  return m != doc.MemberEnd() && m->value.IsInt64() ? m->value.GetInt64() : fallback;
}

std::string ClientName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "edge-connector";
  return absl::StrCat("edge-connector on ", host);
}

// Opens the page in the desktop's browser; the URL is already printed, so failing only earns a hint.
void TryOpenBrowser(const std::string& url) {
  if (std::getenv("DISPLAY") == nullptr && std::getenv("WAYLAND_DISPLAY") == nullptr) return;
  const char* argv[] = {"xdg-open", url.c_str(), nullptr};
  pid_t pid = 0;
  int status = 0;
  if (posix_spawnp(&pid, "xdg-open", nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0 ||
      waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    PrintLine(stderr, "hint: could not open a browser (xdg-open); open the URL above yourself.");
  }
}

absl::Status Post(const std::string& url, const std::string& body, const std::string& ca_file,
                  HttpResponse* response) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.body = body;
  request.ca_file = ca_file;
  request.timeout_ms = 15000;
  return HttpFetch(request, response);
}

}  // namespace

std::string DescribeLifetime(int64_t ms) {
  if (ms >= 60000 && ms % 60000 == 0) {
    const int64_t minutes = ms / 60000;
    return absl::StrCat(minutes, minutes == 1 ? " minute" : " minutes");
  }
  const int64_t seconds = (ms + 999) / 1000;
  return absl::StrCat(seconds, seconds == 1 ? " second" : " seconds");
}

int RunAuthBrowser(const AuthBrowserOptions& o) {
  runtime::ConfigInputs inputs;
  inputs.install_dir = o.install_dir;
  inputs.env = runtime::ProcessEnvironment();
  auto loaded = runtime::LoadConfig(inputs);
  if (!loaded.ok()) {
    PrintCommandError("auth", loaded.status().message());
    return kExitConfig;
  }
  std::string api = o.api.empty() ? loaded->config.platform_api_url : o.api;
  while (!api.empty() && api.back() == '/') api.pop_back();
  if (!absl::StartsWith(api, "http://") && !absl::StartsWith(api, "https://")) {
    PrintCommandError("auth", absl::StrCat("the platform API URL '", api,
                                           "' is not an http(s) URL: pass --api http(s)://host:port or set "
                                           "PLATFORM_API_URL"));
    return kExitConfig;
  }
  const std::string& ca_file = loaded->config.ca_file;

  std::string request_body;
  protocol::JsonWriter w(request_body);
  w.BeginObject().Key("clientName").String(ClientName());
  if (!o.deployment.empty()) w.Key("deploymentId").String(o.deployment);
  w.EndObject();
  HttpResponse started;
  if (absl::Status s = Post(api + "/api/v1/device/code", request_body, ca_file, &started); !s.ok()) {
    PrintCommandError("auth", absl::StrCat("cannot reach the platform at ", api, ": ", s.message()));
    return kExitToolError;
  }
  rapidjson::Document code;
  code.Parse(started.body.c_str(), started.body.size());
  if (started.status != 200 || code.HasParseError() || !code.IsObject()) {
    PrintCommandError("auth", DescribeApiError(started));
    return kExitToolError;
  }
  const std::string device_code = StringAt(code, {"deviceCode"});
  const std::string user_code = StringAt(code, {"userCode"});
  const std::string open_url = StringAt(code, {"verificationUriComplete"});
  const int64_t lifetime_ms = NumberAt(code, "expiresInMs", 600000);
  int64_t interval_ms = NumberAt(code, "intervalMs", 2000);

  PrintLine(stdout, absl::StrCat("To sign in, open ", open_url));
  PrintLine(stdout, absl::StrCat("and check that the console shows the code ", user_code, "."));
  std::fflush(stdout);
  TryOpenBrowser(open_url);

  // Without --timeout the platform's "expired" answer ends the wait; the margin only covers a platform that
  // stopped answering.
  const int64_t timeout_ms = o.timeout_s > 0 ? o.timeout_s * 1000 : lifetime_ms + 30000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const std::string poll_body = absl::StrCat(R"({"deviceCode":")", device_code, R"("})");
  while (true) {
    const auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms);
    if (next > deadline) {
      std::this_thread::sleep_until(deadline);
      PrintLine(stderr, absl::StrCat("Gave up waiting for approval after ", timeout_ms / 1000,
                                     " s. Approve the code in the console sooner, or raise --timeout."));
      return kExitToolError;
    }
    std::this_thread::sleep_until(next);
    HttpResponse polled;
    if (absl::Status s = Post(api + "/api/v1/device/token", poll_body, ca_file, &polled); !s.ok()) {
      continue;  // the platform may be restarting: keep polling until the deadline
    }
    rapidjson::Document answer;
    answer.Parse(polled.body.c_str(), polled.body.size());
    const std::string error = answer.IsObject() ? StringAt(answer, {"error", "code"}) : "";
    if (polled.status == 200) {
      const std::string token = answer.IsObject() ? StringAt(answer, {"token"}) : "";
      const std::string& path = loaded->config.auth_token_path;
      if (absl::Status s = runtime::SaveToken(token, path, absl::ToUnixSeconds(absl::Now())); !s.ok()) {
        PrintCommandError("auth", s.message());
        return kExitToolError;
      }
      const std::string expires = absl::FormatTime(
          "%Y-%m-%d", absl::FromUnixMillis(NumberAt(answer, "expiresAtMs", 0)), absl::UTCTimeZone());
      PrintLine(stdout, absl::StrCat("Signed in to org ", StringAt(answer, {"orgId"}), "; token saved to ", path,
                                     " (expires ", expires, ")."));
      return kExitOk;
    }
    if (error == "authorization_pending") continue;
    if (error == "slow_down") {
      interval_ms += 1000;
      continue;
    }
    if (error == "access_denied") {
      PrintLine(stderr, absl::StrCat("Sign-in was denied in the console (code ", user_code,
                                     "). Run 'edge-connector auth --browser' again if that was a mistake."));
      return kExitToolError;
    }
    if (error == "expired_token") {
      PrintLine(stderr, absl::StrCat("The sign-in code ", user_code, " expired before it was approved (codes last ",
                                     DescribeLifetime(lifetime_ms), "). Run 'edge-connector auth --browser' again."));
      return kExitToolError;
    }
    PrintCommandError("auth", DescribeApiError(polled));
    return kExitToolError;
  }
}

}  // namespace edge::cli
