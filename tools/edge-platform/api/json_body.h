// api/json_body.h: reading JSON request bodies with RapidJSON (strict UTF-8, iterative so deep nesting cannot
// overflow the stack), answering 400 with the parser's complaint when a body is not what the endpoint takes.
#ifndef EDGE_PLATFORM_API_JSON_BODY_H_
#define EDGE_PLATFORM_API_JSON_BODY_H_

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "api/http.h"

namespace edge::platform::api {

// Parses the body as a JSON object. An empty body counts as {} when `empty_ok`. On failure answers 400
// ("invalid_json" or "invalid_body") and returns false.
bool ParseJsonObject(HttpExchange& ex, rapidjson::Document* doc, bool empty_ok);
// Compact JSON text of a value.
std::string ToJsonText(const rapidjson::Value& value);
// Answers 400 invalid_request for a bad field: message plus {"field": "/name"} details.
void BadField(HttpExchange& ex, std::string_view field, std::string_view message);

}  // namespace edge::platform::api

#endif  // EDGE_PLATFORM_API_JSON_BODY_H_
