#include "net/icmp.h"

#include "net/ipv4.h"
#include "net/ipv6.h"

namespace gale::net {

IcmpInnerError parse_icmp_inner(Bytes frame, const ParsedPacket& pp, IcmpInner& out) {
  if (!pp.has(kFlagIcmpError)) return IcmpInnerError::not_an_error;
  const uint8_t* base = frame.data();
  const size_t start = pp.l4_off + kIcmpHeaderLen;
  const size_t end = pp.l3_end;
  if (start > end) return IcmpInnerError::truncated;
  const uint8_t* ip = base + start;
  out = IcmpInner{};
  out.l3_off = static_cast<uint16_t>(start);
  out.end = static_cast<uint16_t>(end);
  size_t l4;
  if (pp.family == Family::v4) {
    if (end - start < kIpv4MinHeaderLen) return IcmpInnerError::truncated;
    if (ipv4::version(ip) != 4) return IcmpInnerError::bad_header;
    size_t hl = ipv4::header_len(ip);
    if (hl < kIpv4MinHeaderLen) return IcmpInnerError::bad_header;
    l4 = start + hl;
    out.tuple.proto = ipv4::proto(ip);
    out.tuple.src = ipv4::src(ip);
    out.tuple.dst = ipv4::dst(ip);
  } else {
    // Extension headers in a quoted IPv6 packet are not walked: gale only translates
    // errors about its own flows, whose packets it sent without them.
    if (end - start < kIpv6HeaderLen) return IcmpInnerError::truncated;
    if (ipv6::version(ip) != 6) return IcmpInnerError::bad_header;
    l4 = start + kIpv6HeaderLen;
    out.tuple.proto = ipv6::next_header(ip);
    out.tuple.src = ipv6::src(ip);
    out.tuple.dst = ipv6::dst(ip);
  }
  if (l4 > end || end - l4 < kIcmpQuotedL4Bytes) return IcmpInnerError::truncated;
  out.l4_off = static_cast<uint16_t>(l4);
  const uint8_t* q = base + l4;
  switch (out.tuple.proto) {
    case kProtoTcp:
    case kProtoUdp:
      out.tuple.sport = load_be16(q);
      out.tuple.dport = load_be16(q + 2);
      break;
    case kProtoIcmp:
    case kProtoIcmpv6:
      if (is_icmp_echo(pp.family, q[0])) out.tuple.sport = out.tuple.dport = icmp::echo_id(q);
      break;
    default:
      break;
  }
  return IcmpInnerError::ok;
}

}  // namespace gale::net
