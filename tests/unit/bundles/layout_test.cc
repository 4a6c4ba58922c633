// The installation's bundle layout (runtime/src/bundles/layout.cc): recovery after a crash at any point, the
// atomic flip, the fixed links, pruning, and the move of a hand-installed dist/.
#include "bundles/layout.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::runtime::bundles {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::UnorderedElementsAre;

std::string Hex(char c) { return std::string(64, c); }

class LayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bundle-layout-XXXXXX";
    install_ = mkdtemp(tmpl);
    layout_ = std::make_unique<Layout>(install_);
    ASSERT_TRUE(layout_->Recover().ok());
  }
  void TearDown() override { fs::remove_all(install_); }

  // A complete generation whose manifest says `marker`.
  void MakeGeneration(const std::string& hex, const std::string& marker) {
    fs::path dir = layout_->generation_dir(hex);
    fs::create_directories(dir / "dist" / "tools");
    std::ofstream(dir / "manifest.json") << marker;
    std::ofstream(dir / "dist" / "tools" / "marker.txt") << marker;
  }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path install_;
  std::unique_ptr<Layout> layout_;
};

TEST_F(LayoutTest, RecoveryEmptiesStagingAndDownloadsAndRemovesLeftOverLinks) {
  fs::create_directories(layout_->staging_dir() / "abc" / "dist");
  std::ofstream(layout_->downloads_dir() / "x.tgz.part") << "partial";
  fs::create_symlink("generations/" + Hex('a'), layout_->bundles_dir() / "current.new");
  auto report = layout_->Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(fs::is_empty(layout_->staging_dir()));
  EXPECT_TRUE(fs::is_empty(layout_->downloads_dir()));
  EXPECT_FALSE(fs::exists(fs::symlink_status(layout_->bundles_dir() / "current.new")));
  EXPECT_THAT(report->cleaned, UnorderedElementsAre("staging/abc", "downloads/x.tgz.part", "current.new"));
  EXPECT_FALSE(report->current.has_value());
}

TEST_F(LayoutTest, ActivateCreatesTheFixedLinksAndFlipsCurrent) {
  MakeGeneration(Hex('a'), "A");
  ASSERT_TRUE(layout_->Activate(Hex('a')).ok());
  EXPECT_EQ(fs::read_symlink(install_ / "dist"), fs::path("bundles/current/dist"));
  EXPECT_EQ(fs::read_symlink(install_ / "manifest.json"), fs::path("bundles/current/manifest.json"));
  EXPECT_EQ(Read(install_ / "manifest.json"), "A");
  EXPECT_EQ(layout_->CurrentGeneration(), Hex('a'));
  EXPECT_FALSE(layout_->PreviousGeneration().has_value());

  MakeGeneration(Hex('b'), "B");
  ASSERT_TRUE(layout_->Activate(Hex('b')).ok());
  EXPECT_EQ(Read(install_ / "manifest.json"), "B");
  EXPECT_EQ(Read(install_ / "dist" / "tools" / "marker.txt"), "B");
  EXPECT_EQ(layout_->CurrentGeneration(), Hex('b'));
  EXPECT_EQ(layout_->PreviousGeneration(), Hex('a'));
  EXPECT_FALSE(layout_->Activate(Hex('c')).ok()) << "not installed";
}

TEST_F(LayoutTest, CurrentAlwaysResolvesWhileFlipping) {
  MakeGeneration(Hex('a'), "A");
  MakeGeneration(Hex('b'), "B");
  ASSERT_TRUE(layout_->Activate(Hex('a')).ok());
  std::atomic<bool> done{false};
  std::atomic<int> misses{0}, reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      std::ifstream in(install_ / "manifest.json");
      std::string text((std::istreambuf_iterator<char>(in)), {});
      if (text != "A" && text != "B") ++misses;
      ++reads;
    }
  });
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(layout_->Activate(Hex(i % 2 == 0 ? 'b' : 'a')).ok());
  done.store(true);
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(misses.load(), 0) << "a reader saw neither generation";
}

TEST_F(LayoutTest, PruneKeepsCurrentPreviousAndTheProtectedOne) {
  for (char c : {'a', 'b', 'c', 'd'}) MakeGeneration(Hex(c), std::string(1, c));
  ASSERT_TRUE(layout_->Activate(Hex('a')).ok());
  ASSERT_TRUE(layout_->Activate(Hex('b')).ok());
  auto removed = layout_->Prune(2, {Hex('d')});
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, UnorderedElementsAre(Hex('c')));
  EXPECT_TRUE(fs::exists(layout_->generation_dir(Hex('a'))));
  EXPECT_TRUE(fs::exists(layout_->generation_dir(Hex('b'))));
  EXPECT_TRUE(fs::exists(layout_->generation_dir(Hex('d'))));
  removed = layout_->Prune(2, {});
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(*removed, UnorderedElementsAre(Hex('d')));
  EXPECT_TRUE(fs::is_empty(layout_->staging_dir())) << "removal goes through staging/ and leaves nothing";
}

TEST_F(LayoutTest, PruneKeepsMoreWhenConfigured) {
  for (char c : {'a', 'b', 'c'}) MakeGeneration(Hex(c), std::string(1, c));
  ASSERT_TRUE(layout_->Activate(Hex('a')).ok());
  ASSERT_TRUE(layout_->Activate(Hex('b')).ok());
  auto removed = layout_->Prune(3, {});
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->empty());
}

TEST_F(LayoutTest, AMissingLocalManifestIsReportedNotRepaired) {
  MakeGeneration(Hex('a'), "A");
  ASSERT_TRUE(layout_->Activate(Hex('a')).ok());
  fs::remove(install_ / "manifest.json");
  fs::remove(install_ / "dist");
  auto report = layout_->Recover();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->current, Hex('a'));
  EXPECT_TRUE(report->local_manifest_missing);
  EXPECT_FALSE(fs::exists(fs::symlink_status(install_ / "manifest.json")));
  // The next activation (the re-sync) recreates both links.
  ASSERT_TRUE(layout_->Activate(Hex('a')).ok());
  EXPECT_EQ(Read(install_ / "manifest.json"), "A");
  EXPECT_TRUE(fs::exists(install_ / "dist" / "tools" / "marker.txt"));
}

TEST_F(LayoutTest, AMissingDistLinkBesideAManifestIsRecreated) {
  MakeGeneration(Hex('a'), "A");
  ASSERT_TRUE(layout_->Activate(Hex('a')).ok());
  fs::remove(install_ / "dist");
  auto report = layout_->Recover();
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->local_manifest_missing);
  EXPECT_EQ(fs::read_symlink(install_ / "dist"), fs::path("bundles/current/dist"));
}

TEST_F(LayoutTest, AHandInstalledDistIsMovedAsideByTheFirstBundle) {
  fs::create_directories(install_ / "dist");
  std::ofstream(install_ / "dist" / "mine.so") << "hand-installed";
  auto report = layout_->Recover();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->hand_installed_dist);
  MakeGeneration(Hex('a'), "A");
  ASSERT_TRUE(layout_->Activate(Hex('a')).ok());
  EXPECT_TRUE(fs::is_symlink(install_ / "dist"));
  std::vector<fs::path> aside;
  for (const auto& e : fs::directory_iterator(layout_->bundles_dir())) {
    if (e.path().filename().string().rfind("local-dist-", 0) == 0) aside.push_back(e.path());
  }
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(Read(aside[0] / "mine.so"), "hand-installed");
}

TEST_F(LayoutTest, ALinkToAMissingGenerationIsNoGeneration) {
  fs::create_symlink("generations/" + Hex('e'), layout_->current_link());
  EXPECT_FALSE(layout_->CurrentGeneration().has_value());
  fs::remove(layout_->current_link());
  fs::create_symlink("/etc", layout_->current_link());
  EXPECT_FALSE(layout_->CurrentGeneration().has_value());
}

}  // namespace
}  // namespace edge::runtime::bundles
