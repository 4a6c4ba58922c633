// WriteArchive: a packaged tree round-trips through ExtractArchive and VerifyTree, and packaging is
// deterministic (byte-identical archives for identical inputs, whatever the files' mtimes).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "absl/time/time.h"
#include "edge/bundle/archive.h"
#include "edge/bundle/tree.h"
#include "test_archive.h"

namespace edge::bundle {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ScratchDir;

absl::Time BuiltAt() { return absl::FromUnixSeconds(1795452120); }  // 2026-11-23T16:42:00Z

class WriteArchiveTest : public ::testing::Test {
 protected:
  ScratchDir scratch_;
  testing::SampleBundle bundle_ = testing::MakeSampleBundle(scratch_.path());
};

TEST_F(WriteArchiveTest, RoundTripsThroughExtractAndVerify) {
  const fs::path out = scratch_ / "bundle.tgz";
  ASSERT_TRUE(WriteArchive(out, bundle_.manifest_json, std::nullopt, bundle_.dist, BuiltAt()).ok());
  EXPECT_FALSE(fs::exists(scratch_ / "bundle.tgz.part"));

  const fs::path dest = scratch_ / "extracted";
  ASSERT_TRUE(ExtractArchive(out, dest).ok());
  const std::string manifest_text = testing::ReadFile(dest / "manifest.json");
  EXPECT_EQ(manifest_text, bundle_.manifest_json);
  EXPECT_FALSE(fs::exists(dest / "manifest.json.sig"));
  absl::StatusOr<Manifest> manifest = ParseManifest(manifest_text);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_TRUE(VerifyTree(*manifest, dest / "dist").ok());

  absl::StatusOr<std::vector<ManifestFile>> files = HashTree(dest / "dist");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, bundle_.manifest.files);
  EXPECT_EQ(TreeChecksum(*files), bundle_.manifest.checksum);
}

TEST_F(WriteArchiveTest, ModesAreNormalised) {
  testing::WriteFile(bundle_.dist / "tools/private.bin", "p", 0600);
  testing::WriteFile(bundle_.dist / "tools/owner-exec", "e", 0700);
  const fs::path out = scratch_ / "bundle.tgz";
  ASSERT_TRUE(WriteArchive(out, bundle_.manifest_json, std::nullopt, bundle_.dist, BuiltAt()).ok());
  const fs::path dest = scratch_ / "extracted";
  ASSERT_TRUE(ExtractArchive(out, dest).ok());
  EXPECT_EQ(testing::ModeOf(dest / "dist/tools/echo.so"), 0755u);
  EXPECT_EQ(testing::ModeOf(dest / "dist/tools/owner-exec"), 0755u);
  EXPECT_EQ(testing::ModeOf(dest / "dist/tools/private.bin"), 0644u);
  EXPECT_EQ(testing::ModeOf(dest / "dist/tools/echo.json"), 0644u);
  EXPECT_EQ(testing::ModeOf(dest / "dist/data/nested"), 0755u);
}

TEST_F(WriteArchiveTest, IsByteIdenticalForIdenticalInputs) {
  const fs::path first = scratch_ / "first.tgz";
  const fs::path second = scratch_ / "second.tgz";
  ASSERT_TRUE(WriteArchive(first, bundle_.manifest_json, std::nullopt, bundle_.dist, BuiltAt()).ok());
  // Different on-disk mtimes and a later wall-clock time must not change a byte.
  fs::last_write_time(bundle_.dist / "tools/echo.so", fs::file_time_type::clock::now() - std::chrono::hours(30));
  fs::last_write_time(bundle_.dist / "data", fs::file_time_type::clock::now() + std::chrono::hours(2));
  absl::SleepFor(absl::Seconds(1.1));
  ASSERT_TRUE(WriteArchive(second, bundle_.manifest_json, std::nullopt, bundle_.dist, BuiltAt()).ok());
  const std::string a = testing::ReadFile(first);
  const std::string b = testing::ReadFile(second);
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == b) << "archives differ";
  // gzip header: no mtime stored (bytes 4-7 are zero).
  ASSERT_GT(a.size(), 10u);
  EXPECT_EQ(a.substr(4, 4), std::string(4, '\0'));
}

TEST_F(WriteArchiveTest, DifferentBuiltAtChangesTheArchive) {
  const fs::path first = scratch_ / "first.tgz";
  const fs::path second = scratch_ / "second.tgz";
  ASSERT_TRUE(WriteArchive(first, bundle_.manifest_json, std::nullopt, bundle_.dist, BuiltAt()).ok());
  ASSERT_TRUE(
      WriteArchive(second, bundle_.manifest_json, std::nullopt, bundle_.dist, BuiltAt() + absl::Seconds(1)).ok());
  EXPECT_NE(testing::ReadFile(first), testing::ReadFile(second));
}

TEST_F(WriteArchiveTest, SignatureIsStoredNextToTheManifest) {
  const fs::path out = scratch_ / "bundle.tgz";
  const std::string sig = R"({"alg":"EdDSA","keyId":"0123456789abcdef","signature":"x"})";
  ASSERT_TRUE(WriteArchive(out, bundle_.manifest_json, sig, bundle_.dist, BuiltAt()).ok());
  const fs::path dest = scratch_ / "extracted";
  ASSERT_TRUE(ExtractArchive(out, dest).ok());
  EXPECT_EQ(testing::ReadFile(dest / "manifest.json.sig"), sig);
}

TEST_F(WriteArchiveTest, SymlinkInTreeIsRefused) {
  fs::create_symlink("echo.so", bundle_.dist / "tools/current.so");
  absl::Status s = WriteArchive(scratch_ / "bundle.tgz", bundle_.manifest_json, std::nullopt, bundle_.dist, BuiltAt());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("dist/tools/current.so"));
  EXPECT_FALSE(fs::exists(scratch_ / "bundle.tgz"));
  EXPECT_FALSE(fs::exists(scratch_ / "bundle.tgz.part"));
}

TEST_F(WriteArchiveTest, MissingDistIsNotFound) {
  absl::Status s =
      WriteArchive(scratch_ / "bundle.tgz", bundle_.manifest_json, std::nullopt, scratch_ / "nope", BuiltAt());
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
}

TEST_F(WriteArchiveTest, ReplacesAnExistingArchive) {
  const fs::path out = scratch_ / "bundle.tgz";
  testing::WriteFile(out, "old contents");
  ASSERT_TRUE(WriteArchive(out, bundle_.manifest_json, std::nullopt, bundle_.dist, BuiltAt()).ok());
  EXPECT_TRUE(ReadArchiveManifest(out).ok());
}

}  // namespace
}  // namespace edge::bundle
