// The JSON-RPC envelope: DecodeMessage (validate the whole message, split it) and the envelope writers.
// Typed params live in params_*.cc.
#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/json_writer.h"
#include "edge/protocol/messages.h"
#include "internal.h"
#include "simdjson.h"

namespace edge::protocol {
namespace internal {
// json_read.cc: lets ParseObject reuse the params object of the last DecodeMessage on this thread; nullptr
// forgets it (its parser is about to be reused).
void RememberDecodedParams(std::string_view text, const simdjson::dom::object* object);
}  // namespace internal
namespace {

using internal::ToAbsl;

constexpr char kFailureIdPayload[] = "edge.dev/decode-failure-id";
constexpr int64_t kMaxIntegerId = (int64_t{1} << 53) - 1;  // ids must survive a JavaScript peer

absl::Status ParseFailure(std::string_view problem) {
  return absl::DataLossError(absl::StrCat("parse error: ", ToAbsl(problem)));
}

// An invalid request; `id` is the raw id token to echo ("" when none could be read).
absl::Status InvalidRequest(std::string_view id, std::string_view problem) {
  absl::Status s = absl::InvalidArgumentError(absl::StrCat("invalid request: ", ToAbsl(problem)));
  if (!id.empty()) s.SetPayload(kFailureIdPayload, absl::Cord(ToAbsl(id)));
  return s;
}

// Reads the id into its canonical token; returns the problem, or "" when it is fine.
std::string ReadId(const simdjson::dom::element& e, std::string* token) {
  switch (e.type()) {
    case simdjson::dom::element_type::INT64: {
      int64_t v = 0;
      v = e.get_int64().value_unsafe();
      if (v < 0 || v > kMaxIntegerId) return absl::StrCat("id ", v, " is outside [0, 2^53-1]");
      *token = std::to_string(v);
      return "";
    }
    case simdjson::dom::element_type::UINT64: return "id is outside [0, 2^53-1]";
    case simdjson::dom::element_type::STRING: {
      std::string_view v;
      v = e.get_string().value_unsafe();
      if (v.empty() || v.size() > kMaxIdBytes) {
        return absl::StrCat("a string id must have 1 to ", kMaxIdBytes, " bytes, got ", v.size());
      }
      token->clear();
      AppendJsonString(*token, v);
      return "";
    }
    default: return "id must be an integer or a string";
  }
}

}  // namespace

std::string DecodeFailureId(const absl::Status& status) {
  auto id = status.GetPayload(kFailureIdPayload);
  return id.has_value() ? std::string(*id) : std::string("null");
}

absl::StatusOr<Envelope> DecodeMessage(std::string_view message) {
  // DOM, not ondemand: ondemand would hand out raw sub-objects without validating them (stack-notes §4.3).
  thread_local simdjson::dom::parser parser;
  thread_local std::string buffer;
  internal::RememberDecodedParams({}, nullptr);  // the parse below invalidates the remembered object
  buffer.reserve(message.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(message.data(), message.size());
  simdjson::dom::element root;
  if (auto err = parser.parse(buffer.data(), buffer.size(), false).get(root); err) {
    if (err == simdjson::UTF8_ERROR) return ParseFailure("the message is not valid UTF-8");
    return ParseFailure(absl::StrCat("the message is not valid JSON (", simdjson::error_message(err), ")"));
  }
  if (root.type() == simdjson::dom::element_type::ARRAY) {
    return InvalidRequest("", "batches are not supported: send one JSON-RPC object per message");
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return InvalidRequest("", "the message must be a JSON-RPC object");
  }

  // One pass over the members, any order; a duplicate key's last value wins.
  std::optional<simdjson::dom::element> jsonrpc, id, method, params, result, error;
  int params_seen = 0, result_seen = 0;
  std::string_view last_key;
  for (auto field : obj) {
    last_key = field.key;
    if (field.key == "jsonrpc") jsonrpc = field.value;
    else if (field.key == "id") id = field.value;
    else if (field.key == "method") method = field.value;
    else if (field.key == "params") params = field.value, ++params_seen;
    else if (field.key == "result") result = field.value, ++result_seen;
    else if (field.key == "error") error = field.value;
  }
  // Where params and result sit, for MemberSpan (it then scans only up to them).
  auto place = [&](int seen, std::string_view key) {
    if (seen != 1) return internal::MemberPlace::kUnknown;
    return last_key == key ? internal::MemberPlace::kLast : internal::MemberPlace::kOnce;
  };

  Envelope env;
  std::string id_problem;
  bool null_id = false;
  if (id.has_value()) {
    if (id->is_null()) {
      null_id = true;
    } else {
      id_problem = ReadId(*id, &env.id);
    }
  }
  const std::string_view echo = id_problem.empty() ? std::string_view(env.id) : std::string_view();

  std::string_view version;
  if (!jsonrpc.has_value() || jsonrpc->get_string().get(version) != simdjson::SUCCESS || version != "2.0") {
    return InvalidRequest(echo, "\"jsonrpc\":\"2.0\" is required");
  }
  if (!id_problem.empty()) return InvalidRequest("", id_problem);

  if (method.has_value()) {
    std::string_view name;
    if (method->get_string().get(name) != simdjson::SUCCESS || name.empty()) {
      return InvalidRequest(echo, "\"method\" must be a non-empty string");
    }
    if (null_id) return InvalidRequest("", "a request id must not be null");
    env.kind = id.has_value() ? MessageKind::kRequest : MessageKind::kNotification;
    env.method.assign(name.data(), name.size());
    if (!params.has_value()) {
      env.params = "{}";
    } else if (params->type() != simdjson::dom::element_type::OBJECT) {
      return InvalidRequest(echo, "\"params\" must be an object");
    } else {
      std::string_view span;
      if (internal::MemberSpan(message, "params", &span, place(params_seen, "params"))) {
        env.params.assign(span.data(), span.size());
      } else {
        env.params = internal::RawText(*params);
      }
      simdjson::dom::object params_obj = params->get_object().value_unsafe();
      internal::RememberDecodedParams(env.params, &params_obj);
    }
    return env;
  }

  // A response.
  if (!id.has_value()) return InvalidRequest("", "a message without \"method\" is a response and needs an id");
  if (result.has_value() == error.has_value()) {
    return InvalidRequest(echo, "a response needs exactly one of \"result\" and \"error\"");
  }
  if (null_id) env.id = "null";  // answers a message whose id could not be read
  if (result.has_value()) {
    if (null_id) return InvalidRequest("", "a result must answer a request id, not null");
    env.kind = MessageKind::kResult;
    std::string_view span;
    if (internal::MemberSpan(message, "result", &span, place(result_seen, "result"))) {
      env.result.assign(span.data(), span.size());
    } else {
      env.result = internal::RawText(*result);
    }
    return env;
  }
  env.kind = MessageKind::kError;
  simdjson::dom::object err_obj;
  if (error->get_object().get(err_obj) != simdjson::SUCCESS) {
    return InvalidRequest(echo, "\"error\" must be an object");
  }
  int64_t code = 0;
  simdjson::dom::element code_el, message_el, data_el;
  if (err_obj.at_key("code").get(code_el) != simdjson::SUCCESS || code_el.get_int64().get(code) != simdjson::SUCCESS ||
      code < INT32_MIN || code > INT32_MAX) {
    return InvalidRequest(echo, "\"error.code\" must be an integer");
  }
  std::string_view text;
  if (err_obj.at_key("message").get(message_el) != simdjson::SUCCESS ||
      message_el.get_string().get(text) != simdjson::SUCCESS) {
    return InvalidRequest(echo, "\"error.message\" must be a string");
  }
  env.error.code = static_cast<int>(code);
  env.error.message.assign(text.data(), text.size());
  if (err_obj.at_key("data").get(data_el) == simdjson::SUCCESS && !data_el.is_null()) {
    if (data_el.type() != simdjson::dom::element_type::OBJECT) {
      return InvalidRequest(echo, "\"error.data\" must be an object");
    }
    env.error.data_json = internal::RawText(data_el);
  }
  return env;
}

std::string EncodeRequest(std::string_view id, std::string_view method, std::string_view params_json) {
  std::string out;
  out.reserve(48 + id.size() + method.size() + params_json.size());
  JsonWriter w(out);
  w.BeginObject().Key("jsonrpc").String("2.0").Key("id").Raw(id).Key("method").String(method);
  w.Key("params").Raw(params_json.empty() ? std::string_view("{}") : params_json).EndObject();
  return out;
}

std::string EncodeNotification(std::string_view method, std::string_view params_json) {
  std::string out;
  out.reserve(40 + method.size() + params_json.size());
  JsonWriter w(out);
  w.BeginObject().Key("jsonrpc").String("2.0").Key("method").String(method);
  w.Key("params").Raw(params_json.empty() ? std::string_view("{}") : params_json).EndObject();
  return out;
}

std::string EncodeResult(std::string_view id, std::string_view result_json) {
  std::string out;
  out.reserve(32 + id.size() + result_json.size());
  JsonWriter w(out);
  w.BeginObject().Key("jsonrpc").String("2.0").Key("id").Raw(id.empty() ? std::string_view("null") : id);
  w.Key("result").Raw(result_json.empty() ? std::string_view("null") : result_json).EndObject();
  return out;
}

std::string EncodeError(std::string_view id, const RpcError& error) {
  std::string out;
  out.reserve(64 + id.size() + error.message.size() + error.data_json.size());
  JsonWriter w(out);
  w.BeginObject().Key("jsonrpc").String("2.0").Key("id").Raw(id.empty() ? std::string_view("null") : id);
  w.Key("error").BeginObject().Key("code").Int(error.code).Key("message").String(error.message);
  if (!error.data_json.empty()) w.Key("data").Raw(error.data_json);
  w.EndObject().EndObject();
  return out;
}

std::string StringId(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

}  // namespace edge::protocol
