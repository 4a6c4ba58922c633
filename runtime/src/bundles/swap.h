// bundles/swap.h: what the connector serves now, the make-before-break swap, and the drain of the generations
// it replaced (docs/bundles.md section 7, steps 5 and 6).
//
// `ServingBundle` publishes a fully loaded generation to the ToolCatalog in one step, together with the bundle
// reference that hello, tools.register and heartbeats report. The generation it replaces is only released:
// calls in flight keep its tools (and so its plugins) alive and finish on it. The old generation is tracked
// through weak references to its plugin tools; when the last one is gone its plugins have shut down and
// unloaded, and CollectUnloaded logs "bundle generation <hex> unloaded".
#ifndef EDGE_RUNTIME_BUNDLES_SWAP_H_
#define EDGE_RUNTIME_BUNDLES_SWAP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bundles/identity.h"
#include "edge/protocol/messages.h"
#include "edge/runtime/log.h"
#include "edge/runtime/plugin_host.h"
#include "edge/runtime/tool.h"

namespace edge::runtime::bundles {

struct ServedGeneration {
  std::string generation;  // the checksum hex for a bundle; "local" for a hand-installed directory; "" for none
  std::string source;      // "bundle" | "local" | "none"
  std::optional<BundleIdentity> identity;  // set for source "bundle"
  std::vector<std::shared_ptr<LoadedPlugin>> plugins;
  std::shared_ptr<const ToolRegistry> registry;
};

struct RetiringGeneration {
  std::string generation;
  absl::Time since;
};

struct ServingView {
  std::string source = "none";
  std::string generation;
  std::optional<BundleIdentity> identity;
  std::vector<RetiringGeneration> retiring;
  uint64_t unloaded = 0;  // generations fully unloaded since start
};

class ServingBundle {
 public:
  ServingBundle(std::shared_ptr<ToolCatalog> catalog, Logger* logger);
  ~ServingBundle();
  ServingBundle(const ServingBundle&) = delete;
  ServingBundle& operator=(const ServingBundle&) = delete;

  // Publishes the generation served at startup.
  void Serve(ServedGeneration generation);
  // Publishes `next` in one step, retires what served before, then calls `reregister` (Link::Reregister, which
  // sends tools.register with the new bundle reference).
  void Swap(ServedGeneration next, const std::function<void()>& reregister);
  // The same content installed as another bundle id or version: only the reported reference changes.
  void UpdateIdentity(const BundleIdentity& identity);

  // Thread-safe: {id, version, checksum} of the serving bundle; nullopt when no bundle serves.
  std::optional<protocol::BundleRef> Ref() const;
  ServingView View() const;
  // Logs and counts every retired generation whose tools are all gone; returns how many are still retiring.
  size_t CollectUnloaded();

 private:
  struct Retiring {
    std::string generation;
    absl::Time since;
    std::vector<std::weak_ptr<const Tool>> tools;
  };

  const std::shared_ptr<ToolCatalog> catalog_;
  Logger& logger_;
  mutable absl::Mutex mu_;
  ServedGeneration current_ ABSL_GUARDED_BY(mu_);
  std::vector<Retiring> retiring_ ABSL_GUARDED_BY(mu_);
  uint64_t unloaded_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_SWAP_H_
