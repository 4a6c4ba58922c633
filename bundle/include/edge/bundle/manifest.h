// edge/bundle/manifest.h: the bundle manifest (docs/bundles.md section 2): typed fields, strict parsing whose
// errors name the field as a JSON Pointer, canonical serialisation, and the compatibility checks a connector
// makes before loading anything.
#ifndef EDGE_BUNDLE_MANIFEST_H_
#define EDGE_BUNDLE_MANIFEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace edge::bundle {

inline constexpr int kManifestSchemaVersion = 1;
inline constexpr size_t kMaxManifestBytes = 4 * 1024 * 1024;
inline constexpr std::string_view kManifestName = "manifest.json";
inline constexpr std::string_view kSignatureName = "manifest.json.sig";
inline constexpr std::string_view kDistDir = "dist";

struct ManifestFile {
  std::string path;    // relative to dist/, '/'-separated
  std::string sha256;  // lowercase hex
  uint64_t size = 0;
  friend bool operator==(const ManifestFile&, const ManifestFile&) = default;
};

struct ManifestTool {
  std::string name;
  std::string plugin;          // the plugin's own name
  std::string plugin_version;
  std::string file;            // relative to dist/
  std::string sha256;          // of `file`, lowercase hex
  uint64_t size = 0;
  std::string descriptor_json; // the MCP tool descriptor as the plugin reported it (minified JSON object)
  friend bool operator==(const ManifestTool&, const ManifestTool&) = default;
};

struct Manifest {
  int schema_version = kManifestSchemaVersion;
  std::string org_id;
  std::string language = "native";
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::string os = "linux";
  std::string arch;      // uname -m
  std::string built_at;  // RFC 3339 UTC
  std::string checksum;  // "sha256:<hex>" over files (TreeChecksum)
  std::vector<ManifestTool> tools;  // sorted by name
  std::vector<ManifestFile> files;  // sorted by path
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// Strict: unknown schemaVersion or language, missing or mistyped fields, bad paths (absolute, '..', empty
// components), duplicate paths or tool names, a tool whose file is not in files[] or whose hash/size differ
// from its files[] entry, and a checksum that does not match files[] are InvalidArgument errors naming the JSON
// Pointer ("manifest.json: /tools/2/sha256: expected 64 lowercase hex characters").
absl::StatusOr<Manifest> ParseManifest(std::string_view json);

// The JSON Pointer a ParseManifest error names ("/tools/2/sha256"; "" for the document itself or for other
// errors), attached as the payload kManifestFieldPayload (the platform's `details.field`).
inline constexpr char kManifestFieldPayload[] = "edge.dev/bundle-manifest-field";
std::string ManifestErrorField(const absl::Status& status);

// Canonical JSON (keys in the documented order, arrays sorted); ParseManifest(ManifestToJson(m)) == m.
std::string ManifestToJson(const Manifest& manifest);

// The connector's checks: ABI major equal and minor <= the host's, os/arch equal, language native. Errors are
// FailedPrecondition naming both sides and the fix.
absl::Status CheckCompatibility(const Manifest& manifest, uint32_t host_abi_major, uint32_t host_abi_minor,
                                std::string_view host_os, std::string_view host_arch);

// This machine's platform: "linux" and uname -m.
std::string HostOs();
std::string HostArch();

// The archive's file name: edge-bundle-<org>-<YYYYMMDDTHHMMSSZ>.tgz for built_at.
std::string ArchiveFileName(const Manifest& manifest);

}  // namespace edge::bundle

#endif  // EDGE_BUNDLE_MANIFEST_H_
