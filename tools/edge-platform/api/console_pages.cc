// The admin console's pages (docs/console.md section 2.1): embedded files under /console/, with the security
// headers of console/assets.h. Only names compiled into the binary can be served, so no request reaches the
// file system.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/api.h"
#include "api/responses.h"
#include "console/assets.h"

namespace edge::platform::api {

namespace {

HttpResponse PageResponse(int status, std::string_view name, std::string_view body) {
  HttpResponse r;
  r.status = status;
  r.body = std::string(body);
  r.content_type = std::string(console::ContentTypeFor(name));
  for (const auto& [header, value] : console::SecurityHeaders()) r.headers.emplace_back(header, value);
  return r;
}

// The embedded file a path names: the routes of section 2.1, else the file of that name.
std::string_view FileForPath(const std::vector<std::string>& segments) {
  if (segments.size() == 1) return "index.html";
  if (segments.size() == 2 && segments[1] == "signin") return "signin.html";
  if (segments.size() == 3 && segments[1] == "deployments") return "deployment.html";
  if (segments.size() == 2) return segments[1];
  return {};
}

}  // namespace

bool IsConsolePagePath(const std::vector<std::string>& segments) {
  return !segments.empty() && segments[0] == "console" && (segments.size() < 2 || segments[1] != "api");
}

void Api::ServeConsolePage(const Exchange& ex, const std::vector<std::string>& segments) {
  const HttpRequest& req = ex->request();
  if (req.method != "GET") {
    HttpResponse r = ErrorResponse(405, "method_not_allowed",
                                   absl::StrCat(req.method, " is not allowed on ", req.path,
                                                "; the console's pages answer GET only"));
    r.headers.emplace_back("Allow", "GET");
    ex->Respond(std::move(r));
    return;
  }
  if (req.path == "/console") {  // relative links resolve against /console/, so the slash matters
    HttpResponse r = PageResponse(301, "moved.txt", "Moved to /console/\n");
    r.headers.emplace_back("Location", "/console/");
    ex->Respond(std::move(r));
    return;
  }
  const std::string_view name = FileForPath(segments);
  if (std::optional<console::EmbeddedFile> file = name.empty() ? std::nullopt : console::FindFile(name)) {
    ex->Respond(PageResponse(200, file->name, file->body));
    return;
  }
  std::optional<console::EmbeddedFile> not_found = console::FindFile("notfound.html");
  ex->Respond(not_found ? PageResponse(404, not_found->name, not_found->body)
                        : PageResponse(404, "notfound.txt", "Not found. The console starts at /console/\n"));
}

}  // namespace edge::platform::api
