// libcurl behind HttpFetch, loaded with dlopen on first use: `edge-connector run` never makes an HTTP request
// itself, and linking libcurl would map it and its ~15 dependencies (GnuTLS, Kerberos, LDAP, ...) into the
// daemon for good (several MiB of idle RSS). Only the CLI commands that fetch pay for it.
#include "commands/http_client.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <cctype>
#include <memory>

#include "absl/strings/str_cat.h"

namespace edge::cli {
namespace {

// The libcurl entry points HttpFetch uses. The types come from curl.h, so a signature mismatch with the
// header we build against fails to compile rather than misbehaving at run time.
struct CurlApi {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  std::string error;  // why loading failed; empty when every function resolved
};

template <typename Fn>
bool Resolve(void* lib, const char* name, Fn* out, std::string* error) {
  *out = reinterpret_cast<Fn>(dlsym(lib, name));
  if (*out == nullptr && error->empty()) *error = absl::StrCat("libcurl.so.4 has no ", name);
  return *out != nullptr;
}

CurlApi LoadCurl() {
  CurlApi api;
  // The SONAME the Debian package ships (libcurl4); the handle is kept for the life of the process.
  void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    api.error = absl::StrCat("cannot load libcurl (", why != nullptr ? why : "libcurl.so.4 not found",
                             "): install the libcurl4 package (apt-get install libcurl4)");
    return api;
  }
  bool ok = Resolve(lib, "curl_global_init", &api.global_init, &api.error) &&
            Resolve(lib, "curl_easy_init", &api.easy_init, &api.error) &&
            Resolve(lib, "curl_easy_cleanup", &api.easy_cleanup, &api.error) &&
            Resolve(lib, "curl_easy_setopt", &api.easy_setopt, &api.error) &&
            Resolve(lib, "curl_easy_perform", &api.easy_perform, &api.error) &&
            Resolve(lib, "curl_easy_getinfo", &api.easy_getinfo, &api.error) &&
            Resolve(lib, "curl_easy_strerror", &api.easy_strerror, &api.error) &&
            Resolve(lib, "curl_slist_append", &api.slist_append, &api.error) &&
            Resolve(lib, "curl_slist_free_all", &api.slist_free_all, &api.error);
  if (!ok) {
    absl::StrAppend(&api.error, ": install the libcurl4 package (apt-get install libcurl4)");
    return api;
  }
  // Explicitly, once: curl_easy_init would do it implicitly, but not thread-safely.
  if (CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    api.error = absl::StrCat("cannot initialise libcurl: ", api.easy_strerror(rc));
  }
  return api;
}

const CurlApi& Curl() {
  static const CurlApi* api = new CurlApi(LoadCurl());  // never destroyed: libcurl stays loaded
  return *api;
}

struct Sink {
  std::string* body;
  size_t max_bytes;
};

size_t Append(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  if (sink->max_bytes > 0 && sink->body->size() + size * count > sink->max_bytes) return 0;  // curl aborts
  sink->body->append(data, size * count);
  return size * count;
}

}  // namespace

absl::Status HttpFetch(const HttpRequest& request, HttpResponse* response) {
  const CurlApi& c = Curl();
  if (!c.error.empty()) return absl::FailedPreconditionError(c.error);
  std::unique_ptr<CURL, decltype(c.easy_cleanup)> curl(c.easy_init(), c.easy_cleanup);
  if (!curl) return absl::InternalError("curl_easy_init failed");
  CURL* h = curl.get();
  char error[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  std::string auth;
  if (!request.bearer_token.empty()) {
    auth = "Authorization: Bearer " + request.bearer_token;
    headers = c.slist_append(headers, auth.c_str());
  }
  if (!request.body.empty()) headers = c.slist_append(headers, "Content-Type: application/json");
  std::unique_ptr<curl_slist, decltype(c.slist_free_all)> header_list(headers, c.slist_free_all);
  const long connect_timeout_ms = request.connect_timeout_ms > 0 ? request.connect_timeout_ms : 5000L;
  c.easy_setopt(h, CURLOPT_URL, request.url.c_str());
  c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  c.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
  if (request.timeout_ms > 0) c.easy_setopt(h, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  c.easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  c.easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (!request.body.empty() || request.method == "POST") {
    c.easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    c.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  if (!request.ca_file.empty()) c.easy_setopt(h, CURLOPT_CAINFO, request.ca_file.c_str());
  c.easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
  response->body.clear();
  Sink sink{&response->body, request.max_body_bytes};
  // Through a plain function pointer: curl reads the callback back as one, whatever type was passed.
  curl_write_callback write = &Append;
  c.easy_setopt(h, CURLOPT_WRITEFUNCTION, write);
  c.easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  CURLcode rc = c.easy_perform(h);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(error[0] != '\0' ? error : c.easy_strerror(rc));
  }
  c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response->status);
  return absl::OkStatus();
}

std::string UrlEscape(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace edge::cli
