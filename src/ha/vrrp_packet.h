// A VRRP advertisement (RFC 3768 section 5 for v2, RFC 5798 section 5 for v3): the VRRP
// message alone, to and from bytes. The IP header (TTL 255, protocol 112) is the
// socket's; v3's checksum covers the pseudo-header, so its addresses are passed in.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/expected.h"
#include "net/addr.h"

namespace gale::ha {

inline constexpr uint8_t kVrrpProto = 112;
inline constexpr uint8_t kVrrpTtl = 255;
inline constexpr size_t kVrrpMaxAddrs = 255;

enum class VrrpAuth : uint8_t { none = 0, pass = 1, ah = 2 };

struct VrrpAdvert {
  uint8_t version = 3;  // 2 or 3
  uint8_t vrid = 0;     // 1..255
  uint8_t priority = 100;
  // v2: seconds (1..255); v3: centiseconds (1..4095).
  uint16_t interval = 100;
  net::Family family = net::Family::v4;  // v2 is IPv4 only
  std::vector<net::IpAddr> addrs;        // all of `family`
  VrrpAuth auth = VrrpAuth::none;        // v2 only
  std::array<uint8_t, 8> auth_data{};    // v2 PASS: the password, zero padded
  friend bool operator==(const VrrpAdvert&, const VrrpAdvert&) = default;
};

// The pseudo-header's addresses (v3 checksum): the IP source and destination.
struct VrrpIpPair {
  net::IpAddr src;
  net::IpAddr dst;
};

// Parses `msg` (what follows the IP header). Errors say what was wrong, for the
// receiver's counters and logs: "too short", "version 4", "type 2", "checksum", ...
Expected<VrrpAdvert> parse_vrrp(std::span<const uint8_t> msg, net::Family family,
                                const VrrpIpPair& ip);

// The message's bytes, checksum included. The advert must be valid (check_vrrp).
std::vector<uint8_t> build_vrrp(const VrrpAdvert& a, const VrrpIpPair& ip);

// Whether `a` can be sent: version, interval range, address family and count.
Expected<void> check_vrrp(const VrrpAdvert& a);

}  // namespace gale::ha
