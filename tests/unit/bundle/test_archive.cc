// Test helpers for bundle/ (see test_archive.h).
#include "test_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "edge/bundle/tree.h"

namespace edge::bundle::testing {
namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  std::string tmpl = (fs::path(::testing::TempDir()) / "bundle_test_XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

TestEntry TestEntry::File(std::string path, std::string data, mode_t perm) {
  TestEntry e;
  e.path = std::move(path);
  e.data = std::move(data);
  e.perm = perm;
  return e;
}

TestEntry TestEntry::Dir(std::string path) {
  TestEntry e;
  e.path = std::move(path);
  e.type = AE_IFDIR;
  e.perm = 0755;
  return e;
}

TestEntry TestEntry::Symlink(std::string path, std::string target) {
  TestEntry e;
  e.path = std::move(path);
  e.type = AE_IFLNK;
  e.perm = 0777;
  e.symlink = std::move(target);
  return e;
}

void WriteTestArchive(const fs::path& file, const std::vector<TestEntry>& entries, bool gzip) {
  archive* a = archive_write_new();
  ASSERT_NE(a, nullptr);
  if (gzip) {
    ASSERT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  }
  ASSERT_EQ(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
  ASSERT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK) << archive_error_string(a);
  for (const TestEntry& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.perm);
    archive_entry_set_mtime(e, 1763916120, 0);
    const bool has_data = t.type == AE_IFREG && t.hardlink.empty();
    archive_entry_set_size(e, has_data ? static_cast<la_int64_t>(t.zero_bytes > 0 ? t.zero_bytes : t.data.size()) : 0);
    if (!t.symlink.empty()) archive_entry_set_symlink(e, t.symlink.c_str());
    if (!t.hardlink.empty()) archive_entry_set_hardlink(e, t.hardlink.c_str());
    if (t.type == AE_IFCHR || t.type == AE_IFBLK) {
      archive_entry_set_rdevmajor(e, 1);
      archive_entry_set_rdevminor(e, 3);
    }
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << t.path << ": " << archive_error_string(a);
    archive_entry_free(e);
    if (!has_data) continue;
    if (t.zero_bytes > 0) {
      const std::string zeros(1 << 20, '\0');
      for (uint64_t left = t.zero_bytes; left > 0;) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(left, zeros.size()));
        ASSERT_EQ(archive_write_data(a, zeros.data(), n), static_cast<la_ssize_t>(n));
        left -= n;
      }
    } else if (!t.data.empty()) {
      ASSERT_EQ(archive_write_data(a, t.data.data(), t.data.size()), static_cast<la_ssize_t>(t.data.size()));
    }
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

void WriteFile(const fs::path& file, const std::string& data, mode_t perm) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  ::chmod(file.c_str(), perm);
}

std::string ReadFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

mode_t ModeOf(const fs::path& file) {
  struct stat st;
  if (::lstat(file.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

SampleBundle MakeSampleBundle(const fs::path& dir) {
  SampleBundle b;
  b.dist = dir / "dist";
  WriteFile(b.dist / "tools/echo.so", std::string("\x7f" "ELF pretend plugin\0\1\2", 22), 0755);
  WriteFile(b.dist / "tools/echo.json", "{\"greeting\":\"hi\"}\n");
  WriteFile(b.dist / "data/nested/readme.txt", "read me\n");
  auto files = HashTree(b.dist);
  EXPECT_TRUE(files.ok()) << files.status();
  Manifest& m = b.manifest;
  m.org_id = "org_acme";
  m.abi_major = 1;
  m.abi_minor = 0;
  m.arch = "x86_64";
  m.built_at = "2026-11-23T16:42:00Z";
  m.files = *files;
  m.checksum = TreeChecksum(m.files);
  ManifestTool tool;
  tool.name = "echo";
  tool.plugin = "echo";
  tool.plugin_version = "1.0.0";
  tool.file = "tools/echo.so";
  for (const ManifestFile& f : m.files) {
    if (f.path == tool.file) {
      tool.sha256 = f.sha256;
      tool.size = f.size;
    }
  }
  tool.descriptor_json = R"({"name":"echo","inputSchema":{"type":"object"}})";
  m.tools.push_back(tool);
  b.manifest_json = ManifestToJson(m);
  return b;
}

std::vector<TestEntry> ValidBundleEntries() {
  const std::string plugin = "pretend plugin bytes";
  Manifest m;
  m.org_id = "org_acme";
  m.abi_major = 1;
  m.arch = "x86_64";
  m.built_at = "2026-11-23T16:42:00Z";
  m.files.push_back({"tools/echo.so", Sha256Hex(plugin), plugin.size()});
  m.checksum = TreeChecksum(m.files);
  return {TestEntry::File("manifest.json", ManifestToJson(m)), TestEntry::Dir("dist/"),
          TestEntry::Dir("dist/tools/"), TestEntry::File("dist/tools/echo.so", plugin, 0755)};
}

}  // namespace edge::bundle::testing
