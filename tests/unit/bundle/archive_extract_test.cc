// ExtractArchive (and ReadArchiveManifest, which applies the same entry policy) against archives built entry
// by entry: every unsafe one is refused naming the entry and the rule, and leaves no destination behind.
#include <archive_entry.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "edge/bundle/archive.h"
#include "test_archive.h"

namespace edge::bundle {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ScratchDir;
using testing::TestEntry;

class ExtractTest : public ::testing::Test {
 protected:
  ScratchDir scratch_;
  fs::path archive_ = scratch_ / "bundle.tgz";
  fs::path dest_ = scratch_ / "staging";

  // Refused by ExtractArchive with InvalidArgument mentioning every one of `parts`, no dest left behind; and
  // by ReadArchiveManifest too when `read_too` (duplicates of dist/ files are only seen when writing).
  void ExpectRefused(const std::vector<TestEntry>& entries, const std::vector<std::string>& parts,
                     const ExtractLimits& limits = {}, bool read_too = true) {
    testing::WriteTestArchive(archive_, entries);
    absl::Status s = ExtractArchive(archive_, dest_, limits);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    for (const std::string& p : parts) EXPECT_THAT(std::string(s.message()), HasSubstr(p));
    EXPECT_FALSE(fs::exists(fs::symlink_status(dest_))) << "destination left behind after: " << s;
    if (read_too) {
      absl::StatusOr<ArchiveManifest> read = ReadArchiveManifest(archive_, limits);
      ASSERT_FALSE(read.ok());
      EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << read.status();
      for (const std::string& p : parts) EXPECT_THAT(std::string(read.status().message()), HasSubstr(p));
    }
  }

  static std::vector<TestEntry> With(std::vector<TestEntry> extra) {
    std::vector<TestEntry> entries = testing::ValidBundleEntries();
    entries.insert(entries.end(), extra.begin(), extra.end());
    return entries;
  }
};

TEST_F(ExtractTest, ValidArchiveExtracts) {
  testing::WriteTestArchive(archive_, With({}));
  ASSERT_TRUE(ExtractArchive(archive_, dest_).ok());
  EXPECT_EQ(testing::ReadFile(dest_ / "dist/tools/echo.so"), "pretend plugin bytes");
  EXPECT_TRUE(fs::is_regular_file(dest_ / "manifest.json"));
  EXPECT_EQ(testing::ModeOf(dest_), 0755u);
  EXPECT_EQ(testing::ModeOf(dest_ / "dist/tools"), 0755u);
}

TEST_F(ExtractTest, AbsolutePathRefused) {
  ExpectRefused(With({TestEntry::File("/tmp/evil", "x")}), {"entry '/tmp/evil'", "absolute"});
}

TEST_F(ExtractTest, DotDotRefused) {
  ExpectRefused(With({TestEntry::File("dist/../../evil", "x")}), {"entry 'dist/../../evil'", "'..'"});
}

TEST_F(ExtractTest, DotComponentRefused) {
  ExpectRefused(With({TestEntry::File("./dist/x", "x")}), {"entry './dist/x'", "'.' component"});
}

TEST_F(ExtractTest, TopLevelJunkRefused) {
  ExpectRefused(With({TestEntry::File("README", "x")}), {"entry 'README'", "top level"});
}

TEST_F(ExtractTest, TopLevelSymlinkUpRefused) {
  ExpectRefused(With({TestEntry::Symlink("up", ".."), TestEntry::File("up/evil", "x")}), {"entry 'up'", "top level"});
}

TEST_F(ExtractTest, ManifestMustBeAFile) {
  std::vector<TestEntry> entries = {TestEntry::Dir("manifest.json/"), TestEntry::Dir("dist/")};
  ExpectRefused(entries, {"entry 'manifest.json/'", "must be a regular file"});
}

TEST_F(ExtractTest, DistMustBeADirectory) {
  std::vector<TestEntry> entries = {testing::ValidBundleEntries()[0], TestEntry::File("dist", "x")};
  ExpectRefused(entries, {"entry 'dist'", "must be a directory"});
}

TEST_F(ExtractTest, AbsoluteSymlinkRefused) {
  ExpectRefused(With({TestEntry::Symlink("dist/passwd", "/etc/passwd")}),
                {"entry 'dist/passwd'", "target '/etc/passwd' is absolute"});
}

TEST_F(ExtractTest, SymlinkUpThenWriteThroughItRefusedAtTheLink) {
  ExpectRefused(With({TestEntry::Symlink("dist/up", ".."), TestEntry::File("dist/up/evil", "x")}),
                {"entry 'dist/up'", "resolves outside dist/"});
}

TEST_F(ExtractTest, SymlinkEscapingTwoLevelsRefused) {
  ExpectRefused(With({TestEntry::Symlink("dist/tools/esc", "../../../outside")}),
                {"entry 'dist/tools/esc'", "resolves outside dist/"});
}

TEST_F(ExtractTest, SymlinkToManifestRefused) {
  ExpectRefused(With({TestEntry::Symlink("dist/m", "../manifest.json")}), {"entry 'dist/m'", "outside dist/"});
}

TEST_F(ExtractTest, SymlinkToDistItselfRefused) {
  ExpectRefused(With({TestEntry::Symlink("dist/self", ".")}), {"entry 'dist/self'", "outside dist/"});
}

TEST_F(ExtractTest, WriteThroughInsideSymlinkRefused) {
  ExpectRefused(With({TestEntry::Dir("dist/sub/"), TestEntry::Symlink("dist/lnk", "sub"),
                      TestEntry::File("dist/lnk/evil", "x")}),
                {"entry 'dist/lnk/evil'", "written through the symbolic link 'dist/lnk'"});
}

TEST_F(ExtractTest, ReplacingASymlinkRefused) {
  ExpectRefused(With({TestEntry::Symlink("dist/lnk", "tools/echo.so"), TestEntry::File("dist/lnk", "x")}),
                {"entry 'dist/lnk'", "would replace the symbolic link"});
}

TEST_F(ExtractTest, SymlinkChainEscapingOnDiskRefused) {
  // Each link is inside dist/ lexically, but following t first makes q climb out of the tree.
  std::vector<TestEntry> extra = {TestEntry::Dir("dist/a/b/"), TestEntry::Dir("dist/c/"),
                                  TestEntry::Symlink("dist/a/b/t", "../../c"),
                                  TestEntry::Symlink("dist/q", "a/b/t/../../../e")};
  // ReadArchiveManifest writes nothing and cannot follow links: it applies only the lexical rule.
  ExpectRefused(With(extra), {"entry 'dist/q'", "outside dist/"}, {}, /*read_too=*/false);
}

TEST_F(ExtractTest, SymlinkInsideDistAllowed) {
  testing::WriteTestArchive(archive_, With({TestEntry::Symlink("dist/tools/current.so", "echo.so")}));
  ASSERT_TRUE(ExtractArchive(archive_, dest_).ok());
  EXPECT_TRUE(fs::is_symlink(dest_ / "dist/tools/current.so"));
  EXPECT_EQ(fs::read_symlink(dest_ / "dist/tools/current.so"), "echo.so");
  EXPECT_TRUE(ReadArchiveManifest(archive_).ok());
}

TEST_F(ExtractTest, HardlinkToAbsolutePathRefused) {
  TestEntry link = TestEntry::File("dist/h", "");
  link.hardlink = "/etc/hostname";
  ExpectRefused(With({link}), {"entry 'dist/h'", "hardlinks are not allowed", "/etc/hostname"});
}

TEST_F(ExtractTest, HardlinkInsideTreeRefused) {
  TestEntry link = TestEntry::File("dist/h", "");
  link.hardlink = "dist/tools/echo.so";
  ExpectRefused(With({link}), {"entry 'dist/h'", "hardlinks are not allowed"});
}

TEST_F(ExtractTest, FifoRefused) {
  TestEntry fifo = TestEntry::File("dist/fifo", "");
  fifo.type = AE_IFIFO;
  ExpectRefused(With({fifo}), {"entry 'dist/fifo'", "FIFOs are not allowed"});
}

TEST_F(ExtractTest, CharacterDeviceRefused) {
  TestEntry dev = TestEntry::File("dist/null", "");
  dev.type = AE_IFCHR;
  ExpectRefused(With({dev}), {"entry 'dist/null'", "character devices are not allowed"});
}

TEST_F(ExtractTest, BlockDeviceRefused) {
  TestEntry dev = TestEntry::File("dist/sda", "");
  dev.type = AE_IFBLK;
  ExpectRefused(With({dev}), {"entry 'dist/sda'", "block devices are not allowed"});
}

TEST_F(ExtractTest, ZipBombRefusedByPerEntryCap) {
  TestEntry bomb = TestEntry::File("dist/zeros", "");
  bomb.zero_bytes = 64ull << 20;
  ExtractLimits limits;
  limits.max_entry_bytes = 32ull << 20;
  ExpectRefused(With({bomb}), {"entry 'dist/zeros'", "per-entry cap of 32 MiB", "bundleMaxEntryBytes"}, limits);
}

TEST_F(ExtractTest, TotalBytesCapRefused) {
  std::vector<TestEntry> extra;
  for (int i = 0; i < 3; ++i) {
    TestEntry e = TestEntry::File("dist/part" + std::to_string(i), "");
    e.zero_bytes = 1 << 20;
    extra.push_back(e);
  }
  ExtractLimits limits;
  limits.max_total_bytes = (5ull << 20) / 2;
  ExpectRefused(With(extra), {"entry 'dist/part2'", "expands past 2.5 MiB", "bundleMaxUncompressedBytes"}, limits);
}

TEST_F(ExtractTest, EntryCountCapRefused) {
  std::vector<TestEntry> extra;
  for (int i = 0; i < 30; ++i) extra.push_back(TestEntry::File("dist/f" + std::to_string(i), "x"));
  ExtractLimits limits;
  limits.max_entries = 20;
  ExpectRefused(With(extra), {"more than 20 entries", "bundleMaxEntries"}, limits);
}

TEST_F(ExtractTest, OversizedManifestRefused) {
  std::vector<TestEntry> entries = {TestEntry::File("manifest.json", std::string((4 << 20) + 1, ' '))};
  ExpectRefused(entries, {"entry 'manifest.json'", "manifest cap of 4 MiB"});
}

TEST_F(ExtractTest, DuplicateFileRefused) {
  ExpectRefused(With({TestEntry::File("dist/tools/echo.so", "again")}),
                {"entry 'dist/tools/echo.so'", "appears twice"}, {}, /*read_too=*/false);
}

TEST_F(ExtractTest, MissingManifestRefused) {
  ExpectRefused({TestEntry::Dir("dist/"), TestEntry::File("dist/x", "x")}, {"no manifest.json"});
}

TEST_F(ExtractTest, TruncatedGzipRefused) {
  std::string noise;  // incompressible, so the cut lands inside this entry's data
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    noise += static_cast<char>(x & 0xFF);
  }
  testing::WriteTestArchive(archive_, With({TestEntry::File("dist/noise.bin", noise)}));
  const auto size = fs::file_size(archive_);
  fs::resize_file(archive_, size / 2);
  absl::Status s = ExtractArchive(archive_, dest_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("corrupt or truncated"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("dist/noise.bin"));
  EXPECT_FALSE(fs::exists(dest_));
  EXPECT_FALSE(ReadArchiveManifest(archive_).ok());
}

TEST_F(ExtractTest, GzipCutInItsHeaderRefused) {
  testing::WriteTestArchive(archive_, With({}));
  fs::resize_file(archive_, 12);
  absl::Status s = ExtractArchive(archive_, dest_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("corrupt or truncated"));
  EXPECT_FALSE(fs::exists(dest_));
}

TEST_F(ExtractTest, CorruptGzipRefused) {
  testing::WriteTestArchive(archive_, With({TestEntry::File("dist/data.txt", std::string(50000, 'a'))}));
  std::string bytes = testing::ReadFile(archive_);
  for (size_t i = 20; i < bytes.size() - 8; i += 3) bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
  testing::WriteFile(archive_, bytes);
  absl::Status s = ExtractArchive(archive_, dest_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_FALSE(fs::exists(dest_));
}

TEST_F(ExtractTest, NonArchiveRefused) {
  testing::WriteFile(archive_, "this is not an archive at all\n");
  absl::Status s = ExtractArchive(archive_, dest_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("not a gzip-compressed tar archive"));
  EXPECT_FALSE(fs::exists(dest_));
}

TEST_F(ExtractTest, UncompressedTarRefused) {
  testing::WriteTestArchive(archive_, With({}), /*gzip=*/false);
  absl::Status s = ExtractArchive(archive_, dest_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("not gzip-compressed"));
  EXPECT_FALSE(fs::exists(dest_));
}

TEST_F(ExtractTest, MissingArchiveIsNotFound) {
  EXPECT_EQ(ExtractArchive(scratch_ / "nope.tgz", dest_).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dest_));
}

TEST_F(ExtractTest, PermissionsAreNeverPreserved) {
  testing::WriteTestArchive(archive_, With({TestEntry::File("dist/suid", "x", 04755),
                                            TestEntry::File("dist/sgid", "x", 02711),
                                            TestEntry::File("dist/private", "x", 0600),
                                            TestEntry::File("dist/world", "x", 0666),
                                            TestEntry::File("dist/sticky", "x", 01777)}));
  ASSERT_TRUE(ExtractArchive(archive_, dest_).ok());
  EXPECT_EQ(testing::ModeOf(dest_ / "dist/suid"), 0755u);
  EXPECT_EQ(testing::ModeOf(dest_ / "dist/sgid"), 0755u);
  EXPECT_EQ(testing::ModeOf(dest_ / "dist/private"), 0644u);
  EXPECT_EQ(testing::ModeOf(dest_ / "dist/world"), 0644u);
  EXPECT_EQ(testing::ModeOf(dest_ / "dist/sticky"), 0755u);
  EXPECT_EQ(testing::ModeOf(dest_ / "dist/tools/echo.so"), 0755u);
  EXPECT_EQ(testing::ModeOf(dest_ / "manifest.json"), 0644u);
}

TEST_F(ExtractTest, ExistingDestinationIsKept) {
  testing::WriteTestArchive(archive_, With({}));
  fs::create_directories(dest_);
  testing::WriteFile(dest_ / "keep", "mine");
  absl::Status s = ExtractArchive(archive_, dest_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("already exists"));
  EXPECT_EQ(testing::ReadFile(dest_ / "keep"), "mine");
}

TEST_F(ExtractTest, MissingParentIsFailedPrecondition) {
  testing::WriteTestArchive(archive_, With({}));
  EXPECT_EQ(ExtractArchive(archive_, scratch_ / "no/such/dir").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ExtractTest, DestinationBehindASymlinkWorks) {
  testing::WriteTestArchive(archive_, With({TestEntry::Symlink("dist/tools/current.so", "echo.so")}));
  fs::create_directories(scratch_ / "real");
  fs::create_directory_symlink(scratch_ / "real", scratch_ / "alias");
  ASSERT_TRUE(ExtractArchive(archive_, scratch_ / "alias/staging").ok());
  EXPECT_TRUE(fs::is_regular_file(scratch_ / "real/staging/dist/tools/echo.so"));
}

TEST_F(ExtractTest, EmptyTreeStillGetsDist) {
  testing::WriteTestArchive(archive_, {testing::ValidBundleEntries()[0]});
  ASSERT_TRUE(ExtractArchive(archive_, dest_).ok());
  EXPECT_TRUE(fs::is_directory(dest_ / "dist"));
}

}  // namespace
}  // namespace edge::bundle
