// The link's part of the webhook relay (docs/webhook-relay.md §3): webhook.relay requests with their answers
// handed back to the relay, and the webhooks.config notification.
#include <utility>

#include "absl/strings/str_cat.h"
#include "edge/protocol/errors.h"
#include "edge/protocol/protocol.h"
#include "link/link_impl.h"

namespace edge::runtime {

using link::kComponent;
using link::PendingKind;

namespace {

// Room for the envelope around the params ({"jsonrpc":"2.0","id":...,"method":"webhook.relay","params":...}).
constexpr size_t kEnvelopeBytes = 128;

}  // namespace

void Link::Impl::DoSendWebhookRelay(std::string params_json, WebhookRelayDone done) {
  if (session == nullptr || session->ended || !session->registered || session->close_requested) {
    done(absl::UnavailableError("the link to the platform is not serving"), 0);
    return;
  }
  if (params_json.size() + kEnvelopeBytes > protocol::kMaxMessageBytes) {
    // It can never be sent: report it like the platform would refuse it, so the relay dead-letters it.
    done(absl::InvalidArgumentError(absl::StrCat("webhook.relay params are ", params_json.size(),
                                                 " bytes, over the ", protocol::kMaxMessageBytes,
                                                 "-byte message limit")),
         protocol::kInvalidParams);
    return;
  }
  const std::string id = NextRequestId({PendingKind::kWebhookRelay});
  session->webhook_relays.emplace(id, std::move(done));
  Send(protocol::EncodeRequest(id, protocol::kMethodWebhookRelay, params_json));
}

void Link::Impl::OnWebhookRelayResponse(const protocol::Envelope& envelope) {
  auto it = session->webhook_relays.find(envelope.id);
  if (it == session->webhook_relays.end()) return;
  WebhookRelayDone done = std::move(it->second);
  session->webhook_relays.erase(it);
  if (envelope.kind == protocol::MessageKind::kError) {
    std::string message =
        absl::StrCat("the platform refused webhook.relay: ", envelope.error.code, " ", envelope.error.message);
    done(envelope.error.code == protocol::kInvalidParams ? absl::InvalidArgumentError(message)
                                                         : absl::UnavailableError(message),
         envelope.error.code);
    return;
  }
  absl::StatusOr<protocol::WebhookRelayResult> result = protocol::ParseWebhookRelayResult(envelope.result);
  if (!result.ok()) {
    logger.Warn(kComponent, "invalid webhook.relay result from the platform: ", result.status().message());
    done(result.status(), 0);
    return;
  }
  done(*std::move(result), 0);
}

void Link::Impl::FailWebhookRelays(std::string_view why) {
  if (session == nullptr || session->webhook_relays.empty()) return;
  auto pending = std::move(session->webhook_relays);
  session->webhook_relays.clear();
  for (auto& [id, done] : pending) done(absl::UnavailableError(ToAbsl(why)), 0);
}

void Link::Impl::OnWebhooksConfig(const protocol::Envelope& envelope) {
  absl::StatusOr<protocol::WebhooksConfigParams> params = protocol::ParseWebhooksConfigParams(envelope.params);
  if (!params.ok()) {
    // The relay keeps its previous list: a broken update must not unprovision every webhook.
    logger.Warn(kComponent, "invalid webhooks.config (keeping the previous webhook list): ",
                params.status().message());
    return;
  }
  logger.Info(kComponent, "webhooks.config: ", params->webhooks.size(), " webhook(s) relayed by this connector");
  if (options.on_webhooks_config) options.on_webhooks_config(*std::move(params));
}

}  // namespace edge::runtime
