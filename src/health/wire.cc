#include "health/wire.h"

#include <openssl/evp.h>

#include <cctype>

namespace gale::health {

std::string http_request(std::string_view path, std::string_view host, uint16_t port, bool tls,
                         std::string_view protocol) {
  const bool v11 = protocol == "1.1";
  std::string r = "GET ";
  r += path;
  r += v11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n";
  r += "User-Agent: KeepAliveClient\r\nHost: ";
  r += host;
  if (port != (tls ? 443 : 80)) {
    r += ':';
    r += std::to_string(port);
  }
  r += "\r\n";
  if (protocol != "1.0") r += "Connection: close\r\n";
  r += "\r\n";
  return r;
}

std::optional<int> http_status(std::string_view data) {
  const size_t eol = data.find("\r\n");
  if (eol == std::string_view::npos) {
    if (data.size() > 8 && !data.starts_with("HTTP/")) return -1;
    return std::nullopt;
  }
  std::string_view line = data.substr(0, eol);
  // "HTTP/1.1 200 OK": the code is the three digits after the first space.
  const size_t sp = line.find(' ');
  if (!line.starts_with("HTTP/") || sp == std::string_view::npos || line.size() < sp + 4) return -1;
  int code = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return -1;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

std::optional<size_t> http_body_offset(std::string_view data) {
  const size_t p = data.find("\r\n\r\n");
  if (p == std::string_view::npos) return std::nullopt;
  return p + 4;
}

bool status_accepted(int status, const std::vector<ctl::StatusRange>& accepted) {
  if (accepted.empty()) return status >= 200 && status <= 299;
  for (const ctl::StatusRange& r : accepted)
    if (status >= r.lo && status <= r.hi) return true;
  return false;
}

std::string md5_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::optional<uint16_t> dns_type_code(std::string_view type) {
  struct Type {
    std::string_view name;
    uint16_t code;
  };
  static constexpr Type kTypes[] = {{"A", 1},   {"NS", 2},   {"CNAME", 5}, {"SOA", 6},
                                    {"MX", 15}, {"TXT", 16}, {"AAAA", 28}};
  for (const Type& t : kTypes)
    if (t.name.size() == type.size() &&
        std::equal(type.begin(), type.end(), t.name.begin(),
                   [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; }))
      return t.code;
  return std::nullopt;
}

Expected<std::string> dns_query(uint16_t id, std::string_view name, uint16_t type) {
  std::string q;
  const auto u16 = [&q](uint16_t v) {
    q += static_cast<char>(v >> 8);
    q += static_cast<char>(v & 0xff);
  };
  u16(id);
  u16(0x0100);  // standard query, recursion desired
  u16(1);       // one question
  u16(0);
  u16(0);
  u16(0);
  // The name as labels; "." and "" are the root.
  if (name == ".") name = "";
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    const size_t len = dot - start;
    if (len == 0 || len > 63)
      return fail("DNS_CHECK name \"" + std::string(name) + "\" has an empty or too long label");
    q += static_cast<char>(len);
    q += name.substr(start, len);
    start = dot + 1;
  }
  q += '\0';
  u16(type);
  u16(1);  // class IN
  return q;
}

Expected<void> dns_check_reply(std::string_view reply, uint16_t id) {
  if (reply.size() < 12) return fail("DNS reply of " + std::to_string(reply.size()) + " bytes");
  const auto u16 = [&reply](size_t at) {
    return static_cast<uint16_t>(static_cast<uint8_t>(reply[at]) << 8 |
                                 static_cast<uint8_t>(reply[at + 1]));
  };
  if (u16(0) != id) return fail("DNS reply id does not match the query's");
  const uint16_t flags = u16(2);
  if (!(flags & 0x8000)) return fail("DNS reply is not a response (QR clear)");
  if (flags & 0x000f) return fail("DNS reply RCODE " + std::to_string(flags & 0x000f));
  return {};
}

int smtp_reply_code(std::string_view data) {
  size_t start = 0;
  while (true) {
    const size_t eol = data.find("\r\n", start);
    if (eol == std::string_view::npos) return 0;
    std::string_view line = data.substr(start, eol - start);
    if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
        !std::isdigit(static_cast<unsigned char>(line[1])) ||
        !std::isdigit(static_cast<unsigned char>(line[2])))
      return -1;
    // "250-..." continues the reply; "250 ..." or "250" ends it.
    if (line.size() == 3 || line[3] == ' ')
      return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (line[3] != '-') return -1;
    start = eol + 2;
  }
}

Expected<std::string> payload_bytes(std::string_view hex) {
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  if (hex.size() % 2)
    return fail("UDP_CHECK payload \"" + std::string(hex) + "\" has an odd number of hex digits");
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (size_t j = i; j < i + 2; ++j) {
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(hex[j])));
      if (!std::isxdigit(static_cast<unsigned char>(c)))
        return fail("UDP_CHECK payload \"" + std::string(hex) + "\" is not hex");
      v = v * 16 + (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10);
    }
    out += static_cast<char>(v);
  }
  return out;
}

}  // namespace gale::health
