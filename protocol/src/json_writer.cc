// JsonWriter: string escaping and numbers.
#include <cmath>
#include <cstdio>

#include "edge/protocol/json_writer.h"

namespace edge::protocol {

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  size_t run = 0;  // start of the pending unescaped run: copying runs is much faster than per-char appends
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

JsonWriter& JsonWriter::Double(double v) {
  Sep();
  if (!std::isfinite(v)) {
    out_ += "null";  // JSON has no NaN/Infinity
    return *this;
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", v);
  out_.append(buf, static_cast<size_t>(n));
  return *this;
}

}  // namespace edge::protocol
