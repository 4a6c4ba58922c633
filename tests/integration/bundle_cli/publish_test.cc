// `edge-connector upload` and `bundle list|set-default|assign|checkout|rename` against a real edge-platform on
// loopback: versions, deduplication, progress output, pinning, a verified checkout, and readable errors.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <rapidjson/document.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "bundle_cli_util.h"
#include "edge/bundle/tree.h"

extern char** environ;

namespace edge::testing {
namespace {

class PublishTest : public BundleCliTest {
 protected:
  void SetUp() override {
    BundleCliTest::SetUp();
    data_ = root_ + "/data";
    AdminOk(data_, {"create-org", "--name", "Acme", "--id", "org_acme"});
    token_ = AdminOk(data_, {"issue-token", "--org", "org_acme"});
    rapidjson::Document dep;
    const std::string dep_json = AdminOk(data_, {"create-deployment", "--org", "org_acme", "--name", "gw", "--json"});
    dep.Parse(dep_json.c_str());
    deployment_ = JsonAt(dep, "/id");
    server_ = std::make_unique<PlatformServer>(data_, std::vector<std::string>{"--enable-test-hooks"});
    ASSERT_TRUE(server_->Start()) << "edge-platform did not start";
    api_ = server_->api_url();

    // Two bundles' worth of content: echo + slow, and echo alone.
    full_ = Build("full", {EDGE_ECHO_PLUGIN, EDGE_SLOW_PLUGIN});
    small_ = Build("small", {EDGE_ECHO_PLUGIN});
  }
  void TearDown() override {
    server_.reset();
    BundleCliTest::TearDown();
  }

  fs::path Build(const std::string& name, const std::vector<std::string>& plugins) {
    const fs::path impl = Dir(name + "-impl"), out = Dir(name + "-out");
    for (const auto& p : plugins) AddPlugin(impl, p);
    ProcessResult r = RunCli({"package", "--implementations", impl.string(), "--out", out.string(), "--org",
                              "org_acme", "--built-at", "2026-11-23T16:42:00Z"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out / "edge-bundle-org_acme-20261123T164200Z.tgz";
  }

  // `edge-connector <args> --api <platform> --token <admin>`.
  ProcessResult Cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--api", api_, "--token", token_});
    return RunCli(args);
  }
  rapidjson::Document CliJson(std::vector<std::string> args) {
    args.push_back("--json");
    ProcessResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    rapidjson::Document doc;
    doc.Parse(r.out.c_str());
    EXPECT_FALSE(doc.HasParseError()) << r.out;
    return doc;
  }
  std::string UploadId(const fs::path& archive) {
    rapidjson::Document doc = CliJson({"upload", "--file", archive.string()});
    return JsonAt(doc, "/bundle/id");
  }
  rapidjson::Document Target() {
    HttpResult r = Http("GET", api_ + "/api/v1/deployments/" + deployment_ + "/bundle", "", Bearer(token_));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }

  std::string data_, token_, deployment_, api_;
  std::unique_ptr<PlatformServer> server_;
  fs::path full_, small_;
};

TEST_F(PublishTest, UploadStoresVersionsDedupesAndReportsProgressInPlainLines) {
  ProcessResult first = Cli({"upload", "--file", full_.string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string checksum = ManifestOf(full_).checksum;
  EXPECT_TRUE(Contains(first.out, "as version 1 of bundle 'default'")) << first.out;
  EXPECT_TRUE(Contains(first.out, "Checksum: " + checksum)) << first.out;
  EXPECT_TRUE(Contains(first.out, "Tools: echo, slow.count, slow.exclusive")) << first.out;
  // Not a terminal: plain lines, never a carriage return.
  const std::string name = full_.filename().string();
  EXPECT_TRUE(Contains(first.err, "Uploading " + name + ": 100%")) << first.err;
  EXPECT_FALSE(Contains(first.err, "\r")) << first.err;

  ProcessResult again = Cli({"upload", "--file", full_.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(Contains(again.out, "Already uploaded: version 1 of bundle 'default'")) << again.out;

  rapidjson::Document second = CliJson({"upload", "--file", small_.string()});
  EXPECT_EQ(JsonAt(second, "/version/version"), "2");
  EXPECT_EQ(JsonAt(second, "/deduplicated"), "false");
  EXPECT_EQ(JsonAt(second, "/version/checksum"), ManifestOf(small_).checksum);
  rapidjson::Document dedup = CliJson({"upload", "--file", full_.string()});
  EXPECT_EQ(JsonAt(dedup, "/deduplicated"), "true");
  EXPECT_EQ(JsonAt(dedup, "/version/version"), "1");

  // Another bundle by name, then by id.
  rapidjson::Document named = CliJson({"upload", "--file", small_.string(), "--name", "canary"});
  EXPECT_EQ(JsonAt(named, "/bundle/name"), "canary");
  EXPECT_EQ(JsonAt(named, "/version/version"), "1");
  rapidjson::Document by_id =
      CliJson({"upload", "--file", full_.string(), "--bundle-id", JsonAt(named, "/bundle/id")});
  EXPECT_EQ(JsonAt(by_id, "/version/version"), "2");
}

TEST_F(PublishTest, UploadPackagesFirstWithoutFile) {
  const fs::path impl = Dir("impl"), out = Dir("upload-out");
  AddPlugin(impl, EDGE_ECHO_PLUGIN);
  ProcessResult r = Cli({"upload", "--implementations", impl.string(), "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // org taken from the admin token
  ASSERT_EQ(ListDir(out).size(), 1u);
  const fs::path archive = out / ListDir(out)[0];
  EXPECT_TRUE(Contains(r.err, "Packaged " + archive.string())) << r.err;
  EXPECT_TRUE(Contains(r.out, "Checksum: " + ManifestOf(archive).checksum)) << r.out;

  ProcessResult both = Cli({"upload", "--file", archive.string(), "--implementations", impl.string()});
  EXPECT_EQ(both.exit_code, 64);
  ProcessResult neither = Cli({"upload"});
  EXPECT_EQ(neither.exit_code, 64);
  EXPECT_TRUE(Contains(neither.err, "--implementations DIR")) << neither.err;
}

TEST_F(PublishTest, ListRenameAndSetDefault) {
  ProcessResult empty = Cli({"bundle", "list"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_TRUE(Contains(empty.out, "No bundles yet")) << empty.out;

  const std::string id = UploadId(full_);
  UploadId(small_);
  ProcessResult list = Cli({"bundle", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(Contains(list.out, "ID")) << list.out;
  EXPECT_TRUE(Contains(list.out, id)) << list.out;
  const std::string short_checksum = ManifestOf(small_).checksum.substr(7, 12);
  EXPECT_TRUE(Contains(list.out, short_checksum)) << "the latest version's checksum: " << list.out;
  EXPECT_TRUE(Contains(list.out, "v2")) << list.out;

  rapidjson::Document json = CliJson({"bundle", "list"});
  EXPECT_EQ(JsonAt(json, "/bundles/0/id"), id);
  EXPECT_EQ(JsonAt(json, "/bundles/0/latestVersion"), "2");
  EXPECT_EQ(JsonAt(json, "/bundles/0/isDefault"), "false");

  ProcessResult renamed = Cli({"bundle", "rename", id, "production"});
  ASSERT_EQ(renamed.exit_code, 0) << renamed.err;
  EXPECT_TRUE(Contains(renamed.out, "now named 'production'")) << renamed.out;
  EXPECT_EQ(JsonAt(CliJson({"bundle", "list"}), "/bundles/0/name"), "production");

  ProcessResult following = Cli({"bundle", "set-default", id});
  ASSERT_EQ(following.exit_code, 0) << following.err;
  EXPECT_TRUE(Contains(following.out, "following its latest version")) << following.out;
  EXPECT_TRUE(Contains(Cli({"bundle", "list"}).out, "yes")) << "default marker";

  rapidjson::Document pinned = CliJson({"bundle", "set-default", id, "--version", "1"});
  EXPECT_EQ(JsonAt(pinned, "/isDefault"), "true");
  EXPECT_EQ(JsonAt(pinned, "/defaultVersion"), "1");
  EXPECT_TRUE(Contains(Cli({"bundle", "list"}).out, "yes, v1 pinned"));
  // The deployment has no assignment of its own: it resolves to the pinned default.
  EXPECT_EQ(JsonAt(Target(), "/source"), "default");
  EXPECT_EQ(JsonAt(Target(), "/version"), "1");
}

TEST_F(PublishTest, AssignPinsOrFollowsAndClears) {
  const std::string id = UploadId(full_);
  UploadId(small_);
  ProcessResult follow = Cli({"bundle", "assign", id, "--deployment", deployment_});
  ASSERT_EQ(follow.exit_code, 0) << follow.err;
  EXPECT_TRUE(Contains(follow.out, "version 2, following the latest version")) << follow.out;
  EXPECT_EQ(JsonAt(Target(), "/pinned"), "false");
  EXPECT_EQ(JsonAt(Target(), "/version"), "2");

  rapidjson::Document pinned = CliJson({"bundle", "assign", id, "--deployment", deployment_, "--version", "1"});
  EXPECT_EQ(JsonAt(pinned, "/version"), "1");
  EXPECT_EQ(JsonAt(pinned, "/pinned"), "true");
  EXPECT_EQ(JsonAt(pinned, "/checksum"), ManifestOf(full_).checksum);
  // A new upload does not move a pinned deployment.
  const fs::path third_impl = Dir("third");
  AddPlugin(third_impl, EDGE_SLOW_PLUGIN);
  ProcessResult third = Cli({"upload", "--implementations", third_impl.string(), "--out", Dir("third-out").string()});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(JsonAt(Target(), "/version"), "1");

  ProcessResult cleared = Cli({"bundle", "assign", "--clear", "--deployment", deployment_});
  ASSERT_EQ(cleared.exit_code, 0) << cleared.err;
  EXPECT_TRUE(Contains(cleared.out, "has no bundle")) << "no org default is set: " << cleared.out;

  ProcessResult no_id = Cli({"bundle", "assign", "--deployment", deployment_});
  EXPECT_EQ(no_id.exit_code, 64);
  ProcessResult unknown = Cli({"bundle", "assign", id, "--deployment", deployment_, "--version", "9"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(Contains(unknown.err, "(HTTP 404 version_not_found)")) << unknown.err;
}

TEST_F(PublishTest, CheckoutReproducesTheChecksumAndTheFiles) {
  const std::string id = UploadId(full_);
  UploadId(small_);
  const bundle::Manifest manifest = ManifestOf(full_);
  const fs::path out = Dir("checkout");
  ProcessResult r = Cli({"bundle", "checkout", id, "--version", "1", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path dir = out / "default-v1";
  EXPECT_TRUE(Contains(r.out, "into " + dir.string())) << r.out;
  EXPECT_TRUE(Contains(r.out, "Checksum: " + manifest.checksum + " (verified")) << r.out;
  EXPECT_EQ(ListDir(out), std::vector<std::string>{"default-v1"}) << "the downloaded archive is removed";
  EXPECT_EQ(bundle::TreeChecksum(*bundle::HashTree(dir / "dist")), manifest.checksum);
  EXPECT_TRUE(ReadText(dir / "dist/tools/echo.so") == ReadText(EDGE_ECHO_PLUGIN));

  // The latest by default, with JSON; an existing directory is never overwritten.
  rapidjson::Document latest = CliJson({"bundle", "checkout", id, "--out", out.string()});
  EXPECT_EQ(JsonAt(latest, "/version"), "2");
  EXPECT_EQ(JsonAt(latest, "/checksum"), ManifestOf(small_).checksum);
  EXPECT_EQ(JsonAt(latest, "/verified"), "true");
  ProcessResult again = Cli({"bundle", "checkout", id, "--version", "1", "--out", out.string()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.err, dir.string() + " already exists")) << again.err;
}

TEST_F(PublishTest, CheckoutRefusesADamagedDownloadAndLeavesNothing) {
  const std::string id = UploadId(full_);
  const fs::path out = Dir("checkout");
  for (const char* mode : {"corrupt", "truncate"}) {
    HttpResult fault = Http("POST", api_ + "/api/v1/test/download-fault",
                            std::string(R"({"mode":")") + mode + R"(","count":1})", Bearer(token_));
    ASSERT_EQ(fault.status, 200) << fault.body;
    ProcessResult r = Cli({"bundle", "checkout", id, "--out", out.string()});
    EXPECT_EQ(r.exit_code, 1) << mode;
    EXPECT_TRUE(ListDir(out).empty()) << mode << ": neither the archive nor a partial tree may remain";
    if (std::string(mode) == "corrupt") {
      EXPECT_TRUE(Contains(r.err, "the downloaded archive's SHA-256 is")) << r.err;
    } else {
      EXPECT_TRUE(Contains(r.err, "downloading from " + api_ + " failed")) << r.err;
    }
  }
  ProcessResult healthy = Cli({"bundle", "checkout", id, "--out", out.string()});
  EXPECT_EQ(healthy.exit_code, 0) << healthy.err;
}

TEST_F(PublishTest, ErrorsAreReadableAndExitCodesTellThemApart) {
  ProcessResult missing = Cli({"bundle", "rename", "b_nope", "x"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, "(HTTP 404 bundle_not_found)")) << missing.err;
  EXPECT_FALSE(Contains(missing.err, "{")) << "no raw JSON: " << missing.err;

  ProcessResult no_token = RunCli({"bundle", "list", "--api", api_, "--install-dir", empty_install_});
  EXPECT_EQ(no_token.exit_code, 78);
  EXPECT_TRUE(Contains(no_token.err, "no platform token")) << no_token.err;
  ProcessResult bad_url = RunCli({"bundle", "list", "--api", "ftp://x", "--token", token_});
  EXPECT_EQ(bad_url.exit_code, 78);
  EXPECT_TRUE(Contains(bad_url.err, "not an http(s) URL")) << bad_url.err;
  ProcessResult bad_token = RunCli({"bundle", "list", "--api", api_, "--token", "garbage"});
  EXPECT_EQ(bad_token.exit_code, 1);
  EXPECT_TRUE(Contains(bad_token.err, "(HTTP 401 unauthorized)")) << bad_token.err;

  ProcessResult too_big = Cli({"upload", "--file", full_.string(), "--max-bytes", "1000"});
  EXPECT_EQ(too_big.exit_code, 1);
  EXPECT_TRUE(Contains(too_big.err, "over the limit of 1000 B (1000 bytes)")) << too_big.err;
  EXPECT_TRUE(Contains(Cli({"bundle", "list"}).out, "No bundles yet")) << "nothing was sent";

  server_->Stop();
  ProcessResult down = Cli({"bundle", "list"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_TRUE(Contains(down.err, "platform not reachable at " + api_)) << down.err;
}

TEST_F(PublishTest, PlatformLimitIsReportedWithItsMessage) {
  const std::string data = root_ + "/small-limit";
  AdminOk(data, {"create-org", "--name", "Acme", "--id", "org_acme"});
  const std::string token = AdminOk(data, {"issue-token", "--org", "org_acme"});
  PlatformServer limited(data, {"--max-bundle-bytes", "1000"});
  ASSERT_TRUE(limited.Start());
  ProcessResult r = RunCli({"upload", "--file", full_.string(), "--api", limited.api_url(), "--token", token});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "(HTTP 413 bundle_too_large)")) << r.err;
  EXPECT_TRUE(Contains(r.err, "(1000 bytes)")) << "the message names the limit: " << r.err;
}

// Runs the CLI with stderr on a pseudo-terminal (stdout on /dev/null); returns what the terminal showed.
std::string RunOnTerminal(const std::vector<std::string>& args, int* exit_code) {
  int master = -1, slave = -1;
  if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) return "openpty failed";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, slave, STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, master);
  std::vector<std::string> argv = {EDGE_CONNECTOR_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(slave);
  std::string seen;
  if (rc == 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{master, POLLIN, 0};
      if (poll(&p, 1, 1000) <= 0) continue;
      ssize_t n = read(master, buffer, sizeof(buffer));
      if (n <= 0) break;  // EIO once the child closed the terminal
      seen.append(buffer, static_cast<size_t>(n));
    }
    int status = 0;
    waitpid(pid, &status, 0);
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  close(master);
  return seen;
}

TEST_F(PublishTest, ProgressOnATerminalIsOneRedrawnBar) {
  int exit_code = -1;
  const std::string shown =
      RunOnTerminal({"upload", "--file", full_.string(), "--api", api_, "--token", token_}, &exit_code);
  EXPECT_EQ(exit_code, 0) << shown;
  EXPECT_TRUE(Contains(shown, "\rUploading " + full_.filename().string() + " [")) << shown;
  EXPECT_TRUE(Contains(shown, "100%")) << shown;
  EXPECT_FALSE(Contains(shown, ": 25%")) << "no plain lines on a terminal: " << shown;
}

}  // namespace
}  // namespace edge::testing
