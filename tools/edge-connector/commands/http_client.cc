// libcurl behind HttpFetch, loaded with dlopen on first use: `edge-connector run` never makes an HTTP request
// itself, and linking libcurl would map it and its ~15 dependencies (GnuTLS, Kerberos, LDAP, ...) into the
// daemon for good (several MiB of idle RSS). Only the CLI commands that fetch pay for it.
#include "commands/http_client.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
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

// Where the response body goes: a string (capped), or a file when downloading a 2xx response.
struct Sink {
  const CurlApi* curl = nullptr;
  CURL* handle = nullptr;
  std::string* body = nullptr;
  size_t max_bytes = 0;         // for `body`
  FILE* file = nullptr;         // download_to, opened by HttpFetch
  uint64_t max_file_bytes = 0;  // 0: no cap
  uint64_t file_bytes = 0;
  bool over_cap = false;
  bool write_failed = false;
};

size_t Append(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->file != nullptr) {
    long status = 0;
    sink->curl->easy_getinfo(sink->handle, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      if (sink->max_file_bytes > 0 && sink->file_bytes + n > sink->max_file_bytes) {
        sink->over_cap = true;
        return 0;  // curl aborts with CURLE_WRITE_ERROR
      }
      if (std::fwrite(data, 1, n, sink->file) != n) {
        sink->write_failed = true;
        return 0;
      }
      sink->file_bytes += n;
      return n;
    }
  }
  if (sink->max_bytes > 0 && sink->body->size() + n > sink->max_bytes) return 0;  // curl aborts
  sink->body->append(data, n);
  return n;
}

size_t ReadFromFile(char* buffer, size_t size, size_t count, void* user) {
  return std::fread(buffer, 1, size * count, static_cast<FILE*>(user));
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * count);
  if (line.substr(0, 5) == "HTTP/") {
    headers->clear();  // a new response (after a 100 Continue or a redirect): only the final one counts
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  (*headers)[name] = std::string(value);
  return size * count;
}

int OnTransferInfo(void* user, curl_off_t dl_total, curl_off_t dl_now, curl_off_t ul_total, curl_off_t ul_now) {
  const auto& fn = *static_cast<const std::function<void(const HttpProgress&)>*>(user);
  fn(HttpProgress{static_cast<uint64_t>(ul_now), static_cast<uint64_t>(ul_total), static_cast<uint64_t>(dl_now),
                  static_cast<uint64_t>(dl_total)});
  return 0;
}

struct FileCloser {
  void operator()(FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

}  // namespace

absl::Status HttpFetch(const HttpRequest& request, HttpResponse* response) {
  const CurlApi& c = Curl();
  if (!c.error.empty()) return absl::FailedPreconditionError(c.error);
  File upload, download;
  uint64_t upload_size = 0;
  if (!request.body_file.empty()) {
    std::error_code ec;
    upload_size = std::filesystem::file_size(request.body_file, ec);
    if (!ec) upload.reset(std::fopen(request.body_file.c_str(), "rb"));
    if (ec || !upload) {
      return absl::NotFoundError(absl::StrCat("cannot read ", request.body_file.string(), ": ",
                                              ec ? ec.message() : std::strerror(errno)));
    }
  }
  if (!request.download_to.empty()) {
    download.reset(std::fopen(request.download_to.c_str(), "wb"));
    if (!download) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot write ", request.download_to.string(), ": ", std::strerror(errno)));
    }
  }
  std::unique_ptr<CURL, decltype(c.easy_cleanup)> curl(c.easy_init(), c.easy_cleanup);
  if (!curl) return absl::InternalError("curl_easy_init failed");
  CURL* h = curl.get();
  char error[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  std::string auth, content_type;
  if (!request.bearer_token.empty()) {
    auth = "Authorization: Bearer " + request.bearer_token;
    headers = c.slist_append(headers, auth.c_str());
  }
  if (upload) {
    content_type = "Content-Type: " + request.body_content_type;
    headers = c.slist_append(headers, content_type.c_str());
    // No "Expect: 100-continue": the platform does not answer it, so curl would wait 1 s before each large
    // body; a refusal (413) still arrives early, as the final answer to the headers.
    headers = c.slist_append(headers, "Expect:");
  } else if (!request.body.empty()) {
    headers = c.slist_append(headers, "Content-Type: application/json");
  }
  std::unique_ptr<curl_slist, decltype(c.slist_free_all)> header_list(headers, c.slist_free_all);
  const long connect_timeout_ms = request.connect_timeout_ms > 0 ? request.connect_timeout_ms : 5000L;
  c.easy_setopt(h, CURLOPT_URL, request.url.c_str());
  c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  c.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
  if (request.timeout_ms > 0) c.easy_setopt(h, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  if (request.stall_timeout_s > 0) {  // below 1 byte/s for that long
    c.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    c.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, request.stall_timeout_s);
  }
  c.easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  c.easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (upload) {
    // Streamed with a known Content-Length, so the server can refuse an oversized body from the headers.
    c.easy_setopt(h, CURLOPT_POST, 1L);
    curl_read_callback read = &ReadFromFile;
    c.easy_setopt(h, CURLOPT_READFUNCTION, read);
    c.easy_setopt(h, CURLOPT_READDATA, upload.get());
    c.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(upload_size));
  } else if (!request.body.empty() || request.method == "POST") {
    c.easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    c.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  if (!request.ca_file.empty()) c.easy_setopt(h, CURLOPT_CAINFO, request.ca_file.c_str());
  c.easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
  response->body.clear();
  response->headers.clear();
  response->downloaded_bytes = 0;
  Sink sink;
  sink.curl = &c;
  sink.handle = h;
  sink.body = &response->body;
  sink.max_bytes = request.max_body_bytes;
  sink.file = download.get();
  sink.max_file_bytes = request.max_download_bytes;
  // Through plain function pointers: curl reads the callbacks back as such, whatever type was passed.
  curl_write_callback write = &Append;
  c.easy_setopt(h, CURLOPT_WRITEFUNCTION, write);
  c.easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_write_callback on_header = &OnHeader;
  c.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  c.easy_setopt(h, CURLOPT_HEADERDATA, &response->headers);
  if (download && request.max_download_bytes > 0) {
    // Refuses early when the Content-Length is known; the write callback enforces it otherwise.
    c.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_download_bytes));
  }
  if (request.on_progress) {
    curl_xferinfo_callback on_info = &OnTransferInfo;
    c.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_info);
    c.easy_setopt(h, CURLOPT_XFERINFODATA, &request.on_progress);
    c.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);  // the progress callback is off unless this is 0
  }
  CURLcode rc = c.easy_perform(h);
  c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response->status);
  response->downloaded_bytes = sink.file_bytes;
  if (download && std::fflush(download.get()) != 0) sink.write_failed = true;
  if (sink.over_cap || rc == CURLE_FILESIZE_EXCEEDED) {
    return absl::ResourceExhaustedError(absl::StrCat("the download exceeds the cap of ", request.max_download_bytes,
                                                     " bytes and was stopped"));
  }
  if (sink.write_failed) {
    return absl::InternalError(absl::StrCat("writing ", request.download_to.string(), " failed: ",
                                            std::strerror(errno), " (disk full?)"));
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(error[0] != '\0' ? error : c.easy_strerror(rc));
  }
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
