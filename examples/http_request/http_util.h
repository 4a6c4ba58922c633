// http_util.h: the small, pure pieces of the http_request example (allow-list matching, header checks,
// UTF-8 validation, base64), kept apart from the libcurl code so they read and test on their own.
#ifndef EDGE_EXAMPLES_HTTP_UTIL_H_
#define EDGE_EXAMPLES_HTTP_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace http_example {

inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// The hosts a request may go to. Entries: "api.example.com", "10.0.0.7", "[::1]", "*.example.org" (any
// subdomain, not the domain itself), each optionally with ":port" (then only that port is allowed).
class AllowList {
 public:
  // Lower-case, no IPv6 brackets, no trailing dot: the form hosts are compared in.
  static std::string Normalize(std::string_view host) {
    std::string h = Lower(host);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    while (!h.empty() && h.back() == '.') h.pop_back();
    return h;
  }

  // False when `entry` is not a host[:port] pattern (e.g. it has a scheme or a path).
  bool Add(const std::string& entry) {
    if (entry.empty() || entry.find_first_of("/@ \t?#") != std::string::npos) return false;
    Entry e{entry, "", 0, false};
    std::string host = entry, port;
    if (entry.front() == '[') {
      size_t close = entry.find(']');
      if (close == std::string::npos) return false;
      host = entry.substr(0, close + 1);
      std::string rest = entry.substr(close + 1);
      if (!rest.empty() && (rest[0] != ':' || rest.size() == 1)) return false;
      if (!rest.empty()) port = rest.substr(1);
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
      size_t colon = entry.find(':');
      host = entry.substr(0, colon);
      port = entry.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (!port.empty()) {
      if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
      e.port = std::stoi(port);
      if (e.port < 1 || e.port > 65535) return false;
    }
    if (host.rfind("*.", 0) == 0) {
      e.wildcard = true;
      host = host.substr(2);
    }
    e.host = Normalize(host);
    if (e.host.empty() || e.host.find('*') != std::string::npos) return false;
    entries_.push_back(std::move(e));
    return true;
  }

  bool Allows(std::string_view host, int port) const {
    std::string h = Normalize(host);
    for (const Entry& e : entries_) {
      if (e.port != 0 && e.port != port) continue;
      if (e.wildcard ? (h.size() > e.host.size() + 1 && h.compare(h.size() - e.host.size(), e.host.size(), e.host) == 0 &&
                        h[h.size() - e.host.size() - 1] == '.')
                     : h == e.host) {
        return true;
      }
    }
    return false;
  }

  std::string Describe() const {
    std::string out;
    for (size_t i = 0; i < entries_.size(); ++i) out += (i ? ", " : "") + entries_[i].text;
    return out;
  }

  // host[:port] of the first entry, for the tool's example call.
  std::string ExampleHost() const {
    if (entries_.empty()) return "localhost";
    const Entry& e = entries_.front();
    std::string h = e.wildcard ? "www." + e.host : e.host;
    if (h.find(':') != std::string::npos) h = "[" + h + "]";
    return e.port != 0 ? h + ":" + std::to_string(e.port) : h;
  }

 private:
  struct Entry {
    std::string text;  // as configured, for messages
    std::string host;  // normalized; the domain for a wildcard
    int port;          // 0: any
    bool wildcard;
  };
  std::vector<Entry> entries_;
};

// "" when the request header may be sent; otherwise what is wrong and how to fix it.
inline std::string CheckRequestHeader(std::string_view name, std::string_view value) {
  static constexpr std::string_view kTokenChars =
      "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  if (name.empty() || name.find_first_not_of(kTokenChars) != std::string_view::npos) {
    return "header name '" + std::string(name) + "' is not a valid HTTP token";
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return "header '" + std::string(name) + "' contains a line break or NUL: send one value per header";
  }
  std::string lower = Lower(name);
  if (lower == "host") return "header 'Host' cannot be set: the host comes from 'url'";
  if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection") {
    return "header '" + std::string(name) + "' is managed by the tool: remove it";
  }
  return "";
}

// Removes credentials before a redirect to another host ("Name: value" lines).
inline void DropCredentials(std::vector<std::string>& header_lines) {
  header_lines.erase(std::remove_if(header_lines.begin(), header_lines.end(),
                                    [](const std::string& line) {
                                      std::string name = Lower(line.substr(0, line.find(':')));
                                      return name == "authorization" || name == "cookie" || name == "proxy-authorization";
                                    }),
                     header_lines.end());
}

inline bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : c & (0x3F >> (len - 1));
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;  // overlong, surrogate
    i += len;
  }
  return true;
}

inline std::string Base64(std::string_view in) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0, n = in.size(); i < n; i += 3) {
    uint32_t chunk = (uint32_t{p[i]} << 16) | (i + 1 < n ? uint32_t{p[i + 1]} << 8 : 0u) | (i + 2 < n ? p[i + 2] : 0u);
    out += kB64[(chunk >> 18) & 63];
    out += kB64[(chunk >> 12) & 63];
    out += i + 1 < n ? kB64[(chunk >> 6) & 63] : '=';
    out += i + 2 < n ? kB64[chunk & 63] : '=';
  }
  return out;
}

}  // namespace http_example

#endif  // EDGE_EXAMPLES_HTTP_UTIL_H_
