// Detached Ed25519 signatures over manifest.json and the connector's trust root (docs/bundles.md section 4).
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "edge/bundle/signature.h"
#include "edge/protocol/json_writer.h"
#include "internal.h"
#include "simdjson.h"

namespace edge::bundle {
namespace {
using internal::ToAbsl;

constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----";
constexpr std::string_view kEnd = "-----END PUBLIC KEY-----";

struct ParsedSignature {
  std::string key_id;
  std::string signature;  // raw 64 bytes
};

absl::Status Malformed(std::string_view problem) {
  return absl::PermissionDeniedError(absl::StrCat(
      "manifest.json.sig is malformed: ", ToAbsl(problem),
      "; expected {\"alg\":\"EdDSA\",\"keyId\":\"<16 hex>\",\"signature\":\"<base64url>\"}: sign the bundle again "
      "with `package --sign-key`"));
}

absl::StatusOr<ParsedSignature> ParseSignature(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json.data(), json.size());
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return Malformed(absl::StrCat("not valid JSON (", simdjson::error_message(err), ")"));
  }
  std::string_view alg, key_id, signature;
  if (root["alg"].get_string().get(alg) != simdjson::SUCCESS) return Malformed("\"alg\" is missing or not a string");
  if (alg != "EdDSA") return Malformed(absl::StrCat("unsupported alg \"", ToAbsl(alg), "\""));
  if (root["keyId"].get_string().get(key_id) != simdjson::SUCCESS) {
    return Malformed("\"keyId\" is missing or not a string");
  }
  if (root["signature"].get_string().get(signature) != simdjson::SUCCESS) {
    return Malformed("\"signature\" is missing or not a string");
  }
  ParsedSignature out;
  out.key_id.assign(key_id.data(), key_id.size());
  if (!protocol::Base64UrlDecode(signature, &out.signature) || out.signature.size() != 64) {
    return Malformed("\"signature\" is not 64 bytes of base64url");
  }
  return out;
}

}  // namespace

std::string SignManifest(std::string_view manifest_json, const protocol::SigningKey& key) {
  std::string out;
  protocol::JsonWriter w(out);
  w.BeginObject()
      .Key("alg").String("EdDSA")
      .Key("keyId").String(key.KeyId())
      .Key("signature").String(protocol::Base64UrlEncode(key.Sign(manifest_json)))
      .EndObject();
  return out;
}

absl::StatusOr<TrustRoot> TrustRoot::FromPemFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read the bundle trust root ", path,
                                            ": check bundleTrustedKeysPath"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<TrustRoot> root = FromPem(text.str());
  if (!root.ok()) return absl::Status(root.status().code(), absl::StrCat(path, ": ", root.status().message()));
  return root;
}

absl::StatusOr<TrustRoot> TrustRoot::FromPem(std::string_view pem) {
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "the trust root holds a private key: give the connector only public keys "
        "(`openssl pkey -in key.pem -pubout`)");
  }
  TrustRoot root;
  size_t at = 0;
  while (true) {
    size_t begin = pem.find(kBegin, at);
    if (begin == std::string_view::npos) break;
    size_t end = pem.find(kEnd, begin);
    if (end == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("public key ", root.keys_.size() + 1, " has no \"",
                                                     ToAbsl(kEnd), "\" line"));
    }
    end += kEnd.size();
    absl::StatusOr<protocol::VerifyingKey> key = protocol::VerifyingKey::FromPublicPem(pem.substr(begin, end - begin));
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("public key ", root.keys_.size() + 1, ": ",
                                                     key.status().message()));
    }
    root.key_ids_.push_back(key->KeyId());
    root.keys_.push_back(*std::move(key));
    at = end;
  }
  if (root.keys_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no Ed25519 public key found (expected one or more \"", ToAbsl(kBegin),
        "\" blocks): export one with `openssl pkey -in key.pem -pubout`"));
  }
  return root;
}

absl::Status TrustRoot::Verify(std::string_view manifest_json, const std::optional<std::string>& signature_json) const {
  if (!signature_json.has_value()) {
    return absl::PermissionDeniedError(
        "bundle is not signed, but this connector requires a signature from a trusted key: sign it with "
        "`package --sign-key`");
  }
  absl::StatusOr<ParsedSignature> sig = ParseSignature(*signature_json);
  if (!sig.ok()) return sig.status();
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (key_ids_[i] != sig->key_id) continue;
    if (keys_[i].Verify(manifest_json, sig->signature)) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat(
        "the signature of manifest.json does not verify with trusted key ", sig->key_id,
        ": the manifest was changed after signing or the signature is corrupt; package and sign the bundle again"));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "bundle is signed by key ", sig->key_id, ", which this connector does not trust (trusted: ",
      absl::StrJoin(key_ids_, ", "), "): sign it with a trusted key or add its public key to bundleTrustedKeysPath"));
}

}  // namespace edge::bundle
