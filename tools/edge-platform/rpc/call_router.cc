// rpc/call_router.cc: routing REST invocations to connectors, their responses, cancels and the call watch.
//
// Every call is answered exactly once through Answer(). A call the platform gave up on (timeout, cancel) stays
// in calls_ until the connector's one response arrives, so that response is consumed and dropped, and so the
// session's outstanding count matches what the connector still holds.
#include <algorithm>

#include "edge/protocol/json_writer.h"
#include "rpc/hub_core.h"

namespace edge::platform::rpc_internal {
namespace {

using runtime::ToStd;

protocol::RpcError MakeError(int code, std::string message, std::string data_json = {}) {
  protocol::RpcError e;
  e.code = code;
  e.message = std::move(message);
  e.data_json = std::move(data_json);
  return e;
}

std::string OneField(std::string_view key, std::string_view value) {
  std::string data;
  protocol::JsonWriter(data).BeginObject().Key(key).String(value).EndObject();
  return data;
}

}  // namespace

Session* HubCore::PickSession(const InvokeRequest& req, protocol::RpcError* error) {
  auto in_org = [&](const Session& s) { return req.org_id.empty() || s.identity.org_id == req.org_id; };
  if (!req.deployment_id.empty()) {
    // Every connection of the deployment (self-hosted and cloud connectors) that serves the tool, in turn.
    std::vector<Session*> sessions = SessionsOf(req.deployment_id);
    // Another org's deployment answers like an offline one: no probing through the API.
    if (sessions.empty() || !in_org(*sessions.front())) {
      *error = Unavailable("connector unavailable: deployment " + req.deployment_id + " is not connected",
                           "not_connected");
      return nullptr;
    }
    std::vector<Session*> serving;
    bool any_draining = false;
    bool any_unregistered = false;
    for (Session* s : sessions) {
      any_draining = any_draining || s->state == SessionState::kDraining;
      any_unregistered = any_unregistered || s->state == SessionState::kAwaitHello || s->state == SessionState::kHello;
      if (s->state == SessionState::kServing) serving.push_back(s);
    }
    if (serving.empty()) {
      *error = any_unregistered && !any_draining
                   ? Unavailable("connector unavailable: deployment " + req.deployment_id +
                                     " is connected but has not registered its tools yet",
                                 "not_connected")
                   : Unavailable("connector unavailable: deployment " + req.deployment_id + " is draining",
                                 any_unregistered ? "not_connected" : "draining");
      return nullptr;
    }
    std::vector<Session*> candidates;
    for (Session* s : serving) {
      if (s->tool_set.count(req.tool) > 0) candidates.push_back(s);
    }
    if (candidates.empty()) {
      *error = MakeError(protocol::kToolNotFound,
                         "tool not found: deployment " + req.deployment_id + " does not serve tool '" + req.tool + "'",
                         OneField("tool", req.tool));
      return nullptr;
    }
    return candidates[static_cast<size_t>(round_robin_++ % candidates.size())];
  }
  std::vector<Session*> candidates;
  for (auto& [slot, s] : slots_) {
    if (in_org(*s) && s->state == SessionState::kServing && s->tool_set.count(req.tool) > 0) candidates.push_back(s);
  }
  if (candidates.empty()) {
    *error = Unavailable("connector unavailable: no connected connector serves tool '" + req.tool + "'",
                         "not_connected");
    return nullptr;
  }
  // Least in flight; ties rotate so equal connectors share the load. slots_ is ordered, so candidates are too.
  const size_t start = static_cast<size_t>(round_robin_++ % candidates.size());
  Session* best = nullptr;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Session* c = candidates[(start + i) % candidates.size()];
    if (best == nullptr || c->invokes_outstanding < best->invokes_outstanding) best = c;
  }
  return best;
}

void HubCore::Invoke(InvokeRequest req, absl::AnyInvocable<void(InvokeOutcome)> done) {
  const int64_t now = MonoNowMs();
  InvokeOutcome out;
  auto fail = [&](protocol::RpcError e) {
    out.error = std::move(e);
    done(std::move(out));
  };
  if (shut_down_) {
    fail(Unavailable("connector unavailable: the platform is shutting down", "not_connected"));
    return;
  }
  if (req.call_id.empty()) req.call_id = NewId();
  out.call_id = req.call_id;
  if (req.call_id.size() > protocol::kMaxIdBytes) {
    fail(MakeError(protocol::kInvalidParams, "callId is longer than 128 bytes", OneField("param", "/callId")));
    return;
  }
  if (calls_.count(req.call_id) > 0) {
    fail(MakeError(protocol::kInvalidRequest, "callId " + req.call_id + " is already in flight",
                   OneField("reason", "duplicate_call_id")));
    return;
  }
  protocol::RpcError pick_error;
  Session* s = PickSession(req, &pick_error);
  if (s == nullptr) {
    fail(std::move(pick_error));
    return;
  }
  const int64_t concurrent = s->hello ? s->hello->max_concurrent_calls : 16;
  const int64_t limit = concurrent + (s->hello ? s->hello->max_queued_calls : 256);
  if (s->invokes_outstanding >= limit) {
    out.deployment_id = s->identity.deployment_id;
    std::string data;
    const int64_t running = std::min(s->invokes_outstanding, concurrent);
    protocol::JsonWriter(data).BeginObject().Key("retryAfterMs").Int(protocol::defaults::kOverloadRetryAfterMs)
        .Key("running").Int(running).Key("queued").Int(s->invokes_outstanding - running).EndObject();
    fail(MakeError(protocol::kOverloaded,
                   "overloaded: deployment " + s->identity.deployment_id + " already has " +
                       std::to_string(s->invokes_outstanding) + " calls outstanding (limit " +
                       std::to_string(limit) + ")",
                   std::move(data)));
    return;
  }

  protocol::InvokeParams p;
  p.call_id = req.call_id;
  p.tool = req.tool;
  p.arguments_json = req.arguments_json.empty() ? "{}" : req.arguments_json;
  p.user_id = req.user_id;
  p.org_id = s->identity.org_id;
  p.deployment_id = s->identity.deployment_id;
  p.inactivity_ms = req.inactivity_ms;
  p.max_duration_ms = req.max_duration_ms;
  std::string id = s->NextRequestId();
  std::string message = protocol::EncodeRequest(id, protocol::method::kInvoke, protocol::ToJson(p));
  if (message.size() > protocol::kMaxMessageBytes) {
    // §1: never send an oversize message; the API answers 413.
    fail(MakeError(protocol::kInvalidParams,
                   "arguments too large: the tool.invoke message would be " + std::to_string(message.size()) +
                       " bytes, over the " + std::to_string(protocol::kMaxMessageBytes) + " byte limit",
                   OneField("reason", "message_too_large")));
    return;
  }

  auto call = std::make_unique<PendingCall>();
  call->call_id = req.call_id;
  call->tool = req.tool;
  call->deployment_id = s->identity.deployment_id;
  call->session = s;
  call->request_id = id;
  call->done = std::move(done);
  call->started_mono_ms = now;
  call->last_activity_mono_ms = now;
  call->inactivity_ms = req.inactivity_ms.value_or(options_.default_inactivity_ms);
  call->max_duration_ms = req.max_duration_ms.value_or(options_.default_max_duration_ms);
  call->watch_inactivity_ms = call->inactivity_ms + options_.call_slack_ms;
  call->watch_max_duration_ms = call->max_duration_ms + options_.call_slack_ms;
  s->outstanding[id] = OutstandingRequest{req.call_id};
  ++s->invokes_outstanding;
  calls_.emplace(req.call_id, std::move(call));
  s->Send(std::move(message));
}

void HubCore::Answer(PendingCall& call, InvokeOutcome outcome) {
  if (call.answered) return;
  call.answered = true;
  outcome.call_id = call.call_id;
  if (outcome.deployment_id.empty()) outcome.deployment_id = call.deployment_id;
  outcome.elapsed_ms = MonoNowMs() - call.started_mono_ms;
  auto done = std::move(call.done);
  call.done = nullptr;
  if (done) done(std::move(outcome));  // last: it may re-enter the hub
}

void HubCore::OnInvokeResponse(Session& s, const std::string& call_id, const protocol::Envelope& env) {
  if (s.invokes_outstanding > 0) --s.invokes_outstanding;
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  std::unique_ptr<PendingCall> call = std::move(it->second);
  calls_.erase(it);
  if (call->answered) {
    log().Debug(kLogComponent, "deployment=", s.identity.deployment_id, ": response for call ", call_id,
                " arrived after the platform gave up on it; dropped");
    return;
  }
  InvokeOutcome out;
  if (env.kind == protocol::MessageKind::kResult) {
    absl::Status valid = protocol::ValidateToolResult(env.result);
    if (valid.ok()) {
      out.result_json = env.result;
    } else {
      out.error = MakeError(protocol::kInternalError, "the connector sent an invalid tool result for call " +
                                                          call_id + ": " + std::string(ToStd(valid.message())));
    }
  } else {
    out.error = env.error;
  }
  Answer(*call, std::move(out));
}

void HubCore::OnProgress(Session& s, const protocol::Envelope& env) {
  auto p = protocol::ParseProgressParams(env.params);
  if (!p.ok()) return;
  auto it = calls_.find(p->call_id);
  if (it == calls_.end() || it->second->session != &s) return;
  it->second->last_activity_mono_ms = MonoNowMs();
}

bool HubCore::Cancel(std::string_view call_id, std::string_view reason) {
  auto it = calls_.find(std::string(call_id));
  if (it == calls_.end() || it->second->answered) return false;
  PendingCall& call = *it->second;
  const std::string why = reason.empty() ? std::string("caller") : std::string(reason);
  if (call.session != nullptr) {
    protocol::CancelParams p;
    p.call_id = call.call_id;
    p.reason = why;
    call.session->Send(protocol::EncodeNotification(protocol::method::kCancel, protocol::ToJson(p)));
  }
  InvokeOutcome out;
  out.error = MakeError(protocol::kCancelled, "cancelled: call " + call.call_id + " (tool '" + call.tool + "')",
                        OneField("reason", why));
  Answer(call, std::move(out));
  return true;
}

void HubCore::SweepCalls(int64_t now) {
  std::vector<std::string> expired;
  for (auto& [id, c] : calls_) {
    if (c->answered) continue;
    if (now - c->last_activity_mono_ms >= c->watch_inactivity_ms ||
        now - c->started_mono_ms >= c->watch_max_duration_ms) {
      expired.push_back(id);
    }
  }
  for (const std::string& id : expired) {
    auto it = calls_.find(id);  // an earlier done() may have changed the map
    if (it == calls_.end() || it->second->answered) continue;
    PendingCall& c = *it->second;
    const bool total = now - c.started_mono_ms >= c.watch_max_duration_ms;
    const int64_t timeout = total ? c.max_duration_ms : c.inactivity_ms;
    if (c.session != nullptr) {
      protocol::CancelParams p;
      p.call_id = c.call_id;
      p.reason = "timeout";
      c.session->Send(protocol::EncodeNotification(protocol::method::kCancel, protocol::ToJson(p)));
    }
    std::string data;
    protocol::JsonWriter(data).BeginObject().Key("kind").String(total ? "maxDuration" : "inactivity")
        .Key("timeoutMs").Int(timeout).EndObject();
    log().Warn(kLogComponent, "call ", c.call_id, " (tool '", c.tool, "') on deployment=", c.deployment_id,
               " timed out on the platform's watch (", total ? "maxDuration" : "inactivity", ")");
    InvokeOutcome out;
    out.error = MakeError(protocol::kTimeout,
                          "timeout: tool '" + c.tool + "' on deployment " + c.deployment_id +
                              (total ? " ran longer than " : " gave no sign of life for ") +
                              std::to_string(timeout) + " ms (+" + std::to_string(options_.call_slack_ms) +
                              " ms platform slack)",
                          std::move(data));
    Answer(c, std::move(out));
  }
}

void HubCore::FailSessionCalls(Session& s, std::string_view message) {
  std::vector<std::unique_ptr<PendingCall>> failed;
  for (auto it = calls_.begin(); it != calls_.end();) {
    if (it->second->session == &s) {
      failed.push_back(std::move(it->second));
      it = calls_.erase(it);
    } else {
      ++it;
    }
  }
  s.outstanding.clear();
  s.invokes_outstanding = 0;
  for (auto& call : failed) {
    call->session = nullptr;
    InvokeOutcome out;
    out.error = Unavailable(std::string(message), "not_connected");
    Answer(*call, std::move(out));
  }
}

}  // namespace edge::platform::rpc_internal
