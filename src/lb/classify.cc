#include "lb/classify.h"

#include "base/compiler.h"
#include "net/icmp.h"
#include "net/ipv4.h"

namespace gale::lb {

Classified classify_tuple(const net::FiveTuple& t, const Snapshot& snap) {
  Classified c{.flow = t};
  int64_t v = snap.service_for(t.dst, t.dport, t.proto);
  if (v >= 0) {
    c.cls = Class::forward;
  } else if ((t.proto == net::kProtoTcp || t.proto == net::kProtoUdp) &&
             !snap.fullnat.laddrs.empty() &&
             (v = snap.endpoints.find(EndpointKind::laddr, t.dst, 0, 0)) >= 0 &&
             t.dport >= snap.fullnat.port_lo && t.dport <= snap.fullnat.port_hi) {
    c.cls = Class::reply_fullnat;
  } else if ((v = snap.endpoints.find(EndpointKind::nat_rs, t.src, t.sport, t.proto)) >= 0) {
    c.cls = Class::reply_nat;
  } else {
    return c;
  }
  c.target = static_cast<int32_t>(v);
  return c;
}

Classified classify(net::Bytes frame, const Snapshot& snap, net::ParsedPacket& pp) {
  const net::ParseError err = net::parse(frame, pp);
  if (err != net::ParseError::ok) return {.cls = Class::drop, .drop = drop_of(err)};
  if (pp.family == net::Family::none) return {};
  if (GALE_UNLIKELY(pp.has(net::kFlagIcmpError))) {
    net::IcmpInner in;
    if (net::parse_icmp_inner(frame, pp, in) != net::IcmpInnerError::ok) return {};
    const net::FiveTuple& q = in.tuple;
    // The quote is of a packet the dataplane sent: reversed, it is the connection's own
    // direction, classified like a data packet.
    Classified c = classify_tuple(
        {.src = q.dst, .dst = q.src, .sport = q.dport, .dport = q.sport, .proto = q.proto}, snap);
    c.icmp_error = c.owned();
    return c;
  }
  return classify_tuple(pp.tuple, snap);
}

}  // namespace gale::lb
