// LoadConfig: every layer, precedence, the env fallbacks, and the error and warning texts users see.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "edge/runtime/config.h"
#include "edge/runtime/log.h"

namespace edge::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "edge-config-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    inputs_.install_dir = dir_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text, int mode = 0644) {
    std::ofstream(dir_ + "/" + name) << text;
    chmod((dir_ + "/" + name).c_str(), static_cast<mode_t>(mode));
  }
  LoadedConfig Load() {
    auto loaded = LoadConfig(inputs_);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? *loaded : LoadedConfig{};
  }
  std::string Error() {
    auto loaded = LoadConfig(inputs_);
    EXPECT_FALSE(loaded.ok());
    return loaded.ok() ? "" : std::string(ToStd(loaded.status().message()));
  }
  static const ConfigEntry& Entry(const LoadedConfig& l, const std::string& key) {
    for (const auto& e : l.entries) {
      if (e.key == key) return e;
    }
    static ConfigEntry none{"<missing>", "", ""};
    ADD_FAILURE() << "no entry " << key;
    return none;
  }

  std::string dir_;
  ConfigInputs inputs_;
};

TEST_F(ConfigTest, DefaultsWithoutFiles) {
  LoadedConfig l = Load();
  EXPECT_EQ(l.config.install_dir, dir_);
  EXPECT_EQ(l.config.tool_rpc_url, "ws://127.0.0.1:3001/");
  EXPECT_EQ(l.config.platform_api_url, "http://127.0.0.1:3000/");
  EXPECT_EQ(l.config.auth_token_path, dir_ + "/auth-token.json");
  EXPECT_EQ(l.config.deployment_credentials_path, dir_ + "/deployment-credentials.json");
  EXPECT_EQ(l.config.custom_implementations_path, dir_ + "/dist");
  EXPECT_EQ(l.config.health_host, "0.0.0.0");
  EXPECT_EQ(l.config.health_port, 8080);
  EXPECT_EQ(l.config.heartbeat_timeout_ms, 75000);
  EXPECT_EQ(Entry(l, "toolRpcUrl").source, "default");
  EXPECT_EQ(Entry(l, "heartbeatIntervalMs").value, "30000");
  EXPECT_TRUE(l.warnings.empty());
}

TEST_F(ConfigTest, LayersApplyInOrder) {
  Write("provisioning.json",
        R"({"toolRpcUrl": "wss://prov.example/", "platformApiUrl": "https://prov.example/", "healthPort": 1001,
            "drainGraceMs": 5000, "connectorType": "SERVER"})");
  Write("config.json", R"({"toolRpcUrl": "wss://config.example/", "healthPort": 1002, "maxConcurrentCalls": 4})");
  inputs_.env = {{"HEALTH_PORT", "1003"}, {"EDGE_MAX_CONCURRENT_CALLS", "8"}};
  inputs_.overrides = {{"healthPort", "1004"}};
  LoadedConfig l = Load();
  EXPECT_EQ(l.config.platform_api_url, "https://prov.example/");
  EXPECT_EQ(Entry(l, "platformApiUrl").source, "provisioning.json");
  EXPECT_EQ(l.config.drain_grace_ms, 5000);
  EXPECT_EQ(l.config.tool_rpc_url, "wss://config.example/");
  EXPECT_EQ(Entry(l, "toolRpcUrl").source, "config.json");
  EXPECT_EQ(l.config.max_concurrent_calls, 8);
  EXPECT_EQ(Entry(l, "maxConcurrentCalls").source, "env EDGE_MAX_CONCURRENT_CALLS");
  EXPECT_EQ(l.config.health_port, 1004);
  EXPECT_EQ(Entry(l, "healthPort").source, "flag --healthPort");
  EXPECT_EQ(Entry(l, "healthPort").value, "1004");
}

TEST_F(ConfigTest, NextPublicFallbacks) {
  inputs_.env = {{"NEXT_PUBLIC_TOOL_RPC_URL", "wss://public.example/rpc"},
                 {"NEXT_PUBLIC_PLATFORM_API_URL", "https://public.example/"}};
  LoadedConfig l = Load();
  EXPECT_EQ(l.config.tool_rpc_url, "wss://public.example/rpc");
  EXPECT_EQ(Entry(l, "toolRpcUrl").source, "env NEXT_PUBLIC_TOOL_RPC_URL");
  EXPECT_EQ(Entry(l, "platformApiUrl").source, "env NEXT_PUBLIC_PLATFORM_API_URL");

  inputs_.env["TOOL_RPC_URL"] = "wss://private.example/rpc";
  inputs_.env["PLATFORM_API_URL"] = "";  // empty counts as unset
  l = Load();
  EXPECT_EQ(l.config.tool_rpc_url, "wss://private.example/rpc");
  EXPECT_EQ(Entry(l, "toolRpcUrl").source, "env TOOL_RPC_URL");
  EXPECT_EQ(l.config.platform_api_url, "https://public.example/");
}

TEST_F(ConfigTest, EnvironmentNamesAndBooleans) {
  inputs_.env = {{"EDGE_HEARTBEAT_INTERVAL_MS", "1000"}, {"EDGE_HEARTBEAT_TIMEOUT_MS", "2500"},
                 {"EDGE_DRAIN_GRACE_MS", "700"},         {"EC_DISABLE_TRAY", "yes"},
                 {"EC_DISABLE_AUTOSTART", "TRUE"},       {"EDGE_TLS_SKIP_VERIFY", "1"},
                 {"EDGE_ALLOW_INSECURE_WS", "no"},       {"EDGE_CA_FILE", "/etc/edge/ca.pem"},
                 {"EDGE_LOG_LEVEL", "debug"},            {"HEALTH_HOST", "127.0.0.2"},
                 {"CUSTOM_IMPLEMENTATIONS_PATH", "/srv/plugins"}};
  LoadedConfig l = Load();
  EXPECT_EQ(l.config.heartbeat_interval_ms, 1000);
  EXPECT_EQ(l.config.heartbeat_timeout_ms, 2500);
  EXPECT_EQ(l.config.drain_grace_ms, 700);
  EXPECT_TRUE(l.config.disable_tray);
  EXPECT_TRUE(l.config.disable_autostart);
  EXPECT_TRUE(l.config.tls_skip_verify);
  EXPECT_FALSE(l.config.allow_insecure_ws);
  EXPECT_EQ(l.config.ca_file, "/etc/edge/ca.pem");
  EXPECT_EQ(l.config.log_level, "debug");
  EXPECT_EQ(l.config.health_host, "127.0.0.2");
  EXPECT_EQ(l.config.custom_implementations_path, "/srv/plugins");
  EXPECT_EQ(Entry(l, "disableTray").value, "true");

  inputs_.env = {{"EDGE_TLS_SKIP_VERIFY", "maybe"}};
  std::string error = Error();
  EXPECT_THAT(error, HasSubstr("env EDGE_TLS_SKIP_VERIFY"));
  EXPECT_THAT(error, HasSubstr("'maybe' is not a boolean"));
  inputs_.env = {{"HEALTH_PORT", "80a"}};
  EXPECT_THAT(Error(), HasSubstr("env HEALTH_PORT: '80a' is not an integer"));
}

TEST_F(ConfigTest, InvalidJsonNamesFileAndLine) {
  Write("config.json", "{\n  \"toolRpcUrl\": \"ws://x/\"\n  \"healthPort\": 1\n}\n");
  std::string error = Error();
  EXPECT_THAT(error, HasSubstr("config.json is not valid JSON"));
  EXPECT_THAT(error, HasSubstr(dir_ + "/config.json"));
  EXPECT_THAT(error, HasSubstr("line 3"));

  Write("config.json", "[1, 2]");
  EXPECT_THAT(Error(), HasSubstr("must hold a JSON object"));
  Write("config.json", "{}");
  Write("provisioning.json", "{\"a\": ");
  EXPECT_THAT(Error(), HasSubstr("provisioning.json is not valid JSON"));
}

TEST_F(ConfigTest, WrongTypeNamesFileKeyAndType) {
  Write("config.json", R"({"healthPort": "8080"})");
  std::string error = Error();
  EXPECT_THAT(error, HasSubstr("config.json"));
  EXPECT_THAT(error, HasSubstr("\"healthPort\" must be an integer, not a string"));
  Write("config.json", R"({"tlsSkipVerify": 1})");
  EXPECT_THAT(Error(), HasSubstr("\"tlsSkipVerify\" must be a boolean, not an integer"));
  Write("config.json", R"({"toolRpcUrl": ["ws://a/"]})");
  EXPECT_THAT(Error(), HasSubstr("\"toolRpcUrl\" must be a string, not an array"));
  Write("config.json", R"({"drainGraceMs": 1.5})");
  EXPECT_THAT(Error(), HasSubstr("\"drainGraceMs\" must be an integer"));
}

TEST_F(ConfigTest, UrlSchemesAreChecked) {
  Write("config.json", R"({"toolRpcUrl": "https://platform.example/rpc"})");
  std::string error = Error();
  EXPECT_THAT(error, HasSubstr("toolRpcUrl (from config.json)"));
  EXPECT_THAT(error, HasSubstr("ws:// or wss://"));
  EXPECT_THAT(error, HasSubstr("e.g. wss://"));
  Write("config.json", "{}");
  inputs_.env = {{"PLATFORM_API_URL", "ws://platform.example/"}};
  error = Error();
  EXPECT_THAT(error, HasSubstr("platformApiUrl (from env PLATFORM_API_URL)"));
  EXPECT_THAT(error, HasSubstr("http:// or https://"));
}

TEST_F(ConfigTest, RangesAndOrderingAreChecked) {
  inputs_.env = {{"HEALTH_PORT", "70000"}};
  std::string error = Error();
  EXPECT_THAT(error, HasSubstr("healthPort (from env HEALTH_PORT) is 70000"));
  EXPECT_THAT(error, HasSubstr("0 to 65535"));
  inputs_.env.clear();
  inputs_.overrides = {{"healthPort", "0"}};
  EXPECT_EQ(Load().config.health_port, 0);

  inputs_.overrides = {{"heartbeatTimeoutMs", "30000"}};
  EXPECT_THAT(Error(), HasSubstr("heartbeatTimeoutMs (from flag --heartbeatTimeoutMs) is 30000 but must be greater "
                                 "than heartbeatIntervalMs"));
  inputs_.overrides = {{"reconnectInitialMs", "0"}};
  EXPECT_THAT(Error(), HasSubstr("reconnectInitialMs (from flag --reconnectInitialMs) is 0: it must be greater than 0"));
  inputs_.overrides = {{"maxConcurrentCalls", "0"}};
  EXPECT_THAT(Error(), HasSubstr("maxConcurrentCalls"));
  inputs_.overrides = {{"connectorType", "LAPTOP"}};
  EXPECT_THAT(Error(), HasSubstr("use SERVER or DESKTOP"));
  inputs_.overrides = {{"logLevel", "loud"}};
  EXPECT_THAT(Error(), HasSubstr("logLevel (from flag --logLevel) is 'loud'"));
  inputs_.overrides = {{"noSuchKey", "1"}};
  EXPECT_THAT(Error(), HasSubstr("unknown setting --noSuchKey"));
}

TEST_F(ConfigTest, UnknownKeysWarnWithSuggestion) {
  Write("config.json", R"({"toolRpcURL": "wss://x/", "heartbeatIntervalMS": 1000, "tool_rpc_url": "x",
                           "completelyUnrelated": true, "$schema": "ignored"})");
  LoadedConfig l = Load();
  ASSERT_EQ(l.warnings.size(), 4u);
  EXPECT_THAT(l.warnings[0], HasSubstr("unknown key \"toolRpcURL\""));
  EXPECT_THAT(l.warnings[0], HasSubstr("did you mean \"toolRpcUrl\"?"));
  EXPECT_THAT(l.warnings[1], HasSubstr("did you mean \"heartbeatIntervalMs\"?"));
  EXPECT_THAT(l.warnings[2], HasSubstr("did you mean \"toolRpcUrl\"?"));
  EXPECT_THAT(l.warnings[3], HasSubstr("\"completelyUnrelated\""));
  EXPECT_THAT(l.warnings[3], Not(HasSubstr("did you mean")));
  EXPECT_THAT(l.warnings[0], HasSubstr("config.json"));
  EXPECT_EQ(l.config.tool_rpc_url, "ws://127.0.0.1:3001/");  // unknown keys are ignored
}

TEST_F(ConfigTest, SecretIsRedacted) {
  LoadedConfig l = Load();
  EXPECT_EQ(Entry(l, "deploymentSecret").value, "");
  inputs_.env = {{"DEPLOYMENT_ID", "dep_1"}, {"DEPLOYMENT_SECRET", "s3cret-value"}};
  l = Load();
  EXPECT_EQ(l.config.deployment_secret, "s3cret-value");
  EXPECT_EQ(l.config.deployment_id_source, "env DEPLOYMENT_ID");
  EXPECT_EQ(Entry(l, "deploymentSecret").value, "<redacted>");
  EXPECT_EQ(Entry(l, "deploymentSecret").source, "env DEPLOYMENT_SECRET");
  EXPECT_EQ(Entry(l, "deploymentId").value, "dep_1");
  for (const auto& e : l.entries) EXPECT_THAT(e.value, Not(HasSubstr("s3cret"))) << e.key;
}

TEST_F(ConfigTest, RelativePathsResolveAgainstInstallDir) {
  Write("config.json", R"({"authTokenPath": "secrets/token.json", "customImplementationsPath": "../plugins",
                           "caFile": "/abs/ca.pem"})");
  inputs_.env = {{"DEPLOYMENT_CREDENTIALS_PATH", "creds/dep.json"}};
  LoadedConfig l = Load();
  EXPECT_EQ(l.config.auth_token_path, dir_ + "/secrets/token.json");
  EXPECT_EQ(l.config.deployment_credentials_path, dir_ + "/creds/dep.json");
  EXPECT_EQ(l.config.custom_implementations_path, (fs::path(dir_).parent_path() / "plugins").string());
  EXPECT_EQ(l.config.ca_file, "/abs/ca.pem");
  EXPECT_EQ(Entry(l, "authTokenPath").value, dir_ + "/secrets/token.json");

  inputs_.install_dir = dir_ + "/sub/..";  // normalised
  EXPECT_EQ(Load().config.install_dir, dir_);
}

TEST_F(ConfigTest, DesktopDefaultsToLoopbackHealthHost) {
  Write("provisioning.json", R"({"connectorType": "DESKTOP"})");
  LoadedConfig l = Load();
  EXPECT_EQ(l.config.connector_type, "DESKTOP");
  EXPECT_EQ(l.config.health_host, "127.0.0.1");
  inputs_.env = {{"HEALTH_HOST", "0.0.0.0"}};
  EXPECT_EQ(Load().config.health_host, "0.0.0.0");
}

TEST_F(ConfigTest, DeploymentCredentialsFileLayer) {
  Write("config.json", R"({"deploymentId": "dep_config"})");
  Write("deployment-credentials.json", R"({"deploymentId": "dep_file", "deploymentSecret": "file-secret"})", 0600);
  LoadedConfig l = Load();
  EXPECT_EQ(l.config.deployment_id, "dep_file");
  EXPECT_EQ(l.config.deployment_secret, "file-secret");
  EXPECT_EQ(Entry(l, "deploymentSecret").source, "deployment-credentials.json");
  EXPECT_EQ(l.config.deployment_id_source, "deployment-credentials.json");
  EXPECT_TRUE(l.warnings.empty());

  inputs_.env = {{"DEPLOYMENT_ID", "dep_env"}};  // the environment is above the file
  l = Load();
  EXPECT_EQ(l.config.deployment_id, "dep_env");
  EXPECT_EQ(l.config.deployment_secret, "file-secret");

  chmod((dir_ + "/deployment-credentials.json").c_str(), 0644);
  l = Load();
  ASSERT_EQ(l.warnings.size(), 1u);
  EXPECT_THAT(l.warnings[0], HasSubstr("mode 0644"));
  EXPECT_THAT(l.warnings[0], HasSubstr("chmod 600"));
}

TEST_F(ConfigTest, DeploymentCredentialsPathFromConfig) {
  fs::create_directories(dir_ + "/private");
  Write("private/dep.json", R"({"deploymentId": "dep_9", "deploymentSecret": "x"})", 0600);
  Write("config.json", R"({"deploymentCredentialsPath": "private/dep.json"})");
  LoadedConfig l = Load();
  EXPECT_EQ(l.config.deployment_id, "dep_9");
  Write("private/dep.json", R"({"deploymentId": 9})", 0600);
  EXPECT_THAT(Error(), HasSubstr("deployment-credentials.json (" + dir_ + "/private/dep.json): \"deploymentId\" must be "
                                 "a string"));
}

TEST_F(ConfigTest, EntriesCoverEveryKeyInStableOrder) {
  LoadedConfig a = Load();
  inputs_.env = {{"HEALTH_PORT", "9"}};
  LoadedConfig b = Load();
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (size_t i = 0; i < a.entries.size(); ++i) EXPECT_EQ(a.entries[i].key, b.entries[i].key);
  for (const char* key : {"installDir", "toolRpcUrl", "platformApiUrl", "authTokenPath", "deploymentCredentialsPath",
                          "deploymentId", "deploymentSecret", "customImplementationsPath", "connectorType",
                          "healthHost", "healthPort", "caFile", "tlsSkipVerify", "allowInsecureWs",
                          "heartbeatIntervalMs", "heartbeatTimeoutMs", "reconnectInitialMs", "reconnectMaxMs",
                          "stablePeriodMs", "slowBackoffInitialMs", "slowBackoffMaxMs", "connectTimeoutMs",
                          "drainGraceMs", "maxConcurrentCalls", "maxQueuedCalls", "callInactivityTimeoutMs",
                          "callMaxDurationMs", "overloadRetryAfterMs", "logLevel", "bundleSyncEnabled",
                          "bundlePollIntervalMs", "bundleRetryInitialMs", "bundleRetryMaxMs", "bundleMaxBytes",
                          "bundleMaxEntries", "bundleMaxUncompressedBytes", "bundleDownloadTimeoutMs",
                          "bundleStallTimeoutMs", "bundleTrustedKeysPath", "bundleKeepGenerations",
                          "testBundlePauseAt"}) {
    EXPECT_EQ(Entry(a, key).key, key);
  }
}

TEST_F(ConfigTest, BundleSyncDefaults) {
  const ConnectorConfig c = Load().config;
  EXPECT_TRUE(c.bundle_sync_enabled);
  EXPECT_EQ(c.bundle_poll_interval_ms, 600000);
  EXPECT_EQ(c.bundle_retry_initial_ms, 30000);
  EXPECT_EQ(c.bundle_retry_max_ms, 600000);
  EXPECT_EQ(c.bundle_max_bytes, 52428800);
  EXPECT_EQ(c.bundle_max_entries, 10000);
  EXPECT_EQ(c.bundle_max_uncompressed_bytes, 536870912);
  EXPECT_EQ(c.bundle_download_timeout_ms, 300000);
  EXPECT_EQ(c.bundle_stall_timeout_ms, 30000);
  EXPECT_EQ(c.bundle_trusted_keys_path, "");
  EXPECT_EQ(c.bundle_keep_generations, 2);
  EXPECT_EQ(c.test_bundle_pause_at, "");
}

TEST_F(ConfigTest, BundleSyncSettingsComeFromEveryLayer) {
  Write("config.json", R"({"bundlePollIntervalMs": 5000, "bundleTrustedKeysPath": "keys/trusted.pem",
                           "bundleSyncEnabled": false})");
  inputs_.env = {{"EDGE_TEST_BUNDLE_PAUSE_AT", "swap"}, {"EDGE_BUNDLE_MAX_BYTES", "1048576"}};
  LoadedConfig l = Load();
  EXPECT_EQ(l.config.bundle_poll_interval_ms, 5000);
  EXPECT_FALSE(l.config.bundle_sync_enabled);
  EXPECT_EQ(l.config.bundle_trusted_keys_path, dir_ + "/keys/trusted.pem");
  EXPECT_EQ(l.config.test_bundle_pause_at, "swap");
  EXPECT_EQ(l.config.bundle_max_bytes, 1048576);
  EXPECT_EQ(Entry(l, "testBundlePauseAt").source, "env EDGE_TEST_BUNDLE_PAUSE_AT");
}

TEST_F(ConfigTest, BundleSyncSettingsAreValidated) {
  inputs_.overrides = {{"bundleRetryInitialMs", "60000"}, {"bundleRetryMaxMs", "1000"}};
  EXPECT_THAT(Error(), HasSubstr("bundleRetryMaxMs (from flag --bundleRetryMaxMs) is 1000 but must be at least "
                                 "bundleRetryInitialMs"));
  inputs_.overrides = {{"bundleMaxBytes", "0"}};
  EXPECT_THAT(Error(), HasSubstr("bundleMaxBytes (from flag --bundleMaxBytes) is 0: it must be greater than 0"));
  inputs_.overrides = {{"bundleKeepGenerations", "1"}};
  EXPECT_THAT(Error(), HasSubstr("bundleKeepGenerations (from flag --bundleKeepGenerations) is 1: use 2 or more"));
  inputs_.overrides = {{"testBundlePauseAt", "later"}};
  EXPECT_THAT(Error(), HasSubstr("testBundlePauseAt (from flag --testBundlePauseAt) is 'later': use download, "
                                 "extract or swap"));
}

// ---- the webhook relay's keys (docs/webhook-relay.md section 2)

TEST_F(ConfigTest, WebhookRelayDefaults) {
  LoadedConfig l = Load();
  const ConnectorConfig& c = l.config;
  EXPECT_TRUE(c.webhook_relay_enabled);
  EXPECT_TRUE(c.webhook_relay_expose_lan);
  EXPECT_EQ(c.webhook_relay_port, 8787);
  EXPECT_EQ(c.webhook_relay_public_url, "");
  EXPECT_EQ(c.webhook_max_body_bytes, 1048576);
  EXPECT_EQ(c.webhook_rate_limit_per_minute, 600);
  EXPECT_EQ(c.webhook_queue_max_deliveries, 10000);
  EXPECT_EQ(c.webhook_queue_max_bytes, 268435456);
  EXPECT_THAT(c.webhook_forward_header_list,
              ::testing::ElementsAre("x-github-event", "x-github-delivery", "x-github-hook-id", "x-hub-signature-256",
                                     "x-gitlab-event", "x-gitlab-token", "x-gitlab-event-uuid", "stripe-signature",
                                     "x-slack-signature", "x-slack-request-timestamp", "x-request-id", "x-webhook-id",
                                     "x-event-type"));
  for (const char* key : {"webhookRelayEnabled", "webhookRelayExposeLan", "webhookRelayPort", "webhookRelayPublicUrl",
                          "webhookMaxBodyBytes", "webhookRateLimitPerMinute", "webhookQueueMaxDeliveries",
                          "webhookQueueMaxBytes", "webhookForwardHeaders"}) {
    EXPECT_EQ(Entry(l, key).source, "default") << key;
  }
}

TEST_F(ConfigTest, WebhookRelayEnvironmentNames) {
  inputs_.env = {{"EDGE_WEBHOOK_RELAY_ENABLED", "0"},
                 {"NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN", "0"},
                 {"WEBHOOK_RELAY_PORT", "0"},
                 {"WEBHOOK_RELAY_PUBLIC_URL", "https://hooks.example.com"},
                 {"EDGE_WEBHOOK_MAX_BODY_BYTES", "2097152"},
                 {"EDGE_WEBHOOK_RATE_LIMIT_PER_MINUTE", "60"},
                 {"EDGE_WEBHOOK_QUEUE_MAX_DELIVERIES", "5"},
                 {"EDGE_WEBHOOK_QUEUE_MAX_BYTES", "4096"},
                 {"EDGE_WEBHOOK_FORWARD_HEADERS", " X-One ,x-two,,X-Three "}};
  LoadedConfig l = Load();
  const ConnectorConfig& c = l.config;
  EXPECT_FALSE(c.webhook_relay_enabled);
  EXPECT_FALSE(c.webhook_relay_expose_lan);
  EXPECT_EQ(c.webhook_relay_port, 0);
  EXPECT_EQ(c.webhook_relay_public_url, "https://hooks.example.com");
  EXPECT_EQ(c.webhook_max_body_bytes, 2097152);
  EXPECT_EQ(c.webhook_rate_limit_per_minute, 60);
  EXPECT_EQ(c.webhook_queue_max_deliveries, 5);
  EXPECT_EQ(c.webhook_queue_max_bytes, 4096);
  EXPECT_THAT(c.webhook_forward_header_list, ::testing::ElementsAre("x-one", "x-two", "x-three"));
  EXPECT_EQ(Entry(l, "webhookRelayExposeLan").source, "env NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN");
  EXPECT_EQ(Entry(l, "webhookRelayPort").source, "env WEBHOOK_RELAY_PORT");
  EXPECT_EQ(Entry(l, "webhookRelayPublicUrl").source, "env WEBHOOK_RELAY_PUBLIC_URL");
  EXPECT_EQ(Entry(l, "webhookRelayEnabled").source, "env EDGE_WEBHOOK_RELAY_ENABLED");
  EXPECT_EQ(Entry(l, "webhookForwardHeaders").source, "env EDGE_WEBHOOK_FORWARD_HEADERS");
}

TEST_F(ConfigTest, WebhookRelayFromConfigJson) {
  Write("config.json", R"({"webhookRelayExposeLan": false, "webhookRelayPort": 9000, "webhookForwardHeaders": ""})");
  const ConnectorConfig c = Load().config;
  EXPECT_FALSE(c.webhook_relay_expose_lan);
  EXPECT_EQ(c.webhook_relay_port, 9000);
  EXPECT_TRUE(c.webhook_forward_header_list.empty());
}

TEST_F(ConfigTest, WebhookRelaySettingsAreValidated) {
  inputs_.overrides = {{"webhookRelayPort", "70000"}};
  EXPECT_THAT(Error(),
              HasSubstr("webhookRelayPort (from flag --webhookRelayPort) is 70000: use a port from 0 to 65535"));
  inputs_.overrides = {{"webhookRelayPublicUrl", "hooks.example.com"}};
  EXPECT_THAT(Error(), HasSubstr("webhookRelayPublicUrl (from flag --webhookRelayPublicUrl) is 'hooks.example.com': it "
                                 "must start with http:// or https://"));
  inputs_.overrides = {{"webhookMaxBodyBytes", "2097153"}};
  EXPECT_THAT(Error(), HasSubstr("webhookMaxBodyBytes (from flag --webhookMaxBodyBytes) is 2097153: the most is "
                                 "2097152"));
  inputs_.overrides = {{"webhookQueueMaxDeliveries", "0"}};
  EXPECT_THAT(Error(), HasSubstr("webhookQueueMaxDeliveries (from flag --webhookQueueMaxDeliveries) is 0: it must be "
                                 "greater than 0"));
  inputs_.overrides = {{"webhookForwardHeaders", "X-Ok,Bad Header"}};
  EXPECT_THAT(Error(), HasSubstr("'bad header', which is not a header name"));
  inputs_.overrides = {{"webhookForwardHeaders", "X-Ok,Authorization"}};
  EXPECT_THAT(Error(), HasSubstr("Authorization and Cookie are never relayed"));
}

TEST(ProcessEnvironmentTest, ReadsTheProcessEnvironment) {
  setenv("EDGE_CONFIG_TEST_VAR", "a=b", 1);
  auto env = ProcessEnvironment();
  EXPECT_EQ(env["EDGE_CONFIG_TEST_VAR"], "a=b");
  unsetenv("EDGE_CONFIG_TEST_VAR");
}

}  // namespace
}  // namespace edge::runtime
