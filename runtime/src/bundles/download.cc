// The target request and the archive download over libwebsockets' HTTP client (bundles/http_get.h).
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
#include "bundles/fs_util.h"
#include "bundles/http_get.h"
#include "edge/bundle/tree.h"
#include "edge/runtime/log.h"
#include "link/connect.h"
#include "rapidjson/document.h"

namespace edge::runtime::bundles {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxJsonBody = 1 << 20;
constexpr char kAccept[] = "application/json, application/gzip";

bool IsSuccess(long status) { return status >= 200 && status < 300; }

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

absl::Status HttpError(const HttpGetResult& out, const std::string& url) {
  const long status = out.status;
  auto [code, message] = PlatformError(out.error_body);
  std::string text = absl::StrCat("the platform answered HTTP ", status, " to GET ", url);
  if (!message.empty()) absl::StrAppend(&text, ": ", message);
  if (!code.empty()) absl::StrAppend(&text, " (", code, ")");
  if (status >= 300 && status < 400) {
    absl::StrAppend(&text, "; redirects are not followed",
                    out.location.empty() ? std::string() : absl::StrCat(" (Location: ", out.location, ")"),
                    ": set platformApiUrl to the platform's real address");
  }
  if (status == 401 || status == 403) {
    absl::StrAppend(&text, "; check the connector's credentials (deployment credentials or auth-token.json)");
  }
  if (status >= 500) return absl::UnavailableError(text);
  if (status == 401) return absl::UnauthenticatedError(text);
  if (status == 403) return absl::PermissionDeniedError(text);
  if (status == 404) return absl::NotFoundError(text);
  return absl::FailedPreconditionError(text);
}

// Everything but a completed exchange, in the words the log and /statusz show (the size cap and a stop by the
// body callback are the caller's to name).
absl::Status TransferError(const HttpGetResult& out, const std::string& url, const HttpSettings& s,
                           int64_t timeout_ms) {
  switch (out.failure) {
    case HttpGetFailure::kStall:
      return absl::DeadlineExceededError(
          absl::StrCat("GET ", url, " stalled: no data for ", s.stall_timeout_ms, " ms (bundleStallTimeoutMs)"));
    case HttpGetFailure::kAborted:
      return absl::CancelledError(absl::StrCat("GET ", url, " stopped: the connector is shutting down"));
    case HttpGetFailure::kConnectTimeout:
      return absl::UnavailableError(absl::StrCat("cannot connect to ", url, " within ", s.connect_timeout_ms,
                                                 " ms: no connection established"));
    case HttpGetFailure::kTimeout:
      return absl::DeadlineExceededError(
          absl::StrCat("GET ", url, " timed out after ", timeout_ms, " ms",
                       timeout_ms == s.download_timeout_ms ? " (bundleDownloadTimeoutMs)" : "", ": ", out.detail));
    case HttpGetFailure::kTls:
      return absl::UnavailableError(absl::StrCat("TLS certificate verification failed for ", url, ": ", out.detail,
                                                 s.ca_file.empty()
                                                     ? std::string(" (system CA store; set caFile for a private CA)")
                                                     : absl::StrCat(" (CA file ", s.ca_file, ")")));
    case HttpGetFailure::kBadUrl:
      return absl::InvalidArgumentError(absl::StrCat("cannot use the URL ", url, ": ", out.detail));
    case HttpGetFailure::kInit:
      return absl::InternalError(out.detail);
    default:
      return absl::UnavailableError(absl::StrCat("cannot reach the platform at ", url, ": ", out.detail));
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
  if (lower.rfind("https://", 0) != 0 && lower.rfind("http://", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("platformApiUrl '", ToAbsl(url), "' must start with http:// or https:// (PLATFORM_API_URL)"));
  }
  absl::StatusOr<link::LinkUrl> parsed = link::ParseHttpUrl(url);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("platformApiUrl: ", parsed.status().message()));
  }
  if (parsed->secure || allow_insecure || link::IsLoopbackHost(parsed->host)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to send credentials over unencrypted http:// to ", parsed->host,
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
  if (credentials.deployment_id.empty()) {
    return absl::FailedPreconditionError(
        "the connector's credentials name no deployment: set DEPLOYMENT_ID (or deploymentId in config.json)");
  }
  const std::string url =
      JoinUrl(api_url, absl::StrCat("/api/v1/deployments/", UrlEscapeSegment(credentials.deployment_id), "/bundle"));
  if (absl::Status s = CheckHttpUrl(url, settings.allow_insecure); !s.ok()) return s;
  std::string body;
  HttpGetRequest get;
  get.url = url;
  get.authorization = credentials.authorization;
  get.accept = kAccept;
  get.timeout_ms = settings.request_timeout_ms;
  get.max_content_length = kMaxJsonBody;
  HttpGetResult out = HttpGet(get, settings, [&body](std::string_view chunk) {
    if (body.size() + chunk.size() > kMaxJsonBody) return false;
    body.append(chunk);
    return true;
  });
  if (out.failure == HttpGetFailure::kStoppedByBody || out.failure == HttpGetFailure::kTooLarge) {
    return absl::FailedPreconditionError(
        absl::StrCat("the platform's answer to GET ", url, " is larger than ", kMaxJsonBody, " bytes"));
  }
  if (out.failure != HttpGetFailure::kNone) return TransferError(out, url, settings, settings.request_timeout_ms);
  if (out.status == 404 && PlatformError(out.error_body).first == "no_bundle_assigned") {
    return std::optional<BundleTarget>();
  }
  if (!IsSuccess(out.status)) return HttpError(out, url);
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
  auto on_body = [&](std::string_view chunk) {
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
  HttpGetRequest get;
  get.url = request.url;
  get.authorization = request.authorization;
  get.accept = kAccept;
  get.timeout_ms = settings.download_timeout_ms;
  get.max_content_length = request.max_bytes;  // an announced length over the cap is refused before the body
  HttpGetResult out = HttpGet(get, settings, on_body);
  const std::string too_large_text =
      absl::StrCat("bundle download passed the ", FormatByteLimit(request.max_bytes), " limit (bundleMaxBytes)");
  if (out.failure == HttpGetFailure::kTooLarge || too_large) {
    return fail(absl::ResourceExhaustedError(too_large_text));
  }
  if (out.failure == HttpGetFailure::kStoppedByBody) {
    if (!write_error.empty()) return fail(absl::InternalError(write_error));
    return fail(absl::CancelledError(absl::StrCat("GET ", request.url, " stopped: the connector is shutting down")));
  }
  if (out.failure != HttpGetFailure::kNone) {
    return fail(TransferError(out, request.url, settings, settings.download_timeout_ms));
  }
  if (!IsSuccess(out.status)) return fail(HttpError(out, request.url));
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
