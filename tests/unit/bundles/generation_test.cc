// Loading a generation (runtime/src/bundles/generation.cc): the example plugins load and serve exactly the
// manifest's tools; a plugin the host rejects (wrong ABI, failing init), a descriptor that differs, an extra
// or missing tool, a modified plugin file, and a registry conflict each reject the whole generation.
#include "bundles/generation.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_replace.h"
#include "bundle_test_util.h"
#include "edge/bundle/manifest.h"
#include "edge/runtime/diagnostics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::runtime::bundles {
namespace {

namespace fs = std::filesystem;
using testing::ExampleSpec;
using ::testing::HasSubstr;
using testing::Scratch;
using ::testing::UnorderedElementsAre;

class GenerationTest : public ::testing::Test {
 protected:
  GenerationTest() {
    PluginHostOptions o;
    o.content_store_dir = scratch_ / "store";
    o.logger = log_.logger();
    host_ = std::make_unique<PluginHost>(o);
    options_.data_root = scratch_ / "data";
    options_.builtins = BuiltinDiagnosticsTools([] { return std::string("{}"); });
  }

  // A generation directory made from a built bundle: manifest.json + dist/, as staging leaves it.
  fs::path Install(const edge::testing::BundleSpec& spec) {
    const fs::path work = scratch_ / ("build" + std::to_string(++n_));
    auto built = edge::testing::BuildBundle(spec, work);
    EXPECT_TRUE(built.ok()) << built.status();
    if (!built.ok()) return {};
    const fs::path dir = scratch_ / "generations" / ("g" + std::to_string(n_));
    fs::create_directories(dir);
    std::ofstream(dir / "manifest.json") << built->manifest_json;
    fs::copy(work / "dist", dir / "dist", fs::copy_options::recursive);
    return dir;
  }
  static std::vector<std::string> Names(const ToolRegistry& r) {
    std::vector<std::string> names;
    for (const auto& t : r.tools()) names.push_back(t->descriptor().name);
    return names;
  }

  Scratch scratch_;
  testing::CapturingLogger log_;
  std::unique_ptr<PluginHost> host_;
  GenerationOptions options_;
  int n_ = 0;
};

TEST_F(GenerationTest, LoadsTheExamplePluginsWithTheBuiltins) {
  fs::path dir = Install(ExampleSpec(true));
  auto g = LoadGeneration(*host_, dir, options_);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->plugins.size(), 2u);
  EXPECT_EQ(g->plugin_tools, 3u);
  EXPECT_THAT(Names(*g->registry), UnorderedElementsAre("edge.ping", "edge.system_info", "edge.runtime_status", "echo",
                                                        "slow.count", "slow.exclusive"));
  // Plugins get their data directory under the data root, by stem.
  EXPECT_TRUE(fs::is_directory(scratch_ / "data" / "echo"));
}

TEST_F(GenerationTest, APluginWithAnotherAbiRejectsTheGeneration) {
  auto spec = ExampleSpec();
  spec.plugins.push_back({EDGE_FIXTURE_ABI_MAJOR2, "abi_major2", std::nullopt, {"raw.tool"}});
  fs::path dir = Install(spec);
  auto g = LoadGeneration(*host_, dir, options_);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.status().message(), HasSubstr("plugin tools/abi_major2.so was rejected"));
  EXPECT_THAT(g.status().message(), HasSubstr("ABI"));
}

TEST_F(GenerationTest, APluginWhoseInitFailsRejectsTheGeneration) {
  auto spec = ExampleSpec();
  spec.plugins.push_back({EDGE_FIXTURE_INIT_FAILS, "init_fails", std::nullopt, {"init_fails.never"}});
  fs::path dir = Install(spec);
  auto g = LoadGeneration(*host_, dir, options_);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.status().message(), HasSubstr("plugin tools/init_fails.so was rejected"));
  EXPECT_THAT(g.status().message(), HasSubstr("missing config key 'db'"));
}

TEST_F(GenerationTest, ADescriptorThatDiffersFromTheManifestRejectsTheGeneration) {
  auto spec = ExampleSpec();
  spec.edit_manifest = [](bundle::Manifest& m) {
    m.tools[0].descriptor_json =
        absl::StrReplaceAll(m.tools[0].descriptor_json, {{"\"description\":\"", "\"description\":\"Changed: "}});
  };
  fs::path dir = Install(spec);
  auto g = LoadGeneration(*host_, dir, options_);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.status().message(), HasSubstr("tool 'echo': the descriptor"));
}

TEST_F(GenerationTest, ToolsMissingFromTheManifestRejectTheGeneration) {
  auto spec = ExampleSpec(true);
  spec.edit_manifest = [](bundle::Manifest& m) {
    m.tools.erase(
        std::remove_if(m.tools.begin(), m.tools.end(), [](const auto& t) { return t.name == "slow.exclusive"; }),
        m.tools.end());
  };
  fs::path dir = Install(spec);
  auto g = LoadGeneration(*host_, dir, options_);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.status().message(), HasSubstr("does not list: slow.exclusive"));
}

TEST_F(GenerationTest, AToolThePluginDoesNotServeRejectsTheGeneration) {
  auto spec = ExampleSpec();
  spec.edit_manifest = [](bundle::Manifest& m) {
    bundle::ManifestTool extra = m.tools[0];
    extra.name = "echo2";
    extra.descriptor_json = absl::StrReplaceAll(extra.descriptor_json, {{"\"name\":\"echo\"", "\"name\":\"echo2\""}});
    m.tools.push_back(extra);
  };
  fs::path dir = Install(spec);
  auto g = LoadGeneration(*host_, dir, options_);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.status().message(),
              HasSubstr("tool 'echo2' is in the manifest but plugin tools/echo.so does not serve it"));
}

TEST_F(GenerationTest, AModifiedPluginFileIsNotLoaded) {
  fs::path dir = Install(ExampleSpec());
  std::ofstream(dir / "dist" / "tools" / "echo.so", std::ios::app) << "tampered";
  auto g = LoadGeneration(*host_, dir, options_);
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(absl::IsDataLoss(g.status())) << g.status();
  EXPECT_THAT(g.status().message(), HasSubstr("plugin tools/echo.so"));
  EXPECT_FALSE(log_.Contains("loaded plugin echo")) << log_.All();
}

TEST_F(GenerationTest, ARegistryConflictFailsTheSelfCheck) {
  fs::path dir = Install(ExampleSpec());
  // A built-in that happens to share a name with a bundle tool.
  GenerationOptions options = options_;
  auto first = LoadGeneration(*host_, dir, options);
  ASSERT_TRUE(first.ok()) << first.status();
  options.builtins.push_back(first->registry->Find("echo"));
  auto g = LoadGeneration(*host_, dir, options);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.status().message(), HasSubstr("self-check failed"));
}

TEST(SameJsonTest, IgnoresMemberOrderAndWhitespace) {
  EXPECT_TRUE(SameJson(R"({"a":1,"b":[1,2]})", R"({ "b": [1, 2], "a": 1 })"));
  EXPECT_FALSE(SameJson(R"({"a":1})", R"({"a":2})"));
  EXPECT_FALSE(SameJson(R"({"a":1})", "not json"));
}

}  // namespace
}  // namespace edge::runtime::bundles
