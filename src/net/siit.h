// IP/ICMP translation (SIIT, RFC 7915) as the packet layer sees it: the ICMP error
// type/code mapping between ICMPv4 and ICMPv6 (sections 4.2 and 5.2, parameter problem
// pointers included), and the pseudo-header change of a TCP/UDP checksum when the IP
// header of the other family replaces the packet's own (RFC 1624 over the addresses:
// the protocol and the L4 length are the same numbers in both pseudo-headers).
// What to translate to (addresses, ports) is the caller's: lb/nat64.h.
#pragma once

#include <cstdint>
#include <optional>

#include "net/addr.h"
#include "net/checksum.h"

namespace gale::net {

// An ICMP message's first 8 bytes but the checksum: type, code and the 4 bytes after
// the checksum (MTU, pointer, unused), as load_be32 reads them.
struct IcmpHead {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t rest = 0;
  friend bool operator==(const IcmpHead&, const IcmpHead&) = default;
};

// Headers of the two families differ by this much (no IPv4 options, no extension headers).
inline constexpr uint32_t kSiitHeaderGrowth = 20;

// The ICMPv6 error an ICMPv4 error becomes (RFC 7915 section 4.2), or nothing when it has
// no equivalent and is dropped (source quench, host precedence violation, unknown).
// "Fragmentation needed" becomes "packet too big" with the MTU + 20.
std::optional<IcmpHead> icmp4_error_to_v6(const IcmpHead& h);

// The ICMPv4 error an ICMPv6 error becomes (RFC 7915 section 5.2), or nothing.
// "Packet too big" becomes "fragmentation needed" with the MTU - 20.
std::optional<IcmpHead> icmp6_error_to_v4(const IcmpHead& h);

// The sum of the addresses of an IPv4 or IPv6 pseudo-header (RFC 1071 accumulator,
// load_be16 convention): the only part of the pseudo-header a translation changes.
inline uint32_t pseudo_addr_sum(const IpAddr& src, const IpAddr& dst) {
  const size_t n = src.is_v4() ? 4 : 16;
  return csum_partial(dst.b.data(), n, csum_partial(src.b.data(), n));
}

// A checksum whose covered words summing to old_sum now sum to new_sum (RFC 1624
// eqn. 3 over many words): HC' = ~(~HC + ~m + m').
inline uint16_t csum_replace_sum(uint16_t check, uint32_t old_sum, uint32_t new_sum) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~csum_fold(old_sum));
  sum += csum_fold(new_sum);
  return static_cast<uint16_t>(~csum_fold(sum));
}

// Whether the IPv6 extension headers between l3 + 40 and l4 (already walked by the
// parser, so their lengths are sound) hold a routing header with segments left: such a
// packet is not for the VIP yet, and RFC 7915 section 5.1 does not translate it.
bool ipv6_routing_pending(const uint8_t* l3, const uint8_t* l4);

}  // namespace gale::net
