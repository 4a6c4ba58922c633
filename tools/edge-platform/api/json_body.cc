// JSON body parsing.
#include "api/json_body.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "absl/strings/str_cat.h"
#include "api/responses.h"
#include "edge/protocol/json_writer.h"

namespace edge::platform::api {

bool ParseJsonObject(HttpExchange& ex, rapidjson::Document* doc, bool empty_ok) {
  const std::string& body = ex.request().body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (empty_ok) {
      doc->SetObject();
      return true;
    }
    ex.Respond(ErrorResponse(400, "invalid_body", "the request body is empty; send a JSON object"));
    return false;
  }
  constexpr unsigned kFlags =
      rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag;
  doc->Parse<kFlags>(body.data(), body.size());
  if (doc->HasParseError()) {
    ex.Respond(ErrorResponse(400, "invalid_json",
                             absl::StrCat("the request body is not valid JSON: ",
                                          rapidjson::GetParseError_En(doc->GetParseError()), " at byte ",
                                          doc->GetErrorOffset())));
    return false;
  }
  if (!doc->IsObject()) {
    ex.Respond(ErrorResponse(400, "invalid_body", "the request body must be a JSON object"));
    return false;
  }
  return true;
}

std::string ToJsonText(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void BadField(HttpExchange& ex, std::string_view field, std::string_view message) {
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("error").BeginObject();
  w.Key("code").String("invalid_request").Key("message").String(message);
  w.Key("details").BeginObject().Key("field").String(field).EndObject();
  w.EndObject().EndObject();
  ex.Respond(JsonResponse(400, std::move(body)));
}

}  // namespace edge::platform::api
