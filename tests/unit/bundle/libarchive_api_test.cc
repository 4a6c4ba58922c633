// libarchive loaded at run time: mapped only while an archive operation (or an ArchiveLibrary) holds it, shared
// by concurrent holders, and a missing library named with its Debian package. This executable must not link
// libarchive itself, or the library would stay mapped and the unload checks would prove nothing.
#include "libarchive_api.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "edge/bundle/archive.h"

namespace edge::bundle::internal {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Whether the process has `name` mapped, from /proc/self/maps (dlopen(RTLD_NOLOAD) would take a reference).
bool Mapped(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find(name) != std::string::npos;
}

bool LibArchiveMapped() { return Mapped("/libarchive.so.13"); }

class LibArchiveApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::path(::testing::TempDir()) / "libarchive_api_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "dist" / "lib");
    std::ofstream(dir_ / "dist" / "lib" / "tool.txt") << "hello";
    ASSERT_FALSE(LibArchiveMapped()) << "this test must not link libarchive";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  absl::Status Write(const fs::path& out) {
    return WriteArchive(out, "{\"name\":\"x\"}", std::nullopt, dir_ / "dist", absl::FromUnixSeconds(1700000000));
  }

  fs::path dir_;
};

TEST_F(LibArchiveApiTest, MissingLibraryNamesTheDebianPackage) {
  LibArchive api;
  void* handle = nullptr;
  absl::Status status = LoadLibArchive("libarchive-not-installed.so.13", &api, &handle);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("libarchive-not-installed.so.13 could not be loaded ("));
  EXPECT_THAT(std::string(status.message()), HasSubstr("): install the Debian package libarchive13"));
  EXPECT_EQ(handle, nullptr);
  EXPECT_EQ(api.read_new, nullptr);
}

TEST_F(LibArchiveApiTest, LoadResolvesAWorkingApi) {
  LibArchive api;
  void* handle = nullptr;
  ASSERT_TRUE(LoadLibArchive(kLibArchiveSoname, &api, &handle).ok());
  ASSERT_NE(handle, nullptr);
  archive* reader = api.read_new();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(api.read_support_format_tar(reader), ARCHIVE_OK);
  EXPECT_EQ(api.read_free(reader), ARCHIVE_OK);
  archive_entry* entry = api.entry_new();
  api.entry_set_pathname(entry, "dist/a");
  EXPECT_STREQ(api.entry_pathname(entry), "dist/a");
  api.entry_free(entry);
  dlclose(handle);
  EXPECT_FALSE(LibArchiveMapped());
}

TEST_F(LibArchiveApiTest, MappedOnlyWhileAHandleIsHeld) {
  {
    absl::StatusOr<ArchiveLibrary> library = ArchiveLibrary::Acquire();
    ASSERT_TRUE(library.ok()) << library.status();
    EXPECT_TRUE(LibArchiveLoaded());
    EXPECT_TRUE(LibArchiveMapped());
    EXPECT_TRUE(Mapped("/libxml2.so.2"));  // the dependencies that cost the daemon its idle RSS
  }
  EXPECT_FALSE(LibArchiveLoaded());
  EXPECT_FALSE(LibArchiveMapped());
  EXPECT_FALSE(Mapped("/libxml2.so.2"));
  EXPECT_FALSE(Mapped("/libicudata.so"));
}

TEST_F(LibArchiveApiTest, HoldersShareOneLoadUntilTheLastGoes) {
  absl::StatusOr<ArchiveLibrary> first = ArchiveLibrary::Acquire();
  absl::StatusOr<ArchiveLibrary> second = ArchiveLibrary::Acquire();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(&first->api(), &second->api());
  ArchiveLibrary moved = *std::move(first);  // the moved-from handle releases nothing
  first = absl::UnknownError("gone");
  EXPECT_TRUE(LibArchiveMapped());
  second = absl::UnknownError("gone");
  EXPECT_TRUE(LibArchiveMapped());
  EXPECT_NE(moved.api().read_new, nullptr);
  moved = *ArchiveLibrary::Acquire();  // replacing a handle releases the old one, keeps the new
  EXPECT_TRUE(LibArchiveMapped());
  { ArchiveLibrary gone = std::move(moved); }
  EXPECT_FALSE(LibArchiveMapped());
}

TEST_F(LibArchiveApiTest, OperationsUnloadWhenTheyReturn) {
  ASSERT_TRUE(Write(dir_ / "b.tgz").ok());
  EXPECT_FALSE(LibArchiveMapped());
  absl::StatusOr<ArchiveManifest> manifest = ReadArchiveManifest(dir_ / "b.tgz");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->manifest_json, "{\"name\":\"x\"}");
  EXPECT_FALSE(LibArchiveMapped());
  ASSERT_TRUE(ExtractArchive(dir_ / "b.tgz", dir_ / "out").ok());
  EXPECT_TRUE(fs::exists(dir_ / "out" / "dist" / "lib" / "tool.txt"));
  EXPECT_FALSE(LibArchiveMapped());
  // Errors that come from libarchive itself (a truncated archive) unload too.
  fs::resize_file(dir_ / "b.tgz", 40);
  EXPECT_EQ(ReadArchiveManifest(dir_ / "b.tgz").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(LibArchiveMapped());
}

TEST_F(LibArchiveApiTest, ConcurrentOperationsShareTheLibrary) {
  ASSERT_TRUE(Write(dir_ / "b.tgz").ok());
  constexpr int kThreads = 4;
  constexpr int kRounds = 25;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const fs::path out = dir_ / ("out-" + std::to_string(t) + "-" + std::to_string(i));
        if (!ReadArchiveManifest(dir_ / "b.tgz").ok()) ++failures[t];
        if (!ExtractArchive(dir_ / "b.tgz", out).ok()) ++failures[t];
        if (!Write(out.string() + ".tgz").ok()) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
  EXPECT_FALSE(LibArchiveLoaded());
  EXPECT_FALSE(LibArchiveMapped());
}

}  // namespace
}  // namespace edge::bundle::internal
