// WebhookRegistry: the current webhooks.config list and its on-disk cache.
#include "relay/webhook_registry.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "edge/runtime/auth.h"
#include "edge/runtime/log.h"

namespace edge::runtime::relay {

absl::Status WebhookRegistry::Load() {
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) return absl::OkStatus();
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read the cached webhook list ", file_.string(), ": ",
                                                      std::strerror(errno), "; fix its permissions or remove it"));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<protocol::WebhooksConfigParams> list = protocol::ParseWebhooksConfigParams(text.str());
  if (!list.ok()) {
    return absl::DataLossError(absl::StrCat("the cached webhook list ", file_.string(), " is unusable (",
                                            list.status().message(),
                                            "); the relay answers 503 until the platform sends the list again"));
  }
  Replace(*std::move(list));
  return absl::OkStatus();
}

void WebhookRegistry::Replace(protocol::WebhooksConfigParams list) {
  absl::flat_hash_map<std::string, size_t> index;
  for (size_t i = 0; i < list.webhooks.size(); ++i) index.emplace(list.webhooks[i].webhook_id, i);
  absl::MutexLock lock(&mu_);
  list_ = std::move(list);
  index_ = std::move(index);
  ready_ = true;
}

absl::Status WebhookRegistry::Save() const {
  absl::MutexLock save_lock(&save_mu_);
  std::string json;
  {
    absl::MutexLock lock(&mu_);
    if (!ready_) return absl::OkStatus();
    json = protocol::ToJson(list_);
  }
  return WriteFileAtomically(file_.string(), json, 0600);
}

bool WebhookRegistry::ready() const {
  absl::MutexLock lock(&mu_);
  return ready_;
}

size_t WebhookRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return list_.webhooks.size();
}

std::optional<protocol::WebhookConfigEntry> WebhookRegistry::Find(std::string_view webhook_id) const {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(ToAbsl(webhook_id));
  if (it == index_.end()) return std::nullopt;
  return list_.webhooks[it->second];
}

}  // namespace edge::runtime::relay
