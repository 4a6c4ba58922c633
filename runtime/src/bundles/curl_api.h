// bundles/curl_api.h: libcurl, loaded with dlopen when bundle sync is enabled.
//
// The daemon does not link libcurl: mapping it and its ~15 dependencies costs several MiB of RSS
// (docs/performance.md, "Idle RSS"), which a connector without bundle sync (customImplementationsPath) never
// pays. The function types come from curl.h, so a signature mismatch fails to compile.
#ifndef EDGE_RUNTIME_BUNDLES_CURL_API_H_
#define EDGE_RUNTIME_BUNDLES_CURL_API_H_

#include <curl/curl.h>

#include "absl/status/status.h"

namespace edge::runtime::bundles {

struct CurlApi {
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
};

// Loads libcurl.so.4 and runs curl_global_init, once per process; call it before other threads start (the
// daemon does so at startup). Later calls return the first outcome. FailedPrecondition names the package.
absl::Status InitCurl();
// The loaded API; only valid after InitCurl() returned OK.
const CurlApi& Curl();

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_CURL_API_H_
