// The lws HTTP client behind the bundle download (runtime/src/bundles/http_get.cc), for what download_test.cc
// does not cover: redirects, bodies that end at the close, early hang-ups, an abort from another thread, and
// https (CA file, wrong CA, hostname check, tlsSkipVerify) against `openssl s_server`.
#include "bundles/http_get.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bundles/download.h"
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

class HttpGetTest : public testing::DownloadFixture {
 protected:
  HttpGetTest() : DownloadFixture("http-get", /*stall_timeout_ms=*/5000) {}
};

TEST_F(HttpGetTest, ARedirectIsNotFollowedAndIsReported) {
  TestHttpServer elsewhere([](const HttpRequest&) { return HttpAnswer{200, "x", "application/gzip"}; });
  TestHttpServer server([&](const HttpRequest&) {
    HttpAnswer a{302, "", "text/plain"};
    a.location = elsewhere.url("/moved");
    return a;
  });
  auto path = DownloadArchive(Request(server.url("/download"), "x"), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("HTTP 302"));
  EXPECT_THAT(path.status().message(), HasSubstr("redirects are not followed (Location: " + elsewhere.url("/moved")));
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(elsewhere.requests().empty());
  EXPECT_TRUE(DownloadsEmpty());
}

TEST_F(HttpGetTest, ABodyThatEndsAtTheCloseIsDownloaded) {
  const std::string body(900, 'g');
  TestHttpServer server([&](const HttpRequest&) {
    HttpAnswer a{200, body, "application/gzip"};
    a.no_length = true;
    return a;
  });
  auto path = DownloadArchive(Request(server.url("/download"), body), settings_);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(fs::file_size(*path), body.size());
}

TEST_F(HttpGetTest, ABodyWithoutAnyLengthOverTheCapIsCutOff) {
  const std::string body(5000, 'h');
  TestHttpServer server([&](const HttpRequest&) {
    HttpAnswer a{200, body, "application/gzip"};
    a.no_length = true;
    return a;
  });
  auto path = DownloadArchive(Request(server.url("/download"), body), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(path.status())) << path.status();
  EXPECT_THAT(path.status().message(), HasSubstr("passed the 1024 bytes limit (bundleMaxBytes)"));
  EXPECT_TRUE(DownloadsEmpty());
}

TEST_F(HttpGetTest, AnAnnouncedLengthOverTheCapIsRefusedBeforeAnyBodyByte) {
  TestHttpServer server([](const HttpRequest&) { return HttpAnswer{200, std::string(5000, 'i'), "application/gzip"}; });
  HttpGetRequest get;
  get.url = server.url("/download");
  get.max_content_length = 1024;
  size_t delivered = 0;
  HttpGetResult out = HttpGet(get, settings_, [&](std::string_view chunk) {
    delivered += chunk.size();
    return true;
  });
  EXPECT_EQ(out.failure, HttpGetFailure::kTooLarge);
  EXPECT_EQ(delivered, 0u);
}

TEST_F(HttpGetTest, AHangUpBeforeTheAnnouncedEndFails) {
  const std::string body(900, 'j');
  TestHttpServer server([&](const HttpRequest&) {
    HttpAnswer a{200, body, "application/gzip"};
    a.stall_after = 100;
    a.close_early = true;
    return a;
  });
  auto path = DownloadArchive(Request(server.url("/download"), body), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("cannot reach the platform"));
  EXPECT_THAT(path.status().message(), HasSubstr("closed after 100 body bytes"));
  EXPECT_TRUE(DownloadsEmpty());
}

TEST_F(HttpGetTest, AnAbortFromAnotherThreadStopsAStalledTransferPromptly) {
  const std::string body(900, 'k');
  TestHttpServer server([&](const HttpRequest&) {
    HttpAnswer a{200, body, "application/gzip"};
    a.stall_after = 100;
    return a;
  });
  std::atomic<bool> abort{false};
  settings_.abort = &abort;
  std::thread shutdown([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    abort.store(true);
  });
  const auto start = std::chrono::steady_clock::now();
  auto path = DownloadArchive(Request(server.url("/download"), body), settings_);
  const auto took = std::chrono::steady_clock::now() - start;
  shutdown.join();
  ASSERT_FALSE(path.ok());
  EXPECT_TRUE(absl::IsCancelled(path.status())) << path.status();
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_TRUE(DownloadsEmpty());
}

TEST_F(HttpGetTest, WorksWhenTheProcessHoldsManyDescriptors) {
  // The context is sized for one connection (fd_limit_per_thread), but a daemon's socket numbers run higher.
  std::vector<int> held;
  for (int i = 0; i < 200; ++i) held.push_back(dup(STDERR_FILENO));
  const std::string body(700, 'q');
  TestHttpServer server([&](const HttpRequest&) { return HttpAnswer{200, body, "application/gzip"}; });
  auto path = DownloadArchive(Request(server.url("/download"), body), settings_);
  for (int fd : held) close(fd);
  ASSERT_TRUE(path.ok()) << path.status();
}

TEST_F(HttpGetTest, AConnectionThatNeverCompletesHitsTheConnectTimeout) {
  // A plain HTTP server never answers a TLS ClientHello: TCP connects, the handshake never ends.
  TestHttpServer server([](const HttpRequest&) { return HttpAnswer{200, "x", "application/gzip"}; });
  settings_.connect_timeout_ms = 300;
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/download";
  const auto start = std::chrono::steady_clock::now();
  auto path = DownloadArchive(Request(url, "x"), settings_);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(path.ok());
  EXPECT_TRUE(absl::IsUnavailable(path.status())) << path.status();
  EXPECT_THAT(path.status().message(), HasSubstr("cannot connect to " + url + " within 300 ms"));
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  EXPECT_TRUE(DownloadsEmpty());
}

// https: certificates made with the openssl command, served by `openssl s_server -WWW` (files from its working
// directory; HTTP/1.0, the body ends at the close).
class HttpsTest : public HttpGetTest {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/bundle-https-XXXXXX";
    certs_ = new fs::path(mkdtemp(tmpl));
    auto make = [](const std::string& name, const std::string& san) {
      const std::string d = certs_->string();
      std::string script = "set -e; cd '" + d + "'; " +
                           "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + name + "-ca -keyout " +
                           name + "-ca.key -out " + name + "-ca.pem 2>/dev/null; " +
                           "openssl req -newkey rsa:2048 -nodes -subj /CN=test -keyout " + name +
                           "-server.key -out " + name + "-server.csr 2>/dev/null; " + "printf 'subjectAltName=" +
                           san + "\\n' > " + name + "-ext.cnf; " + "openssl x509 -req -in " + name +
                           "-server.csr -CA " + name + "-ca.pem -CAkey " + name + "-ca.key -CAcreateserial -days 2 " +
                           "-extfile " + name + "-ext.cnf -out " + name + "-server.pem 2>/dev/null";
      return std::system(("bash -c \"" + script + "\"").c_str()) == 0;
    };
    ok_ = make("good", "IP:127.0.0.1,DNS:localhost") && make("other", "IP:127.0.0.1,DNS:localhost") &&
          make("elsewhere", "DNS:elsewhere.example") && make("v6", "IP:::1");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*certs_);
    delete certs_;
  }

  void SetUp() override {
    HttpGetTest::SetUp();
    ASSERT_TRUE(ok_) << "openssl could not make the test certificates";
  }
  void TearDown() override {
    if (server_pid_ > 0) {
      kill(server_pid_, SIGTERM);
      waitpid(server_pid_, nullptr, 0);
    }
    HttpGetTest::TearDown();
  }

  // Serves dir_/www over https with <name>-server.pem on 127.0.0.1 or [::1]; returns the base URL.
  std::string Serve(const std::string& name, const std::string& file, const std::string& body, bool ipv6 = false) {
    fs::create_directories(dir_ / "www");
    std::ofstream(dir_ / "www" / file) << body;
    sockaddr_storage storage{};
    auto* addr = reinterpret_cast<sockaddr*>(&storage);
    socklen_t len = ipv6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (ipv6) {
      reinterpret_cast<sockaddr_in6*>(addr)->sin6_family = AF_INET6;
      reinterpret_cast<sockaddr_in6*>(addr)->sin6_addr = in6addr_loopback;
    } else {
      reinterpret_cast<sockaddr_in*>(addr)->sin_family = AF_INET;
      reinterpret_cast<sockaddr_in*>(addr)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    int probe = socket(addr->sa_family, SOCK_STREAM, 0);
    bind(probe, addr, len);
    getsockname(probe, addr, &len);
    const int port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(addr)->sin6_port
                                : reinterpret_cast<sockaddr_in*>(addr)->sin_port);
    close(probe);
    const std::string cert = (*certs_ / (name + "-server.pem")).string();
    const std::string key = (*certs_ / (name + "-server.key")).string();
    const std::string host = ipv6 ? "[::1]" : "127.0.0.1";
    const std::string accept = host + ":" + std::to_string(port);
    const std::string www = (dir_ / "www").string();
    server_pid_ = fork();
    if (server_pid_ == 0) {
      if (chdir(www.c_str()) != 0) _exit(127);
      execlp("openssl", "openssl", "s_server", "-quiet", "-WWW", "-accept", accept.c_str(), "-cert", cert.c_str(),
             "-key", key.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) {  // until it listens
      int fd = socket(addr->sa_family, SOCK_STREAM, 0);
      const bool up = connect(fd, addr, len) == 0;
      close(fd);
      if (up) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "https://" + accept;
  }

  static std::string Ca(const std::string& name) { return (*certs_ / (name + "-ca.pem")).string(); }

  static fs::path* certs_;
  static bool ok_;
  pid_t server_pid_ = -1;
};

fs::path* HttpsTest::certs_ = nullptr;
bool HttpsTest::ok_ = false;

TEST_F(HttpsTest, TheCaFileVerifiesThePlatform) {
  const std::string body(700, 'l');
  const std::string base = Serve("good", "archive.tgz", body);
  settings_.ca_file = Ca("good");
  auto path = DownloadArchive(Request(base + "/archive.tgz", body), settings_);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(fs::file_size(*path), body.size());
}

TEST_F(HttpsTest, AnotherCaFailsNamingTheCertificateProblemAndTheCaFile) {
  const std::string body(700, 'm');
  const std::string base = Serve("good", "archive.tgz", body);
  settings_.ca_file = Ca("other");
  auto path = DownloadArchive(Request(base + "/archive.tgz", body), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("TLS certificate verification failed"));
  EXPECT_THAT(path.status().message(), HasSubstr("unable to get local issuer certificate"));
  EXPECT_THAT(path.status().message(), HasSubstr("(CA file " + Ca("other") + ")"));
  EXPECT_TRUE(DownloadsEmpty());
}

TEST_F(HttpsTest, ACertificateForAnotherHostIsRefused) {
  const std::string body(700, 'n');
  const std::string base = Serve("elsewhere", "archive.tgz", body);
  settings_.ca_file = Ca("elsewhere");
  auto path = DownloadArchive(Request(base + "/archive.tgz", body), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("TLS certificate verification failed"));
  EXPECT_THAT(path.status().message(), HasSubstr("mismatch"));
  EXPECT_TRUE(DownloadsEmpty());
}

// lws checks the name it is given up to the first ':', which cannot work for an IPv6 literal: HttpGet checks it.
TEST_F(HttpsTest, AnIpv6LiteralIsCheckedAgainstTheCertificatesAddresses) {
  const std::string body(700, 'p');
  std::string base = Serve("v6", "archive.tgz", body, true);
  settings_.ca_file = Ca("v6");
  auto path = DownloadArchive(Request(base + "/archive.tgz", body), settings_);
  ASSERT_TRUE(path.ok()) << path.status();
  fs::remove(*path);
  kill(server_pid_, SIGTERM);
  waitpid(server_pid_, nullptr, 0);

  base = Serve("good", "archive.tgz", body, true);  // a certificate for 127.0.0.1 and localhost only
  settings_.ca_file = Ca("good");
  path = DownloadArchive(Request(base + "/archive.tgz", body), settings_);
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr("TLS certificate verification failed"));
  EXPECT_THAT(path.status().message(), HasSubstr("IP address mismatch"));
  EXPECT_TRUE(DownloadsEmpty());
}

TEST_F(HttpsTest, TlsSkipVerifyAcceptsAnyCertificate) {
  const std::string body(700, 'o');
  const std::string base = Serve("elsewhere", "archive.tgz", body);
  settings_.ca_file = Ca("other");
  settings_.tls_skip_verify = true;
  auto path = DownloadArchive(Request(base + "/archive.tgz", body), settings_);
  ASSERT_TRUE(path.ok()) << path.status();
}

}  // namespace
}  // namespace edge::runtime::bundles
