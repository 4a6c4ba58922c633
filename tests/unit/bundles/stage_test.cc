// Manifest verification and staging (runtime/src/bundles/verify.cc, stage.cc): a good archive becomes a
// complete generation; every bad archive is refused with its reason and leaves generations/ untouched.
#include "bundles/stage.h"

#include <filesystem>
#include <fstream>

#include "bundle_test_util.h"
#include "bundles/verify.h"
#include "edge/bundle/signature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::runtime::bundles {
namespace {

namespace fs = std::filesystem;
using testing::ExampleSpec;
using ::testing::HasSubstr;
using testing::Scratch;

class StageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layout_ = std::make_unique<Layout>(scratch_ / "install");
    ASSERT_TRUE(layout_->Recover().ok());
    policy_ = HostManifestPolicy();
    policy_.expected_org = "org_test";
  }

  absl::StatusOr<edge::testing::BuiltBundle> Build(const edge::testing::BundleSpec& spec) {
    return edge::testing::BuildBundle(spec, scratch_ / ("build" + std::to_string(++builds_)));
  }
  // Verify + stage, as the sync does.
  absl::StatusOr<std::string> VerifyAndStage(const edge::testing::BuiltBundle& built,
                                             bundle::ExtractLimits limits = {}) {
    absl::StatusOr<VerifiedManifest> verified = VerifyArchiveManifest(built.archive, limits, policy_);
    if (!verified.ok()) return verified.status();
    StageRequest request;
    request.archive = built.archive;
    request.archive_sha256 = built.archive_sha256;
    request.verified = &*verified;
    request.identity = {"b_1", 1, built.manifest.checksum};
    request.limits = limits;
    return StageArchive(*layout_, request);
  }
  bool GenerationsEmpty() const { return fs::is_empty(layout_->generations_dir()); }
  bool StagingEmpty() const { return fs::is_empty(layout_->staging_dir()); }

  Scratch scratch_;
  std::unique_ptr<Layout> layout_;
  ManifestPolicy policy_;
  int builds_ = 0;
};

TEST_F(StageTest, AGoodArchiveBecomesACompleteGeneration) {
  auto built = Build(ExampleSpec(true));
  ASSERT_TRUE(built.ok()) << built.status();
  auto hex = VerifyAndStage(*built);
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_EQ("sha256:" + *hex, built->manifest.checksum);
  const fs::path dir = layout_->generation_dir(*hex);
  EXPECT_TRUE(fs::is_regular_file(dir / "manifest.json"));
  EXPECT_TRUE(fs::is_regular_file(dir / "dist" / "tools" / "echo.so"));
  EXPECT_TRUE(fs::is_regular_file(dir / "dist" / "tools" / "slow.so"));
  std::ifstream sha(dir / "archive.sha256");
  std::string recorded;
  sha >> recorded;
  EXPECT_EQ(recorded, built->archive_sha256);
  auto identity = ReadBundleIdentity(dir);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->bundle_id, "b_1");
  EXPECT_EQ(identity->checksum, built->manifest.checksum);
  EXPECT_TRUE(StagingEmpty());
  // Installing the same content again is the caller's reuse path, not a second extraction.
  auto again = VerifyAndStage(*built);
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();
}

TEST_F(StageTest, ABundleForAnotherOrgIsRefused) {
  auto spec = ExampleSpec();
  spec.org_id = "org_other";
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  auto hex = VerifyAndStage(*built);
  ASSERT_FALSE(hex.ok());
  EXPECT_THAT(hex.status().message(), HasSubstr("built for org org_other"));
  EXPECT_THAT(hex.status().message(), HasSubstr("org_test"));
  EXPECT_TRUE(GenerationsEmpty());
}

TEST_F(StageTest, AnIncompatibleAbiOrPlatformIsRefused) {
  auto spec = ExampleSpec();
  spec.edit_manifest = [](bundle::Manifest& m) { m.abi_major = 2; };
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  auto hex = VerifyAndStage(*built);
  ASSERT_FALSE(hex.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(hex.status())) << hex.status();

  auto other = ExampleSpec();
  other.edit_manifest = [](bundle::Manifest& m) { m.arch = "sparc64"; };
  built = Build(other);
  ASSERT_TRUE(built.ok()) << built.status();
  hex = VerifyAndStage(*built);
  ASSERT_FALSE(hex.ok());
  EXPECT_THAT(hex.status().message(), HasSubstr("sparc64"));
  EXPECT_TRUE(GenerationsEmpty());
}

TEST_F(StageTest, ATamperedTreeIsRefusedAndLeavesNothing) {
  auto spec = ExampleSpec();
  spec.edit_dist = [](const fs::path& dist) { std::ofstream(dist / "tools" / "echo.so", std::ios::app) << "x"; };
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  auto hex = VerifyAndStage(*built);
  ASSERT_FALSE(hex.ok());
  EXPECT_THAT(hex.status().message(), HasSubstr("tools/echo.so"));
  EXPECT_TRUE(GenerationsEmpty());
  EXPECT_TRUE(StagingEmpty());
}

TEST_F(StageTest, AnExtraFileInTheTreeIsRefused) {
  auto spec = ExampleSpec();
  spec.edit_dist = [](const fs::path& dist) { std::ofstream(dist / "smuggled.txt") << "x"; };
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  auto hex = VerifyAndStage(*built);
  ASSERT_FALSE(hex.ok());
  EXPECT_THAT(hex.status().message(), HasSubstr("smuggled.txt"));
  EXPECT_TRUE(GenerationsEmpty());
  EXPECT_TRUE(StagingEmpty());
}

TEST_F(StageTest, ExtractionCapsAreEnforced) {
  auto spec = ExampleSpec(true);
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  bundle::ExtractLimits limits;
  limits.max_entries = 3;
  auto hex = VerifyAndStage(*built, limits);
  ASSERT_FALSE(hex.ok());
  EXPECT_THAT(hex.status().message(), HasSubstr("bundleMaxEntries"));
  EXPECT_TRUE(GenerationsEmpty());
  EXPECT_TRUE(StagingEmpty());
}

TEST_F(StageTest, NotAnArchiveIsRefused) {
  std::ofstream(scratch_ / "junk.tgz") << "this is not gzip";
  auto verified = VerifyArchiveManifest(scratch_ / "junk.tgz", {}, policy_);
  ASSERT_FALSE(verified.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(verified.status())) << verified.status();
}

TEST_F(StageTest, WithATrustRootOnlyBundlesSignedByATrustedKeyPass) {
  auto trusted = protocol::SigningKey::Generate();
  auto stranger = protocol::SigningKey::Generate();
  ASSERT_TRUE(trusted.ok() && stranger.ok());
  auto root = bundle::TrustRoot::FromPem(trusted->PublicPem());
  ASSERT_TRUE(root.ok()) << root.status();
  policy_.trust_root = &*root;

  auto unsigned_bundle = Build(ExampleSpec());
  ASSERT_TRUE(unsigned_bundle.ok());
  auto refused = VerifyArchiveManifest(unsigned_bundle->archive, {}, policy_);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("not signed"));

  auto spec = ExampleSpec();
  spec.sign_key = &*stranger;
  auto by_stranger = Build(spec);
  ASSERT_TRUE(by_stranger.ok());
  refused = VerifyArchiveManifest(by_stranger->archive, {}, policy_);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(refused.status())) << refused.status();

  spec.sign_key = &*trusted;
  auto good = Build(spec);
  ASSERT_TRUE(good.ok());
  auto verified = VerifyArchiveManifest(good->archive, {}, policy_);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->signature_checked);
  auto hex = VerifyAndStage(*good);
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_TRUE(fs::is_regular_file(layout_->generation_dir(*hex) / "manifest.json.sig"));
}

TEST_F(StageTest, ReverifyAcceptsAnIntactGenerationAndUpdatesItsIdentity) {
  auto built = Build(ExampleSpec());
  ASSERT_TRUE(built.ok());
  auto hex = VerifyAndStage(*built);
  ASSERT_TRUE(hex.ok()) << hex.status();
  BundleIdentity other{"b_2", 7, built->manifest.checksum};
  auto verified = ReverifyGeneration(*layout_, *hex, policy_, other);
  ASSERT_TRUE(verified.ok()) << verified.status();
  auto identity = ReadBundleIdentity(layout_->generation_dir(*hex));
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(*identity, other);

  std::ofstream(layout_->generation_dir(*hex) / "dist" / "tools" / "echo.so", std::ios::app) << "rot";
  auto rotten = ReverifyGeneration(*layout_, *hex, policy_, other);
  ASSERT_FALSE(rotten.ok());
  EXPECT_THAT(rotten.status().message(), HasSubstr("tools/echo.so"));
}

}  // namespace
}  // namespace edge::runtime::bundles
