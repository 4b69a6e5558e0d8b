#include "lb/nat64.h"

#include <algorithm>
#include <cstring>

#include "base/compiler.h"
#include "lb/rewrite.h"
#include "net/siit.h"

namespace gale::lb {

namespace {

using net::Family;

// The largest ICMPv6 error (RFC 4443 section 2.4 (c): the IPv6 minimum MTU).
constexpr size_t kMaxIcmpv6Error = 1280;

// The TCP/UDP checksum at l4 once the pseudo-header's addresses summing to old_sum are
// replaced by ones summing to new_sum. False: a UDP checksum of 0 that only the caller
// can decide about (IPv4: absent; IPv6: corrupt).
bool move_l4_check(uint8_t* l4, uint8_t proto, uint32_t old_sum, uint32_t new_sum) {
  uint8_t* c = l4 + (proto == net::kProtoTcp ? net::tcp::kCheckOffset : net::udp::kCheckOffset);
  const uint16_t old_c = net::load_be16(c);
  if (proto == net::kProtoUdp && old_c == 0) return false;
  const uint16_t n = net::csum_replace_sum(old_c, old_sum, new_sum);
  net::store_be16(c, proto == net::kProtoUdp && n == 0 ? 0xffff : n);
  return true;
}

// Moves the frame's start to `eth` (inside the headroom or the old headers) and makes a
// descriptor of the translated IP packet that follows it, for route_out / to_client.
net::ParsedPacket moved_front(Packet& p, const net::ParsedPacket& pp, uint8_t* eth, uint8_t* end,
                              Family f) {
  p.headroom = static_cast<uint16_t>(p.headroom + (eth - p.data));
  p.data = eth;
  p.len = static_cast<uint16_t>(end - eth);
  net::ParsedPacket out = pp;
  out.family = f;
  out.l3_off = net::kEthHeaderLen;
  out.l3_end = static_cast<uint16_t>(end - eth);
  return out;
}

void store_quoted_ports(uint8_t* il4, uint8_t proto, uint16_t sport, uint16_t dport) {
  if (proto != net::kProtoTcp && proto != net::kProtoUdp) return;
  net::store_be16(il4, sport);
  net::store_be16(il4 + 2, dport);
}

void store_icmp_head(uint8_t* icmp, const net::IcmpHead& h) {
  icmp[0] = h.type;
  icmp[1] = h.code;
  net::store_be16(icmp + 2, 0);
  net::store_be32(icmp + 4, h.rest);
}

}  // namespace

Outcome forward_nat64(Packet& p, const net::ParsedPacket& pp, const RealServer& rs,
                      const NatAddrs& a, const Snapshot& snap) {
  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* l4 = p.data + pp.l4_off;
  if (GALE_UNLIKELY(pp.has(net::kFlagFragment))) return Outcome::dropped(Drop::nat64_fragment);
  if (GALE_UNLIKELY(pp.has(net::kFlagIpOptions)) && net::ipv6_routing_pending(l3, l4))
    return Outcome::dropped(Drop::nat64_untranslatable);
  if (GALE_UNLIKELY(!pp.has(net::kFlagL4))) return Outcome::dropped(Drop::nat64_untranslatable);
  const uint8_t hop = net::ipv6::hop_limit(l3);
  if (hop <= 1) return Outcome::dropped(Drop::ttl_exceeded);
  const uint8_t tclass = net::ipv6::traffic_class(l3);
  const uint16_t l4_len = static_cast<uint16_t>(pp.l3_end - pp.l4_off);
  if (!move_l4_check(l4, pp.proto, net::csum_partial(l3 + 8, 32),
                     net::pseudo_addr_sum(a.laddr, a.rs)))
    return Outcome::dropped(Drop::bad_checksum);  // IPv6 UDP must carry a checksum
  set_port(l4, 0, pp.proto, Family::v4, a.lport);
  set_port(l4, 2, pp.proto, Family::v4, a.rsport);
  uint8_t* ip = l4 - net::kIpv4MinHeaderLen;  // over the IPv6 header's tail
  net::write_ipv4(ip, {.src = a.laddr.v4(),
                       .dst = a.rs.v4(),
                       .proto = pp.proto,
                       .total_len = static_cast<uint16_t>(net::kIpv4MinHeaderLen + l4_len),
                       .ttl = static_cast<uint8_t>(hop - 1),
                       .tos = tclass});
  net::ParsedPacket out = pp;
  out.family = Family::v4;
  out.l3_off = static_cast<uint16_t>(ip - p.data);
  return route_out(p, out, rs.mac, rs.out_link, snap);
}

Outcome reply_nat64(Packet& p, const net::ParsedPacket& pp, const NatAddrs& a,
                    const Snapshot& snap) {
  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* l4 = p.data + pp.l4_off;
  uint8_t* end = p.data + pp.l3_end;
  if (GALE_UNLIKELY(pp.has(net::kFlagFragment))) return Outcome::dropped(Drop::nat64_fragment);
  const uint8_t ttl = net::ipv4::ttl(l3);
  if (ttl <= 1) return Outcome::dropped(Drop::ttl_exceeded);
  uint8_t* ip = l4 - net::kIpv6HeaderLen;
  uint8_t* eth = ip - net::kEthHeaderLen;
  if (eth < p.data - p.headroom) return Outcome::dropped(Drop::headroom);
  const uint8_t tos = net::ipv4::tos(l3);
  const uint16_t l4_len = static_cast<uint16_t>(end - l4);
  // Read before the IPv6 header overwrites the IPv4 one.
  const bool whole = !move_l4_check(l4, pp.proto, net::csum_partial(l3 + 12, 8),
                                    net::pseudo_addr_sum(a.vip, a.client));
  if (whole) {
    // A UDP datagram the server sent without checksum: IPv6 needs one (RFC 7915 4.5).
    net::store_be16(l4, a.vport);
    net::store_be16(l4 + 2, a.cport);
    net::udp::set_check(l4, 0);
    const uint32_t sum =
        net::pseudo_header_v6(a.vip.b.data(), a.client.b.data(), net::kProtoUdp, l4_len);
    const uint16_t c = net::checksum(l4, l4_len, sum);
    net::udp::set_check(l4, c == 0 ? 0xffff : c);
  } else {
    set_port(l4, 0, pp.proto, Family::v6, a.vport);
    set_port(l4, 2, pp.proto, Family::v6, a.cport);
  }
  net::write_ipv6(ip, {.src = a.vip.v6(),
                       .dst = a.client.v6(),
                       .next_header = pp.proto,
                       .payload_len = l4_len,
                       .hop_limit = static_cast<uint8_t>(ttl - 1),
                       .traffic_class = tos});
  return to_client(p, moved_front(p, pp, eth, end, Family::v6), a.client, snap);
}

Outcome forward_icmp_error_nat64(Packet& p, const net::ParsedPacket& pp, const net::IcmpInner& in,
                                 const RealServer& rs, const NatAddrs& a, bool to_server,
                                 const Snapshot& snap) {
  uint8_t* l3 = p.data + pp.l3_off;
  uint8_t* icmp = p.data + pp.l4_off;
  uint8_t* il3 = p.data + in.l3_off;
  uint8_t* il4 = p.data + in.l4_off;
  uint8_t* end = p.data + pp.l3_end;
  const size_t icmp_len = static_cast<size_t>(end - icmp);
  const uint8_t iproto = in.tuple.proto;
  const net::IcmpHead head{.type = icmp[0], .code = icmp[1], .rest = net::load_be32(icmp + 4)};
  if (to_server) {
    // ICMPv6 from the client's side, quoting what the VIP sent the client.
    const uint32_t pseudo =
        net::pseudo_header_v6(l3 + 8, l3 + 24, net::kProtoIcmpv6, static_cast<uint32_t>(icmp_len));
    if (net::checksum(icmp, icmp_len, pseudo) != 0) return Outcome::dropped(Drop::bad_checksum);
    const auto h4 = net::icmp6_error_to_v4(head);
    if (!h4) return Outcome::dropped(Drop::nat64_untranslatable);
    const uint8_t hop = net::ipv6::hop_limit(l3);
    if (hop <= 1) return Outcome::dropped(Drop::ttl_exceeded);
    const size_t quoted = static_cast<size_t>(end - il4);
    uint8_t hdr[2 * net::kIpv4MinHeaderLen + net::kIcmpHeaderLen];
    net::write_ipv4(hdr, {.src = a.laddr.v4(),
                          .dst = a.rs.v4(),
                          .proto = net::kProtoIcmp,
                          .total_len = static_cast<uint16_t>(sizeof hdr + quoted),
                          .ttl = static_cast<uint8_t>(hop - 1),
                          .tos = net::ipv6::traffic_class(l3)});
    store_icmp_head(hdr + net::kIpv4MinHeaderLen, *h4);
    // The quote as the server sent it: real server -> local address.
    net::write_ipv4(
        hdr + net::kIpv4MinHeaderLen + net::kIcmpHeaderLen,
        {.src = a.rs.v4(),
         .dst = a.laddr.v4(),
         .proto = iproto,
         .total_len = static_cast<uint16_t>(net::kIpv4MinHeaderLen + net::ipv6::payload_len(il3)),
         .ttl = net::ipv6::hop_limit(il3),
         .tos = net::ipv6::traffic_class(il3)});
    store_quoted_ports(il4, iproto, a.rsport, a.lport);
    uint8_t* ip = il4 - sizeof hdr;
    std::memcpy(ip, hdr, sizeof hdr);
    uint8_t* icmp4 = ip + net::kIpv4MinHeaderLen;
    net::icmp::set_check(icmp4, net::checksum(icmp4, static_cast<size_t>(end - icmp4)));
    net::ParsedPacket out = pp;
    out.family = Family::v4;
    out.l3_off = static_cast<uint16_t>(ip - p.data);
    return route_out(p, out, rs.mac, rs.out_link, snap);
  }
  // ICMPv4 from the server's side, quoting what gale sent the server.
  if (net::checksum(icmp, icmp_len) != 0) return Outcome::dropped(Drop::bad_checksum);
  const auto h6 = net::icmp4_error_to_v6(head);
  if (!h6) return Outcome::dropped(Drop::nat64_untranslatable);
  const uint8_t ttl = net::ipv4::ttl(l3);
  if (ttl <= 1) return Outcome::dropped(Drop::ttl_exceeded);
  const uint16_t itotal = net::ipv4::total_len(il3);
  const size_t ihl = net::ipv4::header_len(il3);
  if (itotal < ihl) return Outcome::dropped(Drop::nat64_untranslatable);
  uint8_t hdr[2 * net::kIpv6HeaderLen + net::kIcmpHeaderLen];
  // The error grows by 40 bytes; past the IPv6 minimum MTU the quote is cut.
  const size_t quoted =
      std::min<size_t>(static_cast<size_t>(end - il4), kMaxIcmpv6Error - sizeof hdr);
  uint8_t* ip = il4 - sizeof hdr;
  uint8_t* eth = ip - net::kEthHeaderLen;
  if (eth < p.data - p.headroom) return Outcome::dropped(Drop::headroom);
  net::write_ipv6(hdr,
                  {.src = a.vip.v6(),
                   .dst = a.client.v6(),
                   .next_header = net::kProtoIcmpv6,
                   .payload_len = static_cast<uint16_t>(sizeof hdr - net::kIpv6HeaderLen + quoted),
                   .hop_limit = static_cast<uint8_t>(ttl - 1),
                   .traffic_class = net::ipv4::tos(l3)});
  store_icmp_head(hdr + net::kIpv6HeaderLen, *h6);
  // The quote as the client sent it: client -> VIP.
  net::write_ipv6(hdr + net::kIpv6HeaderLen + net::kIcmpHeaderLen,
                  {.src = a.client.v6(),
                   .dst = a.vip.v6(),
                   .next_header = iproto,
                   .payload_len = static_cast<uint16_t>(itotal - ihl),
                   .hop_limit = net::ipv4::ttl(il3),
                   .traffic_class = net::ipv4::tos(il3)});
  store_quoted_ports(il4, iproto, a.cport, a.vport);
  std::memcpy(ip, hdr, sizeof hdr);
  end = il4 + quoted;
  uint8_t* icmp6 = ip + net::kIpv6HeaderLen;
  const size_t len6 = static_cast<size_t>(end - icmp6);
  net::icmp::set_check(icmp6,
                       net::checksum(icmp6, len6,
                                     net::pseudo_header_v6(ip + 8, ip + 24, net::kProtoIcmpv6,
                                                           static_cast<uint32_t>(len6))));
  return to_client(p, moved_front(p, pp, eth, end, Family::v6), a.client, snap);
}

}  // namespace gale::lb
