// platform_env.h: helpers for the edge-platform integration tests: the real binary as a process (serve and
// admin), HTTP through libcurl, JSON through RapidJSON, and temp data dirs.
#ifndef EDGE_TESTS_INTEGRATION_PLATFORM_PLATFORM_ENV_H_
#define EDGE_TESTS_INTEGRATION_PLATFORM_PLATFORM_ENV_H_

#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "subprocess.h"

namespace edge::testing {

std::string MakeTempDir();
void RemoveTree(const std::string& dir);

// `edge-platform admin --data-dir <dir> <args...>`, run to completion.
ProcessResult Admin(const std::string& data_dir, const std::vector<std::string>& args);
// Same, expecting success; returns stdout without the trailing newline.
std::string AdminOk(const std::string& data_dir, const std::vector<std::string>& args);

// `edge-platform serve` on 127.0.0.1 port 0 with the data dir; Start() waits for the listening line.
class PlatformServer {
 public:
  explicit PlatformServer(std::string data_dir, std::vector<std::string> extra_flags = {});
  ~PlatformServer();
  bool Start();
  // SIGTERM and wait; returns the exit result.
  ProcessResult Stop();
  const std::string& api_url() const { return api_url_; }
  const std::string& rpc_url() const { return rpc_url_; }
  const std::string& listening_line() const { return line_; }

 private:
  std::string data_dir_;
  std::vector<std::string> extra_flags_;
  std::unique_ptr<Subprocess> process_;
  std::string api_url_, rpc_url_, line_;
};

struct HttpResult {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  rapidjson::Document Json() const;
};

// One HTTP request; `headers` are full header lines ("Authorization: Bearer x").
HttpResult Http(const std::string& method, const std::string& url, const std::string& body = "",
                const std::vector<std::string>& headers = {});
std::vector<std::string> Bearer(const std::string& token);

// libcurl callbacks shared by the platform tests' HTTP helpers: append the body to a std::string*, and
// collect headers (lower-case names) into a std::map<std::string, std::string>*.
size_t CurlAppendBody(char* data, size_t size, size_t n, void* out);
size_t CurlCollectHeader(char* data, size_t size, size_t n, void* out);

// A JSON Pointer lookup rendered as text ("" when absent): strings bare, numbers/bools as written.
std::string JsonAt(const rapidjson::Value& doc, const char* pointer);

}  // namespace edge::testing

#endif  // EDGE_TESTS_INTEGRATION_PLATFORM_PLATFORM_ENV_H_
