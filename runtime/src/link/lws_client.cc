// The lws side of the link: the protocol callback, connection attempts, the write and receive paths, how a
// connection ends (and which backoff follows), and the timers.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "edge/protocol/protocol.h"
#include "link/link_impl.h"

namespace edge::runtime {
namespace link {
namespace {

std::atomic<Logger*> g_lws_logger{nullptr};

void EmitLwsLine(int level, const char* line) {
  Logger* logger = g_lws_logger.load();
  if (logger == nullptr) logger = &Logger::Default();
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  logger->Log((level & LLL_ERR) != 0 ? LogLevel::kError : LogLevel::kWarn, "lws", text);
}

// lws's client-side idle policy: our own heartbeats detect a dead platform; this only keeps lws's default
// keepalive from hanging up a quiet but healthy link.
const lws_retry_bo_t kIdlePolicy = {
    .retry_ms_table = nullptr,
    .retry_ms_table_count = 0,
    .conceal_count = 0,
    .secs_since_valid_ping = 300,
    .secs_since_valid_hangup = 330,
    .jitter_percent = 0,
};

constexpr absl::Duration kCloseGrace = absl::Seconds(1);
// The receive buffer is reused across messages up to this capacity (OnReceive).
constexpr size_t kKeptReceiveBufferBytes = 64 * 1024;

}  // namespace

Cork::Cork(int fd) : fd_(fd) {
  int on = 1;
  if (fd_ >= 0 && setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) != 0) fd_ = -1;
}

void Cork::Release() {
  if (fd_ < 0) return;
  int off = 0;
  setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));  // pushes whatever the cork held
  fd_ = -1;
}

void InstallLwsLogger(Logger* logger) {
  g_lws_logger.store(logger);
  lws_set_log_level(LLL_ERR | LLL_WARN, EmitLwsLine);
}

void UninstallLwsLogger(Logger* logger) {
  Logger* expected = logger;
  g_lws_logger.compare_exchange_strong(expected, nullptr);
}

}  // namespace link

using link::kComponent;
using link::RetryKind;
using link::Session;

Session* Link::Impl::SessionFor(lws* wsi) {
  if (session == nullptr || session->ended || wsi == nullptr) return nullptr;
  auto serial = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(lws_get_opaque_user_data(wsi)));
  if (serial != session->serial) return nullptr;
  if (session->wsi == nullptr) session->wsi = wsi;  // callbacks can run inside lws_client_connect_via_info
  return session->wsi == wsi ? session.get() : nullptr;
}

void Link::Impl::ArmTimer(Timer& timer, absl::Duration delay, sul_cb_t cb) {
  if (context == nullptr || quit.load()) return;
  timer.impl = this;
  lws_sul_schedule(context, 0, &timer.sul, cb, std::max<int64_t>(0, absl::ToInt64Microseconds(delay)));
}

void Link::Impl::DisarmTimers() {
  for (Timer* t : {&retry_timer, &connect_timer, &heartbeat_timer, &progress_timer, &stable_timer, &kill_timer}) {
    lws_sul_cancel(&t->sul);
  }
}

void Link::Impl::FailAttempt(std::string error) {
  logger.Error(kComponent, error);
  UpdateStatus([&](LinkStatus& s) { s.last_error = error; });
  ScheduleRetry(RetryKind::kSlow, 0);
}

void Link::Impl::StartAttempt() {
  if (stopping || session != nullptr) return;
  UpdateStatus([](LinkStatus& s) {
    ++s.connect_attempts;
    s.next_attempt_at.reset();
  });
  auto s = std::make_unique<Session>();
  s->serial = next_serial++;
  if (options.credentials) {
    absl::StatusOr<LinkCredentials> credentials = options.credentials();
    if (!credentials.ok()) {
      return FailAttempt(absl::StrCat("cannot connect to ", options.url, ": ", credentials.status().message()));
    }
    s->credentials = *std::move(credentials);
  }
  absl::StatusOr<link::LinkUrl> url = link::ParseLinkUrl(options.url);
  if (!url.ok()) return FailAttempt(std::string(url.status().message()));
  if (absl::Status policy = link::CheckTransportPolicy(*url, options.allow_insecure_ws); !policy.ok()) {
    return FailAttempt(std::string(policy.message()));
  }
  if (url->secure && options.tls_skip_verify) {
    logger.Warn(kComponent, "TLS certificate verification is disabled (tlsSkipVerify) for ", options.url,
                ": anyone on the path can impersonate the platform");
  } else if (!url->secure && options.allow_insecure_ws && !link::IsLoopbackHost(url->host)) {
    logger.Warn(kComponent, "sending credentials over unencrypted ws:// to ", url->host, " (allowInsecureWs)");
  }
  s->headers = link::HandshakeHeaders(s->credentials, identity);

  const std::string offered = link::OfferedSubprotocols();
  lws_client_connect_info ci{};
  ci.context = context;
  ci.address = url->host.c_str();
  ci.port = url->port;
  ci.path = url->path.c_str();
  ci.host = url->host.c_str();
  ci.origin = url->host.c_str();
  ci.protocol = offered.c_str();
  ci.local_protocol_name = link::kLocalProtocolName;
  ci.ssl_connection = link::ClientSslFlags(*url, options.tls_skip_verify);
  ci.retry_and_idle_policy = &link::kIdlePolicy;
  ci.opaque_user_data = reinterpret_cast<void*>(static_cast<uintptr_t>(s->serial));

  const uint64_t serial = s->serial;
  session = std::move(s);
  SetState(LinkState::kConnecting);
  logger.Debug(kComponent, "connecting to ", options.url);
  lws* wsi = lws_client_connect_via_info(&ci);
  if (session == nullptr || session->serial != serial || session->ended) return;  // failed inside the call
  if (wsi == nullptr) {
    if (session->failure.empty()) session->failure = absl::StrCat("could not start a connection to ", options.url);
    EndSession();
    return;
  }
  session->wsi = wsi;
  ArmTimer(connect_timer, absl::Milliseconds(options.connect_timeout_ms), [](lws_sorted_usec_list_t* sul) {
    Impl& impl = *reinterpret_cast<Timer*>(sul)->impl;
    if (impl.session == nullptr || impl.session->established || impl.session->ended) return;
    impl.session->failure = absl::StrCat("connecting to ", impl.options.url, " timed out after ",
                                         impl.options.connect_timeout_ms, " ms");
    impl.KillSession();
  });
}

int64_t Link::Impl::ScheduleRetry(RetryKind kind, int64_t hint_ms) {
  int64_t delay_ms = kind == RetryKind::kSlow         ? backoff.NextSlowMs()
                     : kind == RetryKind::kRetryAfter ? backoff.RetryAfterMs(hint_ms)
                                                      : backoff.NextNormalMs();
  const absl::Duration delay = absl::Milliseconds(delay_ms);
  logger.Info(kComponent, "reconnecting in ", absl::FormatDuration(delay),
              kind == RetryKind::kSlow ? " (slow backoff)" : "");
  SetState(LinkState::kBackoff);
  UpdateStatus([&](LinkStatus& s) { s.next_attempt_at = absl::Now() + delay; });
  ArmTimer(retry_timer, delay, [](lws_sorted_usec_list_t* sul) {
    reinterpret_cast<Timer*>(sul)->impl->StartAttempt();
  });
  return delay_ms;
}

void Link::Impl::EndSession() {
  if (session == nullptr || session->ended) return;
  Session& s = *session;
  s.ended = true;
  for (Timer* t : {&connect_timer, &heartbeat_timer, &progress_timer, &stable_timer, &kill_timer}) {
    lws_sul_cancel(&t->sul);
  }
  CancelSessionCalls();
  FailWebhookRelays("the link to the platform closed before the answer");

  std::string error = s.failure;
  if (error.empty()) {
    if (s.peer_close_code != 0) {
      error = absl::StrCat("platform closed the connection with ", s.peer_close_code,
                           s.peer_close_reason.empty() ? "" : absl::StrCat(" (", s.peer_close_reason, ")"));
    } else if (s.established) {
      error = "connection lost";
    } else {
      error = absl::StrCat("could not connect to ", options.url);
    }
  }
  if (!s.logged && !s.deliberate) {
    if (s.established) {
      logger.Warn(kComponent, "disconnected from ", options.url, ": ", error);
    } else {
      logger.Warn(kComponent, error);
    }
  } else if (s.deliberate) {
    logger.Info(kComponent, "disconnected from ", options.url, " (", s.close_code, " ", s.close_reason, ")");
  }
  const bool deliberate = s.deliberate;
  in_flight.store(0, std::memory_order_relaxed);
  UpdateStatus([&](LinkStatus& st) {
    st.registered = false;
    st.connected_since.reset();
    st.session_id.clear();
    if (!deliberate) st.last_error = error;
  });
  const RetryKind kind = s.retry;
  const int64_t hint = s.retry_after_ms;
  const bool duplicate = s.duplicate;
  const std::string deployment =
      !s.deployment_id.empty() ? s.deployment_id
                               : (s.credentials.deployment_id.empty() ? std::string("(from the credentials)")
                                                                      : s.credentials.deployment_id);
  session.reset();
  if (stopping) {
    MarkClosed();
    return;
  }
  const int64_t delay_ms = ScheduleRetry(kind, hint);
  if (duplicate) {
    const absl::Time now = absl::Now();
    // A second connector with the same deployment retries every ~45 s forever: say so now and then.
    if (now - last_duplicate_warning >= absl::Minutes(5)) {
      last_duplicate_warning = now;
      logger.Warn(kComponent, "Deployment already connected: another connector holds deployment ", deployment,
                  "; retrying in ", absl::FormatDuration(absl::Milliseconds(delay_ms)));
    }
  }
}

void Link::Impl::Send(std::string message, bool urgent) {
  if (session == nullptr || !session->established || session->ended || session->close_requested) {
    logger.Debug(kComponent, "dropping a message for a closed session");
    return;
  }
  if (urgent) {
    session->outq.push_front(std::move(message));
  } else {
    session->outq.push_back(std::move(message));
  }
  lws_callback_on_writable(session->wsi);
}

void Link::Impl::RequestClose(int code, std::string reason, absl::Duration kill_after) {
  if (session == nullptr || session->ended || session->close_requested) return;
  session->close_requested = true;
  session->close_code = code;
  session->close_reason = std::move(reason);
  lws_callback_on_writable(session->wsi);
  if (kill_after != absl::InfiniteDuration()) {
    // A dead or stuck peer never acknowledges the close: do not wait for lws's own close-ack timeout.
    ArmTimer(kill_timer, kill_after, [](lws_sorted_usec_list_t* sul) {
      reinterpret_cast<Timer*>(sul)->impl->KillSession();
    });
  }
}

void Link::Impl::KillSession() {
  if (session == nullptr || session->ended) return;
  if (session->wsi == nullptr) {
    EndSession();
    return;
  }
  lws_set_timeout(session->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

// A run of small queued messages goes out as one raw write of frames framed here (link/frame_batch.h); a
// message above kMaxBatchedMessage, or one after kMaxBatchBytes, takes lws_write's own path.
constexpr size_t kMaxBatchedMessage = 16 * 1024;
constexpr size_t kMaxBatchBytes = 256 * 1024;
// Spare buffers (link_impl.h): enough for a pipelined burst of small answers, at most 128 KiB kept.
constexpr size_t kMaxSpareBuffers = 64;
constexpr size_t kMaxSpareBufferBytes = 2048;

size_t Link::Impl::WriteBatch() {
  Session& s = *session;
  s.batch.Clear();
  size_t taken = 0;
  while (taken < s.outq.size()) {
    const std::string& message = s.outq[taken];
    if (message.size() > kMaxBatchedMessage ||
        s.batch.size() + link::FrameBatch::FrameBytes(message.size()) > kMaxBatchBytes ||
        !s.batch.AppendText(message)) {
      break;
    }
    ++taken;
  }
  if (taken < 2) return 0;  // nothing gained over lws_write
  // LWS_WRITE_RAW: the bytes are complete frames already; lws keeps what the socket does not take yet and
  // reports the pipe choked until it has sent it.
  if (lws_write(s.wsi, s.batch.frames(), s.batch.size(), LWS_WRITE_RAW) < static_cast<int>(s.batch.size())) {
    return SIZE_MAX;
  }
  for (size_t i = 0; i < taken; ++i) PopWritten(s);
  return taken;
}

void Link::Impl::PopWritten(link::Session& s) {
  std::string& written = s.outq.front();
  if (spare_buffers.size() < kMaxSpareBuffers && written.capacity() <= kMaxSpareBufferBytes) {
    written.clear();
    spare_buffers.push_back(std::move(written));
  }
  s.outq.pop_front();
}

std::string Link::Impl::TakeSpareBuffer() {
  if (spare_buffers.empty()) return std::string();
  std::string buffer = std::move(spare_buffers.back());
  spare_buffers.pop_back();
  return buffer;
}

int Link::Impl::OnWritable() {
  Session& s = *session;
  if (s.outq.size() > 1 && !lws_send_pipe_choked(s.wsi) && WriteBatch() == SIZE_MAX) {
    if (s.failure.empty()) s.failure = "writing to the platform failed";
    return -1;
  }
  // Several messages in one go (pipelined results): cork the socket so they leave in as few TCP segments
  // as fit, instead of one trip through the TCP stack per lws_write.
  const int fd = s.outq.size() > 1 ? lws_get_socket_fd(s.wsi) : -1;
  link::Cork cork(fd);
  while (!s.outq.empty() && !lws_send_pipe_choked(s.wsi)) {
    const std::string& message = s.outq.front();
    // The client masks in place: copy each message into a buffer behind LWS_PRE bytes of headroom.
    s.tx.resize(LWS_PRE + message.size());
    std::memcpy(s.tx.data() + LWS_PRE, message.data(), message.size());
    auto* payload = reinterpret_cast<unsigned char*>(s.tx.data()) + LWS_PRE;
    if (lws_write(s.wsi, payload, message.size(), LWS_WRITE_TEXT) < static_cast<int>(message.size())) {
      if (s.failure.empty()) s.failure = "writing to the platform failed";
      return -1;
    }
    PopWritten(s);
  }
  cork.Release();
  if (!s.outq.empty() || (s.close_requested && lws_send_pipe_choked(s.wsi))) {
    lws_callback_on_writable(s.wsi);
    return 0;
  }
  if (s.close_requested) {
    lws_close_reason(s.wsi, static_cast<lws_close_status>(s.close_code),
                     reinterpret_cast<unsigned char*>(s.close_reason.data()), s.close_reason.size());
    return -1;
  }
  return 0;
}

int Link::Impl::OnReceive(const char* data, size_t len) {
  Session& s = *session;
  if (s.discarding) return 0;
  if (lws_is_first_fragment(s.wsi)) s.rx.clear();
  if (lws_frame_is_binary(s.wsi)) {
    s.failure = "the platform sent a binary message; closed the link with 1003";
    logger.Error(kComponent, s.failure, " (a bug in one of the peers)");
    s.logged = true;
    s.discarding = true;  // closed from WRITEABLE, as for an oversize message (see below)
    RequestClose(protocol::kCloseUnsupportedData, protocol::FormatCloseReason(protocol::kCloseUnsupportedData),
                 absl::Seconds(1));
    return 0;
  }
  if (s.rx.size() + len > protocol::kMaxMessageBytes) {
    s.failure = absl::StrCat("the platform sent a message over the ", protocol::kMaxMessageBytes,
                             "-byte limit; closed the link with 1009");
    logger.Error(kComponent, s.failure, " (a bug in one of the peers)");
    s.logged = true;
    s.rx.clear();
    s.rx.shrink_to_fit();
    // Close from WRITEABLE, not by returning -1 here: lws 4.1.6 crashed (SIGSEGV in its rx parser) when the
    // receive callback failed in the middle of a large message. The rest of the message is discarded.
    s.discarding = true;
    RequestClose(protocol::kCloseMessageTooLarge,
                 protocol::FormatCloseReason(protocol::kCloseMessageTooLarge,
                                             {{"limit", std::to_string(protocol::kMaxMessageBytes)}}),
                 absl::Seconds(1));
    return 0;
  }
  s.rx.append(data, len);
  if (lws_is_final_fragment(s.wsi) && lws_remaining_packet_payload(s.wsi) == 0) {
    std::string message;
    message.swap(s.rx);  // OnMessage may end the session, and `s` with it
    OnMessage(message);
    // The buffer goes back for the next message, so receiving costs no malloc per message; a buffer grown
    // by one big message is let go rather than kept for the session.
    if (session != nullptr && session->rx.empty() && message.capacity() <= link::kKeptReceiveBufferBytes) {
      message.clear();
      session->rx.swap(message);
    }
  }
  return 0;
}

void Link::Impl::FailAuth(std::string_view reason) {
  Session& s = *session;
  std::string what;
  protocol::AuthFailure failure;
  if (!reason.empty() && protocol::ParseAuthFailureReason(reason, &failure)) {
    what = absl::StrCat(ToAbsl(reason), ": ", ToAbsl(protocol::AuthFailureMessage(failure)));
  } else if (!reason.empty()) {
    what = std::string(reason);
  } else {
    what = "platform rejected the credentials (HTTP 401)";
  }
  s.failure = absl::StrCat("Authentication failed: ", what, " (",
                           s.credentials.description.empty() ? "no credentials configured"
                                                             : s.credentials.description,
                           ")");
  s.retry = RetryKind::kSlow;
  s.logged = true;
  logger.Error(kComponent, s.failure);
}

void Link::Impl::OnConnectionError(lws* wsi, std::string_view text) {
  Session& s = *session;
  if (text.find("unauthorized") != std::string_view::npos) {
    char buf[256] = {};
    const std::string name = absl::StrCat(ToAbsl(protocol::header::kAuthError), ":");
    int n = lws_hdr_custom_copy(wsi, buf, sizeof(buf), name.c_str(), static_cast<int>(name.size()));
    FailAuth(n > 0 ? std::string_view(buf, static_cast<size_t>(n)) : std::string_view());
  } else if (!s.tls_error.empty()) {
    s.failure = s.tls_error;
  } else if (s.failure.empty()) {
    s.failure = absl::StrCat("could not connect to ", options.url, ": ",
                             ToAbsl(text.empty() ? std::string_view("connection failed") : text));
  }
  EndSession();
}

void Link::Impl::OnPeerClose(const unsigned char* data, size_t len) {
  Session& s = *session;
  s.peer_close_code = len >= 2 ? (data[0] << 8) | data[1] : 1005;
  s.peer_close_reason = len > 2 ? std::string(reinterpret_cast<const char*>(data) + 2, len - 2) : "";
  const protocol::CloseReason reason = protocol::ParseCloseReason(s.peer_close_reason);
  auto field = [&reason](const char* key) {
    auto it = reason.fields.find(key);
    return it == reason.fields.end() ? std::string() : it->second;
  };
  switch (s.peer_close_code) {
    case protocol::kCloseAlreadyConnected: {
      int64_t hint = 0;
      s.duplicate = true;
      s.logged = true;  // EndSession warns, rate-limited
      if (absl::SimpleAtoi(field("retryAfterMs"), &hint) && hint >= 0) {
        s.retry = RetryKind::kRetryAfter;
        s.retry_after_ms = hint;
      } else {
        s.retry = RetryKind::kSlow;
      }
      s.failure = absl::StrCat("Deployment already connected: another connector holds this deployment (",
                               s.peer_close_reason, ")");
      break;
    }
    case protocol::kCloseAuthFailed:
      FailAuth(field("reason"));
      break;
    case protocol::kCloseUnsupportedVersion: {
      std::string supported = field("supported");
      s.failure = absl::StrCat("platform supports ", supported.empty() ? s.peer_close_reason : supported,
                               "; this connector speaks ", ToAbsl(protocol::kSubprotocolV1), " (protocol ",
                               ToAbsl(protocol::kProtocolVersion), ")");
      s.retry = RetryKind::kSlow;
      s.logged = true;
      logger.Error(kComponent, s.failure);
      break;
    }
    case protocol::kCloseUnsupportedData:
    case protocol::kCloseMessageTooLarge:
    case protocol::kCloseProtocolViolation:
      s.failure = absl::StrCat("platform closed the link with ", s.peer_close_code, " (", s.peer_close_reason,
                               "): a bug in one of the peers");
      s.logged = true;
      logger.Error(kComponent, s.failure);
      break;
    default:
      break;  // normal backoff; EndSession describes it
  }
}

int Link::Impl::Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* impl = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
  if (impl == nullptr) return 0;
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      // A post woke the loop: ServiceLoop's drain after this lws_service runs what is queued.
      impl->inbox->Disarm();
      return 0;
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION: {
      Session* s = impl->SessionFor(wsi);
      if (len == 0 && s != nullptr && s->tls_error.empty()) {
        auto* store = static_cast<X509_STORE_CTX*>(user);
        s->tls_error = link::TlsVerifyError(X509_verify_cert_error_string(X509_STORE_CTX_get_error(store)),
                                            impl->options.ca_file);
      }
      return 0;
    }
    default:
      break;
  }
  Session* s = impl->SessionFor(wsi);
  if (s == nullptr) return 0;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len;
      for (const auto& [name, value] : s->headers) {
        if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name.c_str()),
                                        reinterpret_cast<const unsigned char*>(value.data()),
                                        static_cast<int>(value.size()), p, end) != 0) {
          s->failure = "the upgrade request's headers do not fit";
          return -1;
        }
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: {
      char buf[128] = {};
      int n = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_PROTOCOL);
      s->subprotocol = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
      return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      lws_sul_cancel(&impl->connect_timer.sul);
      s->established = true;
      if (!link::IsSpokenSubprotocol(s->subprotocol)) {
        s->failure = absl::StrCat("the platform answered subprotocol '", s->subprotocol, "'; this connector speaks ",
                                  ToAbsl(protocol::kSubprotocolV1));
        s->retry = RetryKind::kSlow;
        s->logged = true;
        impl->logger.Error(kComponent, s->failure);
        impl->RequestClose(protocol::kCloseUnsupportedVersion,
                           protocol::FormatCloseReason(protocol::kCloseUnsupportedVersion,
                                                       {{"supported", std::string(protocol::kSubprotocolV1)}}),
                           link::kCloseGrace);
        return 0;
      }
      impl->OnEstablished();
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      // `in` is a NUL-terminated text, or NULL.
      impl->OnConnectionError(wsi, in == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(in)));
      return 0;
    // Socket events: lws calls these after poll returned, and ServiceLoop drains the inbox before the next
    // poll, so posts from now on need not wake the loop.
    case LWS_CALLBACK_CLIENT_RECEIVE:
      impl->inbox->Disarm();
      return impl->OnReceive(static_cast<const char*>(in), len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      impl->inbox->Disarm();
      return impl->OnWritable();
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      impl->OnPeerClose(static_cast<const unsigned char*>(in), len);
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:  // the backstop: every wsi ends here, whatever ended it
      impl->EndSession();
      return 0;
    default:
      return 0;
  }
}

}  // namespace edge::runtime
