// Addresses: MAC, IPv4, IPv6, and IpAddr (either family in 16 bytes, IPv4 stored as its
// value in the first 4 bytes so that hashing and comparing need no branch on family).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "net/bytes.h"

namespace gale::net {

enum class Family : uint8_t { none = 0, v4 = 4, v6 = 6 };

struct MacAddr {
  std::array<uint8_t, 6> b{};
  friend bool operator==(const MacAddr&, const MacAddr&) = default;
  bool is_zero() const {
    uint32_t hi;
    uint16_t lo;
    std::memcpy(&hi, b.data(), 4);
    std::memcpy(&lo, b.data() + 4, 2);
    return (hi | lo) == 0;
  }
  bool is_broadcast() const { return (b[0] & b[1] & b[2] & b[3] & b[4] & b[5]) == 0xff; }
  bool is_multicast() const { return (b[0] & 1) != 0; }
};

// An IPv4 address as a host-order number (10.0.0.1 == 0x0a000001).
struct Ipv4Addr {
  uint32_t v = 0;
  friend auto operator<=>(const Ipv4Addr&, const Ipv4Addr&) = default;
};

// An IPv6 address in network byte order.
struct Ipv6Addr {
  std::array<uint8_t, 16> b{};
  friend auto operator<=>(const Ipv6Addr&, const Ipv6Addr&) = default;
};

// Either family. Unused bytes are zero, so == and hashing work on the raw bytes.
struct IpAddr {
  Family family = Family::none;
  std::array<uint8_t, 16> b{};

  IpAddr() = default;
  IpAddr(Ipv4Addr a) : family(Family::v4) { store_be32(b.data(), a.v); }
  IpAddr(const Ipv6Addr& a) : family(Family::v6), b(a.b) {}

  bool is_v4() const { return family == Family::v4; }
  bool is_v6() const { return family == Family::v6; }
  Ipv4Addr v4() const { return Ipv4Addr{load_be32(b.data())}; }
  Ipv6Addr v6() const { return Ipv6Addr{b}; }
  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;
};

// Text forms. Returned in fixed buffers: no allocation (net/ never allocates).
struct AddrText {
  char s[48];
  const char* c_str() const { return s; }
  std::string_view view() const { return s; }
};
AddrText to_text(const MacAddr& a);
AddrText to_text(Ipv4Addr a);
AddrText to_text(const Ipv6Addr& a);
AddrText to_text(const IpAddr& a);

std::optional<MacAddr> parse_mac(std::string_view s);
std::optional<Ipv4Addr> parse_ipv4(std::string_view s);
std::optional<Ipv6Addr> parse_ipv6(std::string_view s);
std::optional<IpAddr> parse_ip(std::string_view s);

}  // namespace gale::net
