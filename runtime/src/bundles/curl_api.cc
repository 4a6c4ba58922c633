// libcurl through dlopen (see curl_api.h for why).
#include "bundles/curl_api.h"

#include <dlfcn.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace edge::runtime::bundles {
namespace {

struct Loaded {
  CurlApi api;
  absl::Status status;
};

template <typename Fn>
bool Resolve(void* lib, const char* name, Fn* out, absl::Status* status) {
  *out = reinterpret_cast<Fn>(dlsym(lib, name));
  if (*out == nullptr && status->ok()) {
    *status = absl::FailedPreconditionError(
        absl::StrCat("libcurl.so.4 has no ", name, ": install the libcurl4 package (apt-get install libcurl4)"));
  }
  return *out != nullptr;
}

Loaded Load() {
  Loaded out;
  // The SONAME of Debian's libcurl4; the handle is kept for the life of the process.
  void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    out.status = absl::FailedPreconditionError(
        absl::StrCat("cannot load libcurl (", why != nullptr ? why : "libcurl.so.4 not found",
                     "), which bundle sync needs: install the libcurl4 package (apt-get install libcurl4)"));
    return out;
  }
  decltype(&curl_global_init) global_init = nullptr;
  CurlApi& a = out.api;
  const bool ok = Resolve(lib, "curl_global_init", &global_init, &out.status) &&
                  Resolve(lib, "curl_easy_init", &a.easy_init, &out.status) &&
                  Resolve(lib, "curl_easy_cleanup", &a.easy_cleanup, &out.status) &&
                  Resolve(lib, "curl_easy_setopt", &a.easy_setopt, &out.status) &&
                  Resolve(lib, "curl_easy_perform", &a.easy_perform, &out.status) &&
                  Resolve(lib, "curl_easy_getinfo", &a.easy_getinfo, &out.status) &&
                  Resolve(lib, "curl_easy_strerror", &a.easy_strerror, &out.status) &&
                  Resolve(lib, "curl_slist_append", &a.slist_append, &out.status) &&
                  Resolve(lib, "curl_slist_free_all", &a.slist_free_all, &out.status);
  if (!ok) return out;
  if (CURLcode rc = global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    out.status = absl::InternalError(absl::StrCat("cannot initialise libcurl: ", a.easy_strerror(rc)));
  }
  return out;
}

const Loaded& Instance() {
  static const Loaded* loaded = new Loaded(Load());  // never destroyed: libcurl stays loaded
  return *loaded;
}

}  // namespace

absl::Status InitCurl() { return Instance().status; }

const CurlApi& Curl() { return Instance().api; }

}  // namespace edge::runtime::bundles
