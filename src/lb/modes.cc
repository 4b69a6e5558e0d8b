#include "lb/modes.h"

#include <algorithm>

#include "base/compiler.h"
#include "lb/rewrite.h"
#include "net/encap.h"

namespace gale::lb {

namespace {

using net::Family;

uint8_t* l4_or_null(Packet& p, const net::ParsedPacket& pp) {
  return pp.has(net::kFlagL4) ? p.data + pp.l4_off : nullptr;
}

// An IPv4 TCP/UDP packet translated to IPv4 addresses: rewritten in one pass
// (translate_v4); anything else field by field.
bool one_pass_v4(const net::ParsedPacket& pp, const uint8_t* l4, const net::IpAddr& src,
                 const net::IpAddr& dst) {
  return pp.family == Family::v4 && l4 &&
         (pp.proto == net::kProtoTcp || pp.proto == net::kProtoUdp) && src.is_v4() && dst.is_v4();
}

}  // namespace

// Writes a fresh Ethernet header right before the IP header (dropping any VLAN tags:
// routed output leaves untagged) and trims Ethernet padding.
Outcome route_out(Packet& p, const net::ParsedPacket& pp, const net::MacAddr& dst, uint16_t link,
                  const Snapshot& snap) {
  if (GALE_UNLIKELY(dst.is_zero())) return Outcome::dropped(Drop::no_neighbour);
  uint8_t* eth = p.data + pp.l3_off - net::kEthHeaderLen;
  net::write_eth(eth, dst, snap.links[link].mac, ethertype_of(pp.family));
  p.headroom = static_cast<uint16_t>(p.headroom + (eth - p.data));
  p.data = eth;
  p.len = static_cast<uint16_t>(net::kEthHeaderLen + pp.l3_len());
  p.link = link;
  return Outcome::tx();
}

// Routes a packet toward a client: the longest-prefix route of its family gives the link
// and the next hop, the gateway's MAC or, on-link, the client's own from the neighbour
// table (a miss is noted for galed to resolve). A snapshot without routes (hand-built)
// sends to its client link's gateway.
Outcome to_client(Packet& p, const net::ParsedPacket& pp, const net::IpAddr& client,
                  const Snapshot& snap) {
  if (GALE_UNLIKELY(!snap.routes.from_host))
    return route_out(p, pp, snap.links[snap.client_link].gateway_mac, snap.client_link, snap);
  const Route* r = snap.routes.find(client);
  if (GALE_UNLIKELY(!r)) return Outcome::dropped(Drop::no_route);
  if (!r->on_link) return route_out(p, pp, r->mac, r->link, snap);
  const net::MacAddr* mac = snap.routes.neighbour(client, r->link);
  if (GALE_UNLIKELY(!mac)) {
    if (snap.neighbour_misses) snap.neighbour_misses->note(client);
    return Outcome::dropped(Drop::no_neighbour);
  }
  return route_out(p, pp, *mac, r->link, snap);
}

namespace {

// Moves the start of the frame back to `start` (inside the headroom).
void grow_front(Packet& p, uint8_t* start, uint8_t* end) {
  p.headroom = static_cast<uint16_t>(p.headroom - (p.data - start));
  p.data = start;
  p.len = static_cast<uint16_t>(end - start);
}

// Whether an ICMP message's checksum checks out (ICMPv6's covers a pseudo-header).
bool icmp_checksum_ok(const uint8_t* l3, const uint8_t* icmp, size_t len, Family f) {
  uint32_t sum = 0;
  if (f == Family::v6)
    sum = net::pseudo_header_v6(l3 + 8, l3 + 24, net::kProtoIcmpv6, static_cast<uint32_t>(len));
  return net::checksum(icmp, len, sum) == 0;
}

void fill_icmp_checksum(uint8_t* l3, uint8_t* icmp, size_t len, Family f) {
  net::store_be16(icmp + 2, 0);
  uint32_t sum = 0;
  if (f == Family::v6)
    sum = net::pseudo_header_v6(l3 + 8, l3 + 24, net::kProtoIcmpv6, static_cast<uint32_t>(len));
  net::store_be16(icmp + 2, net::checksum(icmp, len, sum));
}

// Ports of a quoted packet are rewritten without touching its (truncated) checksum,
// as IPVS does: only the outer ICMP checksum is recomputed.
void set_quoted_port(uint8_t* l4, size_t off, uint8_t proto, uint16_t port) {
  if (proto == net::kProtoTcp || proto == net::kProtoUdp) net::store_be16(l4 + off, port);
}

}  // namespace

Outcome forward_dr(Packet& p, const RealServer& rs, const Snapshot& snap) {
  if (GALE_UNLIKELY(rs.mac.is_zero())) return Outcome::dropped(Drop::no_neighbour);
  net::set_eth_dst(p.data, rs.mac);
  net::set_eth_src(p.data, snap.links[rs.out_link].mac);
  p.link = rs.out_link;
  return Outcome::tx();
}

Outcome forward_tun(Packet& p, const net::ParsedPacket& pp, const RealServer& rs,
                    const Snapshot& snap, uint64_t hash, bool* too_big_sent) {
  const bool outer_v6 = rs.addr.is_v6();
  const size_t ip_len = outer_v6 ? net::kIpv6HeaderLen : net::kIpv4MinHeaderLen;
  const size_t extra = rs.encap == TunEncap::gue ? net::kUdpHeaderLen + net::kGueHeaderLen
                       : rs.encap == TunEncap::vxlan
                           ? net::kUdpHeaderLen + net::kVxlanHeaderLen + net::kEthHeaderLen
                           : 0;
  const size_t overhead = ip_len + extra;
  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* end = p.data + pp.l3_end;
  if (pp.l3_len() + overhead > rs.mtu) {
    const uint32_t mtu = static_cast<uint32_t>(rs.mtu - overhead);
    if (pp.family == Family::v4 && !(net::ipv4::frag(l3) & net::kIpv4FlagDf))
      return Outcome::dropped(Drop::too_big_no_df);
    if (!too_big_sent) return Outcome::dropped(Drop::too_big_no_df);  // never answer an error
    *too_big_sent = true;
    return answer_too_big(p, pp, mtu, snap);
  }
  uint8_t* start = l3 - overhead - net::kEthHeaderLen;
  if (start < p.data - p.headroom) return Outcome::dropped(Drop::headroom);
  if (GALE_UNLIKELY(rs.mac.is_zero())) return Outcome::dropped(Drop::no_neighbour);

  const net::MacAddr& our_mac = snap.links[rs.out_link].mac;
  uint8_t* at = l3;
  uint8_t outer_proto = pp.family == Family::v4 ? net::kProtoIpip : net::kProtoIpv6;
  if (rs.encap == TunEncap::vxlan) {
    at -= net::kEthHeaderLen;
    net::write_eth(at, rs.inner_mac, our_mac, ethertype_of(pp.family));
    at -= net::kVxlanHeaderLen;
    net::write_vxlan(at, snap.tunnel.vxlan_vni);
  } else if (rs.encap == TunEncap::gue) {
    at -= net::kGueHeaderLen;
    net::write_gue(at, outer_proto);
  }
  uint8_t* udp = nullptr;
  if (rs.encap != TunEncap::ipip) {
    at -= net::kUdpHeaderLen;
    udp = at;
    uint16_t dport = rs.encap == TunEncap::gue ? snap.tunnel.gue_port : net::kVxlanPort;
    net::write_udp(udp, net::entropy_port(static_cast<uint32_t>(hash)), dport,
                   static_cast<uint16_t>(end - udp));
    outer_proto = net::kProtoUdp;
  }
  at -= ip_len;
  const uint8_t tos = pp.family == Family::v4 ? net::ipv4::tos(l3) : net::ipv6::traffic_class(l3);
  if (outer_v6) {
    net::write_ipv6(at, {.src = snap.tunnel.src_v6,
                         .dst = rs.addr.v6(),
                         .next_header = outer_proto,
                         .payload_len = static_cast<uint16_t>(end - at - net::kIpv6HeaderLen),
                         .hop_limit = snap.tunnel.ttl,
                         .traffic_class = tos,
                         .flow_label = static_cast<uint32_t>(hash >> 40)});
    if (udp) {  // IPv6 forbids a zero UDP checksum here (RFC 8200 section 8.1)
      uint32_t sum =
          net::pseudo_header_v6(at + 8, at + 24, net::kProtoUdp, static_cast<uint32_t>(end - udp));
      uint16_t c = net::checksum(udp, static_cast<size_t>(end - udp), sum);
      net::udp::set_check(udp, c == 0 ? 0xffff : c);
    }
  } else {
    uint32_t src = snap.tunnel.src_v4.v;
    if (snap.tunnel.src_v4_spread_bits) {
      uint32_t mask = (1u << snap.tunnel.src_v4_spread_bits) - 1;
      src = (src & ~mask) | (static_cast<uint32_t>(hash >> 32) & mask);
    }
    net::write_ipv4(at, {.src = net::Ipv4Addr{src},
                         .dst = rs.addr.v4(),
                         .proto = outer_proto,
                         .total_len = static_cast<uint16_t>(end - at),
                         .ttl = snap.tunnel.ttl,
                         .tos = tos});
  }
  at -= net::kEthHeaderLen;
  net::write_eth(at, rs.mac, our_mac, ethertype_of(rs.addr.family));
  grow_front(p, at, end);
  p.link = rs.out_link;
  return Outcome::tx();
}

Outcome forward_nat(Packet& p, const net::ParsedPacket& pp, const RealServer& rs, const NatAddrs& a,
                    const Snapshot& snap) {
  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* l4 = l4_or_null(p, pp);
  if (one_pass_v4(pp, l4, pp.tuple.src, a.rs)) {
    if (!translate_v4<false, true>(l3, l4, pp.proto, {.dst = a.rs.v4().v, .dport = a.rsport}))
      return Outcome::dropped(Drop::ttl_exceeded);
    return route_out(p, pp, rs.mac, rs.out_link, snap);
  }
  if (!decrement_ttl(l3, pp.family)) return Outcome::dropped(Drop::ttl_exceeded);
  set_dst_addr(l3, l4, pp.proto, a.rs);
  if (l4) set_port(l4, 2, pp.proto, pp.family, a.rsport);
  return route_out(p, pp, rs.mac, rs.out_link, snap);
}

Outcome forward_fullnat(Packet& p, const net::ParsedPacket& pp, const RealServer& rs,
                        const NatAddrs& a, const Snapshot& snap) {
  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* l4 = l4_or_null(p, pp);
  if (one_pass_v4(pp, l4, a.laddr, a.rs)) {
    if (!translate_v4<true, true>(
            l3, l4, pp.proto,
            {.src = a.laddr.v4().v, .dst = a.rs.v4().v, .sport = a.lport, .dport = a.rsport}))
      return Outcome::dropped(Drop::ttl_exceeded);
    return route_out(p, pp, rs.mac, rs.out_link, snap);
  }
  if (!decrement_ttl(l3, pp.family)) return Outcome::dropped(Drop::ttl_exceeded);
  set_src_addr(l3, l4, pp.proto, a.laddr);
  set_dst_addr(l3, l4, pp.proto, a.rs);
  if (l4) {
    set_port(l4, 0, pp.proto, pp.family, a.lport);
    set_port(l4, 2, pp.proto, pp.family, a.rsport);
  }
  return route_out(p, pp, rs.mac, rs.out_link, snap);
}

Outcome reply_nat(Packet& p, const net::ParsedPacket& pp, const NatAddrs& a, const Snapshot& snap) {
  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* l4 = l4_or_null(p, pp);
  if (one_pass_v4(pp, l4, a.vip, pp.tuple.dst)) {
    if (!translate_v4<true, false>(l3, l4, pp.proto, {.src = a.vip.v4().v, .sport = a.vport}))
      return Outcome::dropped(Drop::ttl_exceeded);
    return to_client(p, pp, pp.tuple.dst, snap);
  }
  if (!decrement_ttl(l3, pp.family)) return Outcome::dropped(Drop::ttl_exceeded);
  set_src_addr(l3, l4, pp.proto, a.vip);
  if (l4) set_port(l4, 0, pp.proto, pp.family, a.vport);
  return to_client(p, pp, pp.tuple.dst, snap);  // NAT keeps the client as destination
}

Outcome reply_fullnat(Packet& p, const net::ParsedPacket& pp, const NatAddrs& a,
                      const Snapshot& snap) {
  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* l4 = l4_or_null(p, pp);
  if (one_pass_v4(pp, l4, a.vip, a.client)) {
    if (!translate_v4<true, true>(
            l3, l4, pp.proto,
            {.src = a.vip.v4().v, .dst = a.client.v4().v, .sport = a.vport, .dport = a.cport}))
      return Outcome::dropped(Drop::ttl_exceeded);
    return to_client(p, pp, a.client, snap);
  }
  if (!decrement_ttl(l3, pp.family)) return Outcome::dropped(Drop::ttl_exceeded);
  set_src_addr(l3, l4, pp.proto, a.vip);
  set_dst_addr(l3, l4, pp.proto, a.client);
  if (l4) {
    set_port(l4, 0, pp.proto, pp.family, a.vport);
    set_port(l4, 2, pp.proto, pp.family, a.cport);
  }
  return to_client(p, pp, a.client, snap);
}

Outcome answer_too_big(Packet& p, const net::ParsedPacket& pp, uint32_t mtu, const Snapshot& snap) {
  const bool v6 = pp.family == Family::v6;
  // The answer quotes as much of the packet as fits the minimum MTU (RFC 792 / 4443).
  const size_t ip_len = v6 ? net::kIpv6HeaderLen : net::kIpv4MinHeaderLen;
  const size_t max_quote = (v6 ? 1280 : 576) - ip_len - net::kIcmpHeaderLen;
  const size_t quote = std::min<size_t>(pp.l3_len(), max_quote);
  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* icmp = l3 - net::kIcmpHeaderLen;
  uint8_t* ip = icmp - ip_len;
  uint8_t* eth = ip - net::kEthHeaderLen;
  if (eth < p.data - p.headroom) return Outcome::dropped(Drop::headroom);
  // Read what the answer needs before the new headers overwrite the old Ethernet one.
  const net::MacAddr sender_mac = net::eth_src(p.data);
  const net::IpAddr sender = pp.tuple.src;
  const net::IpAddr target = pp.tuple.dst;
  if (v6) {
    net::write_ipv6(ip, {.src = target.v6(),
                         .dst = sender.v6(),
                         .next_header = net::kProtoIcmpv6,
                         .payload_len = static_cast<uint16_t>(net::kIcmpHeaderLen + quote),
                         .hop_limit = 64});
    icmp[0] = net::kIcmpv6PacketTooBig;
    icmp[1] = 0;
    net::store_be32(icmp + 4, mtu);
  } else {
    net::write_ipv4(ip, {.src = target.v4(),
                         .dst = sender.v4(),
                         .proto = net::kProtoIcmp,
                         .total_len = static_cast<uint16_t>(ip_len + net::kIcmpHeaderLen + quote),
                         .ttl = 64,
                         .frag = 0});
    icmp[0] = net::kIcmpDestUnreachable;
    icmp[1] = net::kIcmpCodeFragNeeded;
    net::store_be16(icmp + 4, 0);
    net::store_be16(icmp + 6, static_cast<uint16_t>(mtu));
  }
  fill_icmp_checksum(ip, icmp, net::kIcmpHeaderLen + quote, pp.family);
  net::write_eth(eth, sender_mac, snap.links[p.link].mac, ethertype_of(pp.family));
  grow_front(p, eth, l3 + quote);
  return Outcome::tx();
}

Outcome forward_icmp_error(Packet& p, const net::ParsedPacket& pp, const net::IcmpInner& in,
                           const RealServer& rs, const NatAddrs& a, bool to_server,
                           const Snapshot& snap, uint64_t hash) {
  if (to_server && rs.mode == FwdMode::dr) return forward_dr(p, rs, snap);
  if (to_server && rs.mode == FwdMode::tun) return forward_tun(p, pp, rs, snap, hash, nullptr);
  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* icmp = p.data + pp.l4_off;
  uint8_t* il3 = p.data + in.l3_off;
  uint8_t* il4 = p.data + in.l4_off;
  const uint8_t iproto = in.tuple.proto;
  // Its checksum is computed whole below: a corrupted error must not leave looking sound.
  if (!icmp_checksum_ok(l3, icmp, pp.l3_end - pp.l4_off, pp.family))
    return Outcome::dropped(Drop::bad_checksum);
  if (!decrement_ttl(l3, pp.family)) return Outcome::dropped(Drop::ttl_exceeded);
  const bool fullnat = rs.mode == FwdMode::fullnat;
  if (to_server) {
    // The quote is a packet the server sent (server -> client as the client saw it).
    if (fullnat) set_src_addr(l3, nullptr, pp.proto, a.laddr);
    set_dst_addr(l3, nullptr, pp.proto, a.rs);
    set_src_addr(il3, nullptr, iproto, a.rs);
    set_quoted_port(il4, 0, iproto, a.rsport);
    if (fullnat) {
      set_dst_addr(il3, nullptr, iproto, a.laddr);
      set_quoted_port(il4, 2, iproto, a.lport);
    }
  } else {
    // The quote is a packet gale sent the server: make it the one the client sent.
    set_src_addr(l3, nullptr, pp.proto, a.vip);
    if (fullnat) {
      set_dst_addr(l3, nullptr, pp.proto, a.client);
      set_src_addr(il3, nullptr, iproto, a.client);
      set_quoted_port(il4, 0, iproto, a.cport);
    }
    set_dst_addr(il3, nullptr, iproto, a.vip);
    set_quoted_port(il4, 2, iproto, a.vport);
  }
  fill_icmp_checksum(l3, icmp, pp.l3_end - pp.l4_off, pp.family);
  if (to_server) return route_out(p, pp, rs.mac, rs.out_link, snap);
  return to_client(p, pp, fullnat ? a.client : pp.tuple.dst, snap);
}

}  // namespace gale::lb
