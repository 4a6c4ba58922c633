// relay_test_util.h: a temporary relay directory and webhook lists for the relay's unit tests.
#ifndef EDGE_TESTS_UNIT_RELAY_RELAY_TEST_UTIL_H_
#define EDGE_TESTS_UNIT_RELAY_RELAY_TEST_UTIL_H_

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "edge/protocol/auth.h"
#include "edge/protocol/messages.h"
#include "gtest/gtest.h"

namespace edge::runtime::relay::testing {

// A fresh directory under $TMPDIR, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "edge-relay-test-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline constexpr char kToken[] = "tok_4Jc9cZbWm1oQyQ3e8S2nV7xY5uR0aL6kT3pD9fG1hE2";
inline constexpr char kSecret[] = "s3cr3t";

// wh_plain (no HMAC) and wh_signed (X-Hub-Signature-256 with kSecret), both with kToken.
inline protocol::WebhooksConfigParams TwoWebhooks() {
  protocol::WebhooksConfigParams list;
  list.webhooks.push_back({"wh_plain", "github-main", protocol::Sha256Hex(kToken), std::nullopt});
  protocol::WebhookHmac hmac;
  hmac.secret = kSecret;
  list.webhooks.push_back({"wh_signed", "github-main", protocol::Sha256Hex(kToken), hmac});
  return list;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::vector<std::string> FileNames(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace edge::runtime::relay::testing

#endif  // EDGE_TESTS_UNIT_RELAY_RELAY_TEST_UTIL_H_
