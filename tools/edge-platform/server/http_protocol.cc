// HttpProtocol: lws HTTP server callbacks -> api::Api.
#include "server/http_protocol.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace edge::platform::server {

namespace {

constexpr size_t kFileChunkBytes = 64 * 1024;  // one lws_write per WRITEABLE while streaming a file
constexpr int kEarlyAnswerTimeoutS = 10;       // a refused body still arriving: how long we keep draining it
constexpr int kFileProgressTimeoutS = 30;      // a download client that takes no data for this long is dropped

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
  std::optional<std::string> Header(std::string_view name) const override;

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
  bool dispatched() const { return dispatched_; }
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

// A file answer being sent, one chunk per WRITEABLE.
struct FileStream {
  ~FileStream() {
    if (fd >= 0) close(fd);
  }
  int fd = -1;
  uint64_t size = 0;
  uint64_t sent = 0;
  api::FileBody::Fault fault = api::FileBody::Fault::kNone;
  std::vector<unsigned char> buffer;
};

// lws 4.1.6 hands a chunked request body to LWS_CALLBACK_HTTP_BODY still framed and never reports its end
// (observed: BODY with the raw "226\r\n...\r\n0\r\n\r\n", no BODY_COMPLETION). For the streamed route this
// undoes the framing (RFC 9112 section 7.1) and says when the last chunk has arrived.
class ChunkedDecoder {
 public:
  // Feeds raw bytes, passing the payload to `out`. False when the framing is malformed.
  template <typename Out>
  bool Feed(std::string_view in, Out&& out) {
    while (!in.empty() && state_ != State::kDone) {
      if (state_ == State::kData) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size()));
        out(in.substr(0, n));
        in.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDataCr;
        continue;
      }
      const char c = in.front();
      in.remove_prefix(1);
      if (!Step(c)) return false;
    }
    return true;
  }
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kSize, kExtension, kSizeLf, kData, kDataCr, kDataLf, kTrailer, kTrailerLf, kDone };

  bool Step(char c) {
    switch (state_) {
      case State::kSize: {
        const int digit = HexDigit(c);
        if (digit >= 0) {
          if (++digits_ > 15) return false;  // no chunk is near 2^60 bytes
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(digit);
          return true;
        }
        if (digits_ == 0) return false;
        if (c == '\r') {
          state_ = State::kSizeLf;
          return true;
        }
        state_ = State::kExtension;  // ";name=value" or whitespace before it: ignored
        return c == ';' || c == ' ' || c == '\t';
      }
      case State::kExtension:
        if (c == '\r') state_ = State::kSizeLf;
        return true;
      case State::kSizeLf:
        if (c != '\n') return false;
        state_ = remaining_ == 0 ? State::kTrailer : State::kData;
        line_empty_ = true;
        return true;
      case State::kDataCr:
        state_ = State::kDataLf;
        return c == '\r';
      case State::kDataLf:
        state_ = State::kSize;
        digits_ = 0;
        return c == '\n';
      case State::kTrailer:  // trailer fields, ignored, up to an empty line
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else {
          line_empty_ = false;
        }
        return true;
      case State::kTrailerLf:
        if (c != '\n') return false;
        state_ = line_empty_ ? State::kDone : State::kTrailer;
        line_empty_ = true;
        return true;
      case State::kData:
      case State::kDone:
        return true;
    }
    return false;
  }
  static int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  State state_ = State::kSize;
  uint64_t remaining_ = 0;
  int digits_ = 0;
  bool line_empty_ = true;
};

// Per-connection C++ state; lws's per-session memory only holds a pointer to it (stack-notes P7).
struct Session {
  std::shared_ptr<LwsExchange> current;
  std::unique_ptr<FileStream> file;
  std::optional<ChunkedDecoder> chunked;  // a chunked body on the streamed route (lws passes it framed)
  bool body_pending = false;      // the request announced a body that has not completed yet
  bool close_after_body = false;  // answered before the body was read: drop the rest, then close
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

std::optional<std::string> LwsExchange::Header(std::string_view name) const {
  if (wsi_ == nullptr || name.empty()) return std::nullopt;
  const std::string key = absl::AsciiStrToLower(std::string(name)) + ":";
  // lws parses well-known headers into tokens ("content-type:") and keeps the rest as custom headers.
  for (int t = 0; t < static_cast<int>(WSI_TOKEN_COUNT); ++t) {
    const unsigned char* token_name = lws_token_to_string(static_cast<lws_token_indexes>(t));
    if (token_name == nullptr || key != reinterpret_cast<const char*>(token_name)) continue;
    if (lws_hdr_total_length(wsi_, static_cast<lws_token_indexes>(t)) <= 0) return std::nullopt;
    return server::Header(wsi_, static_cast<lws_token_indexes>(t));
  }
  if (lws_hdr_custom_length(wsi_, key.c_str(), static_cast<int>(key.size())) < 0) return std::nullopt;
  return CustomHeader(wsi_, key.c_str());
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

// The status line and headers; `content_length` is the body's size. False when the connection must close.
bool WriteHead(lws* wsi, const api::HttpResponse& response, uint64_t content_length) {
  std::string head(LWS_PRE + 2048, '\0');
  unsigned char* start = reinterpret_cast<unsigned char*>(head.data()) + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = reinterpret_cast<unsigned char*>(head.data()) + head.size();
  if (lws_add_http_common_headers(wsi, static_cast<unsigned>(response.status), response.content_type.c_str(),
                                  content_length, &p, end) != 0) {
    return false;
  }
  auto add = [&](const std::string& name, const std::string& value) {
    std::string key = name + ":";
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(key.c_str()),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), &p, end) == 0;
  };
  if (!add("cache-control", "no-store")) return false;
  if (response.close_connection && !add("connection", "close")) return false;
  for (const auto& [name, value] : response.headers) {
    if (!add(name, value)) return false;
  }
  return lws_finalize_write_http_header(wsi, start, &p, end) == 0;
}

// Headers then the in-memory body; false when the connection must close.
bool WriteResponse(lws* wsi, const api::HttpResponse& response) {
  if (!WriteHead(wsi, response, response.body.size())) return false;
  std::string body(LWS_PRE, '\0');
  body += response.body;
  unsigned char* payload = reinterpret_cast<unsigned char*>(body.data()) + LWS_PRE;
  // A short write is buffered by lws and still reported as complete (stack-notes P4).
  int n = lws_write(wsi, payload, response.body.size(), LWS_WRITE_HTTP_FINAL);
  return n >= static_cast<int>(response.body.size());
}

// Opens the file of a file answer and writes the headers. Null when the file cannot be read (the caller then
// answers 500 instead).
std::unique_ptr<FileStream> StartFile(const api::FileBody& file) {
  auto stream = std::make_unique<FileStream>();
  stream->fd = open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (stream->fd < 0) return nullptr;
  stream->size = file.size;
  stream->fault = file.fault;
  stream->buffer.resize(LWS_PRE + kFileChunkBytes);
  return stream;
}

// Sends the next chunk of a file answer. Returns what the callback returns: 0 to go on, -1 to close.
int ContinueFile(lws* wsi, Session& s) {
  FileStream& f = *s.file;
  using Fault = api::FileBody::Fault;
  uint64_t stop = f.size;
  if (f.fault == Fault::kStall || f.fault == Fault::kTruncate) stop = f.size / 2;
  if (f.sent >= stop && f.sent < f.size) {
    if (f.fault == Fault::kTruncate) return -1;
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    return 0;  // kStall: never asks for WRITEABLE again; the client's timeout ends it
  }
  // lws's own timeout (about 5 s) would cut a slow download short; this one only fires without progress.
  lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, kFileProgressTimeoutS);
  const size_t n = static_cast<size_t>(std::min<uint64_t>(kFileChunkBytes, stop - f.sent));
  unsigned char* data = f.buffer.data() + LWS_PRE;
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(f.fd, data + got, n - got, static_cast<off_t>(f.sent + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;  // the file shrank or vanished under us: the client sees a short body
    got += static_cast<size_t>(r);
  }
  if (f.fault == Fault::kCorrupt && n > 0) data[n / 2] ^= 0x5a;  // one byte per chunk: the SHA-256 differs
  const bool last = f.sent + n == f.size;
  if (lws_write(wsi, data, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < static_cast<int>(n)) return -1;
  f.sent += n;
  if (!last) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  s.file.reset();
  return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

// Writes the answer waiting on the connection. Returns what the callback returns.
int WriteAnswer(lws* wsi, Session& s, api::HttpResponse response) {
  if (response.file) {
    std::unique_ptr<FileStream> stream = StartFile(*response.file);
    if (stream == nullptr) {
      const std::string path = response.file->path;
      response = api::HttpResponse{};
      response.status = 500;
      response.body = R"({"error":{"code":"internal","message":"the file of this answer vanished while it was )"
                      R"(being sent; retry the request"}})";
    } else {
      if (!WriteHead(wsi, response, stream->size)) return -1;
      s.file = std::move(stream);
      lws_callback_on_writable(wsi);
      return 0;
    }
  }
  if (!WriteResponse(wsi, response)) return -1;
  if (response.close_connection) {
    if (!s.body_pending) return -1;
    // The client may still be sending the body we refused: closing now would reset the connection under
    // its reading of this answer. Drop what arrives, close once it is complete, or after a timeout.
    s.close_after_body = true;
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, kEarlyAnswerTimeoutS);
    return 0;
  }
  return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

void Dispatch(api::Api* api, Session& s) {
  if (s.current->MarkDispatched()) api->Handle(s.current);
}

// The request body is complete (lws's BODY_COMPLETION, or the last chunk of a chunked one).
int BodyComplete(lws* wsi, Session& s, api::Api* api) {
  s.body_pending = false;
  if (s.close_after_body) return -1;  // the early answer went out; the refused body is drained
  if (!s.current) return 0;
  // A tool call may take minutes: no lws timeout while the answer is pending.
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  api::HttpRequest& req = s.current->mutable_request();
  if (req.body_sink != nullptr && !s.current->dispatched()) req.body_sink->Finish();
  Dispatch(api, s);
  return 0;
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
      s.file.reset();
      s.chunked.reset();
      s.body_pending = false;
      s.close_after_body = false;
      s.current = std::make_shared<LwsExchange>(wsi);
      api::HttpRequest& req = s.current->mutable_request();
      req.method = Method(wsi);
      req.path = in != nullptr ? std::string(static_cast<const char*>(in)) : "/";
      req.query = Query(wsi);
      req.authorization = Header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
      req.org_header = CustomHeader(wsi, "x-edge-org:");
      req.content_type = Header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
      uint64_t content_length = 0;
      if (absl::SimpleAtoi(Header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH), &content_length)) {
        req.content_length = content_length;
      }
      const bool chunked =
          absl::StrContains(absl::AsciiStrToLower(Header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)), "chunked");
      // The Api decides which bodies go to disk (POST /api/v1/bundles); the rest are buffered.
      req.body_sink = self->api_->NewBodySink(req);
      if (chunked && req.body_sink != nullptr) s.chunked.emplace();
      s.body_pending = content_length > 0 || s.chunked.has_value();
      if (req.body_sink != nullptr && !req.body_sink->WantsBody()) {
        Dispatch(self->api_, s);  // refused unread: the handler answers, the body is dropped
        return 0;
      }
      if (s.body_pending) {
        // The body follows in LWS_CALLBACK_HTTP_BODY chunks; dispatch on completion.
        if (req.body_sink == nullptr) req.body.reserve(std::min<uint64_t>(content_length, api::kMaxRequestBodyBytes));
        return 0;
      }
      Dispatch(self->api_, s);
      return 0;
    }
    case LWS_CALLBACK_HTTP_BODY: {
      if (pss == nullptr || pss->session == nullptr || self == nullptr) return 0;
      Session& s = *pss->session;
      std::string_view data(static_cast<const char*>(in), len);
      if (s.chunked) {
        // Decoded here; the end of the last chunk stands in for lws's BODY_COMPLETION.
        api::BodySink* sink = s.current && !s.close_after_body && !s.current->dispatched()
                                  ? s.current->mutable_request().body_sink.get()
                                  : nullptr;
        if (!s.chunked->Feed(data, [&](std::string_view payload) {
              if (sink != nullptr) sink->Append(payload);
            })) {
          return -1;  // malformed framing: nothing sensible to answer
        }
        return s.chunked->done() ? BodyComplete(wsi, s, self->api_) : 0;
      }
      if (!s.current || s.close_after_body || s.current->dispatched()) return 0;  // answered already: drop it
      api::HttpRequest& req = s.current->mutable_request();
      if (req.body_sink != nullptr) {
        req.body_sink->Append(data);
      } else if (req.body.size() + len > api::kMaxRequestBodyBytes) {
        req.body_too_large = true;  // keep draining; the answer is a 413 at completion
      } else {
        req.body.append(data);
      }
      return 0;
    }
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
      if (pss == nullptr || pss->session == nullptr || self == nullptr) return 0;
      return BodyComplete(wsi, *pss->session, self->api_);
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      if (pss == nullptr || pss->session == nullptr) return 0;
      Session& s = *pss->session;
      if (s.file) return ContinueFile(wsi, s);
      if (!s.current) return 0;
      std::shared_ptr<LwsExchange> ex = s.current;
      std::optional<api::HttpResponse> response = ex->TakeResponse();
      if (!response) return 0;
      s.current.reset();
      ex->Detach();  // answered: nothing may reach this wsi through the exchange any more
      // Answered before its body was read: the unread rest cannot be parsed as the next request. After a
      // chunked body lws still believes the body goes on until the connection ends.
      if (s.body_pending || s.chunked) response->close_connection = true;
      return WriteAnswer(wsi, s, *std::move(response));
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
