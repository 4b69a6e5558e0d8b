#include "net/parse.h"

#include <cstring>

#include "net/ethernet.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"
#include "net/parse_fast.h"

namespace gale::net {

const char* to_string(ParseError e) {
  switch (e) {
    case ParseError::ok:
      return "ok";
    case ParseError::eth_truncated:
      return "eth_truncated";
    case ParseError::vlan_truncated:
      return "vlan_truncated";
    case ParseError::vlan_too_many:
      return "vlan_too_many";
    case ParseError::ipv4_truncated:
      return "ipv4_truncated";
    case ParseError::ipv4_bad_version:
      return "ipv4_bad_version";
    case ParseError::ipv4_bad_header_len:
      return "ipv4_bad_header_len";
    case ParseError::ipv4_bad_total_len:
      return "ipv4_bad_total_len";
    case ParseError::ipv4_bad_options:
      return "ipv4_bad_options";
    case ParseError::ipv4_bad_checksum:
      return "ipv4_bad_checksum";
    case ParseError::ipv4_source_route:
      return "ipv4_source_route";
    case ParseError::ipv4_martian_src:
      return "ipv4_martian_src";
    case ParseError::ipv4_martian_dst:
      return "ipv4_martian_dst";
    case ParseError::ipv6_truncated:
      return "ipv6_truncated";
    case ParseError::ipv6_bad_version:
      return "ipv6_bad_version";
    case ParseError::ipv6_bad_payload_len:
      return "ipv6_bad_payload_len";
    case ParseError::ipv6_ext_truncated:
      return "ipv6_ext_truncated";
    case ParseError::ipv6_ext_too_many:
      return "ipv6_ext_too_many";
    case ParseError::ipv6_martian_src:
      return "ipv6_martian_src";
    case ParseError::ipv6_martian_dst:
      return "ipv6_martian_dst";
    case ParseError::l4_truncated:
      return "l4_truncated";
    case ParseError::tcp_bad_header_len:
      return "tcp_bad_header_len";
    case ParseError::tcp_bad_options:
      return "tcp_bad_options";
    case ParseError::udp_bad_length:
      return "udp_bad_length";
    case ParseError::count_:
      break;
  }
  return "unknown";
}

namespace {

bool is_icmp_error(Family family, uint8_t type) {
  if (family == Family::v4) {
    return type == kIcmpDestUnreachable || type == kIcmpSourceQuench || type == kIcmpTimeExceeded ||
           type == kIcmpParamProblem;
  }
  return type >= kIcmpv6DestUnreachable && type <= kIcmpv6ParamProblem;
}

ParseError parse_l4(const uint8_t* base, ParsedPacket& out) {
  const size_t avail = size_t{out.l3_end} - out.l4_off;
  const uint8_t* l4 = base + out.l4_off;
  switch (out.proto) {
    case kProtoTcp: {
      if (avail < kTcpMinHeaderLen) return ParseError::l4_truncated;
      size_t hl = tcp::header_len(l4);
      if (hl < kTcpMinHeaderLen || hl > avail) return ParseError::tcp_bad_header_len;
      out.tuple.sport = l4_sport(l4);
      out.tuple.dport = l4_dport(l4);
      out.tcp_flags = tcp::flags(l4);
      bool ok = walk_options(l4 + kTcpMinHeaderLen, l4 + hl,
                             [&](uint8_t kind, const uint8_t* at, uint8_t len) {
                               if (kind == kTcpOptMss && len == 4)
                                 out.tcp_mss_off = static_cast<uint16_t>(at + 2 - base);
                             });
      if (!ok) return ParseError::tcp_bad_options;
      out.payload_off = static_cast<uint16_t>(out.l4_off + hl);
      break;
    }
    case kProtoUdp: {
      if (avail < kUdpHeaderLen) return ParseError::l4_truncated;
      // A first fragment carries only part of the datagram the length describes.
      uint16_t len = udp::length(l4);
      if (len < kUdpHeaderLen || (!out.has(kFlagFragment) && len > avail))
        return ParseError::udp_bad_length;
      out.tuple.sport = l4_sport(l4);
      out.tuple.dport = l4_dport(l4);
      out.payload_off = static_cast<uint16_t>(out.l4_off + kUdpHeaderLen);
      break;
    }
    case kProtoIcmp:
    case kProtoIcmpv6: {
      if (avail < kIcmpHeaderLen) return ParseError::l4_truncated;
      out.icmp_type = l4[0];
      out.icmp_code = l4[1];
      if (is_icmp_echo(out.family, out.icmp_type)) {
        out.tuple.sport = out.tuple.dport = icmp::echo_id(l4);
      } else if (is_icmp_error(out.family, out.icmp_type)) {
        out.flags |= kFlagIcmpError;
      }
      out.payload_off = static_cast<uint16_t>(out.l4_off + kIcmpHeaderLen);
      break;
    }
    default:
      return ParseError::ok;  // no L4 header gale needs to see (VRRP, ESP, GRE, ...)
  }
  out.flags |= kFlagL4;
  return ParseError::ok;
}

ParseError parse_ipv4(const uint8_t* base, size_t end, ParsedPacket& out) {
  const size_t off = out.l3_off;
  if (end - off < kIpv4MinHeaderLen) return ParseError::ipv4_truncated;
  const uint8_t* ip = base + off;
  if (ipv4::version(ip) != 4) return ParseError::ipv4_bad_version;
  size_t hl = ipv4::header_len(ip);
  if (hl < kIpv4MinHeaderLen) return ParseError::ipv4_bad_header_len;
  if (hl > end - off) return ParseError::ipv4_truncated;
  // The header was just read, so summing it again costs a few adds on a cached line; a
  // header with an error must not be scheduled, get a flow, or be rewritten (RFC 1812
  // 5.2.2; ip_rcv_core checks it at the same point). This error, the martians and source
  // routing are returned only once the rest is parsed: the addresses and ports say whose
  // frame it is, so the dataplane counts its own drops and leaves the rest to the kernel.
  ParseError late = ipv4_header_sums_ok(ip, hl) ? ParseError::ok : ParseError::ipv4_bad_checksum;
  size_t total = ipv4::total_len(ip);
  // A bad checksum makes the length untrustworthy: that error is the one to report (as
  // ip_rcv_core does), with the addresses unread, so the frame is nobody's but the kernel's.
  if (total < hl || total > end - off)
    return late != ParseError::ok ? late : ParseError::ipv4_bad_total_len;
  out.family = Family::v4;
  out.l3_end = static_cast<uint16_t>(off + total);
  out.l4_off = out.payload_off = static_cast<uint16_t>(off + hl);
  out.proto = out.tuple.proto = ipv4::proto(ip);
  out.ttl = ipv4::ttl(ip);
  // Written in place: the tuple is zeroed, and building an IpAddr to copy over it would
  // make a 4-byte store that a wider load reads back (a store-forwarding stall).
  out.tuple.src.family = out.tuple.dst.family = Family::v4;
  std::memcpy(out.tuple.src.b.data(), ip + 12, 4);
  std::memcpy(out.tuple.dst.b.data(), ip + 16, 4);
  if (late == ParseError::ok) late = ipv4_martian(ip);
  if (hl > kIpv4MinHeaderLen) {
    out.flags |= kFlagIpOptions;
    bool source_route = false;
    if (!walk_options(ip + kIpv4MinHeaderLen, ip + hl, [&](uint8_t kind, const uint8_t*, uint8_t) {
          source_route |= kind == kIpv4OptLsrr || kind == kIpv4OptSsrr;
        }))
      return ParseError::ipv4_bad_options;
    if (source_route && late == ParseError::ok) late = ParseError::ipv4_source_route;
  }
  uint16_t frag = ipv4::frag(ip);
  if (frag & (kIpv4FlagMf | kIpv4FragOffsetMask)) {
    out.flags |= kFlagFragment;
    if (frag & kIpv4FragOffsetMask) {
      out.flags |= kFlagLaterFragment;
      return late;
    }
  }
  const ParseError e = parse_l4(base, out);
  return late != ParseError::ok ? late : e;
}

// ip6_rcv_core's address rules for a frame from another node (RFC 4291 2.5.3, 2.7 and
// erratum 3480), plus an IPv4-mapped source (RFC 4291 2.5.5.2), whose SYNs Linux's TCP
// refuses too. The unspecified source is checked once the L4 protocol is known.
constexpr uint8_t kIpv6Loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr uint8_t kIpv6Unspecified[16] = {};

ParseError ipv6_martian(const uint8_t* ip) {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const uint8_t* src = ip + 8;
  const uint8_t* dst = ip + 24;
  if (src[0] == 0xff || std::memcmp(src, kIpv6Loopback, 16) == 0 ||
      std::memcmp(src, kMappedPrefix, 12) == 0)
    return ParseError::ipv6_martian_src;
  if (std::memcmp(dst, kIpv6Loopback, 16) == 0 || (dst[0] == 0xff && (dst[1] & 0x0f) <= 1))
    return ParseError::ipv6_martian_dst;
  return ParseError::ok;
}

bool is_ipv6_ext(uint8_t nh) {
  return nh == kIpv6ExtHopByHop || nh == kIpv6ExtRouting || nh == kIpv6ExtFragment ||
         nh == kIpv6ExtDestOpts || nh == kIpv6ExtAuth;
}

ParseError parse_ipv6(const uint8_t* base, size_t end, ParsedPacket& out) {
  const size_t off = out.l3_off;
  if (end - off < kIpv6HeaderLen) return ParseError::ipv6_truncated;
  const uint8_t* ip = base + off;
  if (ipv6::version(ip) != 6) return ParseError::ipv6_bad_version;
  size_t total = kIpv6HeaderLen + ipv6::payload_len(ip);
  if (total > end - off) return ParseError::ipv6_bad_payload_len;
  // Returned once the rest is parsed, as parse_ipv4 does with its late errors.
  ParseError late = ipv6_martian(ip);
  out.family = Family::v6;
  out.l3_end = static_cast<uint16_t>(off + total);
  out.ttl = ipv6::hop_limit(ip);
  out.tuple.src.family = out.tuple.dst.family = Family::v6;
  std::memcpy(out.tuple.src.b.data(), ip + 8, 16);
  std::memcpy(out.tuple.dst.b.data(), ip + 24, 16);

  uint8_t nh = ipv6::next_header(ip);
  size_t at = off + kIpv6HeaderLen;
  for (int n = 0; is_ipv6_ext(nh); ++n) {
    if (n == kMaxIpv6ExtHeaders) return ParseError::ipv6_ext_too_many;
    if (out.l3_end - at < 8) return ParseError::ipv6_ext_truncated;
    const uint8_t* h = base + at;
    size_t len;
    if (nh == kIpv6ExtFragment) {
      len = kIpv6FragHeaderLen;
      out.flags |= kFlagFragment;
      if (load_be16(h + 2) & 0xfff8) out.flags |= kFlagLaterFragment;
    } else if (nh == kIpv6ExtAuth) {
      len = (size_t{h[1]} + 2) * 4;  // AH counts 4-byte words (RFC 4302)
    } else {
      len = (size_t{h[1]} + 1) * 8;
    }
    if (len > out.l3_end - at) return ParseError::ipv6_ext_truncated;
    out.flags |= kFlagIpOptions;
    nh = h[0];
    at += len;
  }
  // A router never forwards from the unspecified address (RFC 4291 2.5.2); only DAD and
  // MLD, both ICMPv6 (MLD behind a hop-by-hop header), send from it.
  if (late == ParseError::ok && nh != kProtoIcmpv6 &&
      std::memcmp(ip + 8, kIpv6Unspecified, 16) == 0)
    late = ParseError::ipv6_martian_src;
  out.proto = out.tuple.proto = nh;
  out.l4_off = out.payload_off = static_cast<uint16_t>(at);
  if (out.has(kFlagLaterFragment)) return late;
  const ParseError e = parse_l4(base, out);
  return late != ParseError::ok ? late : e;
}

// The L3 parse proper, on an `out` whose L3/L4 fields are already zero.
ParseError parse_l3_zeroed(Bytes frame, Family family, ParsedPacket& out) {
  if (family == Family::v4) return parse_ipv4(frame.data(), frame.size(), out);
  return parse_ipv6(frame.data(), frame.size(), out);
}

}  // namespace

ParseError parse_l3(Bytes frame, uint16_t l3_off, Family family, ParsedPacket& out) {
  out.l3_off = l3_off;
  out.flags = 0;
  out.tcp_flags = out.icmp_type = out.icmp_code = 0;
  out.tcp_mss_off = 0;
  out.tuple = FiveTuple{};
  if (frame.size() > 0xffff) return ParseError::ipv4_bad_total_len;  // beyond any MTU
  out.frame_len = static_cast<uint16_t>(frame.size());
  if (l3_off > frame.size())
    return family == Family::v4 ? ParseError::ipv4_truncated : ParseError::ipv6_truncated;
  return parse_l3_zeroed(frame, family, out);
}

ParseError parse(Bytes frame, ParsedPacket& out) {
  out = ParsedPacket{};
  if (frame.size() > 0xffff) return ParseError::eth_truncated;
  out.frame_len = static_cast<uint16_t>(frame.size());
  if (frame.size() < kEthHeaderLen) return ParseError::eth_truncated;
  const uint8_t* p = frame.data();
  size_t off = 12;
  uint16_t type = load_be16(p + off);
  while (is_vlan_ethertype(type)) {
    if (out.vlan_count == kMaxVlanTags) return ParseError::vlan_too_many;
    if (frame.size() - off < 2 + kVlanTagLen) return ParseError::vlan_truncated;
    if (out.vlan_count == 0) out.vlan_tci = load_be16(p + off + 2);
    ++out.vlan_count;
    off += kVlanTagLen;
    type = load_be16(p + off);
  }
  out.ethertype = type;
  out.l3_off = out.l4_off = out.payload_off = out.l3_end = static_cast<uint16_t>(off + 2);
  if (type == kEtherTypeIpv4) return parse_l3_zeroed(frame, Family::v4, out);
  if (type == kEtherTypeIpv6) return parse_l3_zeroed(frame, Family::v6, out);
  out.l3_end = out.frame_len;  // ARP and others: the rest is theirs
  return ParseError::ok;
}

}  // namespace gale::net
