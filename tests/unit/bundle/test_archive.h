// Test helpers for bundle/: scratch directories, archives built entry by entry with libarchive's write API
// (so tests can make the malicious ones a packager never would), and a small valid bundle.
#ifndef EDGE_TESTS_UNIT_BUNDLE_TEST_ARCHIVE_H_
#define EDGE_TESTS_UNIT_BUNDLE_TEST_ARCHIVE_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "edge/bundle/manifest.h"

namespace edge::bundle::testing {

// A fresh directory under the test temp dir, removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

struct TestEntry {
  std::string path;
  mode_t type = 0100000;  // AE_IFREG
  mode_t perm = 0644;
  std::string data;
  std::string symlink;      // AE_IFLNK target
  std::string hardlink;     // makes a hardlink entry to this path
  uint64_t zero_bytes = 0;  // streamed zeros instead of `data` (bombs)

  static TestEntry File(std::string path, std::string data, mode_t perm = 0644);
  static TestEntry Dir(std::string path);
  static TestEntry Symlink(std::string path, std::string target);
};

// Writes `entries` in order as a pax tar, gzip-compressed unless `gzip` is false.
void WriteTestArchive(const std::filesystem::path& file, const std::vector<TestEntry>& entries, bool gzip = true);

void WriteFile(const std::filesystem::path& file, const std::string& data, mode_t perm = 0644);
std::string ReadFile(const std::filesystem::path& file);
mode_t ModeOf(const std::filesystem::path& file);  // permission bits incl. suid/sgid/sticky

// A dist/ tree with a plugin (0755) and two other files, and a manifest describing it.
struct SampleBundle {
  std::filesystem::path dist;
  Manifest manifest;
  std::string manifest_json;
};
SampleBundle MakeSampleBundle(const std::filesystem::path& dir);

// A valid manifest (plus dist/ files' contents) for entries in hand-built archives.
std::vector<TestEntry> ValidBundleEntries();

}  // namespace edge::bundle::testing

#endif  // EDGE_TESTS_UNIT_BUNDLE_TEST_ARCHIVE_H_
