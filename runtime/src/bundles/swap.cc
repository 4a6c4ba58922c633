// ServingBundle: one-step publish, retire, drain tracking.
#include "bundles/swap.h"

#include <utility>

#include "edge/plugin.h"

namespace edge::runtime::bundles {

namespace {
constexpr std::string_view kComponent = "bundles";
}  // namespace

ServingBundle::ServingBundle(std::shared_ptr<ToolCatalog> catalog, Logger* logger)
    : catalog_(std::move(catalog)), logger_(logger != nullptr ? *logger : Logger::Default()) {}

ServingBundle::~ServingBundle() = default;

void ServingBundle::Serve(ServedGeneration generation) {
  absl::MutexLock lock(&mu_);
  current_ = std::move(generation);
  catalog_->Publish(current_.registry);
}

void ServingBundle::Swap(ServedGeneration next, const std::function<void()>& reregister) {
  ServedGeneration old;
  {
    // The reference and the catalog change together: a register built after this sees both new.
    absl::MutexLock lock(&mu_);
    old = std::exchange(current_, std::move(next));
    catalog_->Publish(current_.registry);
  }
  Retiring retiring{old.generation, absl::Now(), {}};
  for (const auto& plugin : old.plugins) {
    plugin->SetShutdownReason(EDGE_SHUTDOWN_REASON_RELOAD);
    for (const auto& tool : plugin->tools()) retiring.tools.push_back(tool);
  }
  // Only our references go: in-flight calls keep theirs (through their registry snapshot).
  old.plugins.clear();
  old.registry.reset();
  if (!old.generation.empty()) {  // "none" served nothing that could need draining
    absl::MutexLock lock(&mu_);
    retiring_.push_back(std::move(retiring));
  }
  if (reregister) reregister();
  CollectUnloaded();
}

void ServingBundle::UpdateIdentity(const BundleIdentity& identity) {
  absl::MutexLock lock(&mu_);
  current_.identity = identity;
}

std::optional<protocol::BundleRef> ServingBundle::Ref() const {
  absl::MutexLock lock(&mu_);
  if (current_.source != "bundle" || !current_.identity || current_.identity->bundle_id.empty()) return std::nullopt;
  return current_.identity->ToRef();
}

ServingView ServingBundle::View() const {
  absl::MutexLock lock(&mu_);
  ServingView v;
  v.source = current_.source.empty() ? "none" : current_.source;
  v.generation = current_.generation;
  v.identity = current_.identity;
  for (const Retiring& r : retiring_) v.retiring.push_back({r.generation, r.since});
  v.unloaded = unloaded_;
  return v;
}

size_t ServingBundle::CollectUnloaded() {
  std::vector<std::string> done;
  size_t left = 0;
  {
    absl::MutexLock lock(&mu_);
    std::vector<Retiring> keep;
    for (Retiring& r : retiring_) {
      bool gone = true;
      for (const auto& tool : r.tools) gone = gone && tool.expired();
      if (gone) {
        done.push_back(r.generation);
        ++unloaded_;
      } else {
        keep.push_back(std::move(r));
      }
    }
    retiring_ = std::move(keep);
    left = retiring_.size();
  }
  for (const std::string& generation : done) logger_.Info(kComponent, "bundle generation ", generation, " unloaded");
  return left;
}

}  // namespace edge::runtime::bundles
