// The http_request example: HTTP(S) requests through libcurl, limited to the hosts the operator allows.
//
//   http.request  method, url, headers, body -> status, response headers, body
//
// Config: {"allowedHosts": ["127.0.0.1", "api.example.com", "*.example.org"], "timeoutMs": 10000,
//          "maxResponseBytes": 1048576, "maxRedirects": 5}
//
// The allow-list is checked on the host curl itself parsed (the parsed handle is what curl connects to, so
// tricks like "http://allowed@evil/" cannot slip through), and on every redirect hop: curl never follows
// redirects on its own here. Only http and https are enabled. The body is capped in the write callback
// (Content-Length cannot be trusted, chunked bodies have none), and the transfer runs on curl's multi
// interface so a cancellation stops it within ~50 ms.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <edge/sdk.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_util.h"

namespace {

using Clock = std::chrono::steady_clock;
using http_example::AllowList;

struct Config {
  AllowList allowed;
  int64_t timeout_ms = 10000;
  int64_t max_response_bytes = 1024 * 1024;
  int64_t max_redirects = 5;
};

int64_t ConfigInt(const rapidjson::Value& cfg, const char* key, int64_t fallback, int64_t min, int64_t max) {
  auto it = cfg.FindMember(key);
  if (it == cfg.MemberEnd()) return fallback;
  if (!it->value.IsInt64() || it->value.GetInt64() < min || it->value.GetInt64() > max) {
    throw std::runtime_error(std::string("http_request: config key '") + key + "' must be an integer from " +
                             std::to_string(min) + " to " + std::to_string(max));
  }
  return it->value.GetInt64();
}

Config ParseConfig(const edge::Json& json) {
  const rapidjson::Value& cfg = json.value();
  if (!cfg.IsObject()) throw std::runtime_error("http_request: the plugin config must be a JSON object");
  Config c;
  auto hosts = cfg.FindMember("allowedHosts");
  if (hosts == cfg.MemberEnd() || !hosts->value.IsArray() || hosts->value.Empty()) {
    throw std::runtime_error(
        "http_request: config key 'allowedHosts' is missing or empty: list the hosts this tool may call, e.g. "
        "{\"allowedHosts\": [\"api.example.com\", \"*.example.org\"]}");
  }
  for (const auto& h : hosts->value.GetArray()) {
    if (!h.IsString() || !c.allowed.Add(std::string(h.GetString(), h.GetStringLength()))) {
      throw std::runtime_error("http_request: every entry of config key 'allowedHosts' must be a host name, an IP "
                               "address or '*.domain', optionally with ':port' (no scheme or path)");
    }
  }
  c.timeout_ms = ConfigInt(cfg, "timeoutMs", 10000, 1, 3600000);
  c.max_response_bytes = ConfigInt(cfg, "maxResponseBytes", 1024 * 1024, 1, 64 * 1024 * 1024);
  c.max_redirects = ConfigInt(cfg, "maxRedirects", 5, 0, 50);
  return c;
}

struct UrlHandle {
  CURLU* u = curl_url();
  ~UrlHandle() { curl_url_cleanup(u); }
};

// Parses `url` into `out` and checks scheme and host; throws a ToolError saying what is wrong.
void ParseAllowedUrl(const Config& config, const std::string& url, UrlHandle& out, std::string* host_out) {
  if (out.u == nullptr) throw std::bad_alloc();
  if (curl_url_set(out.u, CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    throw edge::ToolError("'" + url + "' is not a valid absolute http(s) URL");
  }
  char* scheme = nullptr;
  char* host = nullptr;
  char* port = nullptr;
  curl_url_get(out.u, CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(out.u, CURLUPART_HOST, &host, 0);
  curl_url_get(out.u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
  std::string s = scheme != nullptr ? scheme : "", h = host != nullptr ? host : "";
  int p = port != nullptr ? std::atoi(port) : 0;
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  if (s != "http" && s != "https") throw edge::ToolError("scheme '" + s + "' is not allowed: use http or https");
  if (!config.allowed.Allows(h, p)) {
    throw edge::ToolError("host '" + h + "' (port " + std::to_string(p) + ") is not allowed: this tool may only "
                          "call " + config.allowed.Describe() +
                          " (the operator sets allowedHosts in the http_request plugin config)");
  }
  *host_out = AllowList::Normalize(h);
}

// One request/response exchange (one hop).
struct Exchange {
  edge::Context* ctx = nullptr;
  size_t cap = 0;
  std::string body;
  bool truncated = false;
  long status = 0;
  std::string status_text;
  std::vector<std::pair<std::string, std::string>> headers;
  Clock::time_point last_progress{};
  curl_off_t last_reported = 0;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t len = size * n, room = ex->cap - ex->body.size();
  if (len > room) {
    ex->body.append(data, room);
    ex->truncated = true;
    return 0;  // stops the transfer (CURLE_WRITE_ERROR), which we then report as a truncated body
  }
  ex->body.append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {  // a new response (e.g. after "100 Continue"): keep only the last
    ex->headers.clear();
    size_t sp1 = line.find(' '), sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    ex->status_text = sp2 == std::string_view::npos ? "" : std::string(line.substr(sp2 + 1));
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos && colon > 0) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    ex->headers.emplace_back(http_example::Lower(line.substr(0, colon)), std::string(value));
  }
  return size * n;
}

int OnTransferInfo(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* ex = static_cast<Exchange*>(user);
  if (ex->ctx->cancelled()) return 1;
  Clock::time_point now = Clock::now();
  // Progress resets the host's inactivity timeout; report fresh bytes, at most every 100 ms.
  if (dlnow > ex->last_reported && now - ex->last_progress >= std::chrono::milliseconds(100)) {
    ex->ctx->progress(static_cast<double>(dlnow), 0, "received " + std::to_string(dlnow) + " bytes");
    ex->last_reported = dlnow;
    ex->last_progress = now;
  }
  return 0;
}

struct Request {
  std::string method;
  std::vector<std::string> headers;  // "Name: value"
  std::optional<std::string> body;
};

// Performs one hop on curl's multi interface, polling for cancellation between waits.
void Perform(const Request& req, UrlHandle& url, int64_t timeout_ms, Exchange& ex) {
  std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), &curl_easy_cleanup);
  std::unique_ptr<CURLM, CURLMcode (*)(CURLM*)> multi(curl_multi_init(), &curl_multi_cleanup);
  if (!h || !multi) throw std::bad_alloc();
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const auto& line : req.headers) headers = curl_slist_append(headers, line.c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(headers, &curl_slist_free_all);
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_CURLU, url.u);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // each hop is checked against the allow-list by us
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "edge-connector-http_request/1.0");
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // decompressed bytes count against the cap
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &OnTransferInfo);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &ex);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET" || req.body) {
    if (req.method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.body || req.method == "POST") {
      const std::string& body = req.body ? *req.body : std::string();
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body.c_str());
    }
  }

  curl_multi_add_handle(multi.get(), c);
  int running = 1;
  bool cancelled = false;
  while (running > 0) {
    if (CURLMcode mc = curl_multi_perform(multi.get(), &running); mc != CURLM_OK) {
      curl_multi_remove_handle(multi.get(), c);
      throw edge::ToolError(std::string("request failed: ") + curl_multi_strerror(mc));
    }
    if (running == 0) break;
    if (ex.ctx->cancelled()) {
      cancelled = true;
      break;
    }
    curl_multi_poll(multi.get(), nullptr, 0, 50, nullptr);
  }
  CURLcode rc = CURLE_OK;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
    if (msg->msg == CURLMSG_DONE) rc = msg->data.result;
  }
  curl_multi_remove_handle(multi.get(), c);
  if (cancelled || rc == CURLE_ABORTED_BY_CALLBACK) throw edge::Cancelled();
  if (rc == CURLE_WRITE_ERROR && ex.truncated) rc = CURLE_OK;
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] != 0 ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) why += " (the timeout is " + std::to_string(timeout_ms) + " ms)";
    throw edge::ToolError("request failed: " + why);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ex.status);
}

std::string RedirectTarget(const UrlHandle& base, const Exchange& ex) {
  for (const auto& [name, value] : ex.headers) {
    if (name != "location") continue;
    // Resolve a relative Location against the current URL, as a browser would.
    UrlHandle next;
    char* current = nullptr;
    curl_url_get(base.u, CURLUPART_URL, &current, 0);
    curl_url_set(next.u, CURLUPART_URL, current, 0);
    curl_free(current);
    if (curl_url_set(next.u, CURLUPART_URL, value.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
      throw edge::ToolError("the server sent an invalid redirect Location: '" + value + "'");
    }
    char* resolved = nullptr;
    curl_url_get(next.u, CURLUPART_URL, &resolved, 0);
    std::string out = resolved != nullptr ? resolved : "";
    curl_free(resolved);
    return out;
  }
  return "";
}

edge::Result HttpRequest(const Config& config, const edge::Args& args, edge::Context& ctx) {
  Request req;
  req.method = args.get_or<std::string>("method", "GET");
  std::string url = args.get<std::string>("url");
  if (args.has("body")) req.body = args.get<std::string>("body");
  if (req.body && (req.method == "GET" || req.method == "HEAD")) {
    throw edge::ToolError("a " + req.method + " request cannot have a body: use POST, PUT or PATCH");
  }
  if (const rapidjson::Value* headers = args.find("headers"); headers != nullptr && headers->IsObject()) {
    for (const auto& m : headers->GetObject()) {
      std::string name(m.name.GetString(), m.name.GetStringLength());
      if (!m.value.IsString()) throw edge::ToolError("header '" + name + "' must be a string");
      std::string value(m.value.GetString(), m.value.GetStringLength());
      std::string problem = http_example::CheckRequestHeader(name, value);
      if (!problem.empty()) throw edge::ToolError(problem);
      req.headers.push_back(name + ": " + value);
    }
  }
  const bool follow = args.get_or<bool>("followRedirects", true);
  int64_t timeout_ms = std::min(config.timeout_ms, args.get_or<int64_t>("timeoutMs", config.timeout_ms));
  if (auto left = ctx.remaining()) timeout_ms = std::max<int64_t>(1, std::min<int64_t>(timeout_ms, left->count()));

  auto url_handle = std::make_unique<UrlHandle>();
  std::string host;
  ParseAllowedUrl(config, url, *url_handle, &host);
  edge::Json redirects = edge::Json::array();
  Exchange ex;
  for (int64_t hop = 0;; ++hop) {
    ex = Exchange{};
    ex.ctx = &ctx;
    ex.cap = static_cast<size_t>(config.max_response_bytes);
    Perform(req, *url_handle, timeout_ms, ex);
    const bool redirect = ex.status == 301 || ex.status == 302 || ex.status == 303 || ex.status == 307 || ex.status == 308;
    if (!follow || !redirect) break;
    std::string next = RedirectTarget(*url_handle, ex);
    if (next.empty()) break;
    if (hop >= config.max_redirects) {
      throw edge::ToolError("too many redirects (more than maxRedirects=" + std::to_string(config.max_redirects) +
                            "); the last one pointed to " + next);
    }
    auto next_handle = std::make_unique<UrlHandle>();
    std::string next_host;
    try {
      ParseAllowedUrl(config, next, *next_handle, &next_host);
    } catch (const edge::ToolError& e) {
      throw edge::ToolError("redirect from " + url + " refused: " + e.what());
    }
    // Like browsers: 303 (and 301/302 after a POST) continue as GET without the body.
    if (ex.status == 303 || ((ex.status == 301 || ex.status == 302) && req.method == "POST")) {
      if (req.method != "HEAD") req.method = "GET";
      req.body.reset();
    }
    if (next_host != host) http_example::DropCredentials(req.headers);  // never leak them to another host
    redirects.push(next);
    url = next;
    host = next_host;
    url_handle = std::move(next_handle);
  }

  std::string_view text = ex.body;
  bool utf8 = http_example::IsValidUtf8(text);
  // The cap may have cut a multi-byte character in two: drop the partial tail rather than fall back to base64.
  for (size_t cut = 1; !utf8 && ex.truncated && cut <= 3 && cut <= ex.body.size(); ++cut) {
    text = std::string_view(ex.body).substr(0, ex.body.size() - cut);
    utf8 = http_example::IsValidUtf8(text);
  }
  if (!utf8) text = ex.body;
  edge::Json headers = edge::Json::object();
  std::vector<std::pair<std::string, std::string>> merged;  // a repeated header joins its values with ", "
  for (const auto& [name, value] : ex.headers) {
    auto it = std::find_if(merged.begin(), merged.end(), [&](const auto& m) { return m.first == name; });
    if (it == merged.end()) {
      merged.emplace_back(name, value);
    } else {
      it->second += ", " + value;
    }
  }
  for (const auto& [name, value] : merged) headers.set(name, value);
  edge::Json out = edge::Json::object();
  out.set("status", static_cast<int64_t>(ex.status))
      .set("statusText", ex.status_text)
      .set("url", url)
      .set("headers", std::move(headers))
      .set("body", utf8 ? std::string(text) : http_example::Base64(ex.body))
      .set("bodyEncoding", utf8 ? "utf-8" : "base64")
      .set("bodyBytes", static_cast<int64_t>(ex.body.size()))
      .set("truncated", ex.truncated)
      .set("redirects", std::move(redirects));
  return edge::Result::structured(out);
}

constexpr const char* kInputSchema = R"schema({"type":"object","properties":{
  "method":{"type":"string","enum":["GET","HEAD","POST","PUT","PATCH","DELETE","OPTIONS"],"default":"GET"},
  "url":{"type":"string","minLength":1,"maxLength":8192,"description":"absolute http:// or https:// URL on an allowed host"},
  "headers":{"type":"object","additionalProperties":{"type":"string"},"description":"request headers, name -> value"},
  "body":{"type":"string","description":"request body (not allowed with GET or HEAD)"},
  "followRedirects":{"type":"boolean","default":true,"description":"follow redirects to allowed hosts"},
  "timeoutMs":{"type":"integer","minimum":1,"description":"lower the configured timeout for this request"}},
  "required":["url"],"additionalProperties":false})schema";

constexpr const char* kOutputSchema = R"schema({"type":"object","properties":{
  "status":{"type":"integer","description":"HTTP status code of the final response"},
  "statusText":{"type":"string"},
  "url":{"type":"string","description":"the URL of the final response, after redirects"},
  "headers":{"type":"object","additionalProperties":{"type":"string"},"description":"response headers, lower-case names"},
  "body":{"type":"string"},
  "bodyEncoding":{"type":"string","enum":["utf-8","base64"],"description":"base64 when the body is not valid UTF-8"},
  "bodyBytes":{"type":"integer","minimum":0,"description":"body bytes received (at most maxResponseBytes)"},
  "truncated":{"type":"boolean","description":"true when the body was cut at maxResponseBytes"},
  "redirects":{"type":"array","items":{"type":"string"},"description":"the redirect hops that were followed"}},
  "required":["status","statusText","url","headers","body","bodyEncoding","bodyBytes","truncated","redirects"]})schema";

}  // namespace

EDGE_PLUGIN("http_request", "1.0.0") {
  auto config = std::make_shared<const Config>(ParseConfig(plugin.config()));
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("http_request: curl_global_init failed");
  plugin.on_shutdown([](edge_shutdown_reason) { curl_global_cleanup(); });

  std::string allowed = config->allowed.Describe();
  plugin.tool("http.request")
      .title("HTTP request")
      .description("Sends an HTTP or HTTPS request to an allowed host and returns the status, the response headers "
                   "and the body (capped; 'truncated' says when it was cut; non-UTF-8 bodies come back base64). "
                   "Allowed hosts: " + allowed + ". Redirects are followed only to allowed hosts. HTTP error "
                   "statuses (4xx, 5xx) are results, not tool errors: check 'status'.")
      .input_schema(kInputSchema)
      .output_schema(kOutputSchema)
      .example(R"({"method":"GET","url":"http://)" + config->allowed.ExampleHost() + R"(/"})")
      .open_world(true)
      .destructive(true)  // POST/PUT/DELETE may change things on the remote side
      .handler([config](const edge::Args& args, edge::Context& ctx) { return HttpRequest(*config, args, ctx); });
}
