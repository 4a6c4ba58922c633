// Private helpers of the codec: absl/std string_view bridging and a typed reader over a params object that
// names the failing field by JSON Pointer. simdjson is only forward-declared here; the .cc files include it.
#ifndef EDGE_PROTOCOL_SRC_INTERNAL_H_
#define EDGE_PROTOCOL_SRC_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "edge/protocol/json_writer.h"
#include "edge/protocol/messages.h"

#define EDGE_PROTOCOL_RETURN_IF_ERROR(expr)   \
  do {                                        \
    absl::Status edge_protocol_status_ = (expr); \
    if (!edge_protocol_status_.ok()) return edge_protocol_status_; \
  } while (0)

namespace simdjson::dom {
class element;
class object;
}  // namespace simdjson::dom

namespace edge::protocol::internal {

// Debian's Abseil has its own string_view (stack-notes §8).
inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// kInvalidArgument "<what>: <pointer>: <problem>" with the pointer attached as kParamPointerPayload.
absl::Status FieldError(std::string_view what, std::string_view pointer, std::string_view problem);

// Parses `json` into a thread-local DOM parser and checks it is an object. The object stays valid until the
// next ParseObject on this thread. Failures are FieldError(what, "", ...).
absl::Status ParseObject(std::string_view what, std::string_view json, simdjson::dom::object* out);

// Minified JSON text of an element (used for raw sub-objects; DOM has no raw spans).
std::string RawText(const simdjson::dom::element& e);

// Where the caller's DOM found a member: once and last, once (not last), or not said. The scan stops at a
// member found once, and takes a last member's value up to the closing brace without scanning it.
enum class MemberPlace { kUnknown, kOnce, kLast };
// MemberPlace of `key` in `object`, from the DOM: kUnknown when it is absent or appears more than once.
MemberPlace PlaceOf(const simdjson::dom::object& object, std::string_view key);

// The source text of the member `key` of `object_json`, an object simdjson has validated (raw_span.cc).
// False when `key` is absent, appears more than once, or a key before it is escaped: then use RawText.
bool MemberSpan(std::string_view object_json, std::string_view key, std::string_view* out,
                MemberPlace place = MemberPlace::kUnknown);

// Reads typed fields of one object. `prefix` is the object's JSON Pointer ("" for params, "/context").
class ObjectReader {
 public:
  // `source`, when given, is the text `obj` was parsed from: RawObject then copies spans instead of minifying.
  ObjectReader(const simdjson::dom::object& obj, std::string_view what, std::string prefix,
               std::string_view source = {})
      : obj_(obj), what_(what), prefix_(std::move(prefix)), source_(source) {}

  // Required fields fail when absent; optional ones leave `out` untouched when absent (or null).
  absl::Status String(std::string_view key, std::string* out, size_t min_bytes = 0, size_t max_bytes = 0) const;
  absl::Status OptString(std::string_view key, std::string* out, bool* present = nullptr) const;
  absl::Status Int(std::string_view key, int64_t* out) const;
  absl::Status OptInt(std::string_view key, int64_t* out, bool* present = nullptr) const;
  absl::Status Uint(std::string_view key, uint64_t* out) const;
  absl::Status OptUint(std::string_view key, uint64_t* out) const;
  absl::Status Double(std::string_view key, double* out) const;
  absl::Status OptDouble(std::string_view key, std::optional<double>* out) const;
  absl::Status Bool(std::string_view key, bool* out) const;
  // An object field; `present` false when absent or null (then only optional objects are OK).
  absl::Status Object(std::string_view key, bool required, simdjson::dom::object* out, bool* present) const;
  // The object field as text: its source bytes when the reader has the source, else minified.
  absl::Status RawObject(std::string_view key, bool required, std::string* out, bool* present) const;

  std::string Pointer(std::string_view key) const;
  absl::Status Error(std::string_view key, std::string_view problem) const {
    return FieldError(what_, Pointer(key), problem);
  }
  std::string_view what() const { return what_; }
  const std::string& prefix() const { return prefix_; }

 private:
  // Looks up `key`: false when absent or null.
  bool Find(std::string_view key, simdjson::dom::element* out) const;

  const simdjson::dom::object& obj_;
  std::string_view what_;
  std::string prefix_;
  std::string_view source_;
};

// Shared pieces of several messages.
void WriteBundle(JsonWriter& w, const BundleRef& b);
void WriteRelay(JsonWriter& w, const RelayInfo& r);
void WriteHeartbeatSettings(JsonWriter& w, const HeartbeatSettings& h);
// Writes a number as an integer when it is one (progress 3, not 3.0000000000000000).
void WriteNumber(JsonWriter& w, double v);
// Optional objects: absent or null leaves `out` empty.
absl::Status ReadBundle(const ObjectReader& parent, std::string_view key, std::optional<BundleRef>* out);
absl::Status ReadRelay(const ObjectReader& parent, std::string_view key, std::optional<RelayInfo>* out);
// Required object; both intervals must be positive.
absl::Status ReadHeartbeatSettings(const ObjectReader& parent, std::string_view key, HeartbeatSettings* out);

}  // namespace edge::protocol::internal

#endif  // EDGE_PROTOCOL_SRC_INTERNAL_H_
