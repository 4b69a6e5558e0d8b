#include "lb/classify.h"

#include "base/compiler.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/parse_fast.h"

namespace gale::lb {

namespace {

bool is_tcp_or_udp(uint8_t proto) {
  return proto == net::kProtoTcp || proto == net::kProtoUdp;
}

// classify_tuple(), inlined where the worker calls it on every frame.
GALE_ALWAYS_INLINE Classified tuple_class(const net::FiveTuple& t, const Snapshot& snap) {
  Classified c{.flow = t};
  int64_t v = snap.service_for(t.dst, t.dport, t.proto);
  if (v >= 0) {
    c.cls = Class::forward;
  } else if (is_tcp_or_udp(t.proto) && !snap.fullnat.laddrs.empty() &&
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

// A frame that failed the parse after its addresses and protocol were read: the ports
// are read from the first 4 bytes of the L4 header, where TCP and UDP both keep them,
// so ownership is decided exactly as for a well-formed frame (and as the XDP program
// decides it, which does not validate what lies past the ports). False when the ports
// are not there to read: then nothing says the frame is ours.
bool read_ports(net::Bytes frame, net::ParsedPacket& pp) {
  if (!is_tcp_or_udp(pp.proto) || pp.l4_off + 4u > pp.l3_end) return false;
  pp.tuple.sport = net::load_be16(frame.data() + pp.l4_off);
  pp.tuple.dport = net::load_be16(frame.data() + pp.l4_off + 2);
  return true;
}

// A fragment after the first has no ports: it is ours when its destination is a
// service address of its protocol; the engine then drops it, counted (gale does not
// reassemble). Anything else goes to the kernel.
Classified later_fragment(const net::ParsedPacket& pp, const Snapshot& snap) {
  if (!snap.is_service_addr(pp.tuple.dst, pp.proto)) return {.flow = pp.tuple};
  return {.cls = Class::drop, .drop = Drop::fragment, .flow = pp.tuple};
}

// An owned frame is dropped for `why`; another goes to the kernel as it is.
Classified malformed(const net::FiveTuple& t, const Snapshot& snap, net::ParseError why) {
  Classified c = classify_tuple(t, snap);
  if (c.owned()) {
    c.cls = Class::drop;
    c.drop = drop_of(why);
  }
  return c;
}

}  // namespace

Classified classify_tuple(const net::FiveTuple& t, const Snapshot& snap) {
  return tuple_class(t, snap);
}

namespace {

// The class of a frame whose every header was parsed.
GALE_ALWAYS_INLINE Classified classify_parsed(net::Bytes frame, const Snapshot& snap,
                                              const net::ParsedPacket& pp) {
  if (pp.family == net::Family::none) return {};
  if (pp.has(net::kFlagLaterFragment)) return later_fragment(pp, snap);
  if (GALE_UNLIKELY(pp.has(net::kFlagIcmpError))) {
    net::IcmpInner in;
    if (net::parse_icmp_inner(frame, pp, in) != net::IcmpInnerError::ok) return {};
    const net::FiveTuple& q = in.tuple;
    // The quote is of a packet the dataplane sent: reversed, it is the connection's own
    // direction, classified like a data packet.
    Classified c = tuple_class(
        {.src = q.dst, .dst = q.src, .sport = q.dport, .dport = q.sport, .proto = q.proto}, snap);
    c.icmp_error = c.owned();
    return c;
  }
  return tuple_class(pp.tuple, snap);
}

}  // namespace

Classified classify(net::Bytes frame, const Snapshot& snap, net::ParsedPacket& pp) {
  using net::ParseError;
  // A frame for another node's MAC (flooded by a switch) is the kernel's, before anything.
  if (GALE_UNLIKELY(frame.size() < 6 || !snap.accepts_dst(frame.data()))) {
    pp.family = net::Family::none;
    return {};
  }
  // Untagged IPv4 TCP/UDP that parses cleanly, the bulk of the traffic: parsed in a few
  // instructions, to the same ParsedPacket, and classified as classify_parsed() would
  // (no fragment, no ICMP error).
  if (GALE_LIKELY(net::parse_fast_v4(frame, pp))) return tuple_class(pp.tuple, snap);
  switch (const ParseError err = net::parse(frame, pp)) {
    case ParseError::ok:
      break;
    // What the kernel's input path refuses though the frame is whole (net/parse returns
    // these once every header is read): an owned frame is dropped and counted under its
    // reason, any other goes to the kernel, which refuses it itself.
    case ParseError::ipv4_bad_checksum:
    case ParseError::ipv4_source_route:
    case ParseError::ipv4_martian_src:
    case ParseError::ipv4_martian_dst:
    case ParseError::ipv6_martian_src:
    case ParseError::ipv6_martian_dst: {
      // The L4 parse may have failed too: the ports are where TCP and UDP keep them.
      if (!pp.has(net::kFlagLaterFragment)) read_ports(frame, pp);
      Classified c = classify_parsed(frame, snap, pp);
      if (c.owned()) {
        c.cls = Class::drop;
        c.drop = drop_of(err);
        c.icmp_error = false;
      }
      return c;
    }
    // The L2/L3 structure: the kernel checks it too, and without it the frame's
    // addresses cannot be trusted to say whose it is.
    case ParseError::eth_truncated:
    case ParseError::vlan_truncated:
    case ParseError::vlan_too_many:
    case ParseError::ipv4_truncated:
    case ParseError::ipv4_bad_version:
    case ParseError::ipv4_bad_header_len:
    case ParseError::ipv4_bad_total_len:
    case ParseError::ipv6_truncated:
    case ParseError::ipv6_bad_version:
    case ParseError::ipv6_bad_payload_len:
    case ParseError::ipv6_ext_truncated:
    case ParseError::ipv6_ext_too_many:
    case ParseError::count_:
      return {};
    case ParseError::ipv4_bad_options: {
      // Stopped before the fragment field was read: read it here.
      const uint16_t frag = net::ipv4::frag(frame.data() + pp.l3_off);
      if (frag & net::kIpv4FragOffsetMask) {
        Classified c = later_fragment(pp, snap);
        if (c.owned()) c.drop = drop_of(err);
        return c;
      }
      if (!read_ports(frame, pp)) return {};
      return malformed(pp.tuple, snap, err);
    }
    case ParseError::l4_truncated:
    case ParseError::tcp_bad_header_len:
    case ParseError::tcp_bad_options:
    case ParseError::udp_bad_length:
      if (!read_ports(frame, pp)) return {};
      return malformed(pp.tuple, snap, err);
  }
  return classify_parsed(frame, snap, pp);
}

}  // namespace gale::lb
