// Tests for runtime/src/plugins/content_store.cc: hashing, layout, reuse, and never overwriting.
#include "plugins/content_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "plugin_test_util.h"

namespace edge::runtime::plugins {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testutil::ScratchDir;
using testutil::WriteFile;

constexpr char kAbcSha256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

size_t CountEntries(const fs::path& dir) {
  size_t n = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++n;
  return n;
}

TEST(ContentStoreTest, HashesFiles) {
  ScratchDir dir;
  WriteFile(dir / "abc", "abc");
  EXPECT_EQ(*Sha256File(dir / "abc"), kAbcSha256);
  EXPECT_THAT(std::string(Sha256File(dir / "missing").status().message()), HasSubstr("cannot read '"));
}

TEST(ContentStoreTest, InstallsUnderTheHashAsAReadOnlyFile) {
  ScratchDir dir;
  WriteFile(dir / "plugin.so", "abc");
  auto store = ContentStore::Open(dir / "store");
  ASSERT_TRUE(store.ok()) << store.status();
  auto entry = store->Install(dir / "plugin.so");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->sha256, kAbcSha256);
  EXPECT_EQ(entry->path, dir.path() / "store" / kAbcSha256 / "plugin.so");
  EXPECT_EQ(*Sha256File(entry->path), kAbcSha256);
  struct stat st {};
  ASSERT_EQ(::stat(entry->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0222, 0u) << "store files are never written again";
  EXPECT_EQ(CountEntries(dir / "store"), 1u) << "no temporary directory is left behind";
}

TEST(ContentStoreTest, TheSameBytesReuseTheSamePath) {
  ScratchDir dir;
  WriteFile(dir / "plugin.so", "abc");
  auto store = ContentStore::Open(dir / "store");
  auto first = store->Install(dir / "plugin.so");
  auto second = store->Install(dir / "plugin.so");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->path, second->path);
  EXPECT_EQ(CountEntries(dir / "store"), 1u);
}

TEST(ContentStoreTest, AKnownHashSavesAReadButTheCopyIsStillChecked) {
  ScratchDir dir;
  WriteFile(dir / "plugin.so", "abc");
  auto store = ContentStore::Open(dir / "store");
  auto entry = store->Install(dir / "plugin.so", kAbcSha256);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_TRUE(entry->fresh) << "written and hashed by this call";
  EXPECT_EQ(*Sha256File(entry->path), kAbcSha256);
  auto again = store->Install(dir / "plugin.so", kAbcSha256);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->fresh) << "an existing entry must be re-hashed by the host before dlopen";

  // A hash that does not match the bytes is refused, and nothing is filed under it.
  WriteFile(dir / "other.so", "xyz");
  const std::string wrong(64, 'a');
  auto refused = store->Install(dir / "other.so", wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("changed while it was being installed"));
  EXPECT_FALSE(std::filesystem::exists(dir / "store" / wrong));
}

TEST(ContentStoreTest, NewBytesGetANewPathAndTheOldEntryStays) {
  ScratchDir dir;
  auto store = ContentStore::Open(dir / "store");
  WriteFile(dir / "plugin.so", "abc");
  auto v1 = store->Install(dir / "plugin.so");
  WriteFile(dir / "plugin.so", "abcd");
  auto v2 = store->Install(dir / "plugin.so");
  ASSERT_TRUE(v1.ok() && v2.ok());
  EXPECT_NE(v1->path, v2->path);
  EXPECT_EQ(*Sha256File(v1->path), kAbcSha256);
  EXPECT_EQ(*Sha256File(v2->path), v2->sha256);
}

TEST(ContentStoreTest, TheSameBytesUnderAnotherNameJoinTheEntry) {
  ScratchDir dir;
  auto store = ContentStore::Open(dir / "store");
  WriteFile(dir / "a.so", "abc");
  WriteFile(dir / "b.so", "abc");
  auto a = store->Install(dir / "a.so");
  auto b = store->Install(dir / "b.so");
  ASSERT_TRUE(a.ok() && b.ok()) << b.status();
  EXPECT_EQ(a->path.parent_path(), b->path.parent_path());
  EXPECT_EQ(b->path.filename(), "b.so");
  EXPECT_EQ(CountEntries(a->path.parent_path()), 2u) << "no temporary file is left behind";
}

TEST(ContentStoreTest, NeverOverwritesAnExistingEntry) {
  ScratchDir dir;
  auto store = ContentStore::Open(dir / "store");
  // A tampered entry: the right name for "abc", other bytes. Install must not "repair" it by writing.
  fs::create_directories(dir / "store" / kAbcSha256);
  WriteFile(dir / "store" / kAbcSha256 / "plugin.so", "tampered");
  WriteFile(dir / "plugin.so", "abc");
  auto entry = store->Install(dir / "plugin.so");
  ASSERT_TRUE(entry.ok());
  EXPECT_NE(*Sha256File(entry->path), kAbcSha256) << "left for the host's pre-load check to refuse";
}

TEST(ContentStoreTest, TemporaryStoresAreFreshDirectories) {
  auto a = ContentStore::OpenTemporary();
  auto b = ContentStore::OpenTemporary();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->dir(), b->dir());
  EXPECT_TRUE(fs::is_directory(a->dir()));
  fs::remove_all(a->dir());
  fs::remove_all(b->dir());
}

TEST(ContentStoreTest, RefusesAStoreThatIsAFile) {
  ScratchDir dir;
  WriteFile(dir / "file", "x");
  EXPECT_THAT(std::string(ContentStore::Open(dir / "file").status().message()),
              HasSubstr("as the plugin content store"));
}

}  // namespace
}  // namespace edge::runtime::plugins
