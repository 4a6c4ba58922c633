// One GET over a private lws client context (see http_get.h; lws pitfalls: ../shared/docs/stack-notes.md §3).
#include "bundles/http_get.h"

#include <libwebsockets.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "link/connect.h"

namespace edge::runtime::bundles {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxErrorBody = 64 << 10;
constexpr lws_usec_t kTickUs = 20 * LWS_US_PER_MS;  // how often timeouts and the abort flag are checked
constexpr char kProtocolName[] = "edge-http-get";

// The state of the one request; lws reaches it through the context's user pointer.
struct Transfer {
  const HttpGetRequest* request = nullptr;
  const HttpSettings* settings = nullptr;
  const std::function<bool(std::string_view)>* body = nullptr;
  HttpGetResult result;
  Clock::time_point start = Clock::now();
  Clock::time_point last_progress = start;
  bool connected = false;    // TCP (and TLS) up: the request headers are being written
  bool until_close = false;  // no Content-Length, not chunked: the body ends when the server hangs up
  bool done = false;
  std::string tls_error;
  std::string check_ip;  // an IPv6 literal host, checked here against the certificate (lws cannot, see below)

  bool Success() const { return result.status >= 200 && result.status < 300; }
  void Fail(HttpGetFailure failure, std::string detail = {}) {
    if (result.failure == HttpGetFailure::kNone && !done) {
      result.failure = failure;
      result.detail = std::move(detail);
    }
    done = true;
  }
};

// A sul must be the first member of a standard-layout struct for the cast back (stack-notes §3.5).
struct Tick {
  lws_sorted_usec_list_t sul;
  Transfer* transfer;
  lws_context* context;
};

void OnTick(lws_sorted_usec_list_t* sul) {
  Tick* tick = reinterpret_cast<Tick*>(sul);
  Transfer& t = *tick->transfer;
  const HttpSettings& s = *t.settings;
  const auto now = Clock::now();
  auto elapsed = [&](Clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - since).count();
  };
  if (s.abort != nullptr && s.abort->load()) {
    t.Fail(HttpGetFailure::kAborted);
  } else if (!t.connected && elapsed(t.start) >= s.connect_timeout_ms) {
    t.Fail(HttpGetFailure::kConnectTimeout);
  } else if (elapsed(t.start) >= t.request->timeout_ms) {
    t.Fail(HttpGetFailure::kTimeout, absl::StrCat(t.result.received, " body bytes received"));
  } else if (elapsed(t.last_progress) >= std::max<int64_t>(1, s.stall_timeout_ms)) {
    t.Fail(HttpGetFailure::kStall);
  }
  if (t.done) {
    lws_cancel_service(tick->context);  // suls run before lws_service's poll: without this it would still wait
  } else {
    lws_sul_schedule(tick->context, 0, sul, OnTick, kTickUs);
  }
}

std::string Header(lws* wsi, lws_token_indexes token) {
  const int n = lws_hdr_total_length(wsi, token);
  if (n <= 0) return "";
  std::string value(static_cast<size_t>(n) + 1, '\0');
  if (lws_hdr_copy(wsi, value.data(), n + 1, token) < 0) return "";
  value.resize(static_cast<size_t>(n));
  return value;
}

bool AddHeader(lws* wsi, const char* name, const std::string& value, void* in, size_t len) {
  if (value.empty()) return true;
  auto** p = static_cast<unsigned char**>(in);
  return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()), p, *p + len) == 0;
}

int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* t = static_cast<Transfer*>(lws_context_user(lws_get_context(wsi)));
  if (t == nullptr) return 0;
  switch (reason) {
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION: {
      auto* store = static_cast<X509_STORE_CTX*>(user);
      if (t->settings->tls_skip_verify) {
        X509_STORE_CTX_set_error(store, X509_V_OK);  // like curl's VERIFYPEER=0: any certificate is accepted
        return 0;
      }
      if (len == 0) {
        if (t->tls_error.empty()) t->tls_error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
        return 0;
      }
      if (!t->check_ip.empty() && X509_STORE_CTX_get_error_depth(store) == 0 &&
          X509_check_ip_asc(X509_STORE_CTX_get_current_cert(store), t->check_ip.c_str(), 0) != 1) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_IP_ADDRESS_MISMATCH);
        t->tls_error = X509_verify_cert_error_string(X509_V_ERR_IP_ADDRESS_MISMATCH);
        return 1;  // refuses the certificate
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      std::string detail = in != nullptr && len > 0 ? std::string(static_cast<const char*>(in), len)
                           : in != nullptr           ? std::string(static_cast<const char*>(in))
                                                     : std::string("connection failed");
      if (!t->tls_error.empty()) {
        t->Fail(HttpGetFailure::kTls, t->tls_error);
      } else {
        t->Fail(HttpGetFailure::kConnect, std::move(detail));
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
      t->connected = true;
      t->last_progress = Clock::now();
      if (!AddHeader(wsi, "authorization:", t->request->authorization, in, len) ||
          !AddHeader(wsi, "accept:", t->request->accept, in, len)) {
        t->Fail(HttpGetFailure::kConnect, "the request headers do not fit");
        return -1;
      }
      return 0;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP: {
      if (t->done) return -1;
      t->last_progress = Clock::now();
      t->result.status = static_cast<int>(lws_http_client_http_response(wsi));
      if (t->result.status >= 300 && t->result.status < 400) t->result.location = Header(wsi, WSI_TOKEN_HTTP_LOCATION);
      const std::string length = Header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
      t->until_close = length.empty() && Header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING).empty();
      uint64_t announced = 0;
      if (t->Success() && t->request->max_content_length && !length.empty() &&
          std::from_chars(length.data(), length.data() + length.size(), announced).ec == std::errc() &&
          announced > *t->request->max_content_length) {
        t->Fail(HttpGetFailure::kTooLarge, length);
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
      char buffer[LWS_PRE + 16384];
      char* p = buffer + LWS_PRE;
      int n = static_cast<int>(sizeof(buffer) - LWS_PRE);
      return lws_http_client_read(wsi, &p, &n) < 0 ? -1 : 0;  // delivers RECEIVE_CLIENT_HTTP_READ
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ: {
      if (t->done) return -1;
      t->last_progress = Clock::now();
      std::string_view chunk(static_cast<const char*>(in), len);
      t->result.received += len;
      if (!t->Success()) {
        std::string& e = t->result.error_body;
        e.append(chunk.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, e.size())));
        return 0;
      }
      if (!(*t->body)(chunk)) {
        t->Fail(HttpGetFailure::kStoppedByBody);
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
      t->done = true;  // success, unless a failure was recorded first
      return 0;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
      if (!t->done && !(t->until_close && t->result.status != 0)) {
        t->Fail(HttpGetFailure::kTruncated, absl::StrCat("the connection closed after ", t->result.received,
                                                         " body bytes, before the end of the answer"));
      }
      t->done = true;
      return 0;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace

HttpGetResult HttpGet(const HttpGetRequest& request, const HttpSettings& settings,
                      const std::function<bool(std::string_view)>& body) {
  Transfer t;
  t.request = &request;
  t.settings = &settings;
  t.body = &body;
  absl::StatusOr<link::LinkUrl> parsed = link::ParseHttpUrl(request.url);
  if (!parsed.ok()) {
    t.result.failure = HttpGetFailure::kBadUrl;
    t.result.detail = std::string(parsed.status().message());
    return t.result;
  }
  const link::LinkUrl& url = *parsed;
  const bool ipv6 = url.host.find(':') != std::string::npos;  // a literal: hosts never hold ':' otherwise

  static const lws_protocols kProtocols[] = {
      {kProtocolName, &Callback, 0, 0, 0, nullptr, 0},
      {nullptr, nullptr, 0, 0, 0, nullptr, 0},
  };
  // lws's own timeouts (whole seconds) stay out of the way: ours, checked every tick, decide.
  const int64_t longest = std::max({settings.connect_timeout_ms, request.timeout_ms, settings.stall_timeout_ms});
  const auto lws_timeout = static_cast<unsigned int>(std::min<int64_t>(longest / 1000 + 10, 1 << 30));
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  // OpenSSL is initialised only for https (its config and providers cost ~1.3 MiB for good). lws 4.1 redoes its
  // OpenSSL setup for every TLS context, reassigning a process-wide SSL ex_data index: a wss link handshake in
  // flight at that very moment would fail verification once and retry (read in the lws source, not observed).
  if (url.secure) {
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (!settings.ca_file.empty()) info.client_ssl_ca_filepath = settings.ca_file.c_str();
  }
  info.gid = -1;
  info.uid = -1;
  info.user = &t;
  info.fd_limit_per_thread = 16;  // one connection
  info.pt_serv_buf_size = 16384;  // socket reads of 16 KiB instead of 4 KiB for the archive
  info.timeout_secs = lws_timeout;
  info.connect_timeout_secs = lws_timeout;
  info.timeout_secs_ah_idle = lws_timeout;
  lws_context* context = lws_create_context(&info);
  if (context == nullptr) {
    t.result.failure = HttpGetFailure::kInit;
    t.result.detail =
        absl::StrCat("cannot create a libwebsockets client context",
                     settings.ca_file.empty() ? "" : absl::StrCat(" (check the CA file ", settings.ca_file, ")"));
    return t.result;
  }
  Tick tick{};
  tick.transfer = &t;
  tick.context = context;
  lws_sul_schedule(context, 0, &tick.sul, OnTick, kTickUs);

  // ci.host feeds the Host header and the certificate's name check, for which lws cuts it at the first ':'
  // (to drop a port). That breaks an IPv6 literal, so its address is checked in the verification callback.
  const bool default_port = url.port == (url.secure ? 443 : 80);
  const std::string host_text = ipv6 ? absl::StrCat("[", url.host, "]") : url.host;
  const std::string host_header = default_port ? host_text : absl::StrCat(host_text, ":", url.port);
  if (url.secure && ipv6 && !settings.tls_skip_verify) t.check_ip = url.host;
  lws_client_connect_info ci{};
  ci.context = context;
  ci.address = url.host.c_str();
  ci.port = url.port;
  ci.path = url.path.c_str();
  ci.host = host_header.c_str();
  ci.method = "GET";
  ci.alpn = "http/1.1";  // no h2: one plain HTTP/1.1 exchange
  ci.protocol = kProtocolName;
  ci.local_protocol_name = kProtocolName;
  ci.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT;  // the platform never redirects: a 3xx is reported
  if (url.secure) {
    ci.ssl_connection |= LCCSCF_USE_SSL;
    if (settings.tls_skip_verify) {
      ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
    } else if (!t.check_ip.empty()) {
      ci.ssl_connection |= LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
    }
  }
  if (lws_client_connect_via_info(&ci) == nullptr) t.Fail(HttpGetFailure::kConnect, "cannot start the connection");
  while (!t.done) {
    if (lws_service(context, 0) < 0) t.Fail(HttpGetFailure::kConnect, "the libwebsockets service loop failed");
  }
  lws_sul_cancel(&tick.sul);
  lws_context_destroy(context);  // closes a connection still open (after a failure) without more callbacks to us
  return t.result;
}

}  // namespace edge::runtime::bundles
