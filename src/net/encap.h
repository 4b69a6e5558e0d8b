// Tunnel encapsulations gale's TUN mode sends and its decap role receives:
//   IPIP  - IPv4-in-IP (protocol 4) and IPv6-in-IP (41), RFC 2003 / RFC 4213
//   GUE   - Generic UDP Encapsulation (draft-ietf-intarea-gue): variant 0 (a 4-byte
//           header naming the inner protocol) and variant 1 (the IP packet directly)
//   VXLAN - RFC 7348: an 8-byte header carrying a 24-bit VNI, then an Ethernet frame
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/bytes.h"
#include "net/parse.h"

namespace gale::net {

inline constexpr size_t kGueHeaderLen = 4;
inline constexpr size_t kVxlanHeaderLen = 8;
inline constexpr uint16_t kVxlanPort = 4789;  // IANA
inline constexpr uint8_t kVxlanFlagVni = 0x08;

// UDP source port for an encapsulated flow: a hash of the inner flow mapped into the
// dynamic range (RFC 7348 section 5), so receivers' RSS spreads tunnelled flows.
inline uint16_t entropy_port(uint32_t flow_hash) {
  return static_cast<uint16_t>(49152 + ((flow_hash ^ (flow_hash >> 16)) & 0x3fff));
}

// Writes a GUE variant 0 header with no extension fields; inner_proto is the IP
// protocol number of what follows (4 for IPv4, 41 for IPv6).
inline void write_gue(uint8_t* p, uint8_t inner_proto) {
  p[0] = 0;  // version 0, C = 0 (data), Hlen = 0
  p[1] = inner_proto;
  store_be16(p + 2, 0);
}

inline void write_vxlan(uint8_t* p, uint32_t vni) {
  store_be32(p, uint32_t{kVxlanFlagVni} << 24);
  store_be32(p + 4, (vni & 0xffffff) << 8);
}

// Where the inner packet of a tunnel starts.
struct Decap {
  uint16_t inner_off = 0;              // first byte of the inner packet (IP header, or Ethernet)
  Family inner_family = Family::none;  // none when the inner packet is an Ethernet frame
  uint32_t vni = 0;                    // VXLAN only
};

enum class DecapError : uint8_t {
  ok = 0,
  not_tunnel,  // not the protocol asked for
  truncated,   // the tunnel header or inner packet is cut short
  bad_header,  // unknown version, flags or inner protocol
  control,     // a GUE control message (C bit): not data
};
const char* to_string(DecapError e);

// IPIP: pp.proto is 4 or 41. The inner packet is the outer IP payload.
DecapError decap_ipip(const ParsedPacket& pp, Decap& out);
// GUE over UDP (the caller matched the port). Variants 0 and 1.
DecapError decap_gue(Bytes frame, const ParsedPacket& pp, Decap& out);
// VXLAN over UDP (the caller matched the port). The inner packet is an Ethernet frame.
DecapError decap_vxlan(Bytes frame, const ParsedPacket& pp, Decap& out);

}  // namespace gale::net
