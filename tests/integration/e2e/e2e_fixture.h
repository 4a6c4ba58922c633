// e2e_fixture.h: the shared set-up of the end-to-end tests: a platform in a temporary data dir with an org,
// an admin token and a deployment, and the example plugins (with the configs they need) in impl/.
#ifndef EDGE_TESTS_INTEGRATION_E2E_E2E_FIXTURE_H_
#define EDGE_TESTS_INTEGRATION_E2E_E2E_FIXTURE_H_

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "e2e_env.h"
#include "example_setup.h"
#include "gtest/gtest.h"

namespace edge::e2e {

class E2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir("edge-e2e");
    data_ = root_ + "/platform";
    std::filesystem::create_directories(data_);
    StartPlatform();
    ASSERT_TRUE(platform_->started());
    org_ = Platform::Admin(data_, {"create-org", "--name", "e2e"});
    token_ = Platform::Admin(data_, {"issue-token", "--org", org_, "--role", "admin", "--ttl", "3600"});
    std::string dep = Platform::Admin(data_, {"create-deployment", "--org", org_, "--name", "site-a", "--json"});
    deployment_ = JsonField(dep, "/id");
    secret_ = JsonField(dep, "/secret");
    ASSERT_FALSE(deployment_.empty()) << dep;
    ASSERT_FALSE(secret_.empty()) << dep;
    InstallPlugins(root_ + "/impl");
  }

  void TearDown() override {
    connectors_.clear();
    platform_.reset();
    if (!HasFailure()) std::filesystem::remove_all(root_);
  }

  // (Re)starts the platform; `same_ports` reuses the previous ports so running connectors find it again.
  void StartPlatform(bool same_ports = false, std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {"--heartbeat-interval-ms", "200", "--heartbeat-timeout-ms", "1500",
                                      "--enable-test-hooks"};
    if (same_ports && platform_) {
      flags.push_back("--api-listen=" + HostPort(platform_->api_url()));
      flags.push_back("--rpc-listen=" + HostPort(platform_->rpc_url()));
    }
    flags.insert(flags.end(), extra.begin(), extra.end());
    platform_.reset();
    platform_ = std::make_unique<Platform>(data_, flags);
  }

  static std::string HostPort(const std::string& url) {
    std::string rest = url.substr(url.find("://") + 3);
    return rest.substr(0, rest.find('/'));
  }

  void InstallPlugins(const std::string& dir) {
    std::filesystem::create_directories(dir);
    for (const char* name : {"echo", "sysinfo", "slow", "sqlite_query", "http_request"}) {
      std::filesystem::copy_file(std::string(EDGE_PLUGIN_DIR) + "/" + name + ".so", dir + "/" + name + ".so");
      std::string config = examples_.ConfigFor(name);
      if (!config.empty()) std::ofstream(dir + "/" + name + ".json") << config;
    }
  }

  std::map<std::string, std::string> ConnectorConfig() {
    auto config = FastConnectorConfig(platform_->rpc_url(), platform_->api_url());
    config["customImplementationsPath"] = "\"" + root_ + "/impl\"";
    return config;
  }
  std::map<std::string, std::string> DeploymentEnv() {
    return {{"DEPLOYMENT_ID", deployment_}, {"DEPLOYMENT_SECRET", secret_}};
  }

  Connector& StartConnector(const std::string& name = "conn", bool wait_ready = true,
                            std::map<std::string, std::string> config = {},
                            std::map<std::string, std::string> env = {}) {
    auto merged = ConnectorConfig();
    for (auto& [k, v] : config) merged[k] = v;
    if (env.empty()) env = DeploymentEnv();
    connectors_.push_back(std::make_unique<Connector>(root_ + "/" + name, merged, env, wait_ready));
    return *connectors_.back();
  }

  HttpResponse Invoke(const std::string& tool, const std::string& arguments, const std::string& extra = "") {
    std::string body = "{\"arguments\":" + arguments + (extra.empty() ? "" : "," + extra) + "}";
    return Http("POST", platform_->api_url() + "/api/v1/tools/" + tool + "/invoke", body, token_);
  }

  testing::ExampleSetup examples_;
  std::string root_, data_, org_, token_, deployment_, secret_;
  std::unique_ptr<Platform> platform_;
  std::vector<std::unique_ptr<Connector>> connectors_;
};

}  // namespace edge::e2e

#endif  // EDGE_TESTS_INTEGRATION_E2E_E2E_FIXTURE_H_
