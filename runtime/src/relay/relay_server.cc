// RelayServer: HTTP plumbing of the relay on its own libwebsockets context and thread.
#include "relay/relay_server.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/lws_server.h"
#include "relay/relay_options.h"

namespace edge::runtime::relay {
namespace {

// lws logs through one process-wide hook. The relay starts before the link and the health server, so its lines
// (until they install theirs) go to the relay's logger instead of lws's own stderr format.
std::atomic<Logger*> g_lws_logger{nullptr};

void LwsLog(int level, const char* line) { LogLwsLine(g_lws_logger.load(), level, line); }

// A refused request's body is read and dropped (so the client sees the answer instead of a reset) up to this
// much; a client that keeps sending past it is disconnected.
constexpr int64_t kMaxDiscardBytes = 16 * 1024 * 1024;

// One request/response on a connection (HTTP/1.1 keep-alive reuses the connection, not the exchange).
struct Exchange {
  RequestHead head;
  std::optional<Admitted> admitted;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::unique_ptr<HttpResponse> response;  // decided; written at HTTP_WRITEABLE
  int64_t discarded = 0;
};

// Per-session data is raw zeroed memory (lws constructs no C++ objects): one owning pointer.
struct Session {
  Exchange* exchange;
};

// Percent-encodes one decoded query argument, keeping its first '=' (the name/value separator).
void AppendEncodedArg(std::string_view arg, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  static constexpr std::string_view kKept = "-._~:@/?!$'()*,;";
  bool separator_seen = false;
  for (char c : arg) {
    const auto u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || kKept.find(c) != std::string_view::npos) {
      *out += c;
    } else if (c == '=' && !separator_seen) {
      separator_seen = true;
      *out += c;
    } else {
      *out += '%';
      *out += kHex[u >> 4];
      *out += kHex[u & 15];
    }
  }
}

// lws splits the query string at '&' and URL-decodes each argument ('+' becomes a space): encode them again,
// so an '&' or '=' inside a value keeps its meaning ("a=x%26y" stays one argument).
std::string QueryOf(lws* wsi) {
  std::string query;
  for (int i = 0;; ++i) {
    const int n = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n <= 0) break;
    std::string arg(static_cast<size_t>(n) + 1, '\0');
    if (lws_hdr_copy_fragment(wsi, arg.data(), n + 1, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) break;
    arg.resize(static_cast<size_t>(n));
    if (!query.empty()) query += '&';
    AppendEncodedArg(arg, &query);
  }
  return query;
}

// "content-type:" -> WSI_TOKEN_HTTP_CONTENT_TYPE for every header lws parses itself; the others are custom.
const absl::flat_hash_map<std::string, lws_token_indexes>& KnownHeaders() {
  static const auto* known = [] {
    auto* map = new absl::flat_hash_map<std::string, lws_token_indexes>();
    for (int i = 0; i < WSI_TOKEN_COUNT; ++i) {
      const auto token = static_cast<lws_token_indexes>(i);
      const char* name = reinterpret_cast<const char*>(lws_token_to_string(token));
      if (name == nullptr) continue;
      std::string_view text(name);
      if (text.empty() || text.back() != ':') continue;  // request-line tokens ("get ", "post ")
      map->emplace(std::string(text), token);
    }
    return map;
  }();
  return *known;
}

std::optional<std::string> HeaderValue(lws* wsi, const std::string& lower_name) {
  const std::string name = lower_name + ":";
  auto it = KnownHeaders().find(name);
  if (it != KnownHeaders().end()) {
    const int n = lws_hdr_total_length(wsi, it->second);
    if (n <= 0) return std::nullopt;
    std::string value(static_cast<size_t>(n) + 1, '\0');
    const int copied = lws_hdr_copy(wsi, value.data(), n + 1, it->second);
    if (copied < 0) return std::nullopt;
    value.resize(static_cast<size_t>(copied));
    return value;
  }
  const int n = lws_hdr_custom_length(wsi, name.c_str(), static_cast<int>(name.size()));
  if (n < 0) return std::nullopt;
  std::string value(static_cast<size_t>(n) + 1, '\0');
  const int copied = lws_hdr_custom_copy(wsi, value.data(), n + 1, name.c_str(), static_cast<int>(name.size()));
  if (copied < 0) return std::nullopt;
  value.resize(static_cast<size_t>(copied));
  return value;
}

std::optional<int64_t> ContentLength(lws* wsi) {
  char text[32] = {};
  if (lws_hdr_copy(wsi, text, sizeof(text), WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) return std::nullopt;
  int64_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < 0) return std::nullopt;
  return n;
}

int WriteResponse(lws* wsi, const HttpResponse& r) {
  std::string head(LWS_PRE + 1024, '\0');
  auto* start = reinterpret_cast<unsigned char*>(head.data()) + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = reinterpret_cast<unsigned char*>(head.data()) + head.size() - 1;
  if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(r.status), "application/json", r.body.size(), &p,
                                  end) != 0) {
    return -1;
  }
  auto add = [&](const std::string& name, const std::string& value) {
    const std::string with_colon = name + ":";
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(with_colon.c_str()),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), &p, end);
  };
  if (add("cache-control", "no-store") != 0) return -1;
  for (const auto& [name, value] : r.headers) {
    if (add(name, value) != 0) return -1;
  }
  if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) return -1;
  std::string out(LWS_PRE, '\0');
  out += r.body;
  const size_t n = r.body.size();
  if (lws_write(wsi, reinterpret_cast<unsigned char*>(out.data()) + LWS_PRE, n, LWS_WRITE_HTTP_FINAL) <
      static_cast<int>(n)) {
    return -1;
  }
  return 0;
}

// lws only logs why a bind failed; bind once more ourselves to name the cause.
absl::Status BindError(const std::string& host, int port) {
  const std::string address = absl::StrCat(host, ":", port);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("webhook relay cannot listen on ", address,
                                                   ": not an IPv4 address"));
  }
  const int err = ProbeBindErrno(reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  const std::string why = err == 0 || err == EADDRINUSE ? "address in use" : std::strerror(err);
  return absl::UnavailableError(absl::StrCat("webhook relay cannot listen on ", address, ": ", why,
                                             "; set WEBHOOK_RELAY_PORT to a free port (0 picks one), or "
                                             "EDGE_WEBHOOK_RELAY_ENABLED=0 to run without the relay"));
}

}  // namespace

struct RelayServer::Impl {
  RelayServerOptions options;
  RelayHandler* handler = nullptr;
  Logger* logger = nullptr;
  LwsServerThread server;
  int bound_port = 0;
  lws_protocols protocols[2] = {};

  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  int OnRequest(lws* wsi, Session* session, std::string_view uri);
  int OnBody(Session* session, const char* data, size_t len);
};

int RelayServer::Impl::OnRequest(lws* wsi, Session* session, std::string_view uri) {
  delete session->exchange;
  session->exchange = new Exchange();
  Exchange& ex = *session->exchange;
  ex.head.method = LwsRequestMethod(wsi);
  ex.head.path = std::string(uri);
  ex.head.query = QueryOf(wsi);
  ex.head.content_length = ContentLength(wsi);
  const bool chunked =
      !ex.head.content_length.has_value() && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
  const bool has_body = chunked || ex.head.content_length.value_or(0) > 0;
  // The client waits for "100 Continue" before it sends the body (curl does for bodies over 1 MiB).
  const bool expects_continue = HeaderValue(wsi, "expect").value_or("") == "100-continue";
  std::variant<HttpResponse, Admitted> decision = handler->Admit(ex.head);
  if (std::holds_alternative<Admitted>(decision) && chunked) {
    // lws 4.1 does not decode a chunked request body; providers send Content-Length.
    decision = ErrorResponse(411, "length_required",
                             "send the webhook with a Content-Length header (chunked request bodies are not "
                             "accepted)");
  }
  if (auto* refusal = std::get_if<HttpResponse>(&decision)) {
    ex.response = std::make_unique<HttpResponse>(std::move(*refusal));
    if (has_body && (chunked || expects_continue || ex.head.content_length.value_or(0) > kMaxDiscardBytes)) {
      // No body worth reading (not sent yet, not decodable, or too much to read just to refuse it): answer now
      // and hang up.
      WriteResponse(wsi, *ex.response);
      return -1;
    }
  } else {
    Admitted& admitted = std::get<Admitted>(decision);
    // Read the headers now: lws may drop them once the body starts arriving.
    for (const std::string& name : admitted.header_names) {
      if (std::optional<std::string> value = HeaderValue(wsi, name)) ex.headers.emplace_back(name, *value);
    }
    ex.admitted = std::move(admitted);
    if (has_body && expects_continue) {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      std::string out(LWS_PRE, '\0');
      out += kContinue;
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(out.data()) + LWS_PRE, sizeof(kContinue) - 1,
                    LWS_WRITE_HTTP) < static_cast<int>(sizeof(kContinue) - 1)) {
        return -1;
      }
    }
    if (has_body) {
      ex.body.reserve(static_cast<size_t>(
          std::min<int64_t>(ex.head.content_length.value_or(0), handler->max_body_bytes())));
    } else {
      ex.response = std::make_unique<HttpResponse>(
          handler->Finish(*ex.admitted, ex.head, std::move(ex.headers), std::string()));
    }
  }
  // lws only offers HTTP_WRITEABLE once a request body has been read: with one, answer after BODY_COMPLETION.
  if (!has_body) lws_callback_on_writable(wsi);
  return 0;
}

int RelayServer::Impl::OnBody(Session* session, const char* data, size_t len) {
  if (session == nullptr || session->exchange == nullptr) return 0;
  Exchange& ex = *session->exchange;
  if (ex.admitted.has_value() && ex.response == nullptr) {
    if (static_cast<int64_t>(ex.body.size() + len) > handler->max_body_bytes()) {
      ex.response = std::make_unique<HttpResponse>(handler->BodyTooLarge());
      ex.discarded = static_cast<int64_t>(ex.body.size() + len);
      ex.body = std::string();
      return 0;
    }
    ex.body.append(data, len);
    return 0;
  }
  ex.discarded += static_cast<int64_t>(len);
  return ex.discarded > kMaxDiscardBytes ? -1 : 0;
}

int RelayServer::Impl::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* session = static_cast<Session*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP: {
      auto* impl = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
      const std::string_view uri = in != nullptr ? std::string_view(static_cast<const char*>(in), len) : "/";
      return impl->OnRequest(wsi, session, uri);
    }
    case LWS_CALLBACK_HTTP_BODY: {
      auto* impl = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
      return impl->OnBody(session, static_cast<const char*>(in), len);
    }
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
      if (session == nullptr || session->exchange == nullptr) return 0;
      Exchange& ex = *session->exchange;
      if (ex.response == nullptr && ex.admitted.has_value()) {
        auto* impl = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
        ex.response = std::make_unique<HttpResponse>(
            impl->handler->Finish(*ex.admitted, ex.head, std::move(ex.headers), std::move(ex.body)));
      }
      lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      if (session == nullptr || session->exchange == nullptr || session->exchange->response == nullptr) return 0;
      std::unique_ptr<Exchange> ex(session->exchange);
      session->exchange = nullptr;
      if (WriteResponse(wsi, *ex->response) != 0) return -1;
      return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
      if (session != nullptr) {
        delete session->exchange;
        session->exchange = nullptr;
      }
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

RelayServer::RelayServer(RelayServerOptions options, RelayHandler* handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = handler;
  impl_->logger = impl_->options.logger != nullptr ? impl_->options.logger : &Logger::Default();
}

RelayServer::~RelayServer() { Stop(); }

absl::Status RelayServer::Start() {
  Impl& impl = *impl_;
  if (impl.server.running()) return absl::FailedPreconditionError("webhook relay already started");
  const RelayServerOptions& o = impl.options;
  if (o.port < 0 || o.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("webhook relay port ", o.port,
                                                   " is out of range: set WEBHOOK_RELAY_PORT to 0-65535"));
  }
  g_lws_logger.store(impl.logger);
  lws_set_log_level(LLL_ERR | LLL_WARN, &LwsLog);

  impl.protocols[0] = {};
  impl.protocols[0].name = "edge-webhook-relay";
  impl.protocols[0].callback = &Impl::Callback;
  impl.protocols[0].per_session_data_size = sizeof(Session);
  // Bodies arrive in pieces of this size; 16 KiB keeps a 1 MiB body to ~64 callbacks.
  impl.protocols[0].rx_buffer_size = 16384;

  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  // Plain HTTP only (a TLS front end, when wanted, goes in webhookRelayPublicUrl's reverse proxy).
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
  info.fd_limit_per_thread = 128;
  info.max_http_header_data = 16384;  // providers send a few KiB of headers (signatures, ids, user agents)
  info.user = &impl;
  lws_context* context = lws_create_context(&info);
  if (context == nullptr) return absl::InternalError("webhook relay: cannot create the libwebsockets context");

  lws_context_creation_info vinfo{};
  vinfo.port = o.port;
  vinfo.iface = o.host == "0.0.0.0" || o.host.empty() ? nullptr : o.host.c_str();
  vinfo.protocols = impl.protocols;
  vinfo.vhost_name = "edge-webhook-relay";
  vinfo.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  lws_vhost* vhost = lws_create_vhost(context, &vinfo);
  const int port = vhost != nullptr ? lws_get_vhost_listen_port(vhost) : 0;
  if (vhost == nullptr || port <= 0) {
    lws_context_destroy(context);
    return BindError(o.host, o.port);
  }
  impl.bound_port = port;
  impl.server.Start(context, "ec-relay");
  return absl::OkStatus();
}

int RelayServer::port() const { return impl_->bound_port; }

void RelayServer::Stop() {
  Impl& impl = *impl_;
  if (!impl.server.running()) return;
  impl.server.Stop();
  Logger* ours = impl.logger;
  g_lws_logger.compare_exchange_strong(ours, nullptr);  // the logger may not outlive us
}

}  // namespace edge::runtime::relay
