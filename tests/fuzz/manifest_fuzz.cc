// Fuzz target: an uploaded or downloaded manifest.json through ParseManifest. Any input must yield OK or
// InvalidArgument, never a crash, a hang or another code; and a parsed manifest must serialise to canonical
// JSON that parses back to the same manifest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "edge/bundle/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<edge::bundle::Manifest> manifest = edge::bundle::ParseManifest(input);
  if (!manifest.ok()) {
    if (manifest.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    (void)edge::bundle::ManifestErrorField(manifest.status());
    return 0;
  }
  const std::string canonical = edge::bundle::ManifestToJson(*manifest);
  absl::StatusOr<edge::bundle::Manifest> again = edge::bundle::ParseManifest(canonical);
  if (!again.ok() || !(*again == *manifest)) std::abort();
  if (edge::bundle::ManifestToJson(*again) != canonical) std::abort();
  return 0;
}
