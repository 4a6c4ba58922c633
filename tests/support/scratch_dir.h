// tests/support/scratch_dir.h: a fresh directory under the test temp dir, removed with everything in it.
#ifndef EDGE_TESTS_SUPPORT_SCRATCH_DIR_H_
#define EDGE_TESTS_SUPPORT_SCRATCH_DIR_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace edge::testing {

// <TempDir>/<prefix>-XXXXXX; path() is empty when it could not be made.
class ScratchDir {
 public:
  explicit ScratchDir(std::string_view prefix) {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / (std::string(prefix) + "-XXXXXX")).string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? std::filesystem::path(pattern) : std::filesystem::path();
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace edge::testing

#endif  // EDGE_TESTS_SUPPORT_SCRATCH_DIR_H_
