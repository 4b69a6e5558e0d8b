// The common frame parsed in few instructions: untagged IPv4 without options or
// fragmentation, carrying TCP or UDP. parse_fast_v4() answers only for such a frame that
// parses cleanly; for anything else (VLAN tags, IPv6, ICMP, options, fragments, any
// error) it returns false and the caller runs parse(), which handles every frame.
//
// Its contract: when it returns true, parse() would have returned ok and filled `out`
// with the same value, field for field. tests/unit/net/parse_fast_test.cc checks that
// on crafted and mutated frames, and fuzz/parse_fuzz.cc on every input it makes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/compiler.h"
#include "net/bytes.h"
#include "net/checksum.h"
#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/l4.h"
#include "net/parse.h"

namespace gale::net {

// Linux's martian rules (ip_route_input_slow and ip_route_input_mc, route_localnet off)
// for a packet to this host. A source equal to the destination is a local source, which
// fib_validate_source refuses (a LAND attack). Class E (240/4) sources pass, as in Linux.
// 0/8 sources pass where Linux takes them: to the limited broadcast (DHCP), and to
// 224.0.0.0/24 or in IGMP (reports of hosts, bridges with no address yet).
inline ParseError ipv4_martian(const uint8_t* ip) {
  constexpr uint32_t kBroadcast = 0xffffffffu;
  const uint32_t src = load_be32(ip + 12);
  const uint32_t dst = load_be32(ip + 16);
  const uint32_t src_net = src >> 24;
  const uint32_t dst_net = dst >> 24;
  if ((src >> 28) == 0xe || src == kBroadcast || src_net == 127 || src == dst)
    return ParseError::ipv4_martian_src;
  if (src_net == 0 && dst != kBroadcast && (dst >> 8) != 0xe00000 && ip[9] != kProtoIgmp)
    return ParseError::ipv4_martian_src;
  if (dst_net == 0 || dst_net == 127) return ParseError::ipv4_martian_dst;
  return ParseError::ok;
}

GALE_ALWAYS_INLINE bool parse_fast_v4(Bytes frame, ParsedPacket& out) {
  constexpr size_t kL3 = kEthHeaderLen;
  constexpr size_t kL4 = kL3 + kIpv4MinHeaderLen;
  const size_t n = frame.size();
  const uint8_t* p = frame.data();
  if (GALE_UNLIKELY(n < kL4 + kUdpHeaderLen || n > 0xffff)) return false;
  const uint8_t* ip = p + kL3;
  // Ethertype IPv4, version 4 with a 20-byte header: one compare of 3 bytes.
  if (GALE_UNLIKELY(load_be16(p + 12) != kEtherTypeIpv4 || ip[0] != 0x45)) return false;
  const size_t total = ipv4::total_len(ip);
  if (GALE_UNLIKELY(total < kIpv4MinHeaderLen || total > n - kL3)) return false;
  if (GALE_UNLIKELY(ipv4::frag(ip) & (kIpv4FlagMf | kIpv4FragOffsetMask))) return false;
  if (GALE_UNLIKELY(!ipv4_header_sums_ok(ip, kIpv4MinHeaderLen))) return false;
  if (GALE_UNLIKELY(ipv4_martian(ip) != ParseError::ok)) return false;
  const uint8_t proto = ipv4::proto(ip);
  const uint8_t* l4 = p + kL4;
  const size_t avail = total - kIpv4MinHeaderLen;
  size_t hl;
  uint8_t tcp_flags = 0;
  uint16_t mss_off = 0;
  if (proto == kProtoTcp) {
    if (GALE_UNLIKELY(avail < kTcpMinHeaderLen)) return false;
    hl = tcp::header_len(l4);
    if (GALE_UNLIKELY(hl < kTcpMinHeaderLen || hl > avail)) return false;
    tcp_flags = tcp::flags(l4);
    // NOP, NOP, timestamps: what most segments of an established connection carry.
    constexpr uint32_t kNopNopTimestamps = 0x0101080a;
    const bool just_timestamps =
        hl == kTcpMinHeaderLen + 12 && load_be32(l4 + kTcpMinHeaderLen) == kNopNopTimestamps;
    if (hl > kTcpMinHeaderLen && !just_timestamps &&
        !walk_options(l4 + kTcpMinHeaderLen, l4 + hl,
                      [&](uint8_t kind, const uint8_t* at, uint8_t len) {
                        if (kind == kTcpOptMss && len == 4)
                          mss_off = static_cast<uint16_t>(at + 2 - p);
                      }))
      return false;
  } else if (proto == kProtoUdp) {
    if (GALE_UNLIKELY(avail < kUdpHeaderLen)) return false;
    const uint16_t len = udp::length(l4);
    if (GALE_UNLIKELY(len < kUdpHeaderLen || len > avail)) return false;
    hl = kUdpHeaderLen;
  } else {
    return false;
  }
  out = ParsedPacket{};
  out.frame_len = static_cast<uint16_t>(n);
  out.l3_off = kL3;
  out.l4_off = kL4;
  out.payload_off = static_cast<uint16_t>(kL4 + hl);
  out.l3_end = static_cast<uint16_t>(kL3 + total);
  out.ethertype = kEtherTypeIpv4;
  out.family = Family::v4;
  out.proto = out.tuple.proto = proto;
  out.ttl = ipv4::ttl(ip);
  out.tcp_flags = tcp_flags;
  out.flags = kFlagL4;
  out.tcp_mss_off = mss_off;
  out.tuple.src.family = out.tuple.dst.family = Family::v4;
  std::memcpy(out.tuple.src.b.data(), ip + 12, 4);
  std::memcpy(out.tuple.dst.b.data(), ip + 16, 4);
  out.tuple.sport = l4_sport(l4);
  out.tuple.dport = l4_dport(l4);
  return true;
}

}  // namespace gale::net
