// Text forms of addresses, through libc's inet_ntop/inet_pton (pure functions, no I/O).
#include <arpa/inet.h>

#include <cstdio>
#include <string>

#include "net/addr.h"

namespace gale::net {

AddrText to_text(const MacAddr& a) {
  AddrText t;
  std::snprintf(t.s, sizeof t.s, "%02x:%02x:%02x:%02x:%02x:%02x", a.b[0], a.b[1], a.b[2], a.b[3],
                a.b[4], a.b[5]);
  return t;
}

AddrText to_text(Ipv4Addr a) {
  AddrText t;
  uint8_t b[4];
  store_be32(b, a.v);
  inet_ntop(AF_INET, b, t.s, sizeof t.s);
  return t;
}

AddrText to_text(const Ipv6Addr& a) {
  AddrText t;
  inet_ntop(AF_INET6, a.b.data(), t.s, sizeof t.s);
  return t;
}

AddrText to_text(const IpAddr& a) {
  if (a.is_v4()) return to_text(a.v4());
  if (a.is_v6()) return to_text(a.v6());
  AddrText t;
  std::snprintf(t.s, sizeof t.s, "-");
  return t;
}

namespace {
// inet_pton needs a terminated string; addresses are short, so a stack copy suffices.
bool copy_z(std::string_view s, char (&buf)[64]) {
  if (s.size() >= sizeof buf) return false;
  s.copy(buf, s.size());
  buf[s.size()] = 0;
  return true;
}
}  // namespace

std::optional<Ipv4Addr> parse_ipv4(std::string_view s) {
  char buf[64];
  uint8_t b[4];
  if (!copy_z(s, buf) || inet_pton(AF_INET, buf, b) != 1) return std::nullopt;
  return Ipv4Addr{load_be32(b)};
}

std::optional<Ipv6Addr> parse_ipv6(std::string_view s) {
  char buf[64];
  Ipv6Addr a;
  if (!copy_z(s, buf) || inet_pton(AF_INET6, buf, a.b.data()) != 1) return std::nullopt;
  return a;
}

std::optional<IpAddr> parse_ip(std::string_view s) {
  if (auto a = parse_ipv4(s)) return IpAddr(*a);
  if (auto a = parse_ipv6(s)) return IpAddr(*a);
  return std::nullopt;
}

std::optional<MacAddr> parse_mac(std::string_view s) {
  MacAddr m;
  if (s.size() != 17) return std::nullopt;
  for (int i = 0; i < 6; ++i) {
    if (i > 0 && s[i * 3 - 1] != ':') return std::nullopt;
    unsigned v = 0;
    for (int j = 0; j < 2; ++j) {
      char c = s[i * 3 + j];
      unsigned d = c >= '0' && c <= '9'   ? unsigned(c - '0')
                   : c >= 'a' && c <= 'f' ? unsigned(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? unsigned(c - 'A' + 10)
                                          : 16u;
      if (d > 15) return std::nullopt;
      v = v * 16 + d;
    }
    m.b[i] = static_cast<uint8_t>(v);
  }
  return m;
}

}  // namespace gale::net
