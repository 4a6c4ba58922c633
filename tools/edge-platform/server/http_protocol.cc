// HttpProtocol: lws HTTP server callbacks -> api::Api.
#include "server/http_protocol.h"

#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"

namespace edge::platform::server {

namespace {

// One request/response on a connection.
class LwsExchange : public api::HttpExchange {
 public:
  explicit LwsExchange(lws* wsi) : wsi_(wsi) {}

  const api::HttpRequest& request() const override { return request_; }
  api::HttpRequest& mutable_request() { return request_; }

  void Respond(api::HttpResponse response) override {
    if (responded_) return;
    responded_ = true;
    on_abandoned_ = nullptr;
    if (wsi_ == nullptr) return;  // the client has gone
    response_ = std::move(response);
    lws_callback_on_writable(wsi_);
  }
  void OnAbandoned(absl::AnyInvocable<void()> f) override { on_abandoned_ = std::move(f); }

  // The connection is closing: forget the wsi, then let a pending handler clean up.
  void Detach() {
    wsi_ = nullptr;
    response_.reset();
    if (!responded_ && on_abandoned_) {
      absl::AnyInvocable<void()> f = std::move(on_abandoned_);
      on_abandoned_ = nullptr;
      f();
    }
  }
  // lws may report BODY_COMPLETION for a POST with Content-Length: 0 that was already dispatched: run each
  // request once (true the first time).
  bool MarkDispatched() {
    if (dispatched_) return false;
    dispatched_ = true;
    return true;
  }
  std::optional<api::HttpResponse> TakeResponse() {
    std::optional<api::HttpResponse> r = std::move(response_);
    response_.reset();
    return r;
  }

 private:
  lws* wsi_;
  api::HttpRequest request_;
  std::optional<api::HttpResponse> response_;
  bool responded_ = false;
  bool dispatched_ = false;
  absl::AnyInvocable<void()> on_abandoned_;
};

// Per-connection C++ state; lws's per-session memory only holds a pointer to it (stack-notes P7).
struct Session {
  std::shared_ptr<LwsExchange> current;
};
struct PerSession {
  Session* session;
};

std::string Header(lws* wsi, lws_token_indexes token) {
  int n = lws_hdr_total_length(wsi, token);
  if (n <= 0) return "";
  std::string out(static_cast<size_t>(n) + 1, '\0');
  int got = lws_hdr_copy(wsi, out.data(), n + 1, token);
  out.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return out;
}

std::string CustomHeader(lws* wsi, const char* name) {
  const int name_len = static_cast<int>(std::strlen(name));
  int n = lws_hdr_custom_length(wsi, name, name_len);
  if (n <= 0) return "";
  std::string out(static_cast<size_t>(n) + 1, '\0');
  int got = lws_hdr_custom_copy(wsi, out.data(), n + 1, name, name_len);
  out.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return out;
}

std::string Method(lws* wsi) {
  static constexpr std::pair<lws_token_indexes, const char*> kMethods[] = {
      {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},   {WSI_TOKEN_DELETE_URI, "DELETE"},
      {WSI_TOKEN_PUT_URI, "PUT"},       {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
      {WSI_TOKEN_HEAD_URI, "HEAD"},
  };
  for (const auto& [token, name] : kMethods) {
    if (lws_hdr_total_length(wsi, token) > 0) return name;
  }
  return "UNKNOWN";
}

std::string Query(lws* wsi) {
  std::string out;
  char buf[1024];
  for (int i = 0; lws_hdr_copy_fragment(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_URI_ARGS, i) > 0; ++i) {
    if (!out.empty()) out += '&';
    out += buf;
  }
  return out;
}

// Headers then body; false when the connection must close.
bool WriteResponse(lws* wsi, const api::HttpResponse& response) {
  std::string head(LWS_PRE + 2048, '\0');
  unsigned char* start = reinterpret_cast<unsigned char*>(head.data()) + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = reinterpret_cast<unsigned char*>(head.data()) + head.size();
  if (lws_add_http_common_headers(wsi, static_cast<unsigned>(response.status), "application/json",
                                  response.body.size(), &p, end) != 0) {
    return false;
  }
  auto add = [&](const std::string& name, const std::string& value) {
    std::string key = name + ":";
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(key.c_str()),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), &p, end) == 0;
  };
  if (!add("cache-control", "no-store")) return false;
  for (const auto& [name, value] : response.headers) {
    if (!add(name, value)) return false;
  }
  if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) return false;
  std::string body(LWS_PRE, '\0');
  body += response.body;
  unsigned char* payload = reinterpret_cast<unsigned char*>(body.data()) + LWS_PRE;
  // A short write is buffered by lws and still reported as complete (stack-notes P4).
  int n = lws_write(wsi, payload, response.body.size(), LWS_WRITE_HTTP_FINAL);
  return n >= static_cast<int>(response.body.size());
}

}  // namespace

HttpProtocol::HttpProtocol(api::Api* api) : api_(api) {
  protocols_[0].name = "edge-platform-http";
  protocols_[0].callback = &HttpProtocol::Callback;
  protocols_[0].per_session_data_size = sizeof(PerSession);
  protocols_[0].user = this;
}

int HttpProtocol::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* pss = static_cast<PerSession*>(user);
  const lws_protocols* protocol = lws_get_protocol(wsi);
  auto* self = protocol != nullptr ? static_cast<HttpProtocol*>(protocol->user) : nullptr;
  switch (reason) {
    case LWS_CALLBACK_HTTP: {
      if (pss == nullptr || self == nullptr) return -1;
      if (pss->session == nullptr) pss->session = new Session();
      Session& s = *pss->session;
      if (s.current) s.current->Detach();  // a pipelined request while the previous one waits: drop it
      s.current = std::make_shared<LwsExchange>(wsi);
      api::HttpRequest& req = s.current->mutable_request();
      req.method = Method(wsi);
      req.path = in != nullptr ? std::string(static_cast<const char*>(in)) : "/";
      req.query = Query(wsi);
      req.authorization = Header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
      req.org_header = CustomHeader(wsi, "x-edge-org:");
      req.content_type = Header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
      uint64_t content_length = 0;
      if (absl::SimpleAtoi(Header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH), &content_length) && content_length > 0) {
        // The body follows in LWS_CALLBACK_HTTP_BODY chunks; dispatch on completion.
        req.body.reserve(std::min<uint64_t>(content_length, api::kMaxRequestBodyBytes));
        return 0;
      }
      if (s.current->MarkDispatched()) self->api_->Handle(s.current);
      return 0;
    }
    case LWS_CALLBACK_HTTP_BODY: {
      if (pss == nullptr || pss->session == nullptr || !pss->session->current) return 0;
      api::HttpRequest& req = pss->session->current->mutable_request();
      if (req.body.size() + len > api::kMaxRequestBodyBytes) {
        req.body_too_large = true;  // keep draining; the answer is a 413 at completion
      } else {
        req.body.append(static_cast<const char*>(in), len);
      }
      return 0;
    }
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
      if (pss == nullptr || pss->session == nullptr || !pss->session->current || self == nullptr) return 0;
      // A tool call may take minutes: no lws timeout while the answer is pending.
      lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
      if (pss->session->current->MarkDispatched()) self->api_->Handle(pss->session->current);
      return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      if (pss == nullptr || pss->session == nullptr || !pss->session->current) return 0;
      std::shared_ptr<LwsExchange> ex = pss->session->current;
      std::optional<api::HttpResponse> response = ex->TakeResponse();
      if (!response) return 0;
      pss->session->current.reset();
      ex->Detach();  // answered: nothing may reach this wsi through the exchange any more
      if (!WriteResponse(wsi, *response)) return -1;
      return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL: {
      if (pss == nullptr || pss->session == nullptr) return 0;
      Session* s = pss->session;
      pss->session = nullptr;
      if (s->current) s->current->Detach();
      delete s;
      return 0;
    }
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace edge::platform::server
