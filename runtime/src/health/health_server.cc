// HealthServer: /livez, /healthz and /statusz on a small libwebsockets context with its own service thread.
#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/lws_server.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/health.h"

namespace edge::runtime {
namespace {

constexpr char kComponent[] = "health";

// lws logs through one process-wide hook; it goes to the logger of the last server started, and to the default
// logger once that server stops (its logger may be gone by then).
std::atomic<Logger*> g_lws_logger{nullptr};

void LwsLog(int level, const char* line) { LogLwsLine(g_lws_logger.load(), level, line); }

void ReleaseLwsLogger(Logger* logger) {
  Logger* ours = logger != nullptr ? logger : &Logger::Default();
  g_lws_logger.compare_exchange_strong(ours, nullptr);
}

// What one request gets; kept in the session until HTTP_WRITEABLE sends the body.
struct Response {
  int status = 200;
  std::string body;
  bool head = false;
};

// Per-session data is raw zeroed memory (lws does not construct C++ objects): one owning pointer.
struct Session {
  Response* pending;
};

// lws only logs why the bind failed; bind once more ourselves to name the cause.
absl::Status BindError(const std::string& host, int port) {
  const std::string address = absl::StrCat(host, ":", port);
  sockaddr_in6 sa6{};
  sockaddr_in sa4{};
  sockaddr* sa = nullptr;
  socklen_t sa_len = 0;
  if (inet_pton(AF_INET, host.empty() ? "0.0.0.0" : host.c_str(), &sa4.sin_addr) == 1) {
    sa4.sin_family = AF_INET;
    sa4.sin_port = htons(static_cast<uint16_t>(port));
    sa = reinterpret_cast<sockaddr*>(&sa4), sa_len = sizeof(sa4);
  } else if (inet_pton(AF_INET6, host.c_str(), &sa6.sin6_addr) == 1) {
    sa6.sin6_family = AF_INET6;
    sa6.sin6_port = htons(static_cast<uint16_t>(port));
    sa = reinterpret_cast<sockaddr*>(&sa6), sa_len = sizeof(sa6);
  }
  if (sa == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("health server cannot listen on ", address, ": '", host,
                                                   "' is not an IP address; set HEALTH_HOST to e.g. 0.0.0.0 or "
                                                   "127.0.0.1"));
  }
  const int err = ProbeBindErrno(sa, sa_len);
  if (err == EADDRNOTAVAIL) {
    return absl::UnavailableError(absl::StrCat("health server cannot listen on ", address,
                                               ": no local interface has this address; set HEALTH_HOST to a local "
                                               "address (0.0.0.0 for all)"));
  }
  std::string why = err == 0 || err == EADDRINUSE ? "address in use" : std::strerror(err);
  return absl::UnavailableError(absl::StrCat("health server cannot listen on ", address, ": ", why,
                                             "; set HEALTH_PORT to a free port (or 0)"));
}

std::string NotFoundBody() {
  return R"({"error":"not found","endpoints":["/livez","/healthz","/statusz"]})";
}

}  // namespace

struct HealthServer::Impl {
  HealthOptions options;
  LwsServerThread server;
  int bound_port = 0;
  lws_protocols protocols[2] = {};

  Response Respond(const char* method, std::string_view uri) {
    Response r;
    if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
      r.status = 405;
      r.body = R"({"error":"method not allowed","allowed":["GET","HEAD"]})";
      return r;
    }
    r.head = std::strcmp(method, "HEAD") == 0;
    if (size_t q = uri.find('?'); q != std::string_view::npos) uri = uri.substr(0, q);
    if (uri == "/livez") {
      r.body = R"({"status":"alive"})";
    } else if (uri == "/healthz") {
      std::string reason;
      bool ready = options.ready ? options.ready(&reason) : false;
      if (!options.ready) reason = "no readiness check configured";
      if (ready) {
        r.body = R"({"status":"ready"})";
      } else {
        r.status = 503;
        edge::protocol::JsonWriter(r.body).BeginObject().Key("status").String("not_ready").Key("reason").String(
            reason).EndObject();
      }
    } else if (uri == "/statusz") {
      r.body = options.statusz ? options.statusz() : "{}";
    } else {
      r.status = 404;
      r.body = NotFoundBody();
    }
    return r;
  }

  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
};

namespace {

bool HasRequestBody(lws* wsi) {
  char length[32] = {};
  if (lws_hdr_copy(wsi, length, sizeof(length), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
    return std::strtoll(length, nullptr, 10) > 0;
  }
  return lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
}

int WriteHeaders(lws* wsi, const Response& r) {
  unsigned char buffer[LWS_PRE + 512];
  unsigned char* start = buffer + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buffer + sizeof(buffer) - 1;
  if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(r.status), "application/json", r.body.size(), &p,
                                  end) != 0) {
    return -1;
  }
  static constexpr char kNoStore[] = "no-store";
  if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("cache-control:"),
                                  reinterpret_cast<const unsigned char*>(kNoStore), sizeof(kNoStore) - 1, &p,
                                  end) != 0) {
    return -1;
  }
  if (r.status == 405) {
    static constexpr char kAllow[] = "GET, HEAD";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("allow:"),
                                    reinterpret_cast<const unsigned char*>(kAllow), sizeof(kAllow) - 1, &p,
                                    end) != 0) {
      return -1;
    }
  }
  return lws_finalize_write_http_header(wsi, start, &p, end) != 0 ? -1 : 0;
}

}  // namespace

int HealthServer::Impl::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* session = static_cast<Session*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP: {
      auto* impl = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
      std::string_view uri = in != nullptr ? std::string_view(static_cast<const char*>(in), len) : "/";
      delete session->pending;
      session->pending = new Response(impl->Respond(LwsRequestMethod(wsi), uri));
      // lws only offers HTTP_WRITEABLE once a request body has been read: answer after BODY_COMPLETION.
      if (!HasRequestBody(wsi)) lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_HTTP_BODY:
      return 0;  // no endpoint takes a body; drained so the socket stays usable
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (session != nullptr && session->pending != nullptr) lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      if (session == nullptr || session->pending == nullptr) return 0;
      std::unique_ptr<Response> r(session->pending);
      session->pending = nullptr;
      if (WriteHeaders(wsi, *r) != 0) return -1;
      if (!r->head) {
        std::string out(LWS_PRE, '\0');
        out += r->body;
        const size_t n = r->body.size();
        if (lws_write(wsi, reinterpret_cast<unsigned char*>(out.data()) + LWS_PRE, n, LWS_WRITE_HTTP_FINAL) <
            static_cast<int>(n)) {
          return -1;
        }
      }
      return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
      if (session != nullptr) {
        delete session->pending;
        session->pending = nullptr;
      }
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

HealthServer::HealthServer(HealthOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

HealthServer::~HealthServer() { Stop(); }

absl::Status HealthServer::Start() {
  Impl& impl = *impl_;
  if (impl.server.running()) return absl::FailedPreconditionError("health server already started");
  const HealthOptions& o = impl.options;
  if (o.port < 0 || o.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("health server port ", o.port,
                                                   " is out of range: set HEALTH_PORT to 0-65535 (0: any free port)"));
  }
  g_lws_logger.store(o.logger != nullptr ? o.logger : &Logger::Default());
  lws_set_log_level(LLL_ERR | LLL_WARN, &LwsLog);

  impl.protocols[0] = {};
  impl.protocols[0].name = "edge-health";
  impl.protocols[0].callback = &Impl::Callback;
  impl.protocols[0].per_session_data_size = sizeof(Session);

  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  // Plain HTTP only: no LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT, which would initialise OpenSSL (~1.8 MiB RSS).
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.fd_limit_per_thread = 32;  // a handful of probes, not a web server
  info.user = &impl;
  // "0.0.0.0" means IPv4 only, as it would for any other server; lws would otherwise bind [::] for it.
  if (o.host == "0.0.0.0") info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  lws_context* context = lws_create_context(&info);
  if (context == nullptr) return absl::InternalError("health server: cannot create the libwebsockets context");

  lws_context_creation_info vinfo{};
  vinfo.port = o.port;
  vinfo.iface = o.host == "0.0.0.0" || o.host.empty() ? nullptr : o.host.c_str();
  vinfo.protocols = impl.protocols;
  vinfo.vhost_name = "edge-health";
  vinfo.options = info.options & LWS_SERVER_OPTION_DISABLE_IPV6;
  lws_vhost* vhost = lws_create_vhost(context, &vinfo);
  int port = vhost != nullptr ? lws_get_vhost_listen_port(vhost) : 0;
  if (vhost == nullptr || port <= 0) {
    lws_context_destroy(context);
    ReleaseLwsLogger(o.logger);
    return BindError(o.host, o.port);
  }
  impl.bound_port = port;
  impl.server.Start(context, "ec-health");
  return absl::OkStatus();
}

int HealthServer::port() const { return impl_->bound_port; }

void HealthServer::Stop() {
  Impl& impl = *impl_;
  if (!impl.server.running()) return;
  impl.server.Stop();
  ReleaseLwsLogger(impl.options.logger);
}

}  // namespace edge::runtime
