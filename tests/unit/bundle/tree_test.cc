// SHA-256, HashTree, the tree checksum's documented line format, and VerifyTree's precise failures.
#include "edge/bundle/tree.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_archive.h"

namespace edge::bundle {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ScratchDir;

constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Sha256Test, KnownAnswers) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  Sha256 h;
  h.Update("a");
  h.Update("");
  h.Update("bc");
  EXPECT_EQ(h.HexDigest(), Sha256Hex("abc"));
}

TEST(Sha256Test, FileDigest) {
  ScratchDir scratch;
  testing::WriteFile(scratch / "f", "abc");
  absl::StatusOr<std::string> hex = Sha256FileHex(scratch / "f");
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(*hex, Sha256Hex("abc"));
  EXPECT_FALSE(Sha256FileHex(scratch / "missing").ok());
}

TEST(TreeChecksumTest, EmptyTreeHashesTheEmptyString) {
  EXPECT_EQ(TreeChecksum({}), std::string("sha256:") + kEmptySha);
}

TEST(TreeChecksumTest, DocumentedLineFormatInPathOrder) {
  const ManifestFile b{"tools/b.so", Sha256Hex("bee"), 3};
  const ManifestFile a{"a.json", Sha256Hex("{}"), 2};
  // "<sha256>  <size>  <path>\n" per file, bytewise path order.
  const std::string text = Sha256Hex("{}") + "  2  a.json\n" + Sha256Hex("bee") + "  3  tools/b.so\n";
  EXPECT_EQ(TreeChecksum({b, a}), "sha256:" + Sha256Hex(text));
  EXPECT_EQ(TreeChecksum({a, b}), TreeChecksum({b, a}));
}

TEST(TreeChecksumTest, OrderIsBytewise) {
  const ManifestFile upper{"Z", Sha256Hex(""), 0};
  const ManifestFile lower{"a", Sha256Hex(""), 0};
  const std::string text = Sha256Hex("") + "  0  Z\n" + Sha256Hex("") + "  0  a\n";
  EXPECT_EQ(TreeChecksum({lower, upper}), "sha256:" + Sha256Hex(text));
}

TEST(HashTreeTest, ListsRegularFilesSorted) {
  ScratchDir scratch;
  testing::SampleBundle b = testing::MakeSampleBundle(scratch.path());
  absl::StatusOr<std::vector<ManifestFile>> files = HashTree(b.dist);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].path, "data/nested/readme.txt");
  EXPECT_EQ((*files)[0].size, 8u);
  EXPECT_EQ((*files)[0].sha256, Sha256Hex("read me\n"));
  EXPECT_EQ((*files)[1].path, "tools/echo.json");
  EXPECT_EQ((*files)[2].path, "tools/echo.so");
  EXPECT_EQ((*files)[2].size, 22u);
}

TEST(HashTreeTest, SymlinkRefused) {
  ScratchDir scratch;
  testing::SampleBundle b = testing::MakeSampleBundle(scratch.path());
  fs::create_symlink("echo.so", b.dist / "tools/link.so");
  absl::StatusOr<std::vector<ManifestFile>> files = HashTree(b.dist);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(files.status().message()), HasSubstr("dist/tools/link.so: is a symbolic link"));
}

TEST(HashTreeTest, FifoRefused) {
  ScratchDir scratch;
  testing::SampleBundle b = testing::MakeSampleBundle(scratch.path());
  ASSERT_EQ(::mkfifo((b.dist / "pipe").c_str(), 0644), 0);
  absl::StatusOr<std::vector<ManifestFile>> files = HashTree(b.dist);
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(std::string(files.status().message()), HasSubstr("dist/pipe: is a FIFO"));
}

TEST(HashTreeTest, MissingDirectoryIsNotFound) {
  ScratchDir scratch;
  EXPECT_EQ(HashTree(scratch / "nope").status().code(), absl::StatusCode::kNotFound);
}

class VerifyTreeTest : public ::testing::Test {
 protected:
  void ExpectDataLoss(const std::string& part1, const std::string& part2 = "") {
    absl::Status s = VerifyTree(b_.manifest, b_.dist);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(part1));
    EXPECT_THAT(std::string(s.message()), HasSubstr(part2));
  }
  ScratchDir scratch_;
  testing::SampleBundle b_ = testing::MakeSampleBundle(scratch_.path());
};

TEST_F(VerifyTreeTest, IntactTreeVerifies) { EXPECT_TRUE(VerifyTree(b_.manifest, b_.dist).ok()); }

TEST_F(VerifyTreeTest, ModifiedByteNamesPathAndBothHashes) {
  std::string data = testing::ReadFile(b_.dist / "tools/echo.json");
  data[3] = 'X';
  testing::WriteFile(b_.dist / "tools/echo.json", data);
  ExpectDataLoss("dist/tools/echo.json: sha256: expected " + Sha256Hex("{\"greeting\":\"hi\"}\n"),
                 "found " + Sha256Hex(data));
}

TEST_F(VerifyTreeTest, SizeMismatchNamesBothSizes) {
  testing::WriteFile(b_.dist / "data/nested/readme.txt", "read me!\n");
  ExpectDataLoss("dist/data/nested/readme.txt: size: expected 8 bytes, found 9");
}

TEST_F(VerifyTreeTest, MissingFileNamed) {
  fs::remove(b_.dist / "tools/echo.json");
  ExpectDataLoss("dist/tools/echo.json: missing", "expected a regular file of 18 bytes");
}

TEST_F(VerifyTreeTest, ExtraFileNamed) {
  testing::WriteFile(b_.dist / "tools/extra.so", "surprise");
  ExpectDataLoss("dist/tools/extra.so: not listed in the manifest's files[]", "a regular file");
}

TEST_F(VerifyTreeTest, DirectoryInPlaceOfFileNamed) {
  fs::remove(b_.dist / "tools/echo.json");
  fs::create_directory(b_.dist / "tools/echo.json");
  ExpectDataLoss("dist/tools/echo.json: expected a regular file, found a directory");
}

TEST_F(VerifyTreeTest, SymlinkInPlaceOfFileNamed) {
  fs::remove(b_.dist / "tools/echo.json");
  fs::create_symlink("echo.so", b_.dist / "tools/echo.json");
  ExpectDataLoss("dist/tools/echo.json: expected a regular file, found a symbolic link");
}

TEST_F(VerifyTreeTest, ChecksumMismatchNamesBoth) {
  const std::string good = b_.manifest.checksum;
  b_.manifest.checksum = "sha256:" + std::string(64, '0');
  ExpectDataLoss("checksum: expected sha256:" + std::string(64, '0'), "found " + good);
}

TEST_F(VerifyTreeTest, ExtraSymlinkInsideTreeAllowed) {
  fs::create_symlink("echo.so", b_.dist / "tools/current.so");
  EXPECT_TRUE(VerifyTree(b_.manifest, b_.dist).ok());
}

TEST_F(VerifyTreeTest, MissingDistDirectory) {
  absl::Status s = VerifyTree(b_.manifest, scratch_ / "nope");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace edge::bundle
