// The bundle target request and the archive download (runtime/src/bundles/download.cc) against a real HTTP
// server on loopback: every failure names its cause, and nothing but a verified <sha>.tgz is ever left behind.
#include "bundles/download.h"

#include <filesystem>
#include <string>

#include "edge/bundle/tree.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_http_server.h"

namespace edge::runtime::bundles {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::HttpAnswer;
using testing::HttpRequest;
using testing::TestHttpServer;

class DownloadTest : public testing::DownloadFixture {
 protected:
  DownloadTest() : DownloadFixture("download", /*stall_timeout_ms=*/1000) {}

  using DownloadFixture::Request;
  DownloadRequest Request(const TestHttpServer& server, const std::string& body) const {
    return Request(server.url("/api/v1/bundles/b_1/versions/1/download"), body);
  }
};

TEST_F(DownloadTest, StreamsToTheArchiveFileAndSendsTheCredentials) {
  const std::string body(700, 'a');
  TestHttpServer server([&](const HttpRequest&) { return HttpAnswer{200, body, "application/gzip"}; });
  auto path = DownloadArchive(Request(server, body), settings_);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(path->filename().string(), bundle::Sha256Hex(body) + ".tgz");
  EXPECT_EQ(fs::file_size(*path), body.size());
  EXPECT_THAT(Left(), ::testing::ElementsAre(bundle::Sha256Hex(body) + ".tgz"));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].headers.at("authorization"), "Basic ZGVwXzE6c2VjcmV0");
}

TEST_F(DownloadTest, AnAnnouncedLengthOverTheCapIsRefused) {
  const std::string body(2000, 'b');
  TestHttpServer server([&](const HttpRequest&) { return HttpAnswer{200, body, "application/gzip"}; });
  auto path = DownloadArchive(Request(server, body), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("bundle download passed the 1024 bytes limit (bundleMaxBytes)"));
  EXPECT_TRUE(Left().empty());
}

TEST_F(DownloadTest, AChunkedBodyOverTheCapIsCutOffInTheWriteCallback) {
  const std::string body(5000, 'c');
  TestHttpServer server([&](const HttpRequest&) {
    HttpAnswer a{200, body, "application/gzip"};
    a.chunked = true;
    return a;
  });
  auto path = DownloadArchive(Request(server, body), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("passed the 1024 bytes limit (bundleMaxBytes)"));
  EXPECT_TRUE(Left().empty());
}

TEST_F(DownloadTest, TheDefaultCapIsNamedInMegabytes) {
  EXPECT_EQ(FormatByteLimit(52428800), "50 MB");
  EXPECT_EQ(FormatByteLimit(1000), "1000 bytes");
}

TEST_F(DownloadTest, AStalledTransferFailsNamingTheStallSetting) {
  const std::string body(900, 'd');
  TestHttpServer server([&](const HttpRequest&) {
    HttpAnswer a{200, body, "application/gzip"};
    a.stall_after = 100;
    return a;
  });
  auto path = DownloadArchive(Request(server, body), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("stalled"));
  EXPECT_THAT(path.status().message(), HasSubstr("bundleStallTimeoutMs"));
  EXPECT_TRUE(Left().empty());
}

TEST_F(DownloadTest, ATotalTimeoutFailsNamingItsSetting) {
  const std::string body(900, 'd');
  TestHttpServer server([&](const HttpRequest&) {
    HttpAnswer a{200, body, "application/gzip"};
    a.stall_after = 100;
    return a;
  });
  settings_.download_timeout_ms = 300;
  settings_.stall_timeout_ms = 30000;
  auto path = DownloadArchive(Request(server, body), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("timed out after 300 ms (bundleDownloadTimeoutMs)"));
  EXPECT_TRUE(Left().empty());
}

TEST_F(DownloadTest, AnHttpErrorCarriesThePlatformsMessage) {
  TestHttpServer server([](const HttpRequest&) {
    return HttpAnswer{404, R"({"error":{"code":"version_not_found","message":"bundle b_1 has no version 1"}})"};
  });
  auto path = DownloadArchive(Request(server, "x"), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("HTTP 404"));
  EXPECT_THAT(path.status().message(), HasSubstr("bundle b_1 has no version 1 (version_not_found)"));
  EXPECT_TRUE(Left().empty());
}

TEST_F(DownloadTest, WrongBytesFailTheChecksumNamingBothValues) {
  const std::string body(500, 'e');
  TestHttpServer server([&](const HttpRequest&) { return HttpAnswer{200, body + "!", "application/gzip"}; });
  DownloadRequest request = Request(server, body);
  auto path = DownloadArchive(request, settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("archive SHA-256 mismatch: expected " + request.expected_sha256 +
                                                 ", found " + bundle::Sha256Hex(body + "!")));
  EXPECT_TRUE(Left().empty());
}

TEST_F(DownloadTest, AbortStopsTheTransferAndLeavesNothing) {
  const std::string body(900, 'f');
  TestHttpServer server([&](const HttpRequest&) {
    HttpAnswer a{200, body, "application/gzip"};
    a.stall_after = 100;
    return a;
  });
  std::atomic<bool> abort{false};
  settings_.abort = &abort;
  settings_.stall_timeout_ms = 30000;
  DownloadRequest request = Request(server, body);
  bool hook_ran = false;
  request.after_first_chunk = [&] {
    hook_ran = true;
    // The .part holds the first bytes, durably, while the hook runs.
    EXPECT_THAT(Left(), ::testing::ElementsAre(request.expected_sha256 + ".tgz.part"));
    abort.store(true);
  };
  auto path = DownloadArchive(request, settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_TRUE(hook_ran);
  EXPECT_TRUE(absl::IsCancelled(path.status())) << path.status();
  EXPECT_TRUE(Left().empty());
}

TEST_F(DownloadTest, PlainHttpToARemoteHostIsRefusedUnlessAllowed) {
  EXPECT_TRUE(CheckHttpUrl("http://127.0.0.1:3000/", false).ok());
  EXPECT_TRUE(CheckHttpUrl("http://localhost/", false).ok());
  EXPECT_TRUE(CheckHttpUrl("https://platform.example.com/", false).ok());
  absl::Status refused = CheckHttpUrl("http://platform.example.com/api", false);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused));
  EXPECT_THAT(refused.message(), HasSubstr("allowInsecureWs"));
  EXPECT_TRUE(CheckHttpUrl("http://platform.example.com/api", true).ok());
  EXPECT_FALSE(CheckHttpUrl("ftp://platform.example.com/", true).ok());
  EXPECT_FALSE(CheckHttpUrl("https://user:pw@platform.example.com/", true).ok());
}

TEST_F(DownloadTest, UrlsAreJoinedUnderTheApiBase) {
  EXPECT_EQ(JoinUrl("http://h:1/", "/api/v1/x"), "http://h:1/api/v1/x");
  EXPECT_EQ(JoinUrl("http://h:1", "/api/v1/x"), "http://h:1/api/v1/x");
  EXPECT_EQ(JoinUrl("https://h/platform/", "/api/v1/x"), "https://h/platform/api/v1/x");
}

constexpr char kTarget[] =
    R"({"deploymentId":"dep_1","bundleId":"b_7","bundleName":"default","version":3,)"
    R"("checksum":"sha256:3f1c000000000000000000000000000000000000000000000000000000000000",)"
    R"("archiveSha256":"0d4e000000000000000000000000000000000000000000000000000000000000","size":48213,)"
    R"("source":"assignment","pinned":false,"downloadPath":"/api/v1/bundles/b_7/versions/3/download"})";

TEST_F(DownloadTest, FetchesTheTargetWithTheDeploymentsCredentials) {
  TestHttpServer server([](const HttpRequest&) { return HttpAnswer{200, kTarget}; });
  LinkCredentials credentials;
  credentials.authorization = "Bearer jwt";
  credentials.deployment_id = "dep_1";
  auto target = FetchBundleTarget(server.url("/"), credentials, settings_);
  ASSERT_TRUE(target.ok()) << target.status();
  ASSERT_TRUE(target->has_value());
  EXPECT_EQ((*target)->bundle_id, "b_7");
  EXPECT_EQ((*target)->version, 3);
  EXPECT_EQ((*target)->size, 48213);
  EXPECT_EQ((*target)->download_path, "/api/v1/bundles/b_7/versions/3/download");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].path, "/api/v1/deployments/dep_1/bundle");
  EXPECT_EQ(server.requests()[0].headers.at("authorization"), "Bearer jwt");
}

TEST_F(DownloadTest, NoBundleAssignedIsNotAnError) {
  TestHttpServer server([](const HttpRequest&) {
    return HttpAnswer{404, R"({"error":{"code":"no_bundle_assigned","message":"no bundle"}})"};
  });
  LinkCredentials credentials;
  credentials.deployment_id = "dep_1";
  auto target = FetchBundleTarget(server.url(), credentials, settings_);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_FALSE(target->has_value());
}

TEST_F(DownloadTest, OtherTargetFailuresNameTheCause) {
  TestHttpServer server([](const HttpRequest&) {
    return HttpAnswer{401, R"({"error":{"code":"unauthorized","message":"invalid deployment credentials"}})"};
  });
  LinkCredentials credentials;
  credentials.deployment_id = "dep_1";
  auto target = FetchBundleTarget(server.url(), credentials, settings_);
  ASSERT_FALSE(target.ok());
  EXPECT_THAT(target.status().message(), HasSubstr("HTTP 401"));
  EXPECT_THAT(target.status().message(), HasSubstr("invalid deployment credentials"));

  int port = server.port();
  {
    TestHttpServer gone([](const HttpRequest&) { return HttpAnswer{}; });
    port = gone.port();
  }
  auto refused = FetchBundleTarget("http://127.0.0.1:" + std::to_string(port) + "/", credentials, settings_);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("cannot reach the platform"));
}

TEST_F(DownloadTest, TargetsWithUnsafeFieldsAreRefused) {
  std::string bad_path = kTarget;
  bad_path.replace(bad_path.find("/api/v1/bundles/b_7"), 19, "//evil.example.com/x");
  EXPECT_THAT(ParseBundleTarget(bad_path).status().message(), HasSubstr("downloadPath"));
  std::string bad_sha = kTarget;
  bad_sha.replace(bad_sha.find("0d4e"), 4, "../x");
  EXPECT_THAT(ParseBundleTarget(bad_sha).status().message(), HasSubstr("archiveSha256"));
  EXPECT_FALSE(ParseBundleTarget("[]").ok());
}

}  // namespace
}  // namespace edge::runtime::bundles
