// Test helpers for edge-platform: processes, HTTP, JSON.
#include "platform_env.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>

namespace edge::testing {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string MakeTempDir() {
  std::string tmpl = (fs::temp_directory_path() / "edge-platform-test-XXXXXX").string();
  char* made = mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  return made != nullptr ? std::string(made) : std::string();
}

void RemoveTree(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

ProcessResult Admin(const std::string& data_dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {EDGE_PLATFORM_BIN, "admin", "--data-dir", data_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess p(argv);
  return p.Wait(seconds(30));
}

std::string AdminOk(const std::string& data_dir, const std::vector<std::string>& args) {
  ProcessResult r = Admin(data_dir, args);
  EXPECT_EQ(r.exit_code, 0) << "admin " << (args.empty() ? "" : args[0]) << " failed: " << r.err;
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

PlatformServer::PlatformServer(std::string data_dir, std::vector<std::string> extra_flags)
    : data_dir_(std::move(data_dir)), extra_flags_(std::move(extra_flags)) {}

PlatformServer::~PlatformServer() {
  if (process_) Stop();
}

bool PlatformServer::Start() {
  std::vector<std::string> argv = {EDGE_PLATFORM_BIN, "serve",       "--data-dir", data_dir_, "--api-listen",
                                   "127.0.0.1:0",     "--rpc-listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra_flags_.begin(), extra_flags_.end());
  process_ = std::make_unique<Subprocess>(argv);
  // Generous: startup generates a key and migrates the database on a loaded machine.
  std::string line;
  bool up = process_->ReadUntil(
      [&line](const std::string& out, const std::string&) {
        size_t at = out.find("edge-platform listening ");
        if (at == std::string::npos) return false;
        size_t eol = out.find('\n', at);
        if (eol == std::string::npos) return false;
        line = out.substr(at, eol - at);
        return true;
      },
      seconds(20));
  if (!up) return false;
  line_ = line;
  std::smatch m;
  if (!std::regex_match(line, m, std::regex("edge-platform listening api=(http://127\\.0\\.0\\.1:[0-9]+) "
                                            "rpc=(wss?://127\\.0\\.0\\.1:[0-9]+)"))) {
    ADD_FAILURE() << "unexpected listening line: " << line;
    return false;
  }
  api_url_ = m[1];
  rpc_url_ = m[2];
  return true;
}

ProcessResult PlatformServer::Stop() {
  if (!process_) return {};
  process_->Signal(SIGTERM);
  ProcessResult r = process_->Wait(seconds(20));
  process_.reset();
  return r;
}

size_t CurlAppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}
size_t CurlCollectHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

rapidjson::Document HttpResult::Json() const {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  EXPECT_FALSE(doc.HasParseError()) << "response is not JSON: " << body.substr(0, 300);
  return doc;
}

HttpResult Http(const std::string& method, const std::string& url, const std::string& body,
                const std::vector<std::string>& headers) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  if (!body.empty() || method == "POST") list = curl_slist_append(list, "Content-Type: application/json");
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for large bodies
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST" || !body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CurlAppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CurlCollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  CURLcode rc = curl_easy_perform(curl);
  EXPECT_EQ(rc, CURLE_OK) << method << " " << url << ": " << curl_easy_strerror(rc);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result;
}

std::vector<std::string> Bearer(const std::string& token) { return {"Authorization: Bearer " + token}; }

std::string JsonAt(const rapidjson::Value& doc, const char* pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  if (v == nullptr) return "";
  if (v->IsString()) return v->GetString();
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsNull()) return "null";
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v->Accept(writer);
  return buffer.GetString();
}

}  // namespace edge::testing
