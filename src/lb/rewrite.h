// Header rewrites of the forwarding modes, specialised per address family. Each keeps
// every checksum right incrementally (RFC 1624): the IPv4 header checksum, and the
// TCP/UDP checksum whose pseudo-header covers the addresses. Received checksums are
// taken as complete (DESIGN.md section 4), so incremental updates stay exact.
#pragma once

#include <cstdint>
#include <cstring>

#include "net/addr.h"
#include "net/checksum.h"
#include "net/ethernet.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"
#include "net/parse.h"

namespace gale::lb {

// Where the L4 checksum of a protocol sits, or 0 when it has none covering addresses.
inline size_t l4_check_offset(uint8_t proto, net::Family f) {
  if (proto == net::kProtoTcp) return net::tcp::kCheckOffset + 1;  // +1: 0 means none
  if (proto == net::kProtoUdp) return net::udp::kCheckOffset + 1;
  if (proto == net::kProtoIcmpv6 && f == net::Family::v6) return 2 + 1;
  return 0;
}

// Applies `update` to the L4 checksum at l4, honouring UDP's "0 = none" over IPv4.
template <typename Update>
inline void update_l4_check(uint8_t* l4, uint8_t proto, net::Family f, Update update) {
  size_t at = l4_check_offset(proto, f);
  if (at == 0) return;
  uint8_t* c = l4 + at - 1;
  uint16_t old_c = net::load_be16(c);
  if (proto == net::kProtoUdp) {
    if (old_c == 0 && f == net::Family::v4) return;
    uint16_t n = update(old_c);
    net::store_be16(c, n == 0 ? 0xffff : n);
  } else {
    net::store_be16(c, update(old_c));
  }
}

// Rewrites the source or destination address of the IP header at l3, and the L4
// checksum at l4 (nullptr: no L4 header in this packet, e.g. a later fragment).
template <bool kDst>
inline void set_addr(uint8_t* l3, uint8_t* l4, uint8_t proto, const net::IpAddr& a) {
  if (a.is_v4()) {
    uint32_t old_v = kDst ? net::ipv4::dst(l3).v : net::ipv4::src(l3).v;
    uint32_t new_v = a.v4().v;
    if (kDst)
      net::ipv4::set_dst(l3, a.v4());
    else
      net::ipv4::set_src(l3, a.v4());
    if (l4)
      update_l4_check(l4, proto, net::Family::v4,
                      [&](uint16_t c) { return net::csum_update32(c, old_v, new_v); });
  } else {
    uint8_t* field = l3 + (kDst ? 24 : 8);
    if (l4)
      update_l4_check(l4, proto, net::Family::v6,
                      [&](uint16_t c) { return net::csum_update_bytes(c, field, a.b.data(), 16); });
    std::memcpy(field, a.b.data(), 16);
  }
}
inline void set_dst_addr(uint8_t* l3, uint8_t* l4, uint8_t proto, const net::IpAddr& a) {
  set_addr<true>(l3, l4, proto, a);
}
inline void set_src_addr(uint8_t* l3, uint8_t* l4, uint8_t proto, const net::IpAddr& a) {
  set_addr<false>(l3, l4, proto, a);
}

// Rewrites a TCP/UDP port (offset 0: source, 2: destination) and the L4 checksum.
inline void set_port(uint8_t* l4, size_t off, uint8_t proto, net::Family f, uint16_t port) {
  uint16_t old_p = net::load_be16(l4 + off);
  if (old_p == port) return;
  net::store_be16(l4 + off, port);
  update_l4_check(l4, proto, f, [&](uint16_t c) { return net::csum_update16(c, old_p, port); });
}

// Decrements the TTL / hop limit of a routed packet. False when it would reach 0.
inline bool decrement_ttl(uint8_t* l3, net::Family f) {
  if (f == net::Family::v4) {
    uint8_t t = net::ipv4::ttl(l3);
    if (t <= 1) return false;
    net::ipv4::set_ttl(l3, static_cast<uint8_t>(t - 1));
  } else {
    uint8_t h = net::ipv6::hop_limit(l3);
    if (h <= 1) return false;
    net::ipv6::set_hop_limit(l3, static_cast<uint8_t>(h - 1));
  }
  return true;
}

// An IPv4 packet's new addresses and ports, in host order (translate_v4).
struct V4Tuple {
  uint32_t src = 0, dst = 0;
  uint16_t sport = 0, dport = 0;
};

// The same rewrite as decrement_ttl, then set_src_addr and set_port(0) (kSrc) and
// set_dst_addr and set_port(2) (kDst), for an IPv4 packet with a TCP or UDP header at l4,
// with each checksum updated once: RFC 1624's HC' = ~(~HC + sum of ~m + m') over every
// changed 16-bit word. The bytes are the same as the field-by-field updates': the
// results agree modulo 0xffff, and both lie in 0..0xfffe (UDP's 0 written as 0xffff),
// since a sum with a nonzero term never folds to 0 and the TTL word always changes.
// False, with nothing changed, when the TTL would reach 0.
template <bool kSrc, bool kDst>
inline bool translate_v4(uint8_t* l3, uint8_t* l4, uint8_t proto, const V4Tuple& to) {
  const uint8_t ttl = net::ipv4::ttl(l3);
  if (ttl <= 1) return false;
  const auto delta16 = [](uint16_t old_w, uint16_t new_w) {
    return uint32_t{static_cast<uint16_t>(~old_w)} + new_w;
  };
  const auto delta32 = [&](uint32_t old_v, uint32_t new_v) {
    return delta16(static_cast<uint16_t>(old_v >> 16), static_cast<uint16_t>(new_v >> 16)) +
           delta16(static_cast<uint16_t>(old_v), static_cast<uint16_t>(new_v));
  };
  const auto apply = [](uint16_t check, uint32_t delta) {
    return static_cast<uint16_t>(~net::csum_fold(uint32_t{static_cast<uint16_t>(~check)} + delta));
  };
  uint32_t addrs = 0, ports = 0;
  if constexpr (kSrc) {
    addrs += delta32(net::load_be32(l3 + 12), to.src);
    ports += delta16(net::load_be16(l4), to.sport);
    net::store_be32(l3 + 12, to.src);
    net::store_be16(l4, to.sport);
  }
  if constexpr (kDst) {
    addrs += delta32(net::load_be32(l3 + 16), to.dst);
    ports += delta16(net::load_be16(l4 + 2), to.dport);
    net::store_be32(l3 + 16, to.dst);
    net::store_be16(l4 + 2, to.dport);
  }
  const uint16_t ttl_word = net::load_be16(l3 + 8);
  l3[8] = static_cast<uint8_t>(ttl - 1);
  net::ipv4::set_check(l3,
                       apply(net::ipv4::check(l3),
                             addrs + delta16(ttl_word, static_cast<uint16_t>(ttl_word - 0x100))));
  if (proto == net::kProtoTcp) {
    uint8_t* c = l4 + net::tcp::kCheckOffset;
    net::store_be16(c, apply(net::load_be16(c), addrs + ports));
  } else {
    uint8_t* c = l4 + net::udp::kCheckOffset;
    const uint16_t old_c = net::load_be16(c);
    if (old_c == 0) return true;  // no checksum (IPv4 only)
    const uint16_t n = apply(old_c, addrs + ports);
    net::store_be16(c, n == 0 ? 0xffff : n);
  }
  return true;
}

inline uint16_t ethertype_of(net::Family f) {
  return f == net::Family::v4 ? net::kEtherTypeIpv4 : net::kEtherTypeIpv6;
}

}  // namespace gale::lb
