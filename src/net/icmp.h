// ICMP (RFC 792) and ICMPv6 (RFC 4443): types gale acts on, echo identifiers, and the
// packet embedded in an error message, which a load balancer must translate along with
// the flow it belongs to (e.g. "fragmentation needed" about a NATed connection).
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/addr.h"
#include "net/bytes.h"
#include "net/parse.h"

namespace gale::net {

inline constexpr size_t kIcmpHeaderLen = 8;

inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpDestUnreachable = 3;
inline constexpr uint8_t kIcmpSourceQuench = 4;
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr uint8_t kIcmpTimeExceeded = 11;
inline constexpr uint8_t kIcmpParamProblem = 12;
inline constexpr uint8_t kIcmpCodeFragNeeded = 4;  // with kIcmpDestUnreachable

inline constexpr uint8_t kIcmpv6DestUnreachable = 1;
inline constexpr uint8_t kIcmpv6PacketTooBig = 2;
inline constexpr uint8_t kIcmpv6TimeExceeded = 3;
inline constexpr uint8_t kIcmpv6ParamProblem = 4;
inline constexpr uint8_t kIcmpv6EchoRequest = 128;
inline constexpr uint8_t kIcmpv6EchoReply = 129;
inline constexpr uint8_t kIcmpv6NeighborSolicit = 135;
inline constexpr uint8_t kIcmpv6NeighborAdvert = 136;

// How much of the offending packet an ICMP error must quote for gale to translate it:
// the IP header and the first 8 bytes of its payload (RFC 792), which hold the ports.
inline constexpr size_t kIcmpQuotedL4Bytes = 8;

namespace icmp {
inline uint16_t check(const uint8_t* p) {
  return load_be16(p + 2);
}
inline void set_check(uint8_t* p, uint16_t c) {
  store_be16(p + 2, c);
}
inline uint16_t echo_id(const uint8_t* p) {
  return load_be16(p + 4);
}
// The next-hop MTU of "fragmentation needed" (v4) or "packet too big" (v6, 32 bits).
inline uint16_t frag_needed_mtu(const uint8_t* p) {
  return load_be16(p + 6);
}
inline uint32_t too_big_mtu(const uint8_t* p) {
  return load_be32(p + 4);
}
}  // namespace icmp

inline bool is_icmp_echo(Family family, uint8_t type) {
  if (family == Family::v4) return type == kIcmpEchoRequest || type == kIcmpEchoReply;
  return type == kIcmpv6EchoRequest || type == kIcmpv6EchoReply;
}

// The packet quoted inside an ICMP error: where its headers are in the frame and its
// tuple as it was sent (so the reverse of the flow the error travels against).
struct IcmpInner {
  uint16_t l3_off = 0;
  uint16_t l4_off = 0;
  uint16_t end = 0;  // end of the quoted bytes (the quote is usually cut short)
  FiveTuple tuple;
};

enum class IcmpInnerError : uint8_t {
  ok = 0,
  not_an_error,  // the outer packet is no ICMP error
  truncated,     // the quote is shorter than an IP header + 8 bytes
  bad_header,    // the quoted IP header is malformed or of the wrong family
};

// Finds the quoted packet of an ICMP error parsed into pp (pp.has(kFlagIcmpError)).
IcmpInnerError parse_icmp_inner(Bytes frame, const ParsedPacket& pp, IcmpInner& out);

}  // namespace gale::net
