// The session protocol on the link thread: hello, register, heartbeats both ways, message dispatch, drain.
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "edge/protocol/errors.h"
#include "edge/protocol/protocol.h"
#include "link/link_impl.h"

namespace edge::runtime {
namespace {

using link::kComponent;
using link::PendingKind;
using link::PendingRequest;
using link::Session;

// Uptime is measured from when the runtime library was initialised, close enough to process start.
const absl::Time kProcessStart = absl::Now();

// A dead platform gets a short moment to acknowledge our 4008 before the socket is dropped.
constexpr absl::Duration kDeadPeerCloseGrace = absl::Milliseconds(250);
constexpr absl::Duration kProtocolCloseGrace = absl::Seconds(1);

protocol::RpcError MakeError(int code, std::string message) {
  protocol::RpcError error;
  error.code = code;
  error.message = std::move(message);
  return error;
}

std::string DescribeError(const protocol::RpcError& error) {
  return absl::StrCat(error.code, " ", error.message, error.data_json.empty() ? "" : " ", error.data_json);
}

}  // namespace

std::string Link::Impl::NextRequestId(PendingRequest pending) {
  std::string id = std::to_string(session->next_request_id++);
  session->pending.emplace(id, pending);
  return id;
}

void Link::Impl::OnEstablished() {
  Session& s = *session;
  ++sessions_established;
  const absl::Time now = absl::Now();
  UpdateStatus([&](LinkStatus& st) {
    if (sessions_established > 1) ++st.reconnects;
    st.connected_since = now;
  });
  SetState(LinkState::kHandshaking);
  protocol::HelloParams hello;
  hello.version = options.connector_version;
  hello.type = options.connector_type;
  hello.instance_id = instance_id;
  hello.hostname = hostname;
  hello.platform = platform;
  hello.max_concurrent_calls = options.max_concurrent_calls;
  hello.max_queued_calls = options.max_queued_calls;
  hello.heartbeat.interval_ms = options.heartbeat_interval_ms;
  hello.heartbeat.timeout_ms = options.heartbeat_timeout_ms;
  if (options.bundle_ref) hello.bundle = options.bundle_ref();
  if (options.relay_info) hello.relay = options.relay_info();
  (void)s;
  Send(protocol::EncodeRequest(NextRequestId({PendingKind::kHello}), protocol::method::kHello,
                               protocol::ToJson(hello)));
}

void Link::Impl::OnMessage(std::string& text) {
  absl::StatusOr<protocol::Envelope> envelope = protocol::DecodeMessage(text);
  if (!envelope.ok()) {
    const absl::Status& status = envelope.status();
    logger.Warn(kComponent, "invalid message from the platform: ", status.message());
    if (absl::IsDataLoss(status)) {
      Send(protocol::EncodeError("null", MakeError(protocol::kParseError, std::string(status.message()))));
    } else {
      Send(protocol::EncodeError(protocol::DecodeFailureId(status),
                                 MakeError(protocol::kInvalidRequest, std::string(status.message()))));
    }
    return;
  }
  switch (envelope->kind) {
    case protocol::MessageKind::kRequest: return OnRequest(*envelope);
    case protocol::MessageKind::kNotification: return OnNotification(*envelope);
    case protocol::MessageKind::kResult:
    case protocol::MessageKind::kError: return OnResponse(*envelope);
  }
}

void Link::Impl::OnResponse(const protocol::Envelope& envelope) {
  Session& s = *session;
  auto it = s.pending.find(envelope.id);
  if (it == s.pending.end()) {
    logger.Warn(kComponent, "dropping a response to unknown request id ", envelope.id);
    return;
  }
  const PendingRequest pending = it->second;
  s.pending.erase(it);
  switch (pending.kind) {
    case PendingKind::kHello: return OnHelloResponse(envelope);
    case PendingKind::kRegister: return OnRegisterResponse(envelope, pending.generation);
    case PendingKind::kHeartbeat: return OnHeartbeatResponse(envelope);
    case PendingKind::kWebhookRelay: return OnWebhookRelayResponse(envelope);
  }
}

void Link::Impl::OnHelloResponse(const protocol::Envelope& envelope) {
  Session& s = *session;
  absl::StatusOr<protocol::HelloResult> hello =
      envelope.kind == protocol::MessageKind::kResult
          ? protocol::ParseHelloResult(envelope.result)
          : absl::StatusOr<protocol::HelloResult>(absl::FailedPreconditionError(
                absl::StrCat("the platform refused connector.hello: ", DescribeError(envelope.error))));
  if (!hello.ok()) {
    s.failure = std::string(hello.status().message());
    s.logged = true;
    logger.Error(kComponent, s.failure);
    RequestClose(protocol::kCloseProtocolViolation,
                 protocol::FormatCloseReason(protocol::kCloseProtocolViolation), kProtocolCloseGrace);
    return;
  }
  s.hello_done = true;
  s.session_id = hello->session_id;
  s.org_id = hello->org_id;
  s.deployment_id = hello->deployment_id;
  const int64_t timeout_ms =
      protocol::EffectiveHeartbeatTimeoutMs(options.heartbeat_timeout_ms, hello->heartbeat.interval_ms);
  if (timeout_ms != options.heartbeat_timeout_ms) {
    logger.Warn(kComponent, "heartbeatTimeoutMs ", options.heartbeat_timeout_ms,
                " is too short for the platform's heartbeat interval of ", hello->heartbeat.interval_ms,
                " ms; using ", timeout_ms, " ms for this session");
  }
  s.heartbeat_timeout = absl::Milliseconds(timeout_ms);
  s.heartbeat_reference = absl::Now();
  UpdateStatus([&](LinkStatus& st) {
    st.session_id = s.session_id;
    st.org_id = s.org_id;
    st.deployment_id = s.deployment_id;
    st.last_error.clear();
  });
  logger.Info(kComponent, "connected to ", options.url, " as deployment ", s.deployment_id, " (org ", s.org_id,
              ", session ", s.session_id, ", platform ", hello->platform_name, " ", hello->platform_version, ")");
  ArmTimer(heartbeat_timer, absl::Milliseconds(options.heartbeat_interval_ms), [](lws_sorted_usec_list_t* sul) {
    reinterpret_cast<Timer*>(sul)->impl->OnHeartbeatTimer();
  });
  if (draining) {
    SendDraining();
    SetState(LinkState::kDraining);
    return;
  }
  SetState(LinkState::kRegistering);
  SendRegister();
}

void Link::Impl::SendRegister() {
  protocol::RegisterParams params;
  params.generation = catalog->generation();
  if (options.bundle_ref) params.bundle = options.bundle_ref();
  if (std::shared_ptr<const ToolRegistry> registry = catalog->Current(); registry != nullptr) {
    for (const auto& tool : registry->tools()) {
      params.tools.push_back({tool->descriptor().name, tool->descriptor().ToJson()});
    }
  }
  std::string params_json = protocol::ToJson(params);
  if (params_json.size() + 128 > protocol::kMaxMessageBytes) {
    logger.Error(kComponent, "tools.register for ", params.tools.size(), " tools would be ", params_json.size(),
                 " bytes, over the ", protocol::kMaxMessageBytes, "-byte message limit; registering nothing");
    return;
  }
  Send(protocol::EncodeRequest(NextRequestId({PendingKind::kRegister, params.generation}),
                               protocol::method::kRegister, params_json));
}

void Link::Impl::OnRegisterResponse(const protocol::Envelope& envelope, uint64_t generation) {
  Session& s = *session;
  absl::StatusOr<protocol::RegisterResult> result =
      envelope.kind == protocol::MessageKind::kResult
          ? protocol::ParseRegisterResult(envelope.result)
          : absl::StatusOr<protocol::RegisterResult>(absl::InvalidArgumentError(DescribeError(envelope.error)));
  if (!result.ok()) {
    // Stay connected (a fixed bundle re-registers), but not ready.
    s.registered = false;
    logger.Error(kComponent, "the platform rejected tools.register (generation ", generation,
                 "): ", result.status().message(), "; not ready until a register succeeds");
    UpdateStatus([](LinkStatus& st) { st.registered = false; });
    if (!draining) SetState(LinkState::kRegistering);
    return;
  }
  const bool first = !s.registered;
  s.registered = true;
  UpdateStatus([&](LinkStatus& st) {
    st.registered = true;
    st.registered_generation = generation;
  });
  logger.Info(kComponent, "registered ", result->tool_count, " tools (generation ", generation, ")");
  if (!draining) SetState(LinkState::kServing);
  if (first && options.on_serving) options.on_serving();
  if (first) {
    ArmTimer(stable_timer, absl::Milliseconds(options.stable_period_ms), [](lws_sorted_usec_list_t* sul) {
      reinterpret_cast<Timer*>(sul)->impl->OnStableTimer();
    });
  }
}

void Link::Impl::OnStableTimer() {
  if (session != nullptr && session->registered) backoff.Reset();
}

protocol::ConnectorStatus Link::Impl::CurrentConnectorStatus() const {
  protocol::ConnectorStatus st;
  st.state = draining ? "draining" : (session != nullptr && session->registered ? "serving" : "not_ready");
  const ExecutorStats stats = executor->Stats();
  st.running = stats.running;
  st.queued = stats.queued;
  st.abandoned = stats.abandoned;
  st.completed = stats.completed;
  st.failed = stats.failed;
  st.timed_out = stats.timed_out;
  st.cancelled = stats.cancelled;
  st.rejected_overloaded = stats.rejected_overloaded;
  st.late_results = stats.late_results;
  st.tools_generation = catalog->generation();
  if (options.bundle_ref) st.bundle = options.bundle_ref();
  if (std::shared_ptr<const ToolRegistry> registry = catalog->Current(); registry != nullptr) {
    st.tool_count = static_cast<int64_t>(registry->tools().size());
  }
  st.uptime_ms = absl::ToInt64Milliseconds(absl::Now() - kProcessStart);
  st.rss_bytes = ProcessRssBytes();
  st.reconnects = sessions_established > 1 ? sessions_established - 1 : 0;
  if (options.relay_info) st.relay = options.relay_info();
  return st;
}

void Link::Impl::OnHeartbeatTimer() {
  if (session == nullptr || session->ended || !session->hello_done || session->close_requested) return;
  Session& s = *session;
  const absl::Time now = absl::Now();
  const absl::Time deadline = s.heartbeat_reference + s.heartbeat_timeout;
  if (now > deadline) {
    s.failure = absl::StrCat("no heartbeat result from the platform for ",
                             absl::FormatDuration(absl::Floor(now - s.heartbeat_reference, absl::Milliseconds(1))),
                             " (timeout ", absl::FormatDuration(s.heartbeat_timeout), "): the platform is gone");
    s.logged = true;
    logger.Warn(kComponent, s.failure, "; closing with 4008");
    RequestClose(protocol::kCloseHeartbeatTimeout, protocol::FormatCloseReason(protocol::kCloseHeartbeatTimeout),
                 kDeadPeerCloseGrace);
    return;
  }
  protocol::HeartbeatParams params;
  params.seq = ++s.heartbeat_seq;
  params.sent_at_ms = absl::ToUnixMillis(now);
  params.status = CurrentConnectorStatus();
  Send(protocol::EncodeRequest(NextRequestId({PendingKind::kHeartbeat}), protocol::method::kHeartbeat,
                               protocol::ToJson(params)));
  // Wake at the next beat, or sooner to notice the deadline on time.
  const absl::Duration next =
      std::min(absl::Milliseconds(options.heartbeat_interval_ms), deadline - now + absl::Milliseconds(1));
  ArmTimer(heartbeat_timer, next, [](lws_sorted_usec_list_t* sul) {
    reinterpret_cast<Timer*>(sul)->impl->OnHeartbeatTimer();
  });
}

void Link::Impl::OnHeartbeatResponse(const protocol::Envelope& envelope) {
  if (envelope.kind == protocol::MessageKind::kError) {
    logger.Warn(kComponent, "the platform answered a heartbeat with an error: ", DescribeError(envelope.error));
    return;
  }
  absl::StatusOr<protocol::HeartbeatResult> result = protocol::ParseHeartbeatResult(envelope.result);
  if (!result.ok()) {
    logger.Warn(kComponent, "invalid heartbeat result from the platform: ", result.status().message());
    return;
  }
  const absl::Time now = absl::Now();
  session->heartbeat_reference = now;
  UpdateStatus([now](LinkStatus& st) { st.last_heartbeat_ack = now; });
}

void Link::Impl::OnRequest(const protocol::Envelope& envelope) {
  if (envelope.method == protocol::method::kInvoke) return OnInvoke(envelope);
  if (envelope.method == protocol::method::kHeartbeat) {
    absl::StatusOr<protocol::PlatformHeartbeatParams> params =
        protocol::ParsePlatformHeartbeatParams(envelope.params);
    if (!params.ok()) {
      Send(protocol::EncodeError(envelope.id, link::InvalidParamError(std::string(params.status().message()),
                                                                      protocol::ParamPointer(params.status()))));
      return;
    }
    // Answered at once and ahead of queued call results, so a busy link never looks dead.
    Send(protocol::EncodeResult(envelope.id, absl::StrCat("{\"seq\":", params->seq, "}")), /*urgent=*/true);
    const absl::Time now = absl::Now();
    UpdateStatus([now](LinkStatus& st) { st.last_platform_heartbeat = now; });
    return;
  }
  logger.Warn(kComponent, "the platform called unknown method '", envelope.method, "'");
  Send(protocol::EncodeError(envelope.id, MakeError(protocol::kMethodNotFound,
                                                    absl::StrCat("method '", envelope.method, "' not found"))));
}

void Link::Impl::OnNotification(const protocol::Envelope& envelope) {
  if (envelope.method == protocol::method::kCancel) return OnCancel(envelope);
  if (envelope.method == protocol::method::kBundleUpdated) {
    absl::StatusOr<protocol::BundleUpdatedParams> params = protocol::ParseBundleUpdatedParams(envelope.params);
    if (!params.ok()) {
      logger.Warn(kComponent, "invalid bundle.updated: ", params.status().message());
      return;
    }
    logger.Info(kComponent, "bundle.updated: bundle ", params->bundle_id, " version ", params->version, " (",
                params->reason, ")");
    if (options.on_bundle_updated) options.on_bundle_updated(*params);
    return;
  }
  if (envelope.method == protocol::kMethodWebhooksConfig) return OnWebhooksConfig(envelope);
  logger.Debug(kComponent, "ignoring unknown notification '", envelope.method, "'");
}

void Link::Impl::DoReregister() {
  if (session == nullptr || session->ended || !session->hello_done || session->close_requested || draining) {
    logger.Debug(kComponent, "not connected: the tools are registered on the next session");
    return;
  }
  SendRegister();
}

void Link::Impl::SendDraining() {
  protocol::DrainingParams params;
  params.reason = "shutdown";
  params.grace_ms = drain_grace_ms;
  params.in_flight = static_cast<int64_t>(session->calls.size());
  Send(protocol::EncodeNotification(protocol::method::kDraining, protocol::ToJson(params)));
}

void Link::Impl::DoBeginDrain(absl::Duration grace) {
  if (draining || stopping) return;
  draining = true;
  drain_grace_ms = absl::ToInt64Milliseconds(grace);
  logger.Info(kComponent, "draining: no new calls (grace ", absl::FormatDuration(grace), ")");
  if (session != nullptr && !session->ended && session->hello_done) {
    SendDraining();
    SetState(LinkState::kDraining);
  }
}

}  // namespace edge::runtime
