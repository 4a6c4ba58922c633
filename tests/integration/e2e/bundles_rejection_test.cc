// Bundle rejections end to end (issue 4 acceptance): one connector serves v1 while every kind of bad bundle is
// assigned to it in turn. Each is refused with an error that names the problem, and v1 keeps serving. Where the
// platform already refuses the upload (400/413, its message checked), the same bytes are stored anyway through
// the raw-bundle-version test hook, so the connector's own checks face them too (defence in depth). Signatures
// get their own connector with a trust root.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/time/time.h"
#include "bundles_fixture.h"
#include "edge/bundle/archive.h"
#include "edge/protocol/auth.h"
#include "test_archive.h"

namespace edge::e2e {
namespace {

namespace fs = std::filesystem;
using edge::bundle::testing::TestEntry;
using edge::testing::BuiltBundle;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Whether `text` holds every '|'-separated part of `parts`, in order.
bool ContainsInOrder(const std::string& text, const std::string& parts) {
  size_t at = 0;
  for (size_t start = 0; start <= parts.size();) {
    size_t bar = parts.find('|', start);
    if (bar == std::string::npos) bar = parts.size();
    at = text.find(parts.substr(start, bar - start), at);
    if (at == std::string::npos) return false;
    start = bar + 1;
  }
  return true;
}

struct BadBundle {
  std::string name;
  std::string archive;       // the bytes
  int upload_status = 201;   // 400/413: the platform refuses the upload (then the raw hook stores it)
  std::string upload_error;  // part of the platform's message
  std::string step;          // the connector's sync step that refuses it
  std::string sync_error;    // parts of the connector's error, '|'-separated, in order
  std::string raw_checksum;  // set: never uploaded, stored through the raw hook announcing this checksum
};

// A bad bundle given to the platform first (then, if it refuses it, through the raw hook), then the connector.
BadBundle Case(std::string name, std::string archive, int upload_status, std::string upload_error, std::string step,
               std::string sync_error) {
  return {std::move(name), std::move(archive), upload_status, std::move(upload_error), std::move(step),
          std::move(sync_error), ""};
}

class BundlesRejectionTest : public BundlesE2ETest {
 protected:
  std::string Bytes(const BuiltBundle& b) { return edge::testing::ReadFileBytes(b.archive); }
  // An archive written entry by entry: the manifest of `good`, then `bad` (what a packager never writes).
  std::string HandMade(const std::string& name, const BuiltBundle& good, const TestEntry& bad) {
    const fs::path file = fs::path(root_) / ("hand-made-" + name + ".tgz");
    edge::bundle::testing::WriteTestArchive(
        file, {TestEntry::File("manifest.json", good.manifest_json), TestEntry::Dir("dist/"), bad});
    return edge::testing::ReadFileBytes(file);
  }
  // A valid bundle of echo with one more file, so it has content of its own.
  edge::testing::BundleSpec EchoWith(const std::string& path, const std::string& contents) {
    auto spec = Spec({"echo"});
    spec.extra_files[path] = contents;
    return spec;
  }

  // Gives `bad` to the connector (which follows bundle `bundle_id`) and checks that it is refused with an error
  // naming the problem, at upload and at the connector, while the bundle with `serving_checksum` keeps serving.
  void ExpectRefused(Connector& c, const std::string& bundle_id, const BadBundle& bad,
                     const std::string& serving_checksum) {
    SCOPED_TRACE(bad.name);
    const auto started = Clock::now();
    const size_t log_from = c.process().Log().size();
    long upload_status = 0;
    if (bad.raw_checksum.empty()) {
      HttpResponse up =
          Send("POST", platform_->api_url() + "/api/v1/bundles?name=default", bad.archive, "application/gzip", token_);
      upload_status = up.status;
      EXPECT_EQ(up.status, bad.upload_status) << up.body;
      if (bad.upload_status != 201) {
        EXPECT_TRUE(Contains(JsonField(up.body, "/error/message"), bad.upload_error)) << up.body;
      }
    }
    if (!bad.raw_checksum.empty() || bad.upload_status != 201) {
      std::string url = platform_->api_url() + "/api/v1/test/raw-bundle-version?bundleId=" + bundle_id;
      if (!bad.raw_checksum.empty()) url += "&checksum=" + bad.raw_checksum;
      HttpResponse raw = Send("POST", url, bad.archive, "application/octet-stream", token_);
      ASSERT_EQ(raw.status, 201) << raw.body;
    }
    const std::string prefix = bad.step + ": ";
    std::string error;
    EXPECT_TRUE(WaitUntil(
        [&] {
          error = JsonField(c.Statusz(), "/bundle/sync/lastError");
          return error.rfind(prefix, 0) == 0 && ContainsInOrder(error, bad.sync_error);
        },
        seconds(20)))
        << "bundle.sync.lastError: " << error << "\nwanted " << prefix << "…" << bad.sync_error << "\n"
        << c.process().Log().substr(log_from);
    const std::string log = c.process().Log().substr(log_from);
    const size_t line = log.find("Bundle sync error: " + prefix);
    EXPECT_NE(line, std::string::npos) << log;
    if (line != std::string::npos) {
      EXPECT_TRUE(ContainsInOrder(log.substr(line, log.find('\n', line) - line), bad.sync_error));
    }
    const std::string statusz = c.Statusz();
    EXPECT_EQ(JsonField(statusz, "/bundle/version"), "1") << statusz;
    EXPECT_EQ(JsonField(statusz, "/bundle/checksum"), serving_checksum);
    HttpResponse echo = Invoke("echo", R"({"text":"still serving"})");
    EXPECT_EQ(echo.status, 200) << echo.body;
    const std::string upload = upload_status == 0 ? "skipped (raw hook only)" : std::to_string(upload_status);
    std::printf("[ info ] %-46s upload %s, connector: %s (%lld ms)\n", bad.name.c_str(), upload.c_str(),
                error.substr(0, 110).c_str(),
                static_cast<long long>(std::chrono::duration_cast<milliseconds>(Clock::now() - started).count()));
  }
};

uint64_t TreeBytes(const BuiltBundle& b) {
  uint64_t total = b.manifest_json.size();
  for (const auto& f : b.manifest.files) total += f.size;
  return total;
}

std::string RandomBytes(size_t n) {
  std::mt19937_64 rng(42);
  std::string out(n, '\0');
  for (char& ch : out) ch = static_cast<char>(rng());
  return out;
}

TEST_F(BundlesRejectionTest, EachBadBundleIsRefusedWithAClearErrorWhileTheOldOneServes) {
  const auto test_started = Clock::now();
  auto v1 = Build("v1", {"echo"});
  // Valid archives whose content the connector refuses: they decide the byte caps below.
  auto checksum_spec = EchoWith("data/checksum.txt", "checksum\n");
  checksum_spec.edit_manifest = [](bundle::Manifest& m) { m.checksum = "sha256:" + std::string(64, 'a'); };
  auto tree_spec = EchoWith("data/readme.txt", "original text\n");
  tree_spec.edit_dist = [](const fs::path& dist) { std::ofstream(dist / "data/readme.txt") << "tampered text\n"; };
  auto abi_spec = EchoWith("data/abi.txt", "abi\n");
  abi_spec.edit_manifest = [](bundle::Manifest& m) { m.abi_major += 1; };
  std::vector<BuiltBundle> valid = {
      v1,
      BuildSpec("checksum", checksum_spec),
      BuildSpec("tree", tree_spec),
      BuildSpec("announced", EchoWith("data/announced.txt", "announced\n")),
      Build("abi-plugin", {"echo"}, {{EDGE_FIXTURE_ABI_MAJOR2, "abi_major2", std::nullopt, {"raw.tool"}}}),
      BuildSpec("abi-manifest", abi_spec),
      Build("init-fails", {"echo"}, {{EDGE_FIXTURE_INIT_FAILS, "init_fails", std::nullopt, {"init_fails.never"}}}),
  };
  // "50 MB" and "512 MiB" scaled down to this test: just above the largest archive and tree that must pass.
  uint64_t max_bytes = 0, max_tree = 0;
  for (const auto& b : valid) {
    max_bytes = std::max<uint64_t>(max_bytes, b.size + 64 * 1024);
    max_tree = std::max<uint64_t>(max_tree, TreeBytes(b) + 1024 * 1024);
  }
  // The bomb: files of zeros, each under the per-entry cap, together past the total cap.
  auto bomb_spec = Spec({"echo"});
  for (int i = 0; i < 4; ++i) bomb_spec.extra_files["data/zeros" + std::to_string(i)] = std::string(max_tree / 3, '\0');
  auto bomb = BuildSpec("bomb", bomb_spec);
  auto large = BuildSpec("large", EchoWith("data/noise.bin", RandomBytes(max_bytes - v1.size + 256 * 1024)));
  ASSERT_LT(bomb.size, v1.size + 64 * 1024) << "megabytes of zeros compress to almost nothing";
  ASSERT_GT(large.size, max_bytes);

  StartPlatform(false, {"--max-bundle-bytes", std::to_string(max_bytes)});
  ASSERT_TRUE(platform_->started());
  auto [bundle_id, version] = Upload(v1);
  Assign(bundle_id, "");  // following: every new version becomes the target
  auto c = Start(BundleConfig({{"bundleMaxBytes", std::to_string(max_bytes)},
                               {"bundleMaxUncompressedBytes", std::to_string(max_tree)}}));
  ASSERT_TRUE(WaitVersion(*c, "1", seconds(20))) << c->process().Log();
  ASSERT_TRUE(c->WaitReady(seconds(10)));

  const std::string bytes = Bytes(v1);
  const std::string escape_dots = "entry 'dist/../escape.txt': path contains '..'";
  const std::string escape_abs = "entry '/tmp/edge-escape.txt': path is absolute";
  const std::string escape_link = "entry 'dist/tools/escape': symbolic link target '../../../etc/passwd' resolves "
                                  "outside dist/";
  const std::string fifo = "entry 'dist/tools/fifo': FIFOs are not allowed in a bundle";
  TestEntry fifo_entry = TestEntry::File("dist/tools/fifo", "");
  fifo_entry.type = S_IFIFO;
  BadBundle announced = Case("checksum mismatch: platform's vs the manifest's", Bytes(valid[3]), 0, "", "verify",
                             "the platform announced checksum sha256:" + std::string(64, 'e'));
  announced.raw_checksum = "sha256:" + std::string(64, 'e');
  const std::vector<BadBundle> cases = {
      Case("corrupt: truncated archive", bytes.substr(0, bytes.size() / 2), 400, "corrupt or truncated", "verify",
           "corrupt or truncated"),
      Case("corrupt: not a gzip tar", std::string(4096, 'x'), 400, "not a gzip-compressed tar archive", "verify",
           "not a gzip-compressed tar archive"),
      Case("checksum mismatch: manifest vs its files", Bytes(valid[1]), 400, "does not match /files", "verify",
           "does not match /files"),
      announced,
      Case("per-file hash mismatch", Bytes(valid[2]), 201, "", "extract", "dist/data/readme.txt: sha256: expected"),
      Case("too large (upload cap, then download cap)", Bytes(large), 413, "--max-bundle-bytes", "download",
           "limit (bundleMaxBytes)"),
      Case("'..' entry", HandMade("dots", v1, TestEntry::File("dist/../escape.txt", "x")), 400, escape_dots, "verify",
           escape_dots),
      Case("absolute path", HandMade("abs", v1, TestEntry::File("/tmp/edge-escape.txt", "x")), 400, escape_abs,
           "verify", escape_abs),
      Case("escaping symlink", HandMade("link", v1, TestEntry::Symlink("dist/tools/escape", "../../../etc/passwd")),
           400, escape_link, "verify", escape_link),
      Case("FIFO", HandMade("fifo", v1, fifo_entry), 400, fifo, "verify", fifo),
      Case("zip bomb", Bytes(bomb), 201, "", "verify", "archive expands past|(bundleMaxUncompressedBytes)"),
      Case("ABI-mismatched plugin", Bytes(valid[4]), 201, "", "load", "plugin tools/abi_major2.so was rejected|ABI"),
      Case("manifest needing another ABI", Bytes(valid[5]), 201, "", "verify", "bundle needs plugin ABI 2."),
      Case("plugin whose init fails", Bytes(valid[6]), 201, "", "load",
           "plugin tools/init_fails.so was rejected|missing config key 'db'"),
  };

  for (const BadBundle& bad : cases) ExpectRefused(*c, bundle_id, bad, v1.manifest.checksum);
  std::printf("[ info ] %zu bad bundles refused in %lld ms (whole test so far)\n", cases.size(),
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(Clock::now() - test_started).count()));
}

TEST_F(BundlesRejectionTest, UnderATrustRootOnlyBundlesSignedByATrustedKeyInstall) {
  auto trusted = protocol::SigningKey::Generate();
  auto other = protocol::SigningKey::Generate();
  ASSERT_TRUE(trusted.ok() && other.ok());
  std::ofstream(root_ + "/trusted.pem") << trusted->PublicPem();
  auto signed_by = [&](const std::string& tag, const protocol::SigningKey* key) {
    auto spec = EchoWith("data/tag.txt", tag + "\n");
    spec.sign_key = key;
    return BuildSpec(tag, spec);
  };
  auto v1 = signed_by("v1", &*trusted);
  auto unsigned_bundle = signed_by("unsigned", nullptr);
  auto untrusted = signed_by("untrusted", &*other);
  // A trusted key's signature over another manifest: the key id is trusted, the signature does not verify.
  auto donor = signed_by("donor", &*trusted);
  auto victim = signed_by("victim", nullptr);
  auto donor_files = bundle::ReadArchiveManifest(donor.archive);
  ASSERT_TRUE(donor_files.ok() && donor_files->signature_json.has_value());
  const fs::path forged = fs::path(root_) / "forged.tgz";
  ASSERT_TRUE(bundle::WriteArchive(forged, victim.manifest_json, *donor_files->signature_json,
                                   fs::path(root_) / "build-victim" / "dist", absl::FromUnixSeconds(1763916120))
                  .ok());
  auto good = signed_by("good", &*trusted);

  auto [bundle_id, version] = Upload(v1);
  Assign(bundle_id, "");
  auto c = Start(BundleConfig({{"bundleTrustedKeysPath", "\"" + root_ + "/trusted.pem\""}}));
  ASSERT_TRUE(WaitVersion(*c, "1", seconds(20))) << c->process().Log();
  EXPECT_TRUE(Contains(c->process().Log(), "signature trusted")) << c->process().Log();

  const std::vector<BadBundle> cases = {
      Case("unsigned bundle under a trust root", Bytes(unsigned_bundle), 201, "", "verify",
           "bundle is not signed, but this connector requires a signature from a trusted key"),
      Case("signed by an untrusted key", Bytes(untrusted), 201, "", "verify",
           "bundle is signed by key " + other->KeyId() + ", which this connector does not trust"),
      Case("bad signature from a trusted key id", edge::testing::ReadFileBytes(forged), 201, "", "verify",
           "does not verify with trusted key " + trusted->KeyId()),
  };

  for (const BadBundle& bad : cases) ExpectRefused(*c, bundle_id, bad, v1.manifest.checksum);

  // A bundle signed by the trusted key installs.
  const size_t from = c->process().Log().size();
  auto [same_id, good_version] = Upload(good);
  ASSERT_TRUE(WaitVersion(*c, good_version, seconds(20))) << c->process().Log();
  EXPECT_EQ(JsonField(c->Statusz(), "/bundle/checksum"), good.manifest.checksum);
  EXPECT_TRUE(Contains(c->process().Log().substr(from), "signature trusted"));
  EXPECT_EQ(Invoke("echo", R"({"text":"signed"})").status, 200);
}

}  // namespace
}  // namespace edge::e2e
