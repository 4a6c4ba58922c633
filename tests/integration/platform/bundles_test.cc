// edge-platform's bundle store and API (docs/bundles.md section 6) against the real server process: uploads
// (versions, dedupe, size limits, validation), rename, the org default and assignments with their resolved
// target, streamed downloads, deployment credentials, the download-fault test hooks, and a restart.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "bundle_fixtures.h"
#include "edge/bundle/tree.h"
#include "platform_env.h"

namespace edge::testing {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kTestLimit = 1024 * 1024;  // --max-bundle-bytes for these tests

class PlatformBundlesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    dir_ = root_ + "/data";
    org_ = AdminOk(dir_, {"create-org", "--name", "Acme", "--id", "org_acme"});
    token_ = AdminOk(dir_, {"issue-token", "--org", org_});
    StartServer();
  }
  void TearDown() override {
    if (server_) {
      ProcessResult r = server_->Stop();
      EXPECT_EQ(r.exit_code, 0) << "edge-platform did not stop cleanly on SIGTERM: " << r.err;
    }
    RemoveTree(root_);
  }
  void StartServer() {
    // warn: the test reads the server's output only at start and stop, so keep it short.
    server_ = std::make_unique<PlatformServer>(
        dir_, std::vector<std::string>{"--max-bundle-bytes", std::to_string(kTestLimit), "--enable-test-hooks",
                                       "--log-level", "warn"});
    ASSERT_TRUE(server_->Start()) << "edge-platform did not print its listening line";
    api_ = server_->api_url();
  }

  HttpResult Get(const std::string& path) { return Http("GET", api_ + path, "", Bearer(token_)); }
  HttpResult Send(const std::string& method, const std::string& path, const std::string& body) {
    return Http(method, api_ + path, body, Bearer(token_));
  }
  RawResult Upload(const std::string& body, const std::string& query = "", bool chunked = false) {
    std::vector<std::string> headers = Bearer(token_);
    headers.push_back("Content-Type: application/gzip");
    return HttpRaw("POST", api_ + "/api/v1/bundles" + query, body, headers, chunked);
  }
  BuiltBundle Make(BundleSpec spec = {}) { return MakeBundle(root_, spec); }
  // A bundle whose dist differs from the default one by `marker`.
  BuiltBundle MakeVariant(const std::string& marker) {
    BundleSpec spec;
    spec.files["tools/echo.json"] = R"({"greeting":")" + marker + R"("})";
    return Make(spec);
  }
  // Uploads and returns the bundle id (expects 201).
  std::string UploadNew(const BuiltBundle& b, const std::string& query = "") {
    RawResult r = Upload(b.bytes, query);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonAt(r.Json(), "/bundle/id");
  }
  // Creates a deployment; returns {id, secret}.
  std::pair<std::string, std::string> NewDeployment(const std::string& name) {
    HttpResult r = Send("POST", "/api/v1/deployments", R"({"name":")" + name + R"("})");
    EXPECT_EQ(r.status, 201) << r.body;
    rapidjson::Document doc = r.Json();
    return {JsonAt(doc, "/id"), JsonAt(doc, "/secret")};
  }
  size_t IncomingFiles() const {
    size_t n = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir_ + "/bundles/.incoming", ec); !ec && it != fs::directory_iterator();
         ++it) {
      ++n;
    }
    return n;
  }

  std::string root_, dir_, org_, token_, api_;
  std::unique_ptr<PlatformServer> server_;
};

void ExpectError(const HttpResult& r, long status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(JsonAt(r.Json(), "/error/code"), code) << r.body;
}

TEST_F(PlatformBundlesTest, UploadCreatesVersionsAndListsThem) {
  const BuiltBundle b1 = Make();
  RawResult up = Upload(b1.bytes);
  ASSERT_EQ(up.status, 201) << up.body;
  rapidjson::Document doc = up.Json();
  const std::string id = JsonAt(doc, "/bundle/id");
  EXPECT_EQ(id.rfind("b_", 0), 0u) << id;
  EXPECT_EQ(JsonAt(doc, "/bundle/name"), "default");  // no ?name=: the bundle named default
  EXPECT_EQ(JsonAt(doc, "/bundle/orgId"), "org_acme");
  EXPECT_EQ(JsonAt(doc, "/bundle/latestVersion"), "1");
  EXPECT_EQ(JsonAt(doc, "/bundle/isDefault"), "false");
  EXPECT_EQ(JsonAt(doc, "/bundle/defaultVersion"), "null");
  EXPECT_EQ(JsonAt(doc, "/bundle/versions"), "");  // the upload answer's bundle has no versions array
  EXPECT_EQ(JsonAt(doc, "/deduplicated"), "false");
  EXPECT_EQ(JsonAt(doc, "/version/bundleId"), id);
  EXPECT_EQ(JsonAt(doc, "/version/version"), "1");
  EXPECT_EQ(JsonAt(doc, "/version/checksum"), b1.checksum);
  EXPECT_EQ(JsonAt(doc, "/version/archiveSha256"), b1.archive_sha256);
  EXPECT_EQ(JsonAt(doc, "/version/size"), std::to_string(b1.bytes.size()));
  EXPECT_EQ(JsonAt(doc, "/version/builtAt"), "2026-11-23T16:42:00Z");
  EXPECT_EQ(JsonAt(doc, "/version/signed"), "false");
  EXPECT_EQ(JsonAt(doc, "/version/uploadedBy"), "admin");
  EXPECT_EQ(JsonAt(doc, "/version/abi"), R"({"major":1,"minor":0})");
  EXPECT_EQ(JsonAt(doc, "/version/platform"), R"({"os":"linux","arch":"x86_64"})");
  EXPECT_EQ(JsonAt(doc, "/version/tools"), R"(["echo"])");
  EXPECT_FALSE(JsonAt(doc, "/version/uploadedAtMs").empty());

  // The same content again: that version, deduplicated, nothing new stored.
  RawResult again = Upload(b1.bytes);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(JsonAt(again.Json(), "/deduplicated"), "true");
  EXPECT_EQ(JsonAt(again.Json(), "/version/version"), "1");
  // A changed dist/ (and a signed manifest): version 2 of the same bundle.
  BundleSpec spec;
  spec.files["tools/echo.json"] = R"({"greeting":"hello"})";
  spec.signature_json = R"({"alg":"EdDSA","keyId":"0000000000000000","signature":"AA"})";
  const BuiltBundle b2 = Make(spec);
  RawResult v2 = Upload(b2.bytes);
  ASSERT_EQ(v2.status, 201) << v2.body;
  EXPECT_EQ(JsonAt(v2.Json(), "/bundle/id"), id);
  EXPECT_EQ(JsonAt(v2.Json(), "/version/version"), "2");
  EXPECT_EQ(JsonAt(v2.Json(), "/version/signed"), "true");
  // Re-uploading version 1's content is still deduplicated against version 1.
  EXPECT_EQ(JsonAt(Upload(b1.bytes).Json(), "/version/version"), "1");

  // By name: another bundle; by id: that bundle.
  const std::string other = UploadNew(MakeVariant("other"), "?name=tools-b");
  EXPECT_NE(other, id);
  RawResult by_id = Upload(MakeVariant("third").bytes, "?bundleId=" + other);
  ASSERT_EQ(by_id.status, 201) << by_id.body;
  EXPECT_EQ(JsonAt(by_id.Json(), "/bundle/name"), "tools-b");
  EXPECT_EQ(JsonAt(by_id.Json(), "/version/version"), "2");
  ExpectError(Upload(b1.bytes, "?bundleId=b_nope"), 404, "bundle_not_found");
  ExpectError(Upload(b1.bytes, "?bundleId=" + other + "&name=x"), 400, "invalid_request");

  HttpResult list = Get("/api/v1/bundles");
  ASSERT_EQ(list.status, 200) << list.body;
  rapidjson::Document all = list.Json();
  ASSERT_EQ(all["bundles"].Size(), 2u) << list.body;
  EXPECT_EQ(JsonAt(all, "/bundles/0/id"), id);
  EXPECT_EQ(JsonAt(all, "/bundles/0/latestVersion"), "2");
  EXPECT_EQ(JsonAt(all, "/bundles/0/versions/0/version"), "2");  // newest first
  EXPECT_EQ(JsonAt(all, "/bundles/0/versions/1/version"), "1");
  EXPECT_EQ(JsonAt(all, "/bundles/0/versions/1/checksum"), b1.checksum);
  EXPECT_EQ(JsonAt(all, "/bundles/1/name"), "tools-b");
  HttpResult one = Get("/api/v1/bundles/" + id);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(JsonAt(one.Json(), "/versions/0/archiveSha256"), b2.archive_sha256);
  ExpectError(Get("/api/v1/bundles/b_nope"), 404, "bundle_not_found");
  // The archives are on disk where docs/bundles.md says, and no upload temp file is left.
  EXPECT_TRUE(fs::exists(dir_ + "/bundles/org_acme/" + id + "/1.tgz"));
  EXPECT_TRUE(fs::exists(dir_ + "/bundles/org_acme/" + id + "/2.tgz"));
  EXPECT_EQ(IncomingFiles(), 0u);
}

TEST_F(PlatformBundlesTest, ChunkedUploadIsAccepted) {
  const BuiltBundle b = Make();
  RawResult r = Upload(b.bytes, "", /*chunked=*/true);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(JsonAt(r.Json(), "/version/archiveSha256"), b.archive_sha256);
  EXPECT_EQ(JsonAt(r.Json(), "/version/size"), std::to_string(b.bytes.size()));
}

TEST_F(PlatformBundlesTest, RefusesUploadsOverTheLimit) {
  const std::string big(kTestLimit + kTestLimit / 2, 'x');  // 1.5 MB
  // Announced by Content-Length: refused before the body is read.
  RawResult announced = Upload(big);
  ExpectError(announced, 413, "bundle_too_large");
  const std::string message = JsonAt(announced.Json(), "/error/message");
  EXPECT_NE(message.find("bundle is 1.5 MB"), std::string::npos) << message;
  EXPECT_NE(message.find("over the 1 MB limit"), std::string::npos) << message;
  EXPECT_NE(message.find("--max-bundle-bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("split the tools"), std::string::npos) << message;
  EXPECT_EQ(JsonAt(announced.Json(), "/error/details/limit"), std::to_string(kTestLimit));
  EXPECT_EQ(announced.headers["connection"], "close");
  // Chunked, so only counting tells: refused once complete.
  RawResult streamed = Upload(big, "", /*chunked=*/true);
  ExpectError(streamed, 413, "bundle_too_large");
  EXPECT_EQ(JsonAt(streamed.Json(), "/error/details/size"), std::to_string(big.size()));
  // Exactly at the limit is not "over": it gets as far as validation.
  ExpectError(Upload(std::string(kTestLimit, 'x')), 400, "invalid_bundle");

  EXPECT_EQ(Get("/api/v1/bundles").body, R"({"bundles":[]})");
  EXPECT_EQ(IncomingFiles(), 0u);
  EXPECT_EQ(Http("GET", api_ + "/healthz").status, 200);
}

TEST_F(PlatformBundlesTest, RefusesInvalidBundles) {
  ExpectError(Upload("this is not a gzip tar"), 400, "invalid_bundle");
  ExpectError(Upload(""), 400, "invalid_bundle");

  // A tar.gz without manifest.json.
  const fs::path tree = fs::path(root_) / "no-manifest";
  fs::create_directories(tree / "dist");
  std::ofstream(tree / "dist" / "x.txt") << "x";
  const std::string tgz = (fs::path(root_) / "no-manifest.tgz").string();
  ASSERT_EQ(std::system(("tar -czf " + tgz + " -C " + tree.string() + " dist").c_str()), 0);
  std::ifstream in(tgz, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  RawResult no_manifest = Upload(bytes.str());
  ExpectError(no_manifest, 400, "invalid_bundle");
  EXPECT_NE(JsonAt(no_manifest.Json(), "/error/message").find("manifest.json"), std::string::npos)
      << no_manifest.body;

  // A bad manifest field: details.field points at it.
  BundleSpec bad;
  bad.edit_manifest = [](std::string json) {
    const std::string from = R"("language":"native")";
    json.replace(json.find(from), from.size(), R"("language":"python")");
    return json;
  };
  RawResult bad_field = Upload(Make(bad).bytes);
  ExpectError(bad_field, 400, "invalid_bundle");
  EXPECT_EQ(JsonAt(bad_field.Json(), "/error/details/field"), "/language") << bad_field.body;

  // Built for another org.
  BundleSpec foreign;
  foreign.org = "org_other";
  RawResult mismatch = Upload(Make(foreign).bytes);
  ExpectError(mismatch, 400, "org_mismatch");
  EXPECT_NE(JsonAt(mismatch.Json(), "/error/message").find("org_other"), std::string::npos);

  // Credentials are checked before anything is stored (and without them the body is never read).
  RawResult anonymous = HttpRaw("POST", api_ + "/api/v1/bundles", Make().bytes, {});
  ExpectError(anonymous, 401, "unauthorized");

  EXPECT_EQ(Get("/api/v1/bundles").body, R"({"bundles":[]})");
  EXPECT_EQ(IncomingFiles(), 0u);
}

TEST_F(PlatformBundlesTest, RenameKeepsNamesUniquePerOrg) {
  const std::string a = UploadNew(Make(), "?name=a");
  const std::string b = UploadNew(MakeVariant("b"), "?name=b");
  HttpResult renamed = Send("PATCH", "/api/v1/bundles/" + a, R"({"name":"production"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(JsonAt(renamed.Json(), "/name"), "production");
  EXPECT_EQ(JsonAt(renamed.Json(), "/versions/0/version"), "1");
  EXPECT_EQ(JsonAt(Get("/api/v1/bundles/" + a).Json(), "/name"), "production");
  // An upload by the new name goes to the renamed bundle.
  RawResult by_name = Upload(MakeVariant("a2").bytes, "?name=production");
  EXPECT_EQ(JsonAt(by_name.Json(), "/bundle/id"), a) << by_name.body;

  ExpectError(Send("PATCH", "/api/v1/bundles/" + b, R"({"name":"production"})"), 409, "bundle_name_taken");
  HttpResult empty = Send("PATCH", "/api/v1/bundles/" + b, R"({"name":""})");
  ExpectError(empty, 400, "invalid_request");
  EXPECT_EQ(JsonAt(empty.Json(), "/error/details/field"), "/name");
  ExpectError(Send("PATCH", "/api/v1/bundles/" + b, R"({"name":")" + std::string(201, 'n') + R"("})"), 400,
              "invalid_request");
  ExpectError(Send("PATCH", "/api/v1/bundles/" + b, R"({"name":7})"), 400, "invalid_request");
  ExpectError(Send("PATCH", "/api/v1/bundles/b_nope", R"({"name":"x"})"), 404, "bundle_not_found");
  EXPECT_EQ(JsonAt(Get("/api/v1/bundles/" + b).Json(), "/name"), "b");
}

TEST_F(PlatformBundlesTest, DefaultsAssignmentsAndResolvedTargets) {
  const auto [d1, s1] = NewDeployment("d1");
  const auto [d2, s2] = NewDeployment("d2");
  const auto [d3, s3] = NewDeployment("d3");
  ExpectError(Get("/api/v1/deployments/" + d1 + "/bundle"), 404, "no_bundle_assigned");
  const std::string x = UploadNew(Make(), "?name=x");
  const std::string y = UploadNew(MakeVariant("y"), "?name=y");
  // Nothing assigned and no default: DELETE answers an empty target.
  HttpResult none = Send("DELETE", "/api/v1/deployments/" + d1 + "/bundle", "");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.body, R"({"deploymentId":")" + d1 + R"(","bundleId":null})");

  // The org default, following x.
  HttpResult def = Send("POST", "/api/v1/bundles/" + x + "/default", "");
  ASSERT_EQ(def.status, 200) << def.body;
  EXPECT_EQ(JsonAt(def.Json(), "/isDefault"), "true");
  EXPECT_EQ(JsonAt(def.Json(), "/defaultVersion"), "null");
  EXPECT_EQ(JsonAt(Get("/api/v1/bundles/" + y).Json(), "/isDefault"), "false");
  HttpResult t1 = Get("/api/v1/deployments/" + d1 + "/bundle");
  ASSERT_EQ(t1.status, 200) << t1.body;
  rapidjson::Document target = t1.Json();
  EXPECT_EQ(JsonAt(target, "/deploymentId"), d1);
  EXPECT_EQ(JsonAt(target, "/bundleId"), x);
  EXPECT_EQ(JsonAt(target, "/bundleName"), "x");
  EXPECT_EQ(JsonAt(target, "/version"), "1");
  EXPECT_EQ(JsonAt(target, "/source"), "default");
  EXPECT_EQ(JsonAt(target, "/pinned"), "false");
  EXPECT_EQ(JsonAt(target, "/downloadPath"), "/api/v1/bundles/" + x + "/versions/1/download");
  EXPECT_FALSE(JsonAt(target, "/checksum").empty());
  EXPECT_FALSE(JsonAt(target, "/archiveSha256").empty());
  EXPECT_FALSE(JsonAt(target, "/size").empty());

  // d1 follows y; d2 is pinned to x version 1.
  HttpResult a1 = Send("PUT", "/api/v1/deployments/" + d1 + "/bundle", R"({"bundleId":")" + y + R"("})");
  ASSERT_EQ(a1.status, 200) << a1.body;
  EXPECT_EQ(JsonAt(a1.Json(), "/source"), "assignment");
  EXPECT_EQ(JsonAt(a1.Json(), "/bundleId"), y);
  EXPECT_EQ(JsonAt(a1.Json(), "/pinned"), "false");
  HttpResult a2 =
      Send("PUT", "/api/v1/deployments/" + d2 + "/bundle", R"({"bundleId":")" + x + R"(","version":1})");
  ASSERT_EQ(a2.status, 200) << a2.body;
  EXPECT_EQ(JsonAt(a2.Json(), "/pinned"), "true");

  // A new version of x: the default (d3) follows it, the pin (d2) stays; y's follower (d1) is unaffected.
  ASSERT_EQ(Upload(MakeVariant("x2").bytes, "?bundleId=" + x).status, 201);
  EXPECT_EQ(JsonAt(Get("/api/v1/deployments/" + d3 + "/bundle").Json(), "/version"), "2");
  EXPECT_EQ(JsonAt(Get("/api/v1/deployments/" + d2 + "/bundle").Json(), "/version"), "1");
  EXPECT_EQ(JsonAt(Get("/api/v1/deployments/" + d1 + "/bundle").Json(), "/bundleId"), y);
  // y moves on: its follower d1 with it.
  ASSERT_EQ(Upload(MakeVariant("y2").bytes, "?bundleId=" + y).status, 201);
  EXPECT_EQ(JsonAt(Get("/api/v1/deployments/" + d1 + "/bundle").Json(), "/version"), "2");

  // Dropping d1's assignment falls back to the default.
  HttpResult dropped = Send("DELETE", "/api/v1/deployments/" + d1 + "/bundle", "");
  ASSERT_EQ(dropped.status, 200) << dropped.body;
  EXPECT_EQ(JsonAt(dropped.Json(), "/bundleId"), x);
  EXPECT_EQ(JsonAt(dropped.Json(), "/source"), "default");
  EXPECT_EQ(JsonAt(dropped.Json(), "/version"), "2");

  // The default pinned to version 1.
  HttpResult pinned_default = Send("POST", "/api/v1/bundles/" + x + "/default", R"({"version":1})");
  ASSERT_EQ(pinned_default.status, 200) << pinned_default.body;
  EXPECT_EQ(JsonAt(pinned_default.Json(), "/defaultVersion"), "1");
  HttpResult t3 = Get("/api/v1/deployments/" + d3 + "/bundle");
  EXPECT_EQ(JsonAt(t3.Json(), "/version"), "1");
  EXPECT_EQ(JsonAt(t3.Json(), "/source"), "default");
  EXPECT_EQ(JsonAt(t3.Json(), "/pinned"), "true");
  // Moving the default to y.
  ASSERT_EQ(Send("POST", "/api/v1/bundles/" + y + "/default", "{}").status, 200);
  EXPECT_EQ(JsonAt(Get("/api/v1/deployments/" + d3 + "/bundle").Json(), "/bundleId"), y);
  EXPECT_EQ(JsonAt(Get("/api/v1/bundles/" + x).Json(), "/isDefault"), "false");

  // Errors.
  ExpectError(Send("PUT", "/api/v1/deployments/" + d1 + "/bundle", R"({"bundleId":"b_nope"})"), 404,
              "bundle_not_found");
  ExpectError(Send("PUT", "/api/v1/deployments/" + d1 + "/bundle", R"({"bundleId":")" + x + R"(","version":9})"),
              404, "version_not_found");
  ExpectError(Send("PUT", "/api/v1/deployments/dep_nope/bundle", R"({"bundleId":")" + x + R"("})"), 404,
              "deployment_not_found");
  HttpResult bad_version =
      Send("PUT", "/api/v1/deployments/" + d1 + "/bundle", R"({"bundleId":")" + x + R"(","version":"1"})");
  ExpectError(bad_version, 400, "invalid_request");
  EXPECT_EQ(JsonAt(bad_version.Json(), "/error/details/field"), "/version");
  ExpectError(Send("PUT", "/api/v1/deployments/" + d1 + "/bundle", "{}"), 400, "invalid_request");
  ExpectError(Send("POST", "/api/v1/bundles/" + x + "/default", R"({"version":99})"), 404, "version_not_found");
  ExpectError(Send("POST", "/api/v1/bundles/b_nope/default", ""), 404, "bundle_not_found");
  ExpectError(Get("/api/v1/deployments/dep_nope/bundle"), 404, "deployment_not_found");
}

TEST_F(PlatformBundlesTest, DownloadStreamsTheStoredArchive) {
  // Incompressible content makes an archive of many 64 KiB chunks, still under the 1 MB test limit.
  BundleSpec spec;
  std::string noise;
  uint64_t state = 88172645463325252ull;
  for (int i = 0; i < 700 * 1024; ++i) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    noise.push_back(static_cast<char>(state));
  }
  spec.files["data/noise.bin"] = noise;
  const BuiltBundle b = Make(spec);
  ASSERT_GT(b.bytes.size(), 600u * 1024);
  const std::string id = UploadNew(b);

  RawResult dl = HttpRaw("GET", api_ + "/api/v1/bundles/" + id + "/versions/1/download", "", Bearer(token_));
  ASSERT_EQ(dl.curl_code, 0);
  ASSERT_EQ(dl.status, 200);
  EXPECT_EQ(dl.headers["content-type"], "application/gzip");
  EXPECT_EQ(dl.headers["content-length"], std::to_string(b.bytes.size()));
  EXPECT_EQ(dl.body.size(), b.bytes.size());
  EXPECT_EQ(bundle::Sha256Hex(dl.body), b.archive_sha256);
  EXPECT_EQ(dl.headers["x-edge-archive-sha256"], b.archive_sha256);
  EXPECT_EQ(dl.headers["x-edge-bundle-checksum"], b.checksum);
  EXPECT_EQ(dl.headers["content-disposition"],
            "attachment; filename=\"edge-bundle-org_acme-20261123T164200Z.tgz\"");
  EXPECT_TRUE(dl.body == b.bytes);

  ExpectError(Get("/api/v1/bundles/" + id + "/versions/2/download"), 404, "version_not_found");
  ExpectError(Get("/api/v1/bundles/" + id + "/versions/latest/download"), 404, "version_not_found");
  ExpectError(Get("/api/v1/bundles/b_nope/versions/1/download"), 404, "bundle_not_found");
  ExpectError(Http("GET", api_ + "/api/v1/bundles/" + id + "/versions/1/download"), 401, "unauthorized");
}

TEST_F(PlatformBundlesTest, DeploymentCredentialsReadOnlyTheirOwnTarget) {
  const auto [d1, s1] = NewDeployment("d1");
  const auto [d2, s2] = NewDeployment("d2");
  const std::string x = UploadNew(Make(), "?name=x");
  const std::string y = UploadNew(MakeVariant("y"), "?name=y");
  ASSERT_EQ(Send("PUT", "/api/v1/deployments/" + d1 + "/bundle", R"({"bundleId":")" + x + R"("})").status, 200);
  ASSERT_EQ(Send("PUT", "/api/v1/deployments/" + d2 + "/bundle", R"({"bundleId":")" + y + R"("})").status, 200);

  HttpResult own = Http("GET", api_ + "/api/v1/deployments/" + d1 + "/bundle", "", BasicAuth(d1, s1));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(JsonAt(own.Json(), "/bundleId"), x);
  RawResult dl = HttpRaw("GET", api_ + JsonAt(own.Json(), "/downloadPath"), "", BasicAuth(d1, s1));
  EXPECT_EQ(dl.status, 200);
  EXPECT_EQ(bundle::Sha256Hex(dl.body), JsonAt(own.Json(), "/archiveSha256"));

  // Another deployment's target and bundle are refused.
  HttpResult other = Http("GET", api_ + "/api/v1/deployments/" + d2 + "/bundle", "", BasicAuth(d1, s1));
  ExpectError(other, 403, "forbidden");
  EXPECT_EQ(JsonAt(other.Json(), "/error/reason"), "deployment_forbidden");
  ExpectError(HttpRaw("GET", api_ + "/api/v1/bundles/" + y + "/versions/1/download", "", BasicAuth(d1, s1)), 403,
              "forbidden");
  // Wrong secret, unknown deployment: 401 alike.
  HttpResult wrong = Http("GET", api_ + "/api/v1/deployments/" + d1 + "/bundle", "", BasicAuth(d1, s2));
  ExpectError(wrong, 401, "unauthorized");
  EXPECT_EQ(JsonAt(wrong.Json(), "/error/reason"), "invalid_credentials");
  EXPECT_EQ(wrong.headers["www-authenticate"], "Basic realm=\"edge\"");
  ExpectError(Http("GET", api_ + "/api/v1/deployments/dep_nope/bundle", "", BasicAuth("dep_nope", s1)), 401,
              "unauthorized");
  // Deployment credentials open nothing else.
  ExpectError(Http("GET", api_ + "/api/v1/bundles", "", BasicAuth(d1, s1)), 401, "unauthorized");
  ExpectError(Http("PUT", api_ + "/api/v1/deployments/" + d1 + "/bundle", R"({"bundleId":")" + y + R"("})",
                   BasicAuth(d1, s1)),
              401, "unauthorized");
  // After a rotation the old secret stops working here too.
  ASSERT_EQ(Send("POST", "/api/v1/deployments/" + d1 + "/rotate-secret", "").status, 200);
  ExpectError(Http("GET", api_ + "/api/v1/deployments/" + d1 + "/bundle", "", BasicAuth(d1, s1)), 401,
              "unauthorized");
}

TEST_F(PlatformBundlesTest, DownloadFaultHooksMisbehaveAsAsked) {
  BundleSpec spec;
  spec.files["data/filler.bin"] = std::string(300 * 1024, 'f');
  const BuiltBundle b = Make(spec);
  const std::string id = UploadNew(b);
  const std::string url = api_ + "/api/v1/bundles/" + id + "/versions/1/download";

  HttpResult set = Send("POST", "/api/v1/test/download-fault", R"({"mode":"corrupt","count":1})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.body, R"({"mode":"corrupt","count":1})");
  RawResult corrupt = HttpRaw("GET", url, "", Bearer(token_));
  EXPECT_EQ(corrupt.curl_code, 0);
  EXPECT_EQ(corrupt.body.size(), b.bytes.size());
  EXPECT_NE(bundle::Sha256Hex(corrupt.body), b.archive_sha256);
  // count 1: the next download is whole again.
  EXPECT_EQ(bundle::Sha256Hex(HttpRaw("GET", url, "", Bearer(token_)).body), b.archive_sha256);

  ASSERT_EQ(Send("POST", "/api/v1/test/download-fault", R"({"mode":"truncate"})").status, 200);
  RawResult truncated = HttpRaw("GET", url, "", Bearer(token_));
  EXPECT_NE(truncated.curl_code, 0);  // the connection ends before Content-Length bytes
  EXPECT_LT(truncated.body.size(), b.bytes.size());
  EXPECT_NE(HttpRaw("GET", url, "", Bearer(token_)).curl_code, 0);  // no count: until changed

  ASSERT_EQ(Send("POST", "/api/v1/test/download-fault", R"({"mode":"stall","count":1})").status, 200);
  RawResult stalled = HttpRaw("GET", url, "", Bearer(token_), false, /*timeout_s=*/2);
  EXPECT_NE(stalled.curl_code, 0);  // times out with part of the body
  EXPECT_GT(stalled.body.size(), 0u);
  EXPECT_LT(stalled.body.size(), b.bytes.size());

  ASSERT_EQ(Send("POST", "/api/v1/test/download-fault", R"({"mode":"none"})").status, 200);
  EXPECT_EQ(HttpRaw("GET", url, "", Bearer(token_)).body, b.bytes);
  ExpectError(Send("POST", "/api/v1/test/download-fault", R"({"mode":"explode"})"), 400, "invalid_request");
  ExpectError(Send("POST", "/api/v1/test/download-fault", R"({"mode":"stall","count":0})"), 400,
              "invalid_request");
}

TEST_F(PlatformBundlesTest, DeletingADeploymentDropsItsAssignment) {
  const auto [d1, s1] = NewDeployment("d1");
  const std::string x = UploadNew(Make());
  ASSERT_EQ(Send("PUT", "/api/v1/deployments/" + d1 + "/bundle", R"({"bundleId":")" + x + R"("})").status, 200);
  ASSERT_EQ(Send("DELETE", "/api/v1/deployments/" + d1, "").status, 200);
  ExpectError(Get("/api/v1/deployments/" + d1 + "/bundle"), 404, "deployment_not_found");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ + "/platform.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM deployment_bundles", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(PlatformBundlesTest, BundlesSurviveARestart) {
  const auto [d1, s1] = NewDeployment("d1");
  const BuiltBundle b = Make();
  const std::string x = UploadNew(b, "?name=x");
  ASSERT_EQ(Send("POST", "/api/v1/bundles/" + x + "/default", "").status, 200);
  ASSERT_EQ(Send("PUT", "/api/v1/deployments/" + d1 + "/bundle", R"({"bundleId":")" + x + R"(","version":1})")
                .status,
            200);
  const std::string before = Get("/api/v1/bundles").body;

  ProcessResult stopped = server_->Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  StartServer();

  EXPECT_EQ(Get("/api/v1/bundles").body, before);
  HttpResult target = Get("/api/v1/deployments/" + d1 + "/bundle");
  ASSERT_EQ(target.status, 200) << target.body;
  EXPECT_EQ(JsonAt(target.Json(), "/pinned"), "true");
  RawResult dl = HttpRaw("GET", api_ + "/api/v1/bundles/" + x + "/versions/1/download", "", BasicAuth(d1, s1));
  EXPECT_EQ(dl.status, 200);
  EXPECT_TRUE(dl.body == b.bytes);
  // Version numbering goes on where it stopped; dedupe still knows version 1.
  EXPECT_EQ(JsonAt(Upload(b.bytes, "?bundleId=" + x).Json(), "/deduplicated"), "true");
  EXPECT_EQ(JsonAt(Upload(MakeVariant("after").bytes, "?bundleId=" + x).Json(), "/version/version"), "2");
}

}  // namespace
}  // namespace edge::testing
