// Real processes for the end-to-end tests.
#include "e2e_env.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"

namespace edge::e2e {
namespace fs = std::filesystem;

namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, int out_fd,
            int err_fd) {
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t CollectBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t CollectHeader(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
  }
  return size * n;
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
  return s;
}

}  // namespace

Process::Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                 const std::string& log_path)
    : log_path_(log_path) {
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_ = Spawn(argv, env, fd, fd);
  close(fd);
}

Process::~Process() {
  if (Running()) {
    kill(pid_, SIGCONT);
    kill(pid_, SIGKILL);
    WaitExit(milliseconds(10000));
  }
}

void Process::Signal(int sig) {
  if (!exited_) kill(pid_, sig);
}

std::string Process::Log() const { return ReadFile(log_path_); }

size_t Process::WaitLog(const std::string& needle, milliseconds timeout, size_t from) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string log = Log();
    size_t at = log.size() > from ? log.find(needle, from) : std::string::npos;
    if (at != std::string::npos) return at;
    if (std::chrono::steady_clock::now() > deadline) return std::string::npos;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

int Process::WaitExit(milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exited_) {
    pid_t r = waitpid(pid_, &status_, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(milliseconds(10));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  return 128 + WTERMSIG(status_);
}

bool Process::Running() {
  if (exited_) return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
  return !exited_;
}

HttpResponse Http(const std::string& method, const std::string& url, const std::string& body,
                  const std::string& bearer, milliseconds timeout) {
  HttpResponse r;
  CURL* h = curl_easy_init();
  char error[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  std::string auth = "Authorization: Bearer " + bearer;
  if (!bearer.empty()) headers = curl_slist_append(headers, auth.c_str());
  if (!body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &CollectHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  } else {
    r.error = error[0] ? error : curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return r;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         milliseconds timeout) {
  std::string dir = MakeTempDir("e2e-cmd");
  std::string out_path = dir + "/out", err_path = dir + "/err";
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_t pid = Spawn(argv, env, out_fd, err_fd);
  close(out_fd);
  close(err_fd);
  CommandResult r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "command timed out: " << argv[0];
      break;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  fs::remove_all(dir);
  return r;
}

std::string JsonField(const std::string& json, const std::string& pointer) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  if (doc.HasParseError()) return "";
  const rapidjson::Value* v = rapidjson::Pointer(pointer.c_str()).Get(doc);
  if (v == nullptr) return "";
  if (v->IsString()) return v->GetString();
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsNull()) return "null";
  if (v->IsDouble()) return std::to_string(v->GetDouble());
  return "<object>";
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* made = mkdtemp(tmpl.data());
  return made ? std::string(made) : std::string();
}

Platform::Platform(const std::string& data_dir, const std::vector<std::string>& extra_flags) {
  std::vector<std::string> argv = {EDGE_PLATFORM_BIN, "serve", "--data-dir", data_dir};
  auto has = [&](const std::string& flag) {
    for (const auto& f : extra_flags) {
      if (f.rfind(flag, 0) == 0) return true;
    }
    return false;
  };
  if (!has("--api-listen")) argv.insert(argv.end(), {"--api-listen", "127.0.0.1:0"});
  if (!has("--rpc-listen")) argv.insert(argv.end(), {"--rpc-listen", "127.0.0.1:0"});
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  // Restarts append to the same log: only read what this process writes.
  std::error_code ec;
  const std::string log_path = data_dir + "/platform.log";
  const size_t log_start = fs::exists(log_path, ec) ? static_cast<size_t>(fs::file_size(log_path, ec)) : 0;
  process_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{}, log_path);
  size_t at = process_->WaitLog("edge-platform listening api=", milliseconds(20000), log_start);
  if (at == std::string::npos) {
    ADD_FAILURE() << "edge-platform did not start:\n" << process_->Log();
    return;
  }
  std::string log = process_->Log();
  std::smatch m;
  std::string line = log.substr(at, log.find('\n', at) - at);
  if (std::regex_search(line, m, std::regex("api=(\\S+) rpc=(\\S+)"))) {
    api_url_ = m[1];
    rpc_url_ = m[2];
  }
}

std::string Platform::Admin(const std::string& data_dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {EDGE_PLATFORM_BIN, "admin", "--data-dir", data_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv);
  EXPECT_EQ(r.exit_code, 0) << "edge-platform admin failed: " << r.err;
  return Trim(r.out);
}

std::map<std::string, std::string> FastConnectorConfig(const std::string& rpc_url, const std::string& api_url) {
  return {{"toolRpcUrl", "\"" + rpc_url + "\""},
          {"platformApiUrl", "\"" + api_url + "\""},
          {"healthHost", "\"127.0.0.1\""},
          {"healthPort", "0"},
          {"heartbeatIntervalMs", "200"},
          {"heartbeatTimeoutMs", "1500"},
          {"reconnectInitialMs", "100"},
          {"reconnectMaxMs", "500"},
          {"stablePeriodMs", "1000"},
          {"slowBackoffInitialMs", "500"},
          {"slowBackoffMaxMs", "1000"},
          {"connectTimeoutMs", "3000"},
          {"drainGraceMs", "10000"},
          // The webhook relay on a free port: connectors run in parallel and would all want 8787.
          {"webhookRelayPort", "0"}};
}

Connector::Connector(const std::string& install_dir, const std::map<std::string, std::string>& config,
                     const std::map<std::string, std::string>& env, bool wait_ready) {
  fs::create_directories(install_dir);
  std::ofstream out(install_dir + "/config.json");
  out << "{";
  bool first = true;
  for (const auto& [k, v] : config) {
    out << (first ? "" : ",") << "\"" << k << "\":" << v;
    first = false;
  }
  out << "}";
  out.close();
  // The log is appended to across restarts in the same directory: only read what this process writes.
  std::error_code ec;
  const size_t log_start = fs::exists(install_dir + "/connector.log", ec)
                               ? static_cast<size_t>(fs::file_size(install_dir + "/connector.log", ec))
                               : 0;
  process_ = std::make_unique<Process>(
      std::vector<std::string>{EDGE_CONNECTOR_BIN, "run", "--install-dir", install_dir}, env,
      install_dir + "/connector.log");
  // Either the health server comes up, or the process exits (startup failures are tested too).
  size_t at = std::string::npos;
  for (auto deadline = std::chrono::steady_clock::now() + milliseconds(20000);
       at == std::string::npos && std::chrono::steady_clock::now() < deadline && process_->Running();) {
    at = process_->WaitLog("health server on http://", milliseconds(50), log_start);
  }
  if (at == std::string::npos) {
    if (wait_ready) ADD_FAILURE() << "edge-connector did not start its health server:\n" << process_->Log();
    return;
  }
  std::string log = process_->Log();
  std::smatch m;
  std::string line = log.substr(at, log.find('\n', at) - at);
  if (std::regex_search(line, m, std::regex(":(\\d+) \\("))) health_port_ = std::stoi(m[1]);
  if (wait_ready && !WaitReady(milliseconds(20000))) {
    ADD_FAILURE() << "edge-connector did not become ready:\n" << process_->Log();
  }
}

bool Connector::WaitReady(milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (health_port_ != 0 && Http("GET", health_url() + "/healthz", "", "", milliseconds(2000)).status == 200) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(25));
  }
  return false;
}

std::string Connector::Statusz() { return Http("GET", health_url() + "/statusz").body; }

}  // namespace edge::e2e
