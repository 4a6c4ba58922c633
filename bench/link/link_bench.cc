// edge_link_bench: the link and end-to-end figures of docs/performance.md, in one run.
//
//   floor       a bare lws echo client answering the driver: the transport's own round trip
//   connector   a real `edge-connector run` answering tool.invoke for the echo plugin, driven directly
//   platform    REST calls through a real `edge-platform` to a real connector (1 and 64 in flight)
//   process     the connector's start-to-healthy time and idle RSS
//
// Each scenario runs `--repetitions` times; the tables show the median run. `--smoke` runs tiny counts and only
// checks that every phase completes (the ctest `bench.link_smoke`).
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "driver_server.h"
#include "processes.h"

namespace edge::bench {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

struct Options {
  std::string connector = EDGE_CONNECTOR_BIN;
  std::string platform = EDGE_PLATFORM_BIN;
  std::string echo_plugin = EDGE_ECHO_PLUGIN;
  int latency_calls = 20000;
  int throughput_calls = 100000;
  int platform_calls = 3000;
  int repetitions = 3;
  bool smoke = false;
  bool connector_only = false;  // floor and connector phases only: no edge-platform
  bool pin = true;              // latency rounds pinned (see Placement)
};

struct Figures {
  double p50 = 0, p99 = 0, per_second = 0;
  int64_t errors = 0;
  size_t answered = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

Figures Summarize(const RoundResult& r) {
  Figures f;
  f.p50 = Percentile(r.latencies_us, 0.50);
  f.p99 = Percentile(r.latencies_us, 0.99);
  f.per_second = r.seconds > 0 ? static_cast<double>(r.latencies_us.size()) / r.seconds : 0;
  f.errors = r.errors;
  f.answered = r.latencies_us.size();
  return f;
}

Figures Median(std::vector<Figures> runs, double Figures::*key) {
  std::sort(runs.begin(), runs.end(), [key](const Figures& a, const Figures& b) { return a.*key < b.*key; });
  return runs[runs.size() / 2];
}

const char kEchoArgs[] = R"({"text":"hello from the benchmark driver, a typical small argument"})";

// Where a round runs. Latency rounds are pinned (unless --unpinned): the driver's thread on CPU 0 and the
// peer process, every thread of it, on CPU 1, for the floor and the connector alike. Unpinned, the scheduler
// sometimes puts the floor's echo client on the driver's vCPU, where a round trip needs no cross-CPU wake-up
// (11-20 us instead of 60-90 us on the test VM), and the ratio swung 0.5x-4x between runs. Throughput rounds
// are never pinned: the connector may use both CPUs, as the floor may.
struct Placement {
  int driver_cpu = -1;
  int peer_cpu = -1;
};
Placement LatencyPlacement(const Options& o) { return o.pin ? Placement{0, 1} : Placement{}; }

// The driver's thread on `cpu` for one scope (-1: unchanged).
class PinnedDriver {
 public:
  explicit PinnedDriver(int cpu) : pinned_(cpu >= 0 && PinThisThread(cpu)) {}
  ~PinnedDriver() {
    if (pinned_) PinThisThread(-1);
  }

 private:
  bool pinned_;
};

// One measured round against the peer connected to `server`, after a warm-up at 1 in flight.
Figures DriveRound(DriverServer& server, const Options& o, int depth) {
  server.Run(o.smoke ? 20 : 1000, 1, "echo", kEchoArgs);
  return Summarize(server.Run(depth == 1 ? o.latency_calls : o.throughput_calls, depth, "echo", kEchoArgs));
}

bool FloorRound(const Options& o, Placement where, int depth, std::vector<Figures>* out) {
  DriverServer server;
  pid_t child = fork();
  if (child == 0) {
    if (where.peer_cpu >= 0) PinThisThread(where.peer_cpu);
    _exit(RunEchoClient(server.port()));
  }
  bool ok = server.WaitPeer(milliseconds(10000), /*protocol_peer=*/false);
  if (ok) {
    PinnedDriver pinned(where.driver_cpu);
    out->push_back(DriveRound(server, o, depth));
  }
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  return ok;
}

bool Floor(const Options& o, std::vector<Figures>* latency, std::vector<Figures>* throughput) {
  return FloorRound(o, LatencyPlacement(o), 1, latency) && FloorRound(o, Placement{}, 64, throughput);
}

std::string WriteInstall(const std::string& root, const std::string& rpc_url, const std::string& api_url,
                         const std::string& echo_plugin) {
  fs::create_directories(root + "/impl");
  fs::copy_file(echo_plugin, root + "/impl/echo.so", fs::copy_options::overwrite_existing);
  std::ofstream(root + "/config.json") << "{\"toolRpcUrl\":\"" << rpc_url << "\",\"platformApiUrl\":\"" << api_url
                                       << "\",\"healthHost\":\"127.0.0.1\",\"healthPort\":0,"
                                          "\"customImplementationsPath\":\"" << root << "/impl\"}";
  return root;
}

// Starts a real `edge-connector run` serving the echo plugin against a fresh driver (the whole process pinned
// to `peer_cpu` when >= 0), waits until it has registered its tools, then runs `drive`. False when the
// connector did not register or `drive` failed; the install directory is kept for its log then.
bool WithConnector(const Options& o, int peer_cpu, const std::function<bool(DriverServer&, Child&)>& drive) {
  DriverServer server;
  std::string root = TempDir();
  WriteInstall(root, "ws://127.0.0.1:" + std::to_string(server.port()) + "/", "http://127.0.0.1:9/",
               o.echo_plugin);
  bool ok = false;
  {
    Child connector({o.connector, "run", "--install-dir", root, "--log-level", "warn"},
                    {{"DEPLOYMENT_ID", "dep_bench"}, {"DEPLOYMENT_SECRET", "bench-secret"}}, root + "/connector.log",
                    peer_cpu);
    if (server.WaitPeer(milliseconds(20000), /*protocol_peer=*/true)) {
      ok = drive(server, connector);
    } else {
      std::fprintf(stderr, "connector did not register with the driver; see %s/connector.log\n", root.c_str());
    }
  }
  if (ok) fs::remove_all(root);
  return ok;
}

bool ConnectorRound(const Options& o, Placement where, int depth, std::vector<Figures>* out) {
  return WithConnector(o, where.peer_cpu, [&](DriverServer& server, Child&) {
    PinnedDriver pinned(where.driver_cpu);
    out->push_back(DriveRound(server, o, depth));
    return true;
  });
}

bool Connector(const Options& o, std::vector<Figures>* latency, std::vector<Figures>* throughput) {
  return ConnectorRound(o, LatencyPlacement(o), 1, latency) && ConnectorRound(o, Placement{}, 64, throughput);
}

// At 64 in flight the scheduler settles on one of two placements for a whole run, and which one decides the
// figure (docs/performance.md section 7): the connector's link thread on the driver's vCPU, or on a vCPU of
// its own. This round pins one of them, so both can be compared run to run: the driver on CPU 0, the thread
// named ec-link on CPU 0 (`link_with_driver`) or CPU 1, every other connector thread on the other CPU.
// Workers start on demand, from the link thread, so a warm-up at 64 in flight starts them before the pinning,
// and the pinning is repeated after a second warm-up for any thread started in between.
bool ConnectorPlacementRound(const Options& o, bool link_with_driver, std::vector<Figures>* out) {
  return WithConnector(o, -1, [&](DriverServer& server, Child& connector) {
    PinnedDriver pinned(0);
    const int link_cpu = link_with_driver ? 0 : 1, other_cpu = link_with_driver ? 1 : 0;
    server.Run(o.smoke ? 200 : 20000, 64, "echo", kEchoArgs);
    bool found = PinThreadsOf(connector.pid(), "ec-link", link_cpu, other_cpu) == 1;
    server.Run(o.smoke ? 50 : 2000, 64, "echo", kEchoArgs);
    found = found && PinThreadsOf(connector.pid(), "ec-link", link_cpu, other_cpu) == 1;
    if (!found) {
      std::fprintf(stderr, "no thread named ec-link in the connector (pid %d): cannot pin its placement\n",
                   static_cast<int>(connector.pid()));
      return false;
    }
    out->push_back(Summarize(server.Run(o.throughput_calls, 64, "echo", kEchoArgs)));
    return true;
  });
}

struct PlatformRun {
  Figures latency, throughput;
  double start_to_healthy_ms = 0;
  int64_t idle_rss = 0;
  bool ok = false;
};

PlatformRun ThroughPlatform(const Options& o) {
  PlatformRun run;
  std::string root = TempDir();
  std::string data = root + "/platform";
  fs::create_directories(data);
  Child platform({o.platform, "serve", "--data-dir", data, "--api-listen", "127.0.0.1:0", "--rpc-listen",
                  "127.0.0.1:0", "--log-level", "warn"},
                 {}, root + "/platform.log");
  std::string line = platform.WaitLine("edge-platform listening", milliseconds(20000));
  size_t api_at = line.find("api="), rpc_at = line.find(" rpc=");
  if (api_at == std::string::npos || rpc_at == std::string::npos) {
    std::fprintf(stderr, "edge-platform did not start; see %s/platform.log\n", root.c_str());
    return run;
  }
  const std::string api = line.substr(api_at + 4, rpc_at - api_at - 4);
  const std::string rpc = line.substr(rpc_at + 5);
  const std::string admin_prefix = data;
  auto admin = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {o.platform, "admin", "--data-dir", data};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunOutput(argv);
  };
  std::string org = admin({"create-org", "--name", "bench"});
  std::string token = admin({"issue-token", "--org", org, "--role", "admin", "--ttl", "3600"});
  std::string dep = admin({"create-deployment", "--org", org, "--name", "bench", "--json"});
  auto field = [&](const std::string& key) {
    size_t at = dep.find("\"" + key + "\":\"");
    if (at == std::string::npos) return std::string();
    at += key.size() + 4;
    return dep.substr(at, dep.find('"', at) - at);
  };
  WriteInstall(root + "/connector", rpc, api, o.echo_plugin);
  const auto spawned = std::chrono::steady_clock::now();
  Child connector({o.connector, "run", "--install-dir", root + "/connector", "--log-level", "info"},
                  {{"DEPLOYMENT_ID", field("id")}, {"DEPLOYMENT_SECRET", field("secret")}},
                  root + "/connector/connector.log");
  std::string health = connector.WaitLine("health server on http://", milliseconds(20000));
  size_t url_at = health.find("http://");
  if (url_at == std::string::npos) {
    std::fprintf(stderr, "connector did not start; see %s/connector/connector.log\n", root.c_str());
    return run;
  }
  std::string health_url = health.substr(url_at, health.find(' ', url_at) - url_at);
  HttpClient probe;
  std::string body;
  while (probe.Get(health_url + "/healthz", &body) != 200) {
    if (std::chrono::steady_clock::now() - spawned > std::chrono::seconds(20)) return run;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  run.start_to_healthy_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - spawned).count();
  std::this_thread::sleep_for(milliseconds(o.smoke ? 100 : 1000));
  run.idle_rss = connector.RssBytes();

  const std::string url = api + "/api/v1/tools/echo/invoke";
  const std::string request = std::string("{\"arguments\":") + kEchoArgs + "}";
  HttpClient client;
  std::string response;
  for (int i = 0; i < (o.smoke ? 10 : 200); ++i) client.Post(url, request, token, &response);  // warm-up
  RoundResult one;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < o.platform_calls; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if (client.Post(url, request, token, &response) != 200) ++one.errors;
    one.latencies_us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  one.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.latency = Summarize(one);

  // 64 in flight: 64 clients, each with its own keep-alive connection.
  std::atomic<int64_t> errors{0};
  const int per_client = std::max(1, o.platform_calls * 2 / 64);
  std::vector<std::thread> clients;
  const auto t64 = std::chrono::steady_clock::now();
  for (int c = 0; c < 64; ++c) {
    clients.emplace_back([&] {
      HttpClient mine;
      std::string r;
      for (int i = 0; i < per_client; ++i) {
        if (mine.Post(url, request, token, &r) != 200) errors.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t64).count();
  run.throughput.per_second = 64.0 * per_client / seconds;
  run.throughput.errors = errors.load();
  run.ok = run.latency.errors == 0 && run.throughput.errors == 0;
  if (run.ok) fs::remove_all(root);
  return run;
}

void PrintRow(const char* name, const Figures& f) {
  std::printf("| %-44s | %9.1f | %9.1f | %10.0f |\n", name, f.p50, f.p99, f.per_second);
}

}  // namespace
}  // namespace edge::bench

int main(int argc, char** argv) {
  using namespace edge::bench;
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](int* out) {
      if (i + 1 < argc) *out = std::atoi(argv[++i]);
    };
    if (a == "--smoke") {
      o.smoke = true;
      o.latency_calls = 50;
      o.throughput_calls = 200;
      o.platform_calls = 64;
      o.repetitions = 1;
    } else if (a == "--repetitions") {
      value(&o.repetitions);
    } else if (a == "--latency-calls") {
      value(&o.latency_calls);
    } else if (a == "--throughput-calls") {
      value(&o.throughput_calls);
    } else if (a == "--platform-calls") {
      value(&o.platform_calls);
    } else if (a == "--connector-only") {
      o.connector_only = true;
    } else if (a == "--unpinned") {
      o.pin = false;
    } else if (a == "--connector" && i + 1 < argc) {
      o.connector = argv[++i];  // A/B runs against another build of the connector
    } else {
      std::fprintf(stderr,
                   "usage: edge_link_bench [--smoke] [--repetitions N] [--latency-calls N] [--throughput-calls N] "
                   "[--platform-calls N] [--connector-only] [--unpinned] [--connector PATH]\n");
      return 64;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  if (o.pin) {  // pinning needs CPUs 0 and 1 to be ours
    cpu_set_t mine;
    CPU_ZERO(&mine);
    o.pin = sched_getaffinity(0, sizeof(mine), &mine) == 0 && CPU_ISSET(0, &mine) && CPU_ISSET(1, &mine);
  }
  std::vector<Figures> floor_lat, floor_tp, conn_lat, conn_tp, shared_tp, alone_tp;
  std::vector<PlatformRun> platform_runs;
  bool ok = true;
  for (int r = 0; r < o.repetitions; ++r) {
    ok = Floor(o, &floor_lat, &floor_tp) && ok;
    ok = Connector(o, &conn_lat, &conn_tp) && ok;
    if (o.pin) {
      ok = ConnectorPlacementRound(o, /*link_with_driver=*/true, &shared_tp) && ok;
      ok = ConnectorPlacementRound(o, /*link_with_driver=*/false, &alone_tp) && ok;
    }
    if (o.connector_only) continue;
    platform_runs.push_back(ThroughPlatform(o));
    ok = platform_runs.back().ok && ok;
  }
  if (o.connector_only) platform_runs.emplace_back();  // keeps the report's shape; its rows print zeros
  if (!ok || floor_lat.empty() || conn_lat.empty()) {
    std::fprintf(stderr, "edge_link_bench: a phase failed (see the messages above)\n");
    return 1;
  }
  auto by = [](std::vector<Figures> v, double Figures::*key) { return Median(std::move(v), key); };
  std::vector<Figures> plat_lat, plat_tp;
  std::vector<double> healthy, rss;
  for (const auto& p : platform_runs) {
    plat_lat.push_back(p.latency);
    plat_tp.push_back(p.throughput);
    healthy.push_back(p.start_to_healthy_ms);
    rss.push_back(static_cast<double>(p.idle_rss));
  }
  const Figures fl = by(floor_lat, &Figures::p50), ft = by(floor_tp, &Figures::per_second);
  const Figures cl = by(conn_lat, &Figures::p50), ct = by(conn_tp, &Figures::per_second);
  const Figures pl = by(plat_lat, &Figures::p50), pt = by(plat_tp, &Figures::per_second);
  std::printf("edge_link_bench: %d repetition(s), median run; echo tool, %zu-byte arguments; 1 in flight %s\n\n",
              o.repetitions, sizeof(kEchoArgs) - 1,
              o.pin ? "pinned (driver CPU 0, peer CPU 1)" : "unpinned");
  std::printf("| %-44s | %9s | %9s | %10s |\n", "scenario", "p50 µs", "p99 µs", "calls/s");
  std::printf("|%s|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(11, '-').c_str(),
              std::string(11, '-').c_str(), std::string(12, '-').c_str());
  PrintRow("floor: bare lws echo, 1 in flight", fl);
  PrintRow("connector round trip (driver), 1 in flight", cl);
  if (!o.connector_only) PrintRow("through the platform (REST), 1 in flight", pl);
  std::printf("| %-44s | %9s | %9s | %10.0f |\n", "floor: bare lws echo, 64 in flight", "", "", ft.per_second);
  std::printf("| %-44s | %9s | %9s | %10.0f |\n", "connector (driver), 64 in flight", "", "", ct.per_second);
  if (o.pin) {
    std::printf("| %-44s | %9s | %9s | %10.0f |\n", "connector, 64 in flight, link shared (*)", "", "",
                by(shared_tp, &Figures::per_second).per_second);
    std::printf("| %-44s | %9s | %9s | %10.0f |\n", "connector, 64 in flight, link alone (*)", "", "",
                by(alone_tp, &Figures::per_second).per_second);
  }
  if (!o.connector_only) {
    std::printf("| %-44s | %9s | %9s | %10.0f |\n", "through the platform (REST), 64 in flight", "", "",
                pt.per_second);
  }
  if (o.pin) {
    std::printf("\n(*) pinned: the driver on CPU 0, the connector's link thread on CPU 0 with it or on CPU 1 alone,\n"
                "    its other threads on the other CPU (the two placements unpinned runs fall into)\n");
  }
  std::sort(healthy.begin(), healthy.end());
  std::sort(rss.begin(), rss.end());
  const double ratio = fl.p50 > 0 ? cl.p50 / fl.p50 : 0;
  const double tp_ratio = ft.per_second > 0 ? ct.per_second / ft.per_second : 0;
  std::printf("\nconnector round trip / echo floor (p50): %.2fx (target <= 1.5x)\n", ratio);
  std::printf("connector throughput / echo floor (64 in flight): %.0f%% (target >= 80%%)\n", tp_ratio * 100);
  if (o.pin && ft.per_second > 0) {
    std::printf("  pinned placements: %.0f%% with the link thread on the driver's CPU, %.0f%% with it alone\n",
                100 * by(shared_tp, &Figures::per_second).per_second / ft.per_second,
                100 * by(alone_tp, &Figures::per_second).per_second / ft.per_second);
  }
  if (!o.connector_only) {
    std::printf("connector start-to-healthy: %.1f ms (target < 100 ms)\n", healthy[healthy.size() / 2]);
    std::printf("connector idle RSS: %.1f MiB (target < 10 MiB)\n", rss[rss.size() / 2] / (1024.0 * 1024.0));
  }
  int64_t placement_errors = 0;
  for (const auto* runs : {&shared_tp, &alone_tp}) {
    for (const Figures& f : *runs) placement_errors += f.errors;
  }
  if (cl.errors + ct.errors + pl.errors + pt.errors + placement_errors > 0) {
    std::fprintf(stderr, "edge_link_bench: some calls failed\n");
    return 1;
  }
  return 0;
}
