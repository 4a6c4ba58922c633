// bundles_fixture.h: the shared set-up of the bundle end-to-end tests (bundles_test.cc, bundles_acceptance_test.cc,
// bundles_rejection_test.cc): bundles built from the example plugins (tests/support/bundle_builder.h), uploaded
// and assigned over REST or with the real `edge-connector` CLI, and connectors with bundle sync on, watched
// through /statusz and their logs.
#ifndef EDGE_TESTS_INTEGRATION_E2E_BUNDLES_FIXTURE_H_
#define EDGE_TESTS_INTEGRATION_E2E_BUNDLES_FIXTURE_H_

#include <curl/curl.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "e2e_fixture.h"
#include "support/bundle_builder.h"

namespace edge::e2e {

// An admin request with any method and a raw body (the shared Http helper sends bodies with POST only).
inline HttpResponse Send(const std::string& method, const std::string& url, const std::string& body,
                         const std::string& content_type, const std::string& bearer) {
  HttpResponse r;
  CURL* h = curl_easy_init();
  curl_slist* headers = nullptr;
  const std::string auth = "Authorization: Bearer " + bearer;
  const std::string type = "Content-Type: " + content_type;
  headers = curl_slist_append(headers, auth.c_str());
  headers = curl_slist_append(headers, type.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION,
                   +[](char* data, size_t size, size_t count, void* user) -> size_t {
                     static_cast<std::string*>(user)->append(data, size * count);
                     return size * count;
                   });
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return r;
}

// Polls `done` every 25 ms until it holds or `timeout` passes; returns its last answer.
inline bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  for (auto end = std::chrono::steady_clock::now() + timeout;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

class BundlesE2ETest : public E2ETest {
 protected:
  // The spec of a bundle of the given example plugins (with the configs they need), for this test's org.
  edge::testing::BundleSpec Spec(const std::vector<std::string>& plugins,
                                 std::vector<edge::testing::BundlePluginSpec> extra = {}) {
    edge::testing::BundleSpec spec;
    spec.org_id = org_;
    for (const std::string& p : plugins) {
      std::string config = examples_.ConfigFor(p);
      spec.plugins.push_back({std::string(EDGE_PLUGIN_DIR) + "/" + p + ".so",
                              p,
                              config.empty() ? std::nullopt : std::optional<std::string>(config),
                              {}});
    }
    for (auto& e : extra) spec.plugins.push_back(std::move(e));
    return spec;
  }
  edge::testing::BuiltBundle BuildSpec(const std::string& name, const edge::testing::BundleSpec& spec) {
    auto built = edge::testing::BuildBundle(spec, root_ + "/build-" + name);
    EXPECT_TRUE(built.ok()) << built.status();
    return built.ok() ? *built : edge::testing::BuiltBundle{};
  }
  edge::testing::BuiltBundle Build(const std::string& name, const std::vector<std::string>& plugins,
                                   std::vector<edge::testing::BundlePluginSpec> extra = {}) {
    return BuildSpec(name, Spec(plugins, std::move(extra)));
  }
  // Uploads into the bundle named "default"; returns {bundleId, version}.
  std::pair<std::string, std::string> Upload(const edge::testing::BuiltBundle& b) {
    HttpResponse r = Send("POST", platform_->api_url() + "/api/v1/bundles?name=default",
                          edge::testing::ReadFileBytes(b.archive), "application/gzip", token_);
    EXPECT_TRUE(r.status == 201 || r.status == 200) << r.status << " " << r.body;
    return {JsonField(r.body, "/bundle/id"), JsonField(r.body, "/version/version")};
  }
  // Assigns to the fixture's deployment: pinned to `version`, or following when it is empty.
  void Assign(const std::string& bundle_id, const std::string& version) {
    std::string body = "{\"bundleId\":\"" + bundle_id + "\"";
    if (!version.empty()) body += ",\"version\":" + version;
    HttpResponse r = Send("PUT", platform_->api_url() + "/api/v1/deployments/" + deployment_ + "/bundle",
                          body + "}", "application/json", token_);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // The connector's config with bundle sync on (no customImplementationsPath) and fast retries.
  std::map<std::string, std::string> BundleConfig(std::map<std::string, std::string> extra = {}) {
    auto config = FastConnectorConfig(platform_->rpc_url(), platform_->api_url());
    config["bundleRetryInitialMs"] = "200";
    config["bundleRetryMaxMs"] = "1000";
    for (auto& [k, v] : extra) config[k] = v;
    return config;
  }
  std::unique_ptr<Connector> Start(std::map<std::string, std::string> config, bool wait_ready = true,
                                   std::map<std::string, std::string> env = {}, const std::string& dir = "conn") {
    auto e = DeploymentEnv();
    for (auto& [k, v] : env) e[k] = v;
    return std::make_unique<Connector>(root_ + "/" + dir, config, e, wait_ready);
  }
  // Waits until /statusz shows the bundle at `version` (as text), or the timeout passes.
  static bool WaitInstalled(Connector& c, const std::string& version, milliseconds timeout) {
    return WaitUntil([&] { return JsonField(c.Statusz(), "/bundle/version") == version; }, timeout);
  }
  // As WaitInstalled, and the platform has acknowledged the tools of that generation: /statusz shows the new
  // version a moment before the re-registration reaches the platform, and a call in that moment is refused.
  static bool WaitVersion(Connector& c, const std::string& version, milliseconds timeout) {
    return WaitUntil(
        [&] {
          const std::string statusz = c.Statusz();
          return JsonField(statusz, "/bundle/version") == version &&
                 JsonField(statusz, "/link/registeredGeneration") == JsonField(statusz, "/tools/generation");
        },
        timeout);
  }
  void Kill(Connector& c) {
    c.process().Signal(SIGKILL);
    c.process().WaitExit(milliseconds(5000));
  }

  // The real `edge-connector <args>` with the admin token in EDGE_ADMIN_TOKEN (and, except for `package`, which
  // never talks to the platform, `--api` of this platform).
  CommandResult Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {EDGE_CONNECTOR_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    if (args[0] != "package") argv.insert(argv.end(), {"--api", platform_->api_url()});
    return RunCommand(argv, {{"EDGE_ADMIN_TOKEN", token_}}, milliseconds(60000));
  }
  // The same, expecting exit 0 and printing its output otherwise.
  std::string CliOk(std::vector<std::string> args) {
    CommandResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " failed:\n" << r.out << r.err;
    return r.out;
  }
};

}  // namespace edge::e2e

#endif  // EDGE_TESTS_INTEGRATION_E2E_BUNDLES_FIXTURE_H_
