// Pieces shared by several messages: bundle and relay references, heartbeat settings, numbers.
#include <cmath>

#include "internal.h"
#include "simdjson.h"

namespace edge::protocol::internal {

void WriteBundle(JsonWriter& w, const BundleRef& b) {
  w.BeginObject().Key("id").String(b.id).Key("version").Int(b.version).Key("checksum").String(b.checksum);
  w.EndObject();
}

void WriteRelay(JsonWriter& w, const RelayInfo& r) {
  w.BeginObject().Key("url").String(r.url).Key("mode").String(r.mode).EndObject();
}

void WriteHeartbeatSettings(JsonWriter& w, const HeartbeatSettings& h) {
  w.BeginObject().Key("intervalMs").Int(h.interval_ms).Key("timeoutMs").Int(h.timeout_ms).EndObject();
}

void WriteNumber(JsonWriter& w, double v) {
  constexpr double kMaxExact = 9007199254740991.0;  // 2^53-1: integers above are not exact doubles
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) <= kMaxExact) {
    w.Int(static_cast<int64_t>(v));
  } else {
    w.Double(v);
  }
}

absl::Status ReadBundle(const ObjectReader& parent, std::string_view key, std::optional<BundleRef>* out) {
  simdjson::dom::object obj;
  bool present = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(parent.Object(key, false, &obj, &present));
  if (!present) return absl::OkStatus();
  ObjectReader r(obj, parent.what(), parent.Pointer(key));
  BundleRef b;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("id", &b.id, 1));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("version", &b.version));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("checksum", &b.checksum));
  *out = std::move(b);
  return absl::OkStatus();
}

absl::Status ReadRelay(const ObjectReader& parent, std::string_view key, std::optional<RelayInfo>* out) {
  simdjson::dom::object obj;
  bool present = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(parent.Object(key, false, &obj, &present));
  if (!present) return absl::OkStatus();
  ObjectReader r(obj, parent.what(), parent.Pointer(key));
  RelayInfo relay;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("url", &relay.url, 1));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("mode", &relay.mode, 1));
  *out = std::move(relay);
  return absl::OkStatus();
}

absl::Status ReadHeartbeatSettings(const ObjectReader& parent, std::string_view key, HeartbeatSettings* out) {
  simdjson::dom::object obj;
  bool present = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(parent.Object(key, true, &obj, &present));
  ObjectReader r(obj, parent.what(), parent.Pointer(key));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("intervalMs", &out->interval_ms));
  if (out->interval_ms <= 0) return r.Error("intervalMs", "must be positive");
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("timeoutMs", &out->timeout_ms));
  if (out->timeout_ms <= 0) return r.Error("timeoutMs", "must be positive");
  return absl::OkStatus();
}

}  // namespace edge::protocol::internal
