// ReadArchiveManifest: the platform's view of an upload (manifest and signature, nothing extracted).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "edge/bundle/archive.h"
#include "test_archive.h"

namespace edge::bundle {
namespace {
using ::testing::HasSubstr;
using testing::ScratchDir;
using testing::TestEntry;

TEST(ReadArchiveManifestTest, ReturnsManifestAndSignature) {
  ScratchDir scratch;
  std::vector<TestEntry> entries = testing::ValidBundleEntries();
  entries.insert(entries.begin() + 1, TestEntry::File("manifest.json.sig", "{\"sig\":1}"));
  testing::WriteTestArchive(scratch / "b.tgz", entries);
  absl::StatusOr<ArchiveManifest> read = ReadArchiveManifest(scratch / "b.tgz");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->manifest_json, entries[0].data);
  ASSERT_TRUE(read->signature_json.has_value());
  EXPECT_EQ(*read->signature_json, "{\"sig\":1}");
  EXPECT_FALSE(std::filesystem::exists(scratch / "dist"));
}

TEST(ReadArchiveManifestTest, UnsignedHasNoSignature) {
  ScratchDir scratch;
  testing::WriteTestArchive(scratch / "b.tgz", testing::ValidBundleEntries());
  absl::StatusOr<ArchiveManifest> read = ReadArchiveManifest(scratch / "b.tgz");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->signature_json.has_value());
}

TEST(ReadArchiveManifestTest, ManifestAnywhereInTheArchiveIsFound) {
  ScratchDir scratch;
  std::vector<TestEntry> entries = testing::ValidBundleEntries();
  std::rotate(entries.begin(), entries.begin() + 1, entries.end());  // manifest last
  testing::WriteTestArchive(scratch / "b.tgz", entries);
  absl::StatusOr<ArchiveManifest> read = ReadArchiveManifest(scratch / "b.tgz");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->manifest_json, entries.back().data);
}

TEST(ReadArchiveManifestTest, DuplicateManifestRefused) {
  ScratchDir scratch;
  std::vector<TestEntry> entries = testing::ValidBundleEntries();
  entries.push_back(TestEntry::File("manifest.json", "{}"));
  testing::WriteTestArchive(scratch / "b.tgz", entries);
  absl::StatusOr<ArchiveManifest> read = ReadArchiveManifest(scratch / "b.tgz");
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("entry 'manifest.json': appears twice"));
}

TEST(ReadArchiveManifestTest, MissingFileIsNotFound) {
  ScratchDir scratch;
  EXPECT_EQ(ReadArchiveManifest(scratch / "none.tgz").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace edge::bundle
