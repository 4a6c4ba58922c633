// edge-platform: the self-hostable reference platform. `serve` runs the server (server/); `admin ...` manages
// orgs, deployments and tokens in the data dir (admin/). See docs/api.md.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "admin/admin.h"
#include "edge/runtime/log.h"
#include "server/server.h"

namespace {

constexpr int kExitUsage = 64;

int Print(const absl::StatusOr<std::string>& out) {
  if (!out.ok()) {
    std::fprintf(stderr, "edge-platform: %s\n", std::string(out.status().message()).c_str());
    return 1;
  }
  std::fputs(out->c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using edge::platform::admin::CreateDeploymentArgs;
  namespace admin = edge::platform::admin;
  CLI::App app("edge-platform: the reference Tool RPC platform (REST API + connector WebSocket hub).",
               "edge-platform");
  app.set_version_flag("--version", std::string("edge-platform ") + EDGE_PLATFORM_VERSION);
  app.require_subcommand(1);
  std::function<int()> run;

  // serve
  edge::platform::server::ServeOptions serve;
  serve.version = EDGE_PLATFORM_VERSION;
  std::string log_level = "info";
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the platform: REST API and connector endpoint.");
  serve_cmd->add_option("--data-dir", serve.data_dir, "Data directory (created 0700)")->capture_default_str();
  serve_cmd->add_option("--api-listen", serve.api_listen, "REST API HOST:PORT (port 0: any free port)")
      ->capture_default_str();
  serve_cmd->add_option("--rpc-listen", serve.rpc_listen, "Connector WebSocket HOST:PORT (port 0: any free port)")
      ->capture_default_str();
  serve_cmd->add_option("--rpc-tls-cert", serve.rpc_tls_cert, "PEM certificate: serve wss:// (with --rpc-tls-key)")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--rpc-tls-key", serve.rpc_tls_key, "PEM private key for --rpc-tls-cert")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--heartbeat-interval-ms", serve.heartbeat_interval_ms, "Platform heartbeat interval")
      ->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--heartbeat-timeout-ms", serve.heartbeat_timeout_ms, "Dead-connection timeout")
      ->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--hello-timeout-ms", serve.hello_timeout_ms, "Time a connector has to send hello")
      ->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--call-slack-ms", serve.call_slack_ms, "Platform call watch: connector timeouts + this")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  serve_cmd->add_option("--max-bundle-bytes", serve.max_bundle_bytes,
                        "Largest bundle upload accepted, in bytes (larger: 413)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--public-url", serve.public_url,
                        "Base URL of cloud-public webhook URLs (default: http://<--api-listen address>)");
  serve_cmd->add_option("--webhook-max-body-bytes", serve.webhook_max_body_bytes,
                        "Largest cloud-public webhook body, in bytes (larger: 413)")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{8} * 1024 * 1024));
  serve_cmd->add_option("--webhook-rate-limit-per-minute", serve.webhook_rate_limit_per_minute,
                        "Cloud-public deliveries per webhook and minute (bursts of a tenth, at least 10; beyond: 429)")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  // Cloud connectors (docs/cloud-connectors.md section 5).
  edge::platform::cloud::CloudOptions& cloud = serve.cloud;
  serve_cmd->add_option("--cloud-driver", cloud.driver, "Cloud connector hosting: local, or none (refused: 501)")
      ->capture_default_str()->check(CLI::IsMember({"local", "none"}));
  serve_cmd->add_option("--cloud-connector-bin", cloud.connector_bin,
                        "The edge-connector program cloud connectors run (default: next to edge-platform, else $PATH)");
  serve_cmd->add_option("--cloud-connector-config", cloud.connector_config_path,
                        "JSON object merged into every cloud connector's config.json")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--cloud-tool-rpc-url", cloud.tool_rpc_url,
                        "toolRpcUrl written into cloud connectors' config (default: this platform's RPC listener)");
  serve_cmd->add_option("--cloud-platform-api-url", cloud.platform_api_url,
                        "platformApiUrl written into cloud connectors' config (default: this platform's API listener)");
  serve_cmd->add_option("--cloud-provision-timeout-ms", cloud.provision_timeout_ms,
                        "Provisioning longer than this is stuck")
      ->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--cloud-start-timeout-ms", cloud.start_timeout_ms, "Starting longer than this is stuck")
      ->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--cloud-stop-timeout-ms", cloud.stop_timeout_ms, "Stopping longer than this is stuck")
      ->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--cloud-restart-initial-ms", cloud.restart_initial_ms,
                        "First restart backoff step of a crashed cloud connector (doubles, full jitter)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--cloud-restart-max-ms", cloud.restart_max_ms, "Cap of the restart backoff")
      ->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_flag("--cloud-stop-on-exit", cloud.stop_on_exit,
                      "Stop running cloud connectors (they drain first) when the platform stops gracefully");
  serve_cmd->add_option("--console-session-ttl", serve.console_session_ttl,
                        "How long an admin console session lasts from sign-in (docs/console.md)")
      ->capture_default_str();
  serve_cmd->add_option("--device-code-ttl", serve.device_code_ttl,
                        "How long a browser sign-in code (edge-connector auth --browser) waits for approval")
      ->capture_default_str();
  serve_cmd->add_option("--device-token-ttl", serve.device_token_ttl,
                        "Lifetime of the connector token a browser sign-in issues")
      ->capture_default_str();
  serve_cmd->add_flag("--enable-test-hooks", serve.enable_test_hooks, "Enable /api/v1/test/* (tests only)");
  serve_cmd->add_option("--log-level", log_level, "trace|debug|info|warn|error|off")->capture_default_str();
  serve_cmd->callback([&] {
    run = [&] {
      if (!edge::runtime::ParseLogLevel(log_level, &serve.log_level)) {
        std::fprintf(stderr, "edge-platform: --log-level '%s' is invalid; use trace, debug, info, warn, error or off\n",
                     log_level.c_str());
        return kExitUsage;
      }
      return edge::platform::server::Serve(serve);
    };
  });

  // admin
  std::string data_dir = "./edge-platform-data";
  CLI::App* admin_cmd = app.add_subcommand("admin", "Manage orgs, deployments and tokens in the data dir.");
  admin_cmd->add_option("--data-dir", data_dir, "Data directory")->capture_default_str();
  admin_cmd->require_subcommand(1);

  admin::CreateOrgArgs org_args;
  CLI::App* c = admin_cmd->add_subcommand("create-org", "Create an org; prints its id.");
  c->add_option("--name", org_args.name, "Display name")->required();
  c->add_option("--id", org_args.id, "Org id (default: a new org_<random>)");
  c->add_flag("--json", org_args.json, "Print JSON {id,name,createdAtMs}");
  c->callback([&] { run = [&] { return Print(admin::CreateOrg(data_dir, org_args)); }; });

  admin::IssueTokenArgs token_args;
  c = admin_cmd->add_subcommand("issue-token", "Issue a signed JWT; prints only the token.");
  c->add_option("--org", token_args.org, "Org id")->required();
  c->add_option("--role", token_args.role, "admin or connector")->capture_default_str();
  c->add_option("--subject", token_args.subject, "Token subject (default: the role, or the deployment)");
  c->add_option("--ttl", token_args.ttl, "Lifetime: 24h, 90m, 3600s or seconds")->capture_default_str();
  c->add_option("--deployment", token_args.deployment, "Deployment claim (for connector tokens)");
  c->callback([&] { run = [&] { return Print(admin::IssueToken(data_dir, token_args)); }; });

  admin::CreateDeploymentArgs dep_args;
  c = admin_cmd->add_subcommand("create-deployment", "Create a deployment; prints its id and secret (once).");
  c->add_option("--org", dep_args.org, "Org id")->required();
  c->add_option("--name", dep_args.name, "Display name")->required();
  c->add_flag("--json", dep_args.json, "Print JSON {id,name,orgId,secret}");
  c->callback([&] { run = [&] { return Print(admin::CreateDeployment(data_dir, dep_args)); }; });

  admin::RotateSecretArgs rotate_args;
  c = admin_cmd->add_subcommand("rotate-secret", "Give a deployment a new secret; prints it (once).");
  c->add_option("--deployment", rotate_args.deployment, "Deployment id")->required();
  c->add_flag("--json", rotate_args.json, "Print JSON {id,name,orgId,secret}");
  c->callback([&] { run = [&] { return Print(admin::RotateSecret(data_dir, rotate_args)); }; });

  admin::ListDeploymentsArgs list_args;
  c = admin_cmd->add_subcommand("list-deployments", "List an org's deployments.");
  c->add_option("--org", list_args.org, "Org id")->required();
  c->add_flag("--json", list_args.json, "Print JSON {deployments:[...]}");
  c->callback([&] { run = [&] { return Print(admin::ListDeployments(data_dir, list_args)); }; });

  // Console (docs/console.md section 1).
  admin::ConsoleLinkArgs link_args;
  c = admin_cmd->add_subcommand("console-link", "Print a one-time sign-in link for the admin console.");
  c->add_option("--org", link_args.org, "Org id")->required();
  c->add_option("--ttl", link_args.ttl, "How long the link works: 10m, 1h, ... (at most 24h)")->capture_default_str();
  c->add_option("--subject", link_args.subject, "Who signs in (the session acts as console:<subject>)")
      ->capture_default_str();
  c->add_option("--url", link_args.url,
                "Base URL of the link (default: the running platform's --public-url or API URL)");
  c->add_flag("--json", link_args.json, "Print JSON {url,orgId,subject,expiresAtMs}");
  c->callback([&] { run = [&] { return Print(admin::ConsoleLink(data_dir, link_args)); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    std::fprintf(stderr, "Run 'edge-platform --help' (or 'edge-platform <command> --help') for usage.\n");
    return kExitUsage;
  }
  if (!run) {
    std::fputs(app.help().c_str(), stderr);
    return kExitUsage;
  }
  return run();
}
