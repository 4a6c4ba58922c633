// The target request and the archive download over libcurl (stack-notes section 6).
#include "bundles/download.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bundles/curl_api.h"
#include "bundles/fs_util.h"
#include "edge/bundle/tree.h"
#include "edge/runtime/log.h"
#include "link/connect.h"
#include "rapidjson/document.h"

namespace edge::runtime::bundles {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxJsonBody = 1 << 20;
constexpr size_t kMaxErrorBody = 64 << 10;

// Receives the response body: 2xx bytes go to `body`, anything else is kept (bounded) for the error message.
struct Sink {
  const CurlApi* curl = nullptr;
  CURL* handle = nullptr;
  std::function<bool(std::string_view)> body;  // false: stop the transfer (the owner knows why)
  const std::atomic<bool>* abort = nullptr;
  // Stall detection in the progress callback (curl's LOW_SPEED_* average over a window of several seconds, so
  // a stall after a burst would take far longer than the setting to notice).
  std::chrono::milliseconds stall_timeout{30000};
  curl_off_t last_bytes = -1;
  std::chrono::steady_clock::time_point last_change = std::chrono::steady_clock::now();
  bool stalled = false;
  long status = 0;
  bool status_known = false;
  bool stopped_by_body = false;
  std::string error_body;
};

bool IsSuccess(long status) { return status >= 200 && status < 300; }

size_t OnData(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (!sink->status_known) {
    sink->curl->easy_getinfo(sink->handle, CURLINFO_RESPONSE_CODE, &sink->status);
    sink->status_known = true;
  }
  if (!IsSuccess(sink->status)) {
    sink->error_body.append(data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, sink->error_body.size())));
    return n;
  }
  if (!sink->body(std::string_view(data, n))) {
    sink->stopped_by_body = true;
    return 0;  // CURLE_WRITE_ERROR
  }
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* sink = static_cast<Sink*>(user);
  if (sink->abort != nullptr && sink->abort->load()) return 1;
  const auto now = std::chrono::steady_clock::now();
  if (dlnow != sink->last_bytes) {
    sink->last_bytes = dlnow;
    sink->last_change = now;
  } else if (now - sink->last_change > sink->stall_timeout) {
    sink->stalled = true;
    return 1;
  }
  return 0;
}

struct Outcome {
  CURLcode rc = CURLE_OK;
  long status = 0;
  std::string curl_error;
  double connect_time = 0;
};

Outcome Perform(const std::string& url, const std::string& authorization, const HttpSettings& s, int64_t timeout_ms,
                std::optional<uint64_t> max_file_size, Sink& sink) {
  const CurlApi& curl = Curl();
  Outcome out;
  CURL* h = curl.easy_init();
  if (h == nullptr) {
    out.rc = CURLE_FAILED_INIT;
    out.curl_error = "curl_easy_init failed";
    return out;
  }
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  if (!authorization.empty())
    headers = curl.slist_append(headers, absl::StrCat("Authorization: ", authorization).c_str());
  headers = curl.slist_append(headers, "Accept: application/json, application/gzip");
  sink.curl = &curl;
  sink.handle = h;
  sink.abort = s.abort;
  sink.stall_timeout = std::chrono::milliseconds(std::max<int64_t>(1, s.stall_timeout_ms));
  curl.easy_setopt(h, CURLOPT_URL, url.c_str());
  curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threaded program: no SIGALRM for DNS timeouts
  curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // the platform never redirects; a redirect is an error
  curl.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.connect_timeout_ms));
  curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  if (max_file_size) curl.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(*max_file_size));
  curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnData);
  curl.easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl.easy_setopt(h, CURLOPT_XFERINFODATA, &sink);
  curl.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  if (!s.ca_file.empty()) curl.easy_setopt(h, CURLOPT_CAINFO, s.ca_file.c_str());
  if (s.tls_skip_verify) {
    curl.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  out.rc = curl.easy_perform(h);
  curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  curl.easy_getinfo(h, CURLINFO_CONNECT_TIME, &out.connect_time);
  out.curl_error = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl.easy_strerror(out.rc));
  curl.slist_free_all(headers);
  curl.easy_cleanup(h);
  return out;
}

// The platform's {"error":{"code","message"}}, or the start of whatever else it sent.
std::pair<std::string, std::string> PlatformError(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error") && doc["error"].IsObject()) {
    const auto& e = doc["error"];
    std::string code = e.HasMember("code") && e["code"].IsString() ? e["code"].GetString() : "";
    std::string message = e.HasMember("message") && e["message"].IsString() ? e["message"].GetString() : "";
    return {code, message};
  }
  std::string excerpt = body.substr(0, 200);
  for (char& c : excerpt) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return {"", excerpt};
}

absl::Status HttpError(long status, const std::string& url, const std::string& body) {
  auto [code, message] = PlatformError(body);
  std::string text = absl::StrCat("the platform answered HTTP ", status, " to GET ", url);
  if (!message.empty()) absl::StrAppend(&text, ": ", message);
  if (!code.empty()) absl::StrAppend(&text, " (", code, ")");
  if (status == 401 || status == 403) {
    absl::StrAppend(&text, "; check the connector's credentials (deployment credentials or auth-token.json)");
  }
  if (status >= 500) return absl::UnavailableError(text);
  if (status == 401) return absl::UnauthenticatedError(text);
  if (status == 403) return absl::PermissionDeniedError(text);
  if (status == 404) return absl::NotFoundError(text);
  return absl::FailedPreconditionError(text);
}

// Everything but a successful transfer, in the words the log and /statusz show.
absl::Status TransferError(const Outcome& out, const Sink& sink, const std::string& url, const HttpSettings& s,
                           int64_t timeout_ms) {
  switch (out.rc) {
    case CURLE_ABORTED_BY_CALLBACK:
      if (sink.stalled) {
        return absl::DeadlineExceededError(
            absl::StrCat("GET ", url, " stalled: no data for ", s.stall_timeout_ms, " ms (bundleStallTimeoutMs)"));
      }
      return absl::CancelledError(absl::StrCat("GET ", url, " stopped: the connector is shutting down"));
    case CURLE_OPERATION_TIMEDOUT:
      if (out.connect_time <= 0 && out.status == 0) {
        return absl::UnavailableError(
            absl::StrCat("cannot connect to ", url, " within ", s.connect_timeout_ms, " ms: ", out.curl_error));
      }
      return absl::DeadlineExceededError(
          absl::StrCat("GET ", url, " timed out after ", timeout_ms, " ms",
                       timeout_ms == s.download_timeout_ms ? " (bundleDownloadTimeoutMs)" : "", ": ", out.curl_error));
    case CURLE_PEER_FAILED_VERIFICATION:
      return absl::UnavailableError(absl::StrCat("TLS certificate verification failed for ", url, ": ", out.curl_error,
                                                 s.ca_file.empty()
                                                     ? std::string(" (system CA store; set caFile for a private CA)")
                                                     : absl::StrCat(" (CA file ", s.ca_file, ")")));
    default:
      return absl::UnavailableError(absl::StrCat("cannot reach the platform at ", url, ": ", out.curl_error));
  }
}

bool AbsentOrNull(const rapidjson::Value& o, const char* key) { return !o.HasMember(key) || o[key].IsNull(); }

std::string UrlEscapeSegment(std::string_view segment) {
  std::string out;
  for (unsigned char c : segment) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<BundleTarget> ParseBundleTarget(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return absl::InvalidArgumentError("the platform's bundle target is not a JSON object");
  }
  auto bad = [](std::string_view field, std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("the platform's bundle target has a bad \"", ToAbsl(field), "\": ", ToAbsl(why)));
  };
  auto string_field = [&](const char* key, bool required, std::string* out) -> absl::Status {
    if (AbsentOrNull(doc, key)) return required ? bad(key, "missing") : absl::OkStatus();
    if (!doc[key].IsString()) return bad(key, "not a string");
    *out = doc[key].GetString();
    if (required && out->empty()) return bad(key, "empty");
    return absl::OkStatus();
  };
  BundleTarget t;
  if (auto s = string_field("bundleId", true, &t.bundle_id); !s.ok()) return s;
  if (auto s = string_field("bundleName", false, &t.bundle_name); !s.ok()) return s;
  if (auto s = string_field("checksum", true, &t.checksum); !s.ok()) return s;
  if (auto s = string_field("archiveSha256", true, &t.archive_sha256); !s.ok()) return s;
  if (auto s = string_field("source", false, &t.source); !s.ok()) return s;
  if (auto s = string_field("downloadPath", true, &t.download_path); !s.ok()) return s;
  if (!doc.HasMember("version") || !doc["version"].IsInt64() || doc["version"].GetInt64() < 1) {
    return bad("version", "expected a positive integer");
  }
  t.version = doc["version"].GetInt64();
  if (!AbsentOrNull(doc, "size")) {
    if (!doc["size"].IsInt64() || doc["size"].GetInt64() < 0) return bad("size", "expected a non-negative integer");
    t.size = doc["size"].GetInt64();
  }
  if (!AbsentOrNull(doc, "pinned")) {
    if (!doc["pinned"].IsBool()) return bad("pinned", "expected a boolean");
    t.pinned = doc["pinned"].GetBool();
  }
  if (!ChecksumHex(t.checksum).ok()) return bad("checksum", "expected \"sha256:\" and 64 lowercase hex characters");
  if (!IsSha256Hex(t.archive_sha256)) return bad("archiveSha256", "expected 64 lowercase hex characters");
  // The path is joined to platformApiUrl: it must not name another host or climb out of the API.
  if (t.download_path.front() != '/' || absl::StrContains(t.download_path, "..") ||
      absl::StrContains(t.download_path, "//") || absl::StrContains(t.download_path, "\\")) {
    return bad("downloadPath",
               "expected an absolute path under the API, such as /api/v1/bundles/b_1/versions/3/download");
  }
  return t;
}

absl::Status CheckHttpUrl(std::string_view url, bool allow_insecure) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(url.substr(0, 8)));
  bool secure = false;
  std::string_view rest;
  if (lower.rfind("https://", 0) == 0) {
    secure = true;
    rest = url.substr(8);
  } else if (lower.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("platformApiUrl '", ToAbsl(url), "' must start with http:// or https:// (PLATFORM_API_URL)"));
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("platformApiUrl '", ToAbsl(url), "' must not hold user info: credentials never go in the URL"));
  }
  std::string host;
  if (!authority.empty() && authority.front() == '[') {
    host = std::string(authority.substr(1, authority.find(']') - 1));
  } else {
    host = std::string(authority.substr(0, authority.rfind(':')));
  }
  if (host.empty()) return absl::InvalidArgumentError(absl::StrCat("platformApiUrl '", ToAbsl(url), "' has no host"));
  if (secure || allow_insecure || link::IsLoopbackHost(host)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to send credentials over unencrypted http:// to ", host,
      ", which is not a loopback address: use https:// in platformApiUrl, or set allowInsecureWs to accept the risk"));
}

std::string JoinUrl(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return absl::StrCat(ToAbsl(base), ToAbsl(path));
}

std::string FormatByteLimit(uint64_t bytes) {
  constexpr uint64_t kMiB = 1024 * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) return absl::StrCat(bytes / kMiB, " MB");
  return absl::StrCat(bytes, " bytes");
}

absl::StatusOr<std::optional<BundleTarget>> FetchBundleTarget(std::string_view api_url,
                                                              const LinkCredentials& credentials,
                                                              const HttpSettings& settings) {
  if (absl::Status s = InitCurl(); !s.ok()) return s;
  if (credentials.deployment_id.empty()) {
    return absl::FailedPreconditionError(
        "the connector's credentials name no deployment: set DEPLOYMENT_ID (or deploymentId in config.json)");
  }
  const std::string url =
      JoinUrl(api_url, absl::StrCat("/api/v1/deployments/", UrlEscapeSegment(credentials.deployment_id), "/bundle"));
  if (absl::Status s = CheckHttpUrl(url, settings.allow_insecure); !s.ok()) return s;
  std::string body;
  Sink sink;
  sink.body = [&body](std::string_view chunk) {
    if (body.size() + chunk.size() > kMaxJsonBody) return false;
    body.append(chunk);
    return true;
  };
  Outcome out = Perform(url, credentials.authorization, settings, settings.request_timeout_ms, std::nullopt, sink);
  if (out.rc == CURLE_WRITE_ERROR && sink.stopped_by_body) {
    return absl::FailedPreconditionError(
        absl::StrCat("the platform's answer to GET ", url, " is larger than ", kMaxJsonBody, " bytes"));
  }
  if (out.rc != CURLE_OK) return TransferError(out, sink, url, settings, settings.request_timeout_ms);
  if (out.status == 404 && PlatformError(sink.error_body).first == "no_bundle_assigned") {
    return std::optional<BundleTarget>();
  }
  if (!IsSuccess(out.status)) return HttpError(out.status, url, sink.error_body);
  {
    rapidjson::Document doc;
    doc.Parse(body.c_str(), body.size());
    if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("bundleId") && doc["bundleId"].IsNull()) {
      return std::optional<BundleTarget>();
    }
  }
  absl::StatusOr<BundleTarget> target = ParseBundleTarget(body);
  if (!target.ok()) return target.status();
  return std::optional<BundleTarget>(*std::move(target));
}

absl::StatusOr<fs::path> DownloadArchive(const DownloadRequest& request, const HttpSettings& settings) {
  if (absl::Status s = InitCurl(); !s.ok()) return s;
  if (!IsSha256Hex(request.expected_sha256)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected archive SHA-256 '", request.expected_sha256, "' is not 64 lowercase hex characters"));
  }
  if (absl::Status s = CheckHttpUrl(request.url, settings.allow_insecure); !s.ok()) return s;
  const fs::path final_path = request.downloads_dir / absl::StrCat(request.expected_sha256, ".tgz");
  const fs::path part_path = request.downloads_dir / absl::StrCat(request.expected_sha256, ".tgz.part");
  int fd = open(part_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", part_path.string(), ": ", std::strerror(errno)));
  }
  auto fail = [&](absl::Status status) {
    if (fd >= 0) close(fd);
    unlink(part_path.c_str());
    return status;
  };

  bundle::Sha256 hash;
  uint64_t received = 0;
  bool too_large = false;
  std::string write_error;
  bool first_chunk = true;
  Sink sink;
  sink.body = [&](std::string_view chunk) {
    if (received + chunk.size() > request.max_bytes) {
      too_large = true;
      return false;
    }
    for (std::string_view left = chunk; !left.empty();) {
      ssize_t n = write(fd, left.data(), left.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        write_error = absl::StrCat("cannot write ", part_path.string(), ": ", std::strerror(errno));
        return false;
      }
      left.remove_prefix(static_cast<size_t>(n));
    }
    hash.Update(chunk);
    received += chunk.size();
    if (first_chunk) {
      first_chunk = false;
      if (request.after_first_chunk) {
        fsync(fd);
        request.after_first_chunk();
        if (settings.abort != nullptr && settings.abort->load()) return false;
      }
    }
    return true;
  };
  Outcome out =
      Perform(request.url, request.authorization, settings, settings.download_timeout_ms, request.max_bytes, sink);
  const std::string too_large_text =
      absl::StrCat("bundle download passed the ", FormatByteLimit(request.max_bytes), " limit (bundleMaxBytes)");
  if (out.rc == CURLE_FILESIZE_EXCEEDED || too_large) {
    return fail(absl::ResourceExhaustedError(too_large_text));
  }
  if (out.rc == CURLE_WRITE_ERROR && sink.stopped_by_body) {
    if (!write_error.empty()) return fail(absl::InternalError(write_error));
    return fail(absl::CancelledError(absl::StrCat("GET ", request.url, " stopped: the connector is shutting down")));
  }
  if (out.rc != CURLE_OK) return fail(TransferError(out, sink, request.url, settings, settings.download_timeout_ms));
  if (!IsSuccess(out.status)) return fail(HttpError(out.status, request.url, sink.error_body));
  const std::string found = hash.HexDigest();
  if (found != request.expected_sha256) {
    return fail(absl::DataLossError(absl::StrCat("archive SHA-256 mismatch: expected ", request.expected_sha256,
                                                 ", found ", found, " (", received, " bytes from ", request.url,
                                                 "): the download was corrupted or the platform's copy changed")));
  }
  if (fsync(fd) != 0) {
    return fail(absl::InternalError(absl::StrCat("cannot fsync ", part_path.string(), ": ", std::strerror(errno))));
  }
  int rc = close(fd);
  fd = -1;
  if (rc != 0) return fail(absl::InternalError(absl::StrCat("cannot close ", part_path.string())));
  if (rename(part_path.c_str(), final_path.c_str()) != 0) {
    return fail(absl::InternalError(
        absl::StrCat("cannot rename ", part_path.string(), " to ", final_path.string(), ": ", std::strerror(errno))));
  }
  (void)FsyncPath(request.downloads_dir);
  return final_path;
}

}  // namespace edge::runtime::bundles
