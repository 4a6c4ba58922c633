// edge/protocol/json_writer.h: a small streaming JSON writer for the hot paths of both sides of the link.
//
// Appends to a std::string; `Raw` splices already-valid JSON (schemas, structured content) verbatim. The
// escaper handles quotes, backslashes and control characters; UTF-8 passes through (callers validate it).
#ifndef EDGE_PROTOCOL_JSON_WRITER_H_
#define EDGE_PROTOCOL_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace edge::protocol {

void AppendJsonString(std::string& out, std::string_view text);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject() { Sep(); out_ += '{'; first_ = true; return *this; }
  JsonWriter& EndObject() { out_ += '}'; first_ = false; return *this; }
  JsonWriter& BeginArray() { Sep(); out_ += '['; first_ = true; return *this; }
  JsonWriter& EndArray() { out_ += ']'; first_ = false; return *this; }
  JsonWriter& Key(std::string_view k) {
    Sep();
    AppendJsonString(out_, k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonWriter& String(std::string_view v) { Sep(); AppendJsonString(out_, v); return *this; }
  JsonWriter& Bool(bool v) { Sep(); out_ += v ? "true" : "false"; return *this; }
  JsonWriter& Int(int64_t v) { Sep(); out_ += std::to_string(v); return *this; }
  JsonWriter& Uint(uint64_t v) { Sep(); out_ += std::to_string(v); return *this; }
  JsonWriter& Double(double v);
  JsonWriter& Null() { Sep(); out_ += "null"; return *this; }
  // Splices valid JSON text as one value.
  JsonWriter& Raw(std::string_view json) { Sep(); out_.append(json); return *this; }

 private:
  void Sep() {
    if (after_key_) {
      after_key_ = false;
    } else if (!first_) {
      out_ += ',';
    }
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace edge::protocol

#endif  // EDGE_PROTOCOL_JSON_WRITER_H_
