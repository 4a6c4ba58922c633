// `edge-platform admin console-link`: creates a one-time sign-in link for the admin console
// (docs/console.md section 1). Only the token's SHA-256 is stored; the token itself is printed once.
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "admin/admin.h"
#include "console/sessions.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/json_writer.h"
#include "store/data_dir.h"
#include "store/store.h"

namespace edge::platform::admin {

namespace {

// The running platform's public URL from platform.json; "" when no server has announced one.
std::string AnnouncedPublicUrl(const store::DataDir& dir) {
  std::ifstream in(dir.PlatformJsonPath());
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  if (doc.HasParseError() || !doc.IsObject()) return "";
  for (const char* key : {"publicUrl", "apiUrl"}) {
    auto m = doc.FindMember(key);
    if (m != doc.MemberEnd() && m->value.IsString() && m->value.GetStringLength() > 0) return m->value.GetString();
  }
  return "";
}

}  // namespace

absl::StatusOr<std::string> ConsoleLink(const std::string& data_dir, const ConsoleLinkArgs& args) {
  absl::StatusOr<int64_t> ttl_ms = console::ParseTtlMs(args.ttl, "--ttl");
  if (!ttl_ms.ok()) return ttl_ms.status();
  if (*ttl_ms > console::kMaxSigninLinkTtlMs) {
    return absl::InvalidArgumentError(absl::StrCat("--ttl '", args.ttl, "' is longer than 24h; use 24h or less"));
  }
  if (args.subject.empty()) return absl::InvalidArgumentError("--subject must not be empty; e.g. --subject alice");
  absl::StatusOr<store::DataDir> dir = store::EnsureDataDir(data_dir);
  if (!dir.ok()) return dir.status();
  absl::StatusOr<std::unique_ptr<store::Store>> db = store::Store::Open(dir->DatabasePath());
  if (!db.ok()) return db.status();
  const std::string token = protocol::RandomToken(32);
  const int64_t expires_at_ms = store::NowMs() + *ttl_ms;
  if (absl::Status s = (*db)->CreateSigninLink(protocol::Sha256Hex(token), args.org, args.subject, expires_at_ms);
      !s.ok()) {
    return s;
  }
  std::string base = args.url.empty() ? AnnouncedPublicUrl(*dir) : args.url;
  if (base.empty()) base = "http://127.0.0.1:3000";
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = absl::StrCat(base, "/console/signin?token=", token);
  if (!args.json) return url + "\n";
  std::string out;
  protocol::JsonWriter w(out);
  w.BeginObject().Key("url").String(url).Key("orgId").String(args.org).Key("subject").String(args.subject);
  w.Key("expiresAtMs").Int(expires_at_ms).EndObject();
  return out + "\n";
}

}  // namespace edge::platform::admin
