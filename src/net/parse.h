// One pass over a frame's headers into a ParsedPacket: the offsets, family, protocol,
// 5-tuple and flags that every later layer uses without parsing again. Every length is
// checked before it is read; a malformed frame yields the reason, which the dataplane
// counts before dropping the frame.
#pragma once

#include <cstdint>

#include "net/addr.h"
#include "net/bytes.h"

namespace gale::net {

// Why a frame could not be parsed. Each value is a drop counter in the dataplane.
// gale takes frames before the kernel's input path, so the parser also refuses what
// that path refuses before IPVS would see a packet (ip_rcv_core, ip_route_input_slow's
// martians, ip6_rcv_core); docs/architecture.md lists the rules and their sources.
enum class ParseError : uint8_t {
  ok = 0,
  eth_truncated,         // shorter than an Ethernet header
  vlan_truncated,        // a VLAN tag cut short
  vlan_too_many,         // more than kMaxVlanTags tags
  ipv4_truncated,        // less than 20 bytes, or less than the header length says
  ipv4_bad_version,      // ethertype IPv4 but version != 4
  ipv4_bad_header_len,   // IHL < 5
  ipv4_bad_total_len,    // total length < header length or > bytes present
  ipv4_bad_options,      // an option's length runs past the header
  ipv4_bad_checksum,     // the header checksum is wrong (RFC 1812 5.2.2)
  ipv4_source_route,     // LSRR/SSRR option: Linux drops it (accept_source_route=0)
  ipv4_martian_src,      // 0/8 (but to 255.255.255.255), 127/8, multicast, broadcast, == dst
  ipv4_martian_dst,      // 0/8, 127/8
  ipv6_truncated,        // less than 40 bytes
  ipv6_bad_version,      // ethertype IPv6 but version != 6
  ipv6_bad_payload_len,  // payload length > bytes present (jumbograms unsupported)
  ipv6_ext_truncated,    // an extension header runs past the packet
  ipv6_ext_too_many,     // more than kMaxIpv6ExtHeaders extension headers
  ipv6_martian_src,      // multicast, ::1, IPv4-mapped; :: unless ICMPv6 (DAD, MLD)
  ipv6_martian_dst,      // ::1, multicast of scope 0 or 1 (interface-local)
  l4_truncated,          // TCP/UDP/ICMP header cut short
  tcp_bad_header_len,    // data offset < 5 or past the packet
  tcp_bad_options,       // an option's length runs past the header
  udp_bad_length,        // UDP length < 8 or > bytes present
  count_
};
inline constexpr int kParseErrorCount = static_cast<int>(ParseError::count_);
const char* to_string(ParseError e);

// Bits of ParsedPacket::flags.
enum PacketFlag : uint8_t {
  kFlagFragment = 1 << 0,       // IPv4 MF/offset set, or an IPv6 fragment header
  kFlagLaterFragment = 1 << 1,  // a fragment other than the first: no L4 header
  kFlagIpOptions = 1 << 2,      // IPv4 options or IPv6 extension headers present
  kFlagIcmpError = 1 << 3,      // ICMP/ICMPv6 error carrying an embedded packet
  kFlagL4 = 1 << 4,             // an L4 header was parsed (ports/flags valid)
};

// The classic 5-tuple. Ports are 0 where the protocol has none; for ICMP echo both
// ports hold the identifier (which is what a flow table keys ICMP echo on).
struct FiveTuple {
  IpAddr src;
  IpAddr dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  friend bool operator==(const FiveTuple&, const FiveTuple&) = default;
};

struct ParsedPacket {
  uint16_t frame_len = 0;    // bytes in the frame
  uint16_t l3_off = 0;       // after Ethernet and VLAN tags
  uint16_t l4_off = 0;       // after IPv4 options / IPv6 extension headers
  uint16_t payload_off = 0;  // after the L4 header (== l4_off without one)
  uint16_t l3_end = 0;       // end of the IP packet; Ethernet padding may follow
  uint16_t ethertype = 0;    // innermost ethertype (after VLAN tags)
  uint16_t vlan_tci = 0;     // outermost tag's TCI; 0 when untagged
  uint8_t vlan_count = 0;
  Family family = Family::none;  // none for ARP and other non-IP frames
  uint8_t proto = 0;             // L4 protocol (after IPv6 extension headers)
  uint8_t ttl = 0;               // TTL or hop limit
  uint8_t tcp_flags = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  uint8_t flags = 0;         // PacketFlag bits
  uint16_t tcp_mss_off = 0;  // offset of the MSS option's 2-byte value; 0 if absent
  FiveTuple tuple;

  bool has(PacketFlag f) const { return (flags & f) != 0; }
  uint16_t l3_len() const { return static_cast<uint16_t>(l3_end - l3_off); }
  friend bool operator==(const ParsedPacket&, const ParsedPacket&) = default;
};

// Parses the frame's headers. On error, fields already parsed stay set (they help a
// counter or a log say more), the rest are unspecified.
ParseError parse(Bytes frame, ParsedPacket& out);

// Parses an IP packet that starts at frame[l3_off] (an inner packet after decapsulation)
// whose family is known from the outer header.
ParseError parse_l3(Bytes frame, uint16_t l3_off, Family family, ParsedPacket& out);

}  // namespace gale::net
