// tool.invoke and tool.cancel on the link thread: admission checks, the executor hand-off (callbacks only
// post to the inbox), coalesced progress, and exactly one response per call.
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "edge/protocol/errors.h"
#include "link/link_impl.h"

namespace edge::runtime {

using link::kComponent;
using link::Session;

void Link::Impl::OnInvoke(const protocol::Envelope& envelope) {
  Session& s = *session;
  absl::StatusOr<protocol::InvokeParams> params = protocol::ParseInvokeParams(envelope.params);
  if (!params.ok()) {
    Send(protocol::EncodeError(envelope.id, link::InvalidParamError(std::string(params.status().message()),
                                                                    protocol::ParamPointer(params.status()))));
    return;
  }
  if (params->org_id != s.org_id) {
    Send(protocol::EncodeError(
        envelope.id, link::InvalidParamError(absl::StrCat("context.orgId '", params->org_id,
                                                          "' does not match this session's org '", s.org_id, "'"),
                                             "/context/orgId")));
    return;
  }
  if (params->deployment_id != s.deployment_id) {
    Send(protocol::EncodeError(
        envelope.id,
        link::InvalidParamError(absl::StrCat("context.deploymentId '", params->deployment_id,
                                             "' does not match this session's deployment '", s.deployment_id, "'"),
                                "/context/deploymentId")));
    return;
  }
  protocol::ErrorMappingOptions mapping;
  mapping.tool = params->tool;
  mapping.overload_retry_after_ms = options.overload_retry_after_ms;
  if (draining) {
    mapping.unavailable_reason = "draining";
    absl::Status refusal = absl::UnavailableError(
        "connector unavailable: the connector is draining for shutdown; retry on another connector");
    Send(protocol::EncodeError(envelope.id, protocol::ErrorFromStatus(refusal, mapping)));
    return;
  }
  if (s.calls.contains(params->call_id)) {
    Send(protocol::EncodeError(
        envelope.id, protocol::ErrorFromStatus(absl::AlreadyExistsError(absl::StrCat(
                                                   "call id '", params->call_id, "' is already in flight")),
                                               mapping)));
    return;
  }
  const size_t limit = static_cast<size_t>(std::max(0, options.max_concurrent_calls) +
                                           std::max(0, options.max_queued_calls));
  if (s.calls.size() >= limit) {
    const ExecutorStats stats = executor->Stats();
    mapping.running = stats.running;
    mapping.queued = stats.queued;
    Send(protocol::EncodeError(
        envelope.id, protocol::ErrorFromStatus(
                         absl::ResourceExhaustedError(absl::StrCat(
                             "the connector is overloaded: ", s.calls.size(), " calls in flight (limit ", limit,
                             " = maxConcurrentCalls + maxQueuedCalls); retry later")),
                         mapping)));
    return;
  }

  const std::string call_id = params->call_id;
  s.calls.emplace(call_id, link::InFlightCall{});
  in_flight.store(static_cast<int64_t>(s.calls.size()), std::memory_order_relaxed);

  // Executor callbacks run on worker threads (or inline): they only post, never touch loop state.
  auto channel = std::make_shared<InvokeChannel>();
  channel->box = inbox;
  channel->serial = s.serial;
  channel->call_id = call_id;
  channel->request_id = envelope.id;
  channel->tool = params->tool;
  channel->retry_after_ms = options.overload_retry_after_ms;
  channel->response = TakeSpareBuffer();
  CallCallbacks callbacks;
  callbacks.on_progress = [channel](const Progress& progress) {
    channel->box->Post([channel, progress](Impl& impl) {
      impl.OnCallProgress(channel->serial, channel->call_id, progress);
    });
  };
  // The response is encoded here, on the worker, so the link thread (the bottleneck under load) only checks
  // and writes it. An overload needs the executor's counts at answer time: that one is encoded on the loop.
  callbacks.on_complete = [channel](CallOutcome outcome) mutable {
    InvokeChannel& ch = *channel;
    if (outcome.result.ok() || !absl::IsResourceExhausted(outcome.result.status())) {
      link::CompletionContext context;
      context.tool = ch.tool;
      context.overload_retry_after_ms = ch.retry_after_ms;
      ch.too_large = link::EncodeCompletionInto(ch.request_id, outcome, context, ch.response);
      ch.encoded = true;
      if (outcome.result.ok()) *outcome.result = ToolResult{};  // encoded: free the payload now
    }
    ch.outcome = std::move(outcome);
    // The reference moves into the posted item, so the link thread, not this worker, normally drops the last.
    std::shared_ptr<Inbox> box = ch.box;
    box->Post([channel = std::move(channel)](Impl& impl) { impl.OnCallComplete(*channel); });
  };
  executor->Submit(link::BuildCallRequest(*std::move(params), hostname, platform), std::move(callbacks));
}

void Link::Impl::OnCancel(const protocol::Envelope& envelope) {
  absl::StatusOr<protocol::CancelParams> params = protocol::ParseCancelParams(envelope.params);
  if (!params.ok()) {
    logger.Warn(kComponent, "invalid tool.cancel: ", params.status().message());
    return;
  }
  if (!session->calls.contains(params->call_id)) {
    logger.Debug(kComponent, "tool.cancel for call ", params->call_id, ", which is not in flight");
    return;
  }
  logger.Debug(kComponent, "cancelling call ", params->call_id, " (", params->reason, ")");
  // The completion (normally Cancelled) comes back through the inbox and answers the invoke once.
  executor->Cancel(params->call_id);
}

void Link::Impl::OnCallProgress(uint64_t serial, const std::string& call_id, const Progress& progress) {
  if (session == nullptr || session->serial != serial || session->ended) return;
  auto it = session->calls.find(call_id);
  if (it == session->calls.end()) return;  // already answered: never a progress after the response
  if (std::optional<Progress> now = it->second.progress.Offer(progress, absl::Now()); now.has_value()) {
    Send(link::EncodeProgress(call_id, *now));
  } else {
    ScheduleProgressFlush();
  }
}

void Link::Impl::ScheduleProgressFlush() {
  std::optional<absl::Time> earliest;
  for (const auto& [id, call] : session->calls) {
    std::optional<absl::Time> due = call.progress.due();
    if (due.has_value() && (!earliest.has_value() || *due < *earliest)) earliest = due;
  }
  if (!earliest.has_value()) return;
  ArmTimer(progress_timer, std::max(absl::ZeroDuration(), *earliest - absl::Now()),
           [](lws_sorted_usec_list_t* sul) { reinterpret_cast<Timer*>(sul)->impl->OnProgressTimer(); });
}

void Link::Impl::OnProgressTimer() {
  if (session == nullptr || session->ended) return;
  const absl::Time now = absl::Now();
  for (auto& [id, call] : session->calls) {
    if (std::optional<Progress> due = call.progress.TakeDue(now); due.has_value()) {
      Send(link::EncodeProgress(id, *due));
    }
  }
  ScheduleProgressFlush();
}

void Link::Impl::OnCallComplete(InvokeChannel& channel) {
  // Taken out: the outcome's call_state owns the progress callback, which owns the channel.
  const CallOutcome outcome = std::move(channel.outcome);
  if (session == nullptr || session->serial != channel.serial || session->ended) {
    logger.Debug(kComponent, "dropping the outcome of call ", outcome.call_id, ": its session has closed");
    return;
  }
  auto it = session->calls.find(outcome.call_id);
  if (it == session->calls.end()) {
    logger.Debug(kComponent, "dropping the outcome of call ", outcome.call_id, ": not in flight on this session");
    return;
  }
  link::InFlightCall call = std::move(it->second);
  session->calls.erase(it);
  in_flight.store(static_cast<int64_t>(session->calls.size()), std::memory_order_relaxed);
  if (std::optional<Progress> last = call.progress.TakePending(); last.has_value()) {
    Send(link::EncodeProgress(outcome.call_id, *last));
  }
  std::string response = std::move(channel.response);
  if (!channel.encoded) {  // not encoded on the worker: an overload, answered with the current counts
    link::CompletionContext context;
    context.tool = channel.tool;
    context.overload_retry_after_ms = options.overload_retry_after_ms;
    const ExecutorStats stats = executor->Stats();
    context.running = stats.running;
    context.queued = stats.queued;
    response = link::EncodeCompletion(channel.request_id, outcome, context);
  }
  if (channel.too_large) {
    logger.Warn(kComponent, "the result of call ", outcome.call_id, " (tool ", channel.tool,
                ") exceeds the message limit; answered -32002 result_too_large");
  }
  Send(std::move(response));
}

void Link::Impl::CancelSessionCalls() {
  if (session == nullptr || session->calls.empty()) return;
  std::vector<std::string> ids;
  ids.reserve(session->calls.size());
  for (const auto& [id, call] : session->calls) ids.push_back(id);
  session->calls.clear();
  logger.Info(kComponent, "cancelling ", ids.size(), " calls of the closed session (their results cannot be delivered)");
  // Completions land in the inbox and are dropped: the session serial no longer matches.
  for (const std::string& id : ids) executor->Cancel(id);
}

}  // namespace edge::runtime
