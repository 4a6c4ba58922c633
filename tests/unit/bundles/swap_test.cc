// The swap (runtime/src/bundles/swap.cc): publish in one step with the bundle reference, re-register, and drain:
// a call holding an old tool keeps running on the old generation, which is reported unloaded only after the
// call returned.
#include "bundles/swap.h"

#include <atomic>
#include <thread>

#include "bundle_test_util.h"
#include "edge/runtime/diagnostics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::runtime::bundles {
namespace {

namespace fs = std::filesystem;
using testing::Scratch;

class SwapTest : public ::testing::Test {
 protected:
  SwapTest() {
    PluginHostOptions o;
    o.content_store_dir = scratch_ / "store";
    o.logger = log_.logger();
    host_ = std::make_unique<PluginHost>(o);
  }

  ServedGeneration Generation(const std::string& name, const fs::path& plugin_file, int64_t version) {
    ServedGeneration g;
    g.generation = name;
    g.source = "bundle";
    g.identity = BundleIdentity{"b_1", version, "sha256:" + std::string(64, static_cast<char>('0' + version))};
    auto plugin = host_->Load(plugin_file);
    EXPECT_TRUE(plugin.ok()) << plugin.status();
    std::vector<std::shared_ptr<const Tool>> tools = BuiltinDiagnosticsTools([] { return std::string("{}"); });
    for (const auto& t : (*plugin)->tools()) tools.push_back(t);
    g.plugins.push_back(*plugin);
    g.registry = *ToolRegistry::Create(tools);
    return g;
  }

  Scratch scratch_;
  testing::CapturingLogger log_;
  std::unique_ptr<PluginHost> host_;
};

TEST_F(SwapTest, PublishesTheNewRegistryAndReferenceThenReregisters) {
  auto catalog = std::make_shared<ToolCatalog>();
  ServingBundle serving(catalog, log_.logger());
  EXPECT_FALSE(serving.Ref().has_value());
  serving.Serve(Generation("gen-a", EDGE_ECHO_PLUGIN, 1));
  ASSERT_TRUE(serving.Ref().has_value());
  EXPECT_EQ(serving.Ref()->version, 1);
  const uint64_t before = catalog->generation();

  int reregistered = 0;
  std::optional<protocol::BundleRef> seen_by_register;
  serving.Swap(Generation("gen-b", EDGE_SLOW_PLUGIN, 2), [&] {
    ++reregistered;
    seen_by_register = serving.Ref();
    EXPECT_NE(catalog->Current()->Find("slow.count"), nullptr) << "the register sees the new tools";
  });
  EXPECT_EQ(reregistered, 1);
  ASSERT_TRUE(seen_by_register.has_value());
  EXPECT_EQ(seen_by_register->version, 2);
  EXPECT_EQ(catalog->generation(), before + 1);
  EXPECT_EQ(catalog->Current()->Find("echo"), nullptr);
  ServingView view = serving.View();
  EXPECT_EQ(view.generation, "gen-b");
  EXPECT_EQ(view.source, "bundle");
  // Nothing held the old tools: the old generation is gone at once.
  EXPECT_TRUE(view.retiring.empty());
  EXPECT_EQ(view.unloaded, 1u);
  EXPECT_TRUE(log_.Contains("bundle generation gen-a unloaded")) << log_.All();
}

TEST_F(SwapTest, ACallInFlightFinishesOnTheOldGenerationBeforeItUnloads) {
  auto catalog = std::make_shared<ToolCatalog>();
  ServingBundle serving(catalog, log_.logger());
  serving.Serve(Generation("gen-old", EDGE_SLOW_PLUGIN, 1));

  // A call resolved against the old registry, as the executor does: it holds the tool while it runs.
  std::shared_ptr<const Tool> tool = catalog->Current()->Find("slow.count");
  ASSERT_NE(tool, nullptr);
  std::atomic<bool> started{false};
  absl::StatusOr<ToolResult> result = absl::UnknownError("not run");
  std::thread call([&] {
    SimpleCallControl control;
    started.store(true);
    result = tool->Invoke(R"({"steps":10,"step_ms":30})", CallContext{}, control);
  });
  while (!started.load()) std::this_thread::yield();

  serving.Swap(Generation("gen-new", EDGE_ECHO_PLUGIN, 2), nullptr);
  EXPECT_NE(catalog->Current()->Find("echo"), nullptr);
  EXPECT_EQ(serving.CollectUnloaded(), 1u) << "the old generation drains while the call holds its tool";
  ASSERT_EQ(serving.View().retiring.size(), 1u);
  EXPECT_EQ(serving.View().retiring[0].generation, "gen-old");
  EXPECT_FALSE(log_.Contains("bundle generation gen-old unloaded"));
  call.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->is_error);
  EXPECT_NE(serving.CollectUnloaded(), 0u) << "the call's own reference is still held";
  tool.reset();
  EXPECT_EQ(serving.CollectUnloaded(), 0u);
  EXPECT_EQ(serving.View().unloaded, 1u);
  EXPECT_TRUE(log_.Contains("bundle generation gen-old unloaded")) << log_.All();
}

TEST_F(SwapTest, NoReferenceIsReportedWithoutABundle) {
  auto catalog = std::make_shared<ToolCatalog>();
  ServingBundle serving(catalog, log_.logger());
  ServedGeneration local = Generation("local", EDGE_ECHO_PLUGIN, 1);
  local.source = "local";
  local.identity.reset();
  serving.Serve(std::move(local));
  EXPECT_FALSE(serving.Ref().has_value());
  EXPECT_EQ(serving.View().source, "local");
  serving.UpdateIdentity({"b_9", 3, "sha256:" + std::string(64, 'a')});
  EXPECT_FALSE(serving.Ref().has_value()) << "a local directory never reports a bundle";
}

}  // namespace
}  // namespace edge::runtime::bundles
