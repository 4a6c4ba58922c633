// The real edge-connector binary: `config check`, `auth --token` and `status`, each in a clean environment.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli_test_util.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/health.h"
#include "subprocess.h"

namespace edge::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class ConnectorCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "edge-connector-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // edge-connector with exactly `env` as its environment, so the engineer's shell cannot leak in.
  static ProcessResult Run(const std::vector<std::string>& env, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/env", "-i"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(EDGE_CONNECTOR_BIN);
    argv.insert(argv.end(), args.begin(), args.end());
    Subprocess p(argv);
    return p.Wait(std::chrono::seconds(30));
  }
  void Write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }
  static std::string Read(const std::string& path) {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
  }
  static std::string Token(int64_t exp) {
    auto key = protocol::SigningKey::Generate();
    EXPECT_TRUE(key.ok());
    protocol::JwtClaims c;
    c.subject = "user_7";
    c.org_id = "org_cli";
    c.role = "connector";
    c.issued_at = exp - 7200;
    c.expires_at = exp;
    c.deployment_id = "dep_cli";
    return protocol::SignJwt(*key, c);
  }
  // The line of `config check` output for `key`.
  static std::string Line(const std::string& out, const std::string& key) {
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(key + " ", 0) == 0) return line;
    }
    return "";
  }

  std::string dir_;
};

TEST_F(ConnectorCliTest, ConfigCheckShowsSourcesAndRedactsTheSecret) {
  Write("provisioning.json", R"({"platformApiUrl": "https://prov.example/"})");
  Write("config.json", R"({"healthPort": 9191, "heartbeatIntervalMS": 1000})");
  ProcessResult r = Run({"NEXT_PUBLIC_TOOL_RPC_URL=wss://public.example/rpc", "DEPLOYMENT_ID=dep_9",
                         "DEPLOYMENT_SECRET=very-secret-value"},
                        {"config", "check", "--install-dir", dir_});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("KEY"));
  EXPECT_THAT(Line(r.out, "toolRpcUrl"), HasSubstr("wss://public.example/rpc"));
  EXPECT_THAT(Line(r.out, "toolRpcUrl"), HasSubstr("env NEXT_PUBLIC_TOOL_RPC_URL"));
  EXPECT_THAT(Line(r.out, "platformApiUrl"), HasSubstr("provisioning.json"));
  EXPECT_THAT(Line(r.out, "healthPort"), HasSubstr("9191"));
  EXPECT_THAT(Line(r.out, "healthPort"), HasSubstr("config.json"));
  EXPECT_THAT(Line(r.out, "drainGraceMs"), HasSubstr("default"));
  EXPECT_THAT(Line(r.out, "deploymentSecret"), HasSubstr("<redacted>"));
  EXPECT_THAT(Line(r.out, "deploymentSecret"), HasSubstr("env DEPLOYMENT_SECRET"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("very-secret-value")));
  EXPECT_THAT(r.out, HasSubstr("did you mean \"heartbeatIntervalMs\"?"));
  // Columns line up: every VALUE starts at the same offset.
  size_t column = Line(r.out, "KEY").find("VALUE");
  EXPECT_EQ(Line(r.out, "healthPort").find("9191"), column);

  ProcessResult j = Run({"DEPLOYMENT_SECRET=very-secret-value"}, {"config", "check", "--install-dir", dir_, "--json"});
  ASSERT_EQ(j.exit_code, 0) << Dump(j);
  rapidjson::Document doc = ParseJson(j.out);
  ASSERT_TRUE(doc.IsObject()) << j.out;
  EXPECT_TRUE(doc["ok"].GetBool());
  EXPECT_TRUE(doc["entries"].IsArray());
  EXPECT_EQ(doc["warnings"].Size(), 1u);
  EXPECT_THAT(j.out, Not(HasSubstr("very-secret-value")));
}

TEST_F(ConnectorCliTest, ConfigCheckFailsWith78) {
  Write("config.json", R"({"toolRpcUrl": "http://wrong.example/"})");
  ProcessResult r = Run({}, {"config", "check", "--install-dir", dir_});
  EXPECT_EQ(r.exit_code, 78) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("toolRpcUrl (from config.json)"));
  EXPECT_THAT(r.err, HasSubstr("ws:// or wss://"));
  r = Run({"HEALTH_PORT=99999"}, {"config", "check", "--install-dir", dir_});
  EXPECT_EQ(r.exit_code, 78) << Dump(r);
}

TEST_F(ConnectorCliTest, AuthSavesTheTokenWithMode0600) {
  const int64_t exp = absl::ToUnixSeconds(absl::Now()) + 3600;
  const std::string token = Token(exp);
  ProcessResult r = Run({}, {"auth", "--token", token, "--install-dir", dir_});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const std::string path = dir_ + "/auth-token.json";
  const std::string expires = absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(exp), absl::UTCTimeZone());
  EXPECT_EQ(r.out, "Token saved to " + path + " (org org_cli, subject user_7, expires " + expires + ")\n");
  EXPECT_EQ(Read(path), "{\"token\":\"" + token + "\"}\n");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // AUTH_TOKEN_PATH moves it; a JSON file works as input.
  Write("downloaded.json", "{\"token\": \"" + token + "\"}");
  r = Run({"AUTH_TOKEN_PATH=secrets/tok.json"}, {"auth", "--token", dir_ + "/downloaded.json", "--install-dir", dir_});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("Token saved to " + dir_ + "/secrets/tok.json"));
}

TEST_F(ConnectorCliTest, AuthRejectsAnExpiredToken) {
  ProcessResult r = Run({}, {"auth", "--token", Token(absl::ToUnixSeconds(absl::Now()) - 60), "--install-dir", dir_});
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("Token has expired"));
  EXPECT_FALSE(fs::exists(dir_ + "/auth-token.json"));

  r = Run({}, {"auth", "--token", "not-a-token", "--install-dir", dir_});
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("neither a JWT"));
}

constexpr char kStatusz[] = R"({"state":"serving","ready":true,"readyReason":"","version":"0.1.0","instanceId":"i-1",
"pid":123,"uptimeMs":300000,"rssBytes":7130317,
"link":{"state":"serving","url":"ws://127.0.0.1:3001/","sessionId":"s_1","orgId":"org_y","deploymentId":"dep_x",
"connectedSinceMs":CONNECTED,"lastHeartbeatAckMs":null,"reconnects":0,"connectAttempts":1,"lastError":"",
"nextAttemptInMs":null},
"tools":{"generation":1,"count":7,"names":["echo","edge.ping"]},"bundle":null,
"calls":{"inFlight":0,"running":0,"queued":0,"abandoned":0,"completed":5,"failed":1,"timedOut":2,"cancelled":0,
"rejectedOverloaded":0,"lateResults":0}})";

TEST_F(ConnectorCliTest, StatusSummarizesStatusz) {
  std::string statusz = kStatusz;
  const int64_t connected = absl::ToUnixMillis(absl::Now()) - 5 * 60 * 1000 - 1000;
  statusz.replace(statusz.find("CONNECTED"), 9, std::to_string(connected));
  runtime::Logger quiet([](runtime::LogLevel, std::string_view, std::string_view) {});
  runtime::HealthOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.ready = [](std::string*) { return true; };
  o.statusz = [statusz] { return statusz; };
  o.logger = &quiet;
  runtime::HealthServer server(o);
  ASSERT_TRUE(server.Start().ok());
  const std::string url = absl::StrCat("http://127.0.0.1:", server.port());

  ProcessResult r = Run({}, {"status", "--url", url});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("State: serving (ready)\n"));
  EXPECT_THAT(r.out, HasSubstr("Link: serving ws://127.0.0.1:3001/ as deployment dep_x (org org_y), session s_1, "
                               "connected 5m ago, last heartbeat -, 0 reconnects\n"));
  EXPECT_THAT(r.out, HasSubstr("Tools: 7 (generation 1): echo, edge.ping\n"));
  EXPECT_THAT(r.out, HasSubstr("Bundle: none\n"));
  EXPECT_THAT(r.out, HasSubstr("Calls: 0 in flight (0 running, 0 queued), 5 completed, 1 failed, 2 timed out\n"));
  EXPECT_THAT(r.out, HasSubstr("Process: pid 123, up 5m, RSS 6.8 MiB"));

  // A serving bundle is one readable line, not a JSON dump.
  std::string with_bundle = statusz;
  with_bundle.replace(with_bundle.find(R"("bundle":null)"), 13,
                      R"("bundle":{"id":"b_7Qx2","version":3,"checksum":"sha256:3f1c4a5b6c7d8e9f00112233","source":)"
                      R"("bundle","sync":{"state":"idle","swaps":2,"lastSwapMs":16,"lastError":"",)"
                      R"("retiringGenerations":[{"generation":"9a0b","sinceMs":1}]}})");
  runtime::HealthOptions o2 = o;
  o2.statusz = [with_bundle] { return with_bundle; };
  runtime::HealthServer server2(o2);
  ASSERT_TRUE(server2.Start().ok());
  r = Run({}, {"status", "--url", absl::StrCat("http://127.0.0.1:", server2.port())});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("Bundle: b_7Qx2 v3 (sha256:3f1c4a5b6c7d...), sync idle, 2 swaps (last 16 ms), "
                               "1 generation(s) draining\n"));
  server2.Stop();

  r = Run({}, {"status", "--url", url + "/", "--json"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_EQ(r.out, statusz + "\n");

  // Without --url the port comes from the configuration.
  Write("config.json", absl::StrCat(R"({"healthPort": )", server.port(), R"(, "healthHost": "0.0.0.0"})"));
  r = Run({}, {"status", "--install-dir", dir_});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("State: serving (ready)"));
}

TEST_F(ConnectorCliTest, StatusToleratesMissingFields) {
  runtime::Logger quiet([](runtime::LogLevel, std::string_view, std::string_view) {});
  runtime::HealthOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.statusz = [] { return std::string(R"({"state":"connecting","ready":false,"readyReason":"not connected"})"); };
  o.logger = &quiet;
  runtime::HealthServer server(o);
  ASSERT_TRUE(server.Start().ok());
  ProcessResult r = Run({}, {"status", "--url", absl::StrCat("http://127.0.0.1:", server.port())});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("State: connecting (not ready: not connected)"));
  EXPECT_THAT(r.out, HasSubstr("Link: - - as deployment - (org -)"));
  EXPECT_THAT(r.out, HasSubstr("Process: pid -, up -, RSS -"));
}

TEST_F(ConnectorCliTest, StatusAgainstAClosedPort) {
  // A port that was free a moment ago: bound, then closed without listening.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port));
  close(fd);

  ProcessResult r = Run({}, {"status", "--url", url});
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("connector not reachable at " + url + ": "));
  EXPECT_THAT(r.err, HasSubstr("Is `edge-connector run` running? (health port: HEALTH_PORT)"));
  EXPECT_LT(r.elapsed, std::chrono::seconds(10));
}

}  // namespace
}  // namespace edge::testing
