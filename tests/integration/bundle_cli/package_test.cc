// `edge-connector package` as a real process on the example plugins and the negative fixtures: the archive
// and manifest it writes (read back with the bundle library), reproducibility, signatures, and its refusals.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "bundle_cli_util.h"
#include "edge/bundle/signature.h"
#include "edge/bundle/tree.h"
#include "edge/plugin.h"
#include "edge/protocol/auth.h"

namespace edge::testing {
namespace {

constexpr char kBuiltAt[] = "2026-11-23T16:42:00Z";

class PackageTest : public BundleCliTest {
 protected:
  void SetUp() override {
    BundleCliTest::SetUp();
    impl_ = Dir("impl");
    AddPlugin(impl_, EDGE_ECHO_PLUGIN);
    AddPlugin(impl_, EDGE_SLOW_PLUGIN);
    // init_fails needs {"db": ...}: its <stem>.json beside it must be handed to init, and shipped.
    AddPlugin(impl_, EDGE_FIXTURE_INIT_FAILS);
    WriteText(impl_ / "init_fails.json", R"({"db":"/var/lib/x.db"})");
  }

  ProcessResult Package(const fs::path& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"package", "--implementations", impl_.string(), "--out", out.string(),
                                     "--install-dir", empty_install_};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args);
  }

  fs::path impl_;
};

TEST_F(PackageTest, WritesTheManifestAndArchiveTheContractDescribes) {
  const fs::path out = Dir("out");
  ProcessResult r = Package(out, {"--org", "org_acme", "--built-at", kBuiltAt, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path archive = out / "edge-bundle-org_acme-20261123T164200Z.tgz";
  EXPECT_EQ(ListDir(out), std::vector<std::string>{archive.filename().string()}) << "no temporary files left";

  rapidjson::Document summary;
  summary.Parse(r.out.c_str());
  ASSERT_FALSE(summary.HasParseError()) << r.out;
  EXPECT_EQ(JsonAt(summary, "/archive"), archive.string());
  EXPECT_EQ(JsonAt(summary, "/size"), std::to_string(fs::file_size(archive)));
  EXPECT_EQ(JsonAt(summary, "/signed"), "false");

  std::string manifest_json;
  bundle::Manifest m = ManifestOf(archive, &manifest_json);
  EXPECT_EQ(JsonAt(summary, "/checksum"), m.checksum);
  EXPECT_EQ(m.org_id, "org_acme");
  EXPECT_EQ(m.language, "native");
  EXPECT_EQ(m.abi_major, static_cast<uint32_t>(EDGE_ABI_MAJOR));
  EXPECT_LE(m.abi_minor, static_cast<uint32_t>(EDGE_ABI_MINOR));
  EXPECT_EQ(m.os, "linux");
  EXPECT_EQ(m.arch, bundle::HostArch());
  EXPECT_EQ(m.built_at, kBuiltAt);

  std::vector<std::string> tools, files;
  for (const auto& t : m.tools) tools.push_back(t.name);
  for (const auto& f : m.files) files.push_back(f.path);
  EXPECT_EQ(tools, (std::vector<std::string>{"echo", "init_fails.never", "slow.count", "slow.exclusive"}));
  EXPECT_EQ(files, (std::vector<std::string>{"tools/echo.so", "tools/init_fails.json", "tools/init_fails.so",
                                             "tools/slow.so"}));
  for (const auto& t : m.tools) {
    if (t.name != "echo") continue;
    EXPECT_EQ(t.plugin, "echo");
    EXPECT_EQ(t.plugin_version, "1.0.0");
    EXPECT_EQ(t.file, "tools/echo.so");
    EXPECT_EQ(t.size, fs::file_size(EDGE_ECHO_PLUGIN));
    EXPECT_EQ(t.sha256, *bundle::Sha256FileHex(EDGE_ECHO_PLUGIN));
    EXPECT_TRUE(Contains(t.descriptor_json, "\"inputSchema\"")) << t.descriptor_json;
  }

  // The checksum is the tree checksum of the files, and the extracted tree is exactly those files.
  EXPECT_EQ(m.checksum, bundle::TreeChecksum(m.files));
  const fs::path extracted = fs::path(root_) / "extracted";
  ASSERT_TRUE(bundle::ExtractArchive(archive, extracted).ok());
  auto hashed = bundle::HashTree(extracted / "dist");
  ASSERT_TRUE(hashed.ok()) << hashed.status();
  EXPECT_EQ(*hashed, m.files);
  EXPECT_TRUE(bundle::VerifyTree(m, extracted / "dist").ok());
  EXPECT_EQ(ReadText(extracted / "dist/tools/init_fails.json"), R"({"db":"/var/lib/x.db"})");
  EXPECT_EQ(ReadText(extracted / "manifest.json"), manifest_json);
}

TEST_F(PackageTest, PrintsPathChecksumAndToolsForPeople) {
  const fs::path out = Dir("out");
  ProcessResult r = Package(out, {"--org", "org_acme", "--built-at", kBuiltAt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path archive = out / "edge-bundle-org_acme-20261123T164200Z.tgz";
  bundle::Manifest m = ManifestOf(archive);
  EXPECT_TRUE(Contains(r.out, "Bundle: " + archive.string())) << r.out;
  EXPECT_TRUE(Contains(r.out, "Checksum: " + m.checksum)) << r.out;
  EXPECT_TRUE(Contains(r.out, "Tools (4):")) << r.out;
  EXPECT_TRUE(Contains(r.out, "slow.count")) << r.out;
  EXPECT_TRUE(Contains(r.err, "checked tools/echo.so")) << r.err;
}

TEST_F(PackageTest, IsReproducibleWithBuiltAt) {
  const fs::path a = Dir("a"), b = Dir("b"), c = Dir("c");
  ASSERT_EQ(Package(a, {"--org", "org_acme", "--built-at", kBuiltAt}).exit_code, 0);
  ASSERT_EQ(Package(b, {"--org", "org_acme", "--built-at", kBuiltAt}).exit_code, 0);
  const std::string name = "edge-bundle-org_acme-20261123T164200Z.tgz";
  const std::string first = ReadText(a / name);
  ASSERT_FALSE(first.empty());
  EXPECT_TRUE(first == ReadText(b / name)) << "two packages of the same inputs differ";

  // Another build time: another archive (mtimes, builtAt), the same content checksum.
  ASSERT_EQ(Package(c, {"--org", "org_acme", "--built-at", "2026-11-24T08:00:00+01:00"}).exit_code, 0);
  const fs::path later = c / "edge-bundle-org_acme-20261124T070000Z.tgz";
  ASSERT_TRUE(fs::exists(later)) << ListDir(c).size();
  EXPECT_EQ(ManifestOf(later).checksum, ManifestOf(a / name).checksum);
  EXPECT_EQ(ManifestOf(later).built_at, "2026-11-24T07:00:00Z");
}

TEST_F(PackageTest, SignKeyWritesASignatureThatVerifies) {
  auto key = protocol::SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  const fs::path pem = fs::path(root_) / "key.pem";
  WriteText(pem, key->PrivatePem());
  const fs::path out = Dir("out");
  ProcessResult r = Package(out, {"--org", "org_acme", "--built-at", kBuiltAt, "--sign-key", pem.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document summary;
  summary.Parse(r.out.c_str());
  EXPECT_EQ(JsonAt(summary, "/keyId"), key->KeyId());

  std::string manifest_json;
  std::optional<std::string> signature;
  ManifestOf(out / "edge-bundle-org_acme-20261123T164200Z.tgz", &manifest_json, &signature);
  ASSERT_TRUE(signature.has_value());
  auto trusted = bundle::TrustRoot::FromPem(key->PublicPem());
  ASSERT_TRUE(trusted.ok());
  EXPECT_TRUE(trusted->Verify(manifest_json, signature).ok());
  auto other = protocol::SigningKey::Generate();
  auto untrusted = bundle::TrustRoot::FromPem(other->PublicPem());
  EXPECT_FALSE(untrusted->Verify(manifest_json, signature).ok());

  WriteText(pem, "not a key");
  ProcessResult bad = Package(Dir("bad"), {"--org", "org_acme", "--sign-key", pem.string()});
  EXPECT_EQ(bad.exit_code, 64);
  EXPECT_TRUE(Contains(bad.err, "--sign-key")) << bad.err;
  EXPECT_TRUE(Contains(bad.err, "openssl genpkey -algorithm ed25519")) << bad.err;
}

TEST_F(PackageTest, AcceptsTheToolsLayout) {
  const fs::path impl = Dir("bundle-layout");
  AddPlugin(impl / "tools", EDGE_ECHO_PLUGIN);
  const fs::path out = Dir("out");
  ProcessResult r = RunCli({"package", "--implementations", impl.string(), "--out", out.string(), "--org",
                            "org_acme", "--built-at", kBuiltAt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bundle::Manifest m = ManifestOf(out / "edge-bundle-org_acme-20261123T164200Z.tgz");
  ASSERT_EQ(m.tools.size(), 1u);
  EXPECT_EQ(m.tools[0].file, "tools/echo.so");
}

TEST_F(PackageTest, RefusesAPluginThatFailsItsChecks) {
  fs::remove(impl_ / "init_fails.json");  // init now throws
  const fs::path out = Dir("out");
  ProcessResult r = Package(out, {"--org", "org_acme"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "init_fails.so failed the packaging check 'load'")) << r.err;
  EXPECT_TRUE(Contains(r.err, "missing config key 'db'")) << r.err;
  EXPECT_TRUE(ListDir(out).empty());

  const fs::path bad = Dir("bad-example");
  AddPlugin(bad, EDGE_FIXTURE_BAD_EXAMPLE);
  r = RunCli({"package", "--implementations", bad.string(), "--out", out.string(), "--org", "org_acme"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "does not match the inputSchema")) << r.err;
  EXPECT_TRUE(ListDir(out).empty());
}

TEST_F(PackageTest, RefusesTwoPluginsDeclaringTheSameTool) {
  AddPlugin(impl_, EDGE_ECHO_PLUGIN, "echo_again.so");
  const fs::path out = Dir("out");
  ProcessResult r = Package(out, {"--org", "org_acme"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "two plugins declare the tool 'echo'")) << r.err;
  EXPECT_TRUE(Contains(r.err, "echo_again.so")) << r.err;
  EXPECT_TRUE(ListDir(out).empty());
}

TEST_F(PackageTest, RefusesAnEmptyOrMissingDirectory) {
  const fs::path empty = Dir("empty");
  ProcessResult r = RunCli({"package", "--implementations", empty.string(), "--org", "org_acme"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "no plugins (*.so)")) << r.err;

  r = RunCli({"package", "--implementations", (empty / "nope").string(), "--org", "org_acme"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(Contains(r.err, "is not a directory")) << r.err;

  r = RunCli({"package", "--org", "org_acme"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(Contains(r.err, "--implementations DIR is required")) << r.err;
}

TEST_F(PackageTest, RefusesAnArchiveOverTheLimitBeforeWritingIt) {
  const fs::path out = Dir("out");
  ProcessResult r = Package(out, {"--org", "org_acme", "--max-bytes", "1000"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "over the limit of 1000 B (1000 bytes)")) << r.err;
  EXPECT_TRUE(Contains(r.err, "strip")) << r.err;
  EXPECT_TRUE(ListDir(out).empty()) << "neither the archive nor a temporary file may remain";
}

TEST_F(PackageTest, TakesTheOrgFromTheAdminTokenOrAsksForIt) {
  ProcessResult r = Package(Dir("out"));
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_TRUE(Contains(r.err, "pass --org ORG")) << r.err;

  const std::string data = root_ + "/platform";
  AdminOk(data, {"create-org", "--name", "Beta", "--id", "org_beta"});
  const std::string token = AdminOk(data, {"issue-token", "--org", "org_beta"});
  const fs::path out = Dir("from-token");
  r = Package(out, {"--token", token, "--built-at", kBuiltAt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ManifestOf(out / "edge-bundle-org_beta-20261123T164200Z.tgz").org_id, "org_beta");
}

}  // namespace
}  // namespace edge::testing
