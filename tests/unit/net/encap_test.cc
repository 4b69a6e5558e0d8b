// Tunnels: decapsulating IPIP, GUE and VXLAN (and rejecting what is not one, or is cut
// short), parsing the inner packet, and the write_* builders of net/ against the
// PacketBuilder, byte for byte.
#include "net/encap.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/checksum.h"
#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"
#include "net/parse.h"
#include "packet_builder.h"
#include "ref_checksum.h"

namespace gale::net {
namespace {

using test::PacketBuilder;

constexpr auto kMacA = "02:00:00:00:00:01";
constexpr auto kMacB = "02:00:00:00:00:02";
constexpr uint16_t kGuePort = 6080;

IpAddr ip(std::string_view s) {
  return *parse_ip(s);
}

ParsedPacket parse_ok(const std::vector<uint8_t>& f) {
  ParsedPacket pp;
  EXPECT_EQ(parse(f, pp), ParseError::ok);
  return pp;
}

// Parses the inner IP packet a decap found; checks it lies inside the outer packet.
ParsedPacket parse_inner(const std::vector<uint8_t>& f, const ParsedPacket& outer, const Decap& d) {
  EXPECT_GE(d.inner_off, outer.l4_off);
  EXPECT_LE(d.inner_off, outer.l3_end);
  ParsedPacket in = outer;
  EXPECT_EQ(parse_l3(Bytes(f).first(outer.l3_end), d.inner_off, d.inner_family, in),
            ParseError::ok);
  return in;
}

// ---- IPIP ----

TEST(DecapIpip, FourInFour) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("192.0.2.1", "192.0.2.2")
               .ipv4("10.0.0.1", "10.0.0.2")
               .tcp(40000, 80, kTcpSyn)
               .build();
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.proto, kProtoIpip);
  EXPECT_FALSE(pp.has(kFlagL4));
  Decap d;
  ASSERT_EQ(decap_ipip(pp, d), DecapError::ok);
  EXPECT_EQ(d.inner_off, 34);
  EXPECT_EQ(d.inner_family, Family::v4);
  auto in = parse_inner(f, pp, d);
  EXPECT_EQ(in.family, Family::v4);
  EXPECT_EQ(in.l3_off, 34);
  EXPECT_EQ(in.l4_off, 54);
  EXPECT_EQ(in.tuple.src, ip("10.0.0.1"));
  EXPECT_EQ(in.tuple.dst, ip("10.0.0.2"));
  EXPECT_EQ(in.tuple.sport, 40000);
  EXPECT_EQ(in.tuple.dport, 80);
  EXPECT_EQ(in.tuple.proto, kProtoTcp);
  EXPECT_EQ(in.tcp_flags, kTcpSyn);
}

TEST(DecapIpip, SixInFour) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("192.0.2.1", "192.0.2.2")
               .ipv6("2001:db8::1", "2001:db8::2")
               .udp(5000, 53)
               .payload("q")
               .build();
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.proto, kProtoIpv6);
  Decap d;
  ASSERT_EQ(decap_ipip(pp, d), DecapError::ok);
  EXPECT_EQ(d.inner_off, 34);
  EXPECT_EQ(d.inner_family, Family::v6);
  auto in = parse_inner(f, pp, d);
  EXPECT_EQ(in.tuple.src, ip("2001:db8::1"));
  EXPECT_EQ(in.tuple.dst, ip("2001:db8::2"));
  EXPECT_EQ(in.tuple.sport, 5000);
  EXPECT_EQ(in.tuple.dport, 53);
  EXPECT_EQ(in.tuple.proto, kProtoUdp);
}

TEST(DecapIpip, FourInSix) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .vlan(7)
               .ipv6("2001:db8::a", "2001:db8::b")
               .ipv4("10.1.1.1", "10.2.2.2")
               .proto(kProtoIcmp)  // the builder takes ICMP's number from the outer family
               .icmp(8, 0, 0x0042'0001)
               .build();
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.proto, kProtoIpip);
  Decap d;
  ASSERT_EQ(decap_ipip(pp, d), DecapError::ok);
  EXPECT_EQ(d.inner_off, 18 + 40);
  EXPECT_EQ(d.inner_family, Family::v4);
  auto in = parse_inner(f, pp, d);
  EXPECT_EQ(in.tuple.src, ip("10.1.1.1"));
  EXPECT_EQ(in.tuple.proto, kProtoIcmp);
  EXPECT_EQ(in.tuple.sport, 0x42);
}

TEST(DecapIpip, SixInSixThroughExtensionHeader) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv6("2001:db8::a", "2001:db8::b")
               .ipv6_ext(60)
               .ipv6("2001:db8::1", "2001:db8::2")
               .tcp(1, 2)
               .build();
  auto pp = parse_ok(f);
  Decap d;
  ASSERT_EQ(decap_ipip(pp, d), DecapError::ok);
  EXPECT_EQ(d.inner_off, 14 + 40 + 8);
  EXPECT_EQ(parse_inner(f, pp, d).tuple.dport, 2);
}

TEST(DecapIpip, RejectsOthersAndTruncations) {
  Decap d;
  auto tcp = PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").tcp(1, 2).build();
  EXPECT_EQ(decap_ipip(parse_ok(tcp), d), DecapError::not_tunnel);

  // Protocol 4 with fewer than 20 bytes after the outer header.
  auto short4 = PacketBuilder()
                    .eth(kMacA, kMacB)
                    .ipv4("1.1.1.1", "2.2.2.2")
                    .proto(kProtoIpip)
                    .payload(std::vector<uint8_t>(19, 0x45))
                    .build();
  EXPECT_EQ(decap_ipip(parse_ok(short4), d), DecapError::truncated);
  // Protocol 41 with a 28-byte inner packet: too short for IPv6.
  auto short6 = PacketBuilder()
                    .eth(kMacA, kMacB)
                    .ipv4("1.1.1.1", "2.2.2.2")
                    .ipv4("10.0.0.1", "10.0.0.2")
                    .udp(1, 2)
                    .build();
  short6[14 + 9] = kProtoIpv6;
  ipv4::fill_check(&short6[14]);
  EXPECT_EQ(decap_ipip(parse_ok(short6), d), DecapError::truncated);

  // A fragment of a tunnel packet: reassembly is not ours.
  auto frag = PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv4("1.1.1.1", "2.2.2.2")
                  .frag(0x2000)  // MF
                  .ipv4("10.0.0.1", "10.0.0.2")
                  .tcp(1, 2)
                  .build();
  EXPECT_EQ(decap_ipip(parse_ok(frag), d), DecapError::truncated);

  // ARP: no IP family at all.
  auto arp = PacketBuilder().eth(kMacA, kMacB).payload(std::vector<uint8_t>(28)).build();
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(decap_ipip(parse_ok(arp), d), DecapError::not_tunnel);
}

// ---- GUE ----

std::vector<uint8_t> gue_frame(const std::vector<uint8_t>& udp_payload) {
  return PacketBuilder()
      .eth(kMacA, kMacB)
      .ipv4("192.0.2.1", "192.0.2.2")
      .udp(50000, kGuePort)
      .payload(udp_payload)
      .build();
}

std::vector<uint8_t> inner_v4_tcp() {
  return PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 443, kTcpSyn).build();
}

TEST(DecapGue, Variant0CarryingIpv4) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("192.0.2.1", "192.0.2.2")
               .udp(50000, kGuePort)
               .gue()
               .ipv4("10.0.0.1", "10.0.0.2")
               .tcp(40000, 443, kTcpSyn)
               .build();
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.tuple.dport, kGuePort);
  Decap d;
  ASSERT_EQ(decap_gue(f, pp, d), DecapError::ok);
  EXPECT_EQ(d.inner_off, 14 + 20 + 8 + 4);
  EXPECT_EQ(d.inner_family, Family::v4);
  auto in = parse_inner(f, pp, d);
  EXPECT_EQ(in.tuple.src, ip("10.0.0.1"));
  EXPECT_EQ(in.tuple.dst, ip("10.0.0.2"));
  EXPECT_EQ(in.tuple.sport, 40000);
  EXPECT_EQ(in.tuple.dport, 443);
}

TEST(DecapGue, Variant0CarryingIpv6OverIpv6) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv6("2001:db8::a", "2001:db8::b")
               .udp(50000, kGuePort)
               .gue()
               .ipv6("2001:db8::1", "2001:db8::2")
               .udp(1234, 53)
               .build();
  auto pp = parse_ok(f);
  Decap d;
  ASSERT_EQ(decap_gue(f, pp, d), DecapError::ok);
  EXPECT_EQ(d.inner_off, 14 + 40 + 8 + 4);
  EXPECT_EQ(d.inner_family, Family::v6);
  auto in = parse_inner(f, pp, d);
  EXPECT_EQ(in.tuple.src, ip("2001:db8::1"));
  EXPECT_EQ(in.tuple.sport, 1234);
}

TEST(DecapGue, Variant1IsTheIpPacketDirectly) {
  auto f4 = gue_frame(inner_v4_tcp());
  auto pp = parse_ok(f4);
  Decap d;
  ASSERT_EQ(decap_gue(f4, pp, d), DecapError::ok);
  EXPECT_EQ(d.inner_off, pp.payload_off);
  EXPECT_EQ(d.inner_family, Family::v4);
  EXPECT_EQ(parse_inner(f4, pp, d).tuple.dport, 443);

  auto f6 = gue_frame(PacketBuilder().ipv6("2001:db8::1", "2001:db8::2").tcp(7, 8).build());
  pp = parse_ok(f6);
  ASSERT_EQ(decap_gue(f6, pp, d), DecapError::ok);
  EXPECT_EQ(d.inner_off, pp.payload_off);
  EXPECT_EQ(d.inner_family, Family::v6);
  EXPECT_EQ(parse_inner(f6, pp, d).tuple.sport, 7);
}

TEST(DecapGue, HlenExtensionFieldsAreSkipped) {
  // Variant 0, Hlen 2: two 32-bit words of extension fields before the inner packet.
  std::vector<uint8_t> g = {0x02, kProtoIpip, 0x80, 0x00, 1, 2, 3, 4, 5, 6, 7, 8};
  auto inner = inner_v4_tcp();
  g.insert(g.end(), inner.begin(), inner.end());
  auto f = gue_frame(g);
  auto pp = parse_ok(f);
  Decap d;
  ASSERT_EQ(decap_gue(f, pp, d), DecapError::ok);
  EXPECT_EQ(d.inner_off, pp.payload_off + 12);
  EXPECT_EQ(parse_inner(f, pp, d).tuple.sport, 40000);

  // Hlen 31 (124 bytes of fields) in a 52-byte UDP payload.
  g[0] = 0x1f;
  f = gue_frame(g);
  EXPECT_EQ(decap_gue(f, parse_ok(f), d), DecapError::truncated);
}

TEST(DecapGue, ControlMessagesAreNotData) {
  std::vector<uint8_t> g = {0x20, 0, 0, 0};  // C bit, control type 0
  g.resize(64);
  auto f = gue_frame(g);
  Decap d;
  EXPECT_EQ(decap_gue(f, parse_ok(f), d), DecapError::control);
}

TEST(DecapGue, BadHeaders) {
  Decap d;
  auto inner = inner_v4_tcp();
  auto with = [&](std::vector<uint8_t> head) {
    head.insert(head.end(), inner.begin(), inner.end());
    auto f = gue_frame(head);
    return decap_gue(f, parse_ok(f), d);
  };
  EXPECT_EQ(with({0x00, kProtoUdp, 0, 0}), DecapError::bad_header);   // no IP inside
  EXPECT_EQ(with({0x80, kProtoIpip, 0, 0}), DecapError::bad_header);  // version 2
  EXPECT_EQ(with({0xc0, kProtoIpip, 0, 0}), DecapError::bad_header);  // version 3
  // Variant 1 whose first nibble is neither 4 nor 6.
  auto f = gue_frame(inner);
  f[42] = 0x55;
  EXPECT_EQ(decap_gue(f, parse_ok(f), d), DecapError::bad_header);
  f[42] = 0x75;
  EXPECT_EQ(decap_gue(f, parse_ok(f), d), DecapError::bad_header);
}

TEST(DecapGue, Truncations) {
  Decap d;
  auto f = gue_frame({});
  EXPECT_EQ(decap_gue(f, parse_ok(f), d), DecapError::truncated);  // empty UDP payload
  f = gue_frame({0x00, kProtoIpip, 0});
  EXPECT_EQ(decap_gue(f, parse_ok(f), d), DecapError::truncated);  // 3-byte header
  // A GUE header and 19 of the 20 bytes of an IPv4 header.
  std::vector<uint8_t> g = {0x00, kProtoIpip, 0, 0};
  auto inner = inner_v4_tcp();
  g.insert(g.end(), inner.begin(), inner.begin() + 19);
  f = gue_frame(g);
  EXPECT_EQ(decap_gue(f, parse_ok(f), d), DecapError::truncated);
  g.push_back(inner[19]);
  f = gue_frame(g);
  EXPECT_EQ(decap_gue(f, parse_ok(f), d), DecapError::ok);
  // IPv6 inside needs 40 bytes.
  g = {0x00, kProtoIpv6, 0, 0};
  g.resize(4 + 39, 0x60);
  f = gue_frame(g);
  EXPECT_EQ(decap_gue(f, parse_ok(f), d), DecapError::truncated);
  // Variant 1: 19 bytes of IPv4.
  f = gue_frame(std::vector<uint8_t>(inner.begin(), inner.begin() + 19));
  EXPECT_EQ(decap_gue(f, parse_ok(f), d), DecapError::truncated);
}

TEST(DecapGue, NotUdp) {
  Decap d;
  auto tcp = PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").tcp(1, kGuePort).build();
  EXPECT_EQ(decap_gue(tcp, parse_ok(tcp), d), DecapError::not_tunnel);
  // A later fragment of UDP has no UDP header to speak of.
  auto frag = PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv4("1.1.1.1", "2.2.2.2")
                  .frag(100)
                  .udp(1, kGuePort)
                  .gue()
                  .ipv4("10.0.0.1", "10.0.0.2")
                  .tcp(1, 2)
                  .build();
  EXPECT_EQ(decap_gue(frag, parse_ok(frag), d), DecapError::not_tunnel);
}

// ---- VXLAN ----

TEST(DecapVxlan, InnerEthernetFrameAndVni) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("192.0.2.1", "192.0.2.2")
               .udp(49999, kVxlanPort)
               .vxlan(0xabcdef)
               .eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
               .ipv6("2001:db8::1", "2001:db8::2")
               .tcp(33000, 22)
               .build();
  auto pp = parse_ok(f);
  Decap d;
  ASSERT_EQ(decap_vxlan(f, pp, d), DecapError::ok);
  EXPECT_EQ(d.vni, 0xabcdefu);
  EXPECT_EQ(d.inner_family, Family::none);
  EXPECT_EQ(d.inner_off, 14 + 20 + 8 + 8);
  ParsedPacket in;
  ASSERT_EQ(parse(Bytes(f).subspan(d.inner_off), in), ParseError::ok);
  EXPECT_EQ(eth_src(&f[d.inner_off]), *parse_mac("02:00:00:00:00:0a"));
  EXPECT_EQ(in.tuple.src, ip("2001:db8::1"));
  EXPECT_EQ(in.tuple.dst, ip("2001:db8::2"));
  EXPECT_EQ(in.tuple.sport, 33000);
  EXPECT_EQ(in.tuple.dport, 22);
}

TEST(DecapVxlan, VniExtremes) {
  for (uint32_t vni : {0u, 1u, 0xffffffu}) {
    auto f = PacketBuilder()
                 .eth(kMacA, kMacB)
                 .ipv4("192.0.2.1", "192.0.2.2")
                 .udp(49999, kVxlanPort)
                 .vxlan(vni)
                 .eth(kMacA, kMacB)
                 .ipv4("10.0.0.1", "10.0.0.2")
                 .udp(1, 2)
                 .build();
    Decap d;
    ASSERT_EQ(decap_vxlan(f, parse_ok(f), d), DecapError::ok);
    EXPECT_EQ(d.vni, vni);
  }
}

TEST(DecapVxlan, RejectsBadFlagsTruncationsAndNonUdp) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("192.0.2.1", "192.0.2.2")
               .udp(49999, kVxlanPort)
               .vxlan(5)
               .eth(kMacA, kMacB)
               .build();  // header and an inner Ethernet header, nothing more: enough
  Decap d;
  EXPECT_EQ(decap_vxlan(f, parse_ok(f), d), DecapError::ok);
  auto no_i = f;
  no_i[42] = 0;  // I flag clear: the VNI is not valid
  EXPECT_EQ(decap_vxlan(no_i, parse_ok(no_i), d), DecapError::bad_header);

  std::vector<uint8_t> body(8 + 13);  // VXLAN header + 13 of 14 Ethernet bytes
  body[0] = kVxlanFlagVni;
  auto short_f = PacketBuilder()
                     .eth(kMacA, kMacB)
                     .ipv4("192.0.2.1", "192.0.2.2")
                     .udp(49999, kVxlanPort)
                     .payload(body)
                     .build();
  EXPECT_EQ(decap_vxlan(short_f, parse_ok(short_f), d), DecapError::truncated);
  auto empty = PacketBuilder()
                   .eth(kMacA, kMacB)
                   .ipv4("192.0.2.1", "192.0.2.2")
                   .udp(49999, kVxlanPort)
                   .pad_to(60)  // padding must not count as VXLAN header
                   .build();
  EXPECT_EQ(decap_vxlan(empty, parse_ok(empty), d), DecapError::truncated);

  auto tcp = PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").tcp(1, 4789).build();
  EXPECT_EQ(decap_vxlan(tcp, parse_ok(tcp), d), DecapError::not_tunnel);
}

TEST(Encap, EntropyPortIsInTheDynamicRange) {
  for (uint32_t h : {0u, 1u, 0xffffu, 0x10000u, 0xdeadbeefu, 0xffffffffu}) {
    uint16_t p = entropy_port(h);
    EXPECT_GE(p, 49152) << h;
  }
  EXPECT_NE(entropy_port(1), entropy_port(2));
}

TEST(Encap, ErrorNames) {
  EXPECT_STREQ(to_string(DecapError::ok), "ok");
  EXPECT_STREQ(to_string(DecapError::control), "control");
  EXPECT_STREQ(to_string(DecapError::truncated), "truncated");
}

// ---- builders: net/'s write_* against the PacketBuilder ----

const Ipv4Addr kOuterSrc{0xc0000201}, kOuterDst{0xc0000202};  // 192.0.2.1 -> .2
const Ipv4Addr kInnerSrc{0x0a000001}, kInnerDst{0x0a000002};  // 10.0.0.1 -> .2

void fill_tcp_v4(uint8_t* ip, uint8_t* tcp, size_t l4_len) {
  uint32_t sum =
      pseudo_header_v4(ipv4::src(ip), ipv4::dst(ip), kProtoTcp, static_cast<uint16_t>(l4_len));
  tcp::set_check(tcp, checksum(tcp, l4_len, sum));
}

void fill_udp_v4(uint8_t* ip, uint8_t* udp, size_t l4_len) {
  uint32_t sum =
      pseudo_header_v4(ipv4::src(ip), ipv4::dst(ip), kProtoUdp, static_cast<uint16_t>(l4_len));
  uint16_t c = checksum(udp, l4_len, sum);
  udp::set_check(udp, c == 0 ? 0xffff : c);
}

TEST(Builders, Ipv4TcpMatchesPacketBuilder) {
  const std::string payload = "GET / HTTP/1.0\r\n\r\n";
  auto want = PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv4("10.0.0.1", "10.0.0.2")
                  .ttl(63)
                  .tos(0x10)
                  .id(0x1234)
                  .tcp(40000, 80, kTcpAck | kTcpPsh)
                  .seq(0x01020304)
                  .ack(0xa0b0c0d0)
                  .window(5000)
                  .payload(payload)
                  .build();
  std::vector<uint8_t> got(14 + 20 + 20 + payload.size());
  write_eth(&got[0], *parse_mac(kMacB), *parse_mac(kMacA), kEtherTypeIpv4);
  write_ipv4(&got[14], {.src = kInnerSrc,
                        .dst = kInnerDst,
                        .proto = kProtoTcp,
                        .total_len = static_cast<uint16_t>(40 + payload.size()),
                        .ttl = 63,
                        .tos = 0x10,
                        .id = 0x1234});
  write_tcp(&got[34], {.sport = 40000,
                       .dport = 80,
                       .seq = 0x01020304,
                       .ack = 0xa0b0c0d0,
                       .flags = kTcpAck | kTcpPsh,
                       .window = 5000});
  std::copy(payload.begin(), payload.end(), got.begin() + 54);
  fill_tcp_v4(&got[14], &got[34], 20 + payload.size());
  EXPECT_EQ(got, want);
  EXPECT_EQ(test::ref_checksum({got.begin() + 14, got.begin() + 34}), 0);
}

TEST(Builders, Ipv6UdpMatchesPacketBuilder) {
  const std::string payload = "abc";  // odd length: the checksum pads it
  auto want = PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv6("2001:db8::1", "2001:db8::2")
                  .ttl(17)
                  .tos(0xb8)
                  .flow_label(0xabcde)
                  .udp(5353, 53)
                  .payload(payload)
                  .build();
  std::vector<uint8_t> got(14 + 40 + 8 + payload.size());
  write_eth(&got[0], *parse_mac(kMacB), *parse_mac(kMacA), kEtherTypeIpv6);
  const Ipv6Addr src = *parse_ipv6("2001:db8::1"), dst = *parse_ipv6("2001:db8::2");
  write_ipv6(&got[14], {.src = src,
                        .dst = dst,
                        .next_header = kProtoUdp,
                        .payload_len = static_cast<uint16_t>(8 + payload.size()),
                        .hop_limit = 17,
                        .traffic_class = 0xb8,
                        .flow_label = 0xabcde});
  const uint16_t l4_len = static_cast<uint16_t>(8 + payload.size());
  write_udp(&got[54], 5353, 53, l4_len);
  std::copy(payload.begin(), payload.end(), got.begin() + 62);
  uint32_t sum = pseudo_header_v6(src.b.data(), dst.b.data(), kProtoUdp, l4_len);
  uint16_t c = checksum(&got[54], l4_len, sum);
  udp::set_check(&got[54], c == 0 ? 0xffff : c);
  EXPECT_EQ(got, want);
}

TEST(Builders, GueMatchesPacketBuilder) {
  auto want = PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv4("192.0.2.1", "192.0.2.2")
                  .udp(51000, kGuePort)
                  .gue()
                  .ipv4("10.0.0.1", "10.0.0.2")
                  .tcp(40000, 443, kTcpSyn)
                  .build();
  const size_t inner_len = 20 + 20, udp_len = 8 + 4 + inner_len;
  std::vector<uint8_t> got(14 + 20 + udp_len);
  write_eth(&got[0], *parse_mac(kMacB), *parse_mac(kMacA), kEtherTypeIpv4);
  write_ipv4(&got[14], {.src = kOuterSrc,
                        .dst = kOuterDst,
                        .proto = kProtoUdp,
                        .total_len = static_cast<uint16_t>(20 + udp_len)});
  write_udp(&got[34], 51000, kGuePort, static_cast<uint16_t>(udp_len));
  write_gue(&got[42], kProtoIpip);
  write_ipv4(&got[46], {.src = kInnerSrc,
                        .dst = kInnerDst,
                        .proto = kProtoTcp,
                        .total_len = static_cast<uint16_t>(inner_len)});
  write_tcp(&got[66], {.sport = 40000, .dport = 443, .flags = kTcpSyn});
  fill_tcp_v4(&got[46], &got[66], 20);
  fill_udp_v4(&got[14], &got[34], udp_len);
  EXPECT_EQ(got, want);

  // And what net/ wrote decapsulates to what it wrapped.
  auto pp = parse_ok(got);
  Decap d;
  ASSERT_EQ(decap_gue(got, pp, d), DecapError::ok);
  EXPECT_EQ(d.inner_off, 46);
}

TEST(Builders, VxlanMatchesPacketBuilder) {
  auto want = PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv4("192.0.2.1", "192.0.2.2")
                  .udp(52000, kVxlanPort)
                  .no_udp_checksum()
                  .vxlan(0x123456)
                  .eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                  .ipv4("10.0.0.1", "10.0.0.2")
                  .udp(1000, 2000)
                  .payload("x")
                  .build();
  const size_t inner_ip_len = 20 + 8 + 1, udp_len = 8 + 8 + 14 + inner_ip_len;
  std::vector<uint8_t> got(14 + 20 + udp_len);
  write_eth(&got[0], *parse_mac(kMacB), *parse_mac(kMacA), kEtherTypeIpv4);
  write_ipv4(&got[14], {.src = kOuterSrc,
                        .dst = kOuterDst,
                        .proto = kProtoUdp,
                        .total_len = static_cast<uint16_t>(20 + udp_len)});
  write_udp(&got[34], 52000, kVxlanPort, static_cast<uint16_t>(udp_len));  // checksum 0
  write_vxlan(&got[42], 0x123456);
  write_eth(&got[50], *parse_mac("02:00:00:00:00:0b"), *parse_mac("02:00:00:00:00:0a"),
            kEtherTypeIpv4);
  write_ipv4(&got[64], {.src = kInnerSrc,
                        .dst = kInnerDst,
                        .proto = kProtoUdp,
                        .total_len = static_cast<uint16_t>(inner_ip_len)});
  write_udp(&got[84], 1000, 2000, 9);
  got[92] = 'x';
  fill_udp_v4(&got[64], &got[84], 9);
  EXPECT_EQ(got, want);

  auto pp = parse_ok(got);
  Decap d;
  ASSERT_EQ(decap_vxlan(got, pp, d), DecapError::ok);
  EXPECT_EQ(d.vni, 0x123456u);
}

}  // namespace
}  // namespace gale::net
