// Golden tests of the forwarding modes: DR, TUN (IPIP, GUE, VXLAN, same and crossed
// families, "too big" answers), NAT and FullNAT, for IPv4 and IPv6, TCP and UDP.
#include <algorithm>
#include <set>

#include "lb_fixture.h"

namespace gale::golden {
namespace {

uint16_t be16(const Bytes& b, size_t at) {
  return static_cast<uint16_t>(b.at(at) << 8 | b.at(at + 1));
}
size_t ip_header_len(bool v6) {
  return v6 ? 40 : 20;
}
// After gale's Ethernet header: where the outer L4 header of a frame it sent starts.
size_t l4_off(bool v6) {
  return 14 + ip_header_len(v6);
}

class ModesGolden : public PerFamily {};

TEST_P(ModesGolden, DrRewritesOnlyMacsAndKeepsTheFlow) {
  Golden g;
  Seg s = to_vip(Svc::dr);
  Out out = g.run(frame(kClientSideMac, kPort0Mac, s));
  const RealServer* rs = g.flow_rs(s);
  ASSERT_NE(rs, nullptr);
  EXPECT_TRUE(sent(out, 1, frame(kPort1Mac, text(rs->mac), s)));

  s.flags = net::kTcpAck;
  s.payload = "second";
  out = g.run(frame(kClientSideMac, kPort0Mac, s));
  EXPECT_TRUE(sent(out, 1, frame(kPort1Mac, text(rs->mac), s)));
  EXPECT_EQ(g.flow_rs(s), rs);
  EXPECT_EQ(g.worker.counters().flows_created, 1u);
  EXPECT_EQ(g.worker.counters().tx, 2u);
}

TEST_P(ModesGolden, DrKeepsTheVlanTag) {
  Golden g;
  const Seg s = to_vip(Svc::dr);
  const Out out = g.run(frame(kClientSideMac, kPort0Mac, s, 0x2064));
  const RealServer* rs = g.flow_rs(s);
  ASSERT_NE(rs, nullptr);
  EXPECT_TRUE(sent(out, 1, frame(kPort1Mac, text(rs->mac), s, 0x2064)));
}

// The frame gale sends a TUN real server: outer headers, then the client's packet.
// The outer UDP source port (entropy) and IPv6 flow label come from `got`.
Bytes tunnelled(const RealServer& rs, const Seg& inner, const Bytes& got) {
  const bool v6 = rs.addr.is_v6();
  PacketBuilder b;
  b.eth(kPort1Mac, text(rs.mac));
  if (v6)
    b.ipv6(kV6.tun_src, text(rs.addr))
        .ttl(kTunnelTtl)
        .tos(inner.tos)
        .flow_label((uint32_t{got.at(15)} << 16 | be16(got, 16)) & 0xfffff);
  else
    b.ipv4(kV4.tun_src, text(rs.addr)).ttl(kTunnelTtl).tos(inner.tos);  // DF, id 0
  if (rs.encap != TunEncap::ipip) {
    b.udp(be16(got, l4_off(v6)), rs.encap == TunEncap::gue ? kGuePort : 4789);
    if (!v6) b.no_udp_checksum();
  }
  if (rs.encap == TunEncap::gue) b.gue();
  if (rs.encap == TunEncap::vxlan) b.vxlan(kVni).eth(kPort1Mac, text(rs.inner_mac));
  return put(b, inner).build();
}

TEST_P(ModesGolden, TunEncapsulatesInEveryWay) {
  for (Svc svc : {Svc::ipip, Svc::gue, Svc::vxlan, Svc::ipip_x, Svc::gue_x, Svc::vxlan_x}) {
    SCOPED_TRACE(port_of(svc));
    Golden g;
    Seg s = to_vip(svc);
    s.tos = 0x28;  // DSCP AF11: copied to the outer header
    const Out first = g.run(frame(kClientSideMac, kPort0Mac, s, 7));
    const RealServer* rs = g.flow_rs(s);
    ASSERT_NE(rs, nullptr);
    ASSERT_EQ(rs->mode, FwdMode::tun);
    ASSERT_EQ(first.verdict, Verdict::tx) << lb::to_string(first.drop);
    EXPECT_TRUE(sent(first, 1, tunnelled(*rs, s, first.bytes)));

    const bool v6 = rs->addr.is_v6();
    if (rs->encap != TunEncap::ipip) {
      const uint16_t sport = be16(first.bytes, l4_off(v6));
      EXPECT_GE(sport, 49152);
      const uint16_t check = be16(first.bytes, l4_off(v6) + 6);
      if (v6) {  // valid by the reference checksum over the pseudo-header
        Bytes pseudo(first.bytes.begin() + 22, first.bytes.begin() + 54);
        const size_t udp_len = first.bytes.size() - l4_off(v6);
        pseudo.insert(pseudo.end(), {0, 0, static_cast<uint8_t>(udp_len >> 8),
                                     static_cast<uint8_t>(udp_len), 0, 0, 0, 17});
        pseudo.insert(pseudo.end(), first.bytes.begin() + l4_off(v6), first.bytes.end());
        EXPECT_EQ(test::ref_checksum(pseudo), 0);
        EXPECT_NE(check, 0);
      } else {
        EXPECT_EQ(check, 0);
      }
    }
    // A later packet of the flow: the same server, the same outer headers.
    s.flags = net::kTcpAck;
    const Out second = g.run(frame(kClientSideMac, kPort0Mac, s));
    EXPECT_TRUE(sent(second, 1, tunnelled(*rs, s, second.bytes)));
    EXPECT_EQ(Bytes(second.bytes.begin(), second.bytes.begin() + l4_off(v6) + 8),
              Bytes(first.bytes.begin(), first.bytes.begin() + l4_off(v6) + 8))
        << "outer headers (and entropy port) differ between two packets of one flow";
  }
}

// A short IPv4 packet arrives padded to Ethernet's minimum; encapsulated or routed,
// the padding must not travel on as if it were payload.
TEST(PaddingGolden, OnlyDrKeepsEthernetPadding) {
  Golden g;
  for (Svc svc : {Svc::dr, Svc::ipip, Svc::gue, Svc::nat}) {
    SCOPED_TRACE(port_of(svc));
    const Seg s{.src = kV4.client,
                .dst = kV4.vip,
                .dport = port_of(svc),
                .flags = net::kTcpSyn,
                .payload = ""};
    PacketBuilder in;
    in.eth(kClientSideMac, kPort0Mac);
    const Bytes padded = put(in, s).pad_to(60).build();
    ASSERT_EQ(padded.size(), 60u);
    const Out out = g.run(padded);
    const RealServer* rs = g.flow_rs(s);
    ASSERT_NE(rs, nullptr);
    if (svc == Svc::dr) {
      PacketBuilder want;
      want.eth(kPort1Mac, text(rs->mac));
      EXPECT_TRUE(sent(out, 1, put(want, s).pad_to(60).build()));
    } else if (svc == Svc::nat) {
      Seg to_rs = s;
      to_rs.dst = text(rs->addr);
      to_rs.dport = kRsPort;
      to_rs.ttl = 63;
      EXPECT_TRUE(sent(out, 1, frame(kPort1Mac, text(rs->mac), to_rs)));
    } else {
      EXPECT_TRUE(sent(out, 1, tunnelled(*rs, s, out.bytes)));
    }
  }
}

TEST(TunGolden, SpreadBitsVaryOnlyTheLowBitsOfTheOuterSource) {
  Golden g({.spread_bits = 6});
  std::set<uint32_t> sources;
  for (uint16_t cport = 40000; cport < 40032; ++cport) {
    const Seg s{.src = kV4.client, .dst = kV4.vip, .sport = cport, .dport = 81};
    const Out a = g.run(frame(kClientSideMac, kPort0Mac, s));
    const Out b = g.run(frame(kClientSideMac, kPort0Mac, s));
    ASSERT_EQ(a.verdict, Verdict::tx);
    const uint32_t src = uint32_t{be16(a.bytes, 26)} << 16 | be16(a.bytes, 28);
    EXPECT_EQ(src & ~0x3fu, 0x0a000000u) << std::hex << src;  // 10.0.0.0/26
    EXPECT_EQ(a.bytes, b.bytes);                              // stable per flow
    sources.insert(src);
  }
  EXPECT_GT(sources.size(), 4u);
}

// The ICMP "too big" answer to `in` (an IP packet of family v6) announcing mtu.
Bytes too_big_answer(const Family& f, const Bytes& in_frame, uint32_t mtu) {
  const size_t max_quote = f.v6 ? 1232 : 548;
  Bytes quote(in_frame.begin() + 14,
              in_frame.begin() + 14 + std::min(in_frame.size() - 14, max_quote));
  PacketBuilder b;
  b.eth(kPort0Mac, kClientSideMac);
  if (f.v6)
    b.ipv6(f.vip, f.client).ttl(64).icmp(2, 0, mtu);
  else
    b.ipv4(f.vip, f.client).ttl(64).frag(0).icmp(3, 4, mtu);
  return b.payload(quote).build();
}

TEST_P(ModesGolden, TooBigAfterEncapsulationIsAnsweredWithIcmp) {
  struct Row {
    Svc svc;
    uint16_t overhead_v4, overhead_v6;  // by the VIP's family
  };
  for (Row r : {Row{Svc::ipip, 20, 40}, Row{Svc::gue, 32, 52}, Row{Svc::vxlan, 50, 70},
                Row{Svc::ipip_x, 40, 20}}) {
    SCOPED_TRACE(port_of(r.svc));
    const uint16_t overhead = F.v6 ? r.overhead_v6 : r.overhead_v4;
    Golden g;
    Seg s = to_vip(r.svc);
    const size_t headers = ip_header_len(F.v6) + (tcp() ? 20 : 8);
    s.payload = std::string(1500 - headers, 'x');  // a 1500-byte IP packet
    const Bytes in = frame(kClientSideMac, kPort0Mac, s);
    EXPECT_TRUE(sent(g.run(in), 0, too_big_answer(F, in, 1500u - overhead)));
    EXPECT_EQ(g.worker.counters().too_big_sent, 1u);

    // The largest packet that fits goes through.
    s.flags = net::kTcpAck;
    s.payload.resize(1500 - overhead - headers);
    const Out fits = g.run(frame(kClientSideMac, kPort0Mac, s));
    EXPECT_EQ(fits.verdict, Verdict::tx);
    EXPECT_EQ(fits.link, 1);
    EXPECT_EQ(fits.bytes.size(), 14u + 1500u);
    EXPECT_EQ(g.worker.counters().too_big_sent, 1u);
  }
}

TEST_P(ModesGolden, TooBigWithoutDfIsDropped) {
  if (F.v6) GTEST_SKIP() << "IPv6 has no DF: routers never fragment it";
  Golden g;
  Seg s = to_vip(Svc::ipip);
  s.frag = 0;
  s.payload = std::string(1500 - 20 - (tcp() ? 20 : 8), 'x');
  const Out out = g.run(frame(kClientSideMac, kPort0Mac, s));
  EXPECT_EQ(out.verdict, Verdict::drop);
  EXPECT_EQ(out.drop, Drop::too_big_no_df);
  EXPECT_EQ(g.drops(Drop::too_big_no_df), 1u);
  EXPECT_EQ(g.worker.counters().too_big_sent, 0u);
}

TEST_P(ModesGolden, NatTranslatesBothWays) {
  for (Svc svc : {Svc::nat, Svc::nat_same_port}) {
    SCOPED_TRACE(port_of(svc));
    Golden g;
    const Seg s = to_vip(svc);
    const Out out = g.run(frame(kClientSideMac, kPort0Mac, s, 100));  // the tag is dropped
    const RealServer* rs = g.flow_rs(s);
    ASSERT_NE(rs, nullptr);
    Seg to_rs = s;
    to_rs.dst = text(rs->addr);
    to_rs.dport = svc == Svc::nat ? kRsPort : port_of(svc);
    to_rs.ttl = 63;
    EXPECT_TRUE(sent(out, 1, frame(kPort1Mac, text(rs->mac), to_rs)));

    Seg reply = to_rs.reversed();
    reply.ttl = 64;
    reply.flags = net::kTcpSyn | net::kTcpAck;
    reply.payload = "reply";
    Seg to_client = s.reversed();
    to_client.ttl = 63;
    to_client.flags = reply.flags;
    to_client.payload = reply.payload;
    EXPECT_TRUE(sent(g.run(frame(text(rs->mac), kPort1Mac, reply), 1), 0,
                     frame(kPort0Mac, kGatewayMac, to_client)));
    EXPECT_EQ(g.worker.counters().stateless_replies, 0u);
  }
}

TEST(NatGolden, UdpOverIpv4WithoutChecksumKeepsNone) {
  Golden g;
  const Seg s{.src = kV4.client,
              .dst = kV4.vip,
              .dport = 90,
              .proto = net::kProtoUdp,
              .no_udp_checksum = true};
  const Out out = g.run(frame(kClientSideMac, kPort0Mac, s));
  const RealServer* rs = g.flow_rs(s);
  ASSERT_NE(rs, nullptr);
  Seg to_rs = s;
  to_rs.dst = text(rs->addr);
  to_rs.dport = kRsPort;
  to_rs.ttl = 63;
  EXPECT_TRUE(sent(out, 1, frame(kPort1Mac, text(rs->mac), to_rs)));

  Seg reply = to_rs.reversed();
  reply.ttl = 64;
  Seg to_client = s.reversed();
  to_client.ttl = 63;
  EXPECT_TRUE(sent(g.run(frame(text(rs->mac), kPort1Mac, reply), 1), 0,
                   frame(kPort0Mac, kGatewayMac, to_client)));
}

TEST_P(ModesGolden, NatDropsTtlOne) {
  Golden g;
  Seg s = to_vip(Svc::nat);
  s.ttl = 1;
  const Out out = g.run(frame(kClientSideMac, kPort0Mac, s));
  EXPECT_EQ(out.verdict, Verdict::drop);
  EXPECT_EQ(out.drop, Drop::ttl_exceeded);
  EXPECT_EQ(g.drops(Drop::ttl_exceeded), 1u);
}

TEST_P(ModesGolden, FullNatTranslatesBothWays) {
  Golden g;
  Seg s = to_vip(Svc::fullnat);
  const Out out = g.run(frame(kClientSideMac, kPort0Mac, s));
  const RealServer* rs = g.flow_rs(s);
  ASSERT_NE(rs, nullptr);
  ASSERT_EQ(out.verdict, Verdict::tx) << lb::to_string(out.drop);
  const uint16_t lport = be16(out.bytes, l4_off(F.v6));
  EXPECT_GE(lport, kLportLo);
  EXPECT_LE(lport, kLportHi);
  Seg to_rs = s;
  to_rs.src = F.laddr;
  to_rs.sport = lport;
  to_rs.dst = text(rs->addr);
  to_rs.dport = kRsPort;
  to_rs.ttl = 63;
  EXPECT_TRUE(sent(out, 1, frame(kPort1Mac, text(rs->mac), to_rs)));

  Seg reply = to_rs.reversed();
  reply.ttl = 64;
  reply.flags = net::kTcpSyn | net::kTcpAck;
  Seg to_client = s.reversed();
  to_client.ttl = 63;
  to_client.flags = reply.flags;
  EXPECT_TRUE(sent(g.run(frame(text(rs->mac), kPort1Mac, reply), 1), 0,
                   frame(kPort0Mac, kGatewayMac, to_client)));

  // The client's next packet keeps its local port.
  s.flags = to_rs.flags = net::kTcpAck;
  EXPECT_TRUE(
      sent(g.run(frame(kClientSideMac, kPort0Mac, s)), 1, frame(kPort1Mac, text(rs->mac), to_rs)));
}

TEST(FullNatGolden, TwoWorkersUseDisjointLocalPortRanges) {
  Golden w0({}, {.flows_v4 = 64, .flows_v6 = 64, .id = 0, .count = 2});
  Golden w1({}, {.flows_v4 = 64, .flows_v6 = 64, .id = 1, .count = 2});
  Golden* const workers[] = {&w0, &w1};
  const uint16_t mid = kLportLo + (kLportHi - kLportLo + 1) / 2;
  int flows_of[2] = {0, 0};
  for (uint16_t cport = 40000; cport < 40020; ++cport) {
    const Seg s{
        .src = kV4.client, .dst = kV4.vip, .sport = cport, .dport = 95, .flags = net::kTcpSyn};
    // The client endpoint picks the worker; the other one hands the frame to it.
    const uint16_t owner = w0.worker.owner_of_client(ip(s.src), cport);
    ASSERT_LT(owner, 2);
    const Out other = workers[1 - owner]->run(frame(kClientSideMac, kPort0Mac, s));
    EXPECT_EQ(other.verdict, Verdict::handoff);
    EXPECT_EQ(other.owner, owner);
    const Out out = workers[owner]->run(frame(kClientSideMac, kPort0Mac, s));
    ASSERT_EQ(out.verdict, Verdict::tx);
    const uint16_t lport = be16(out.bytes, 34);
    EXPECT_GE(lport, owner == 0 ? kLportLo : mid);
    EXPECT_LE(lport, owner == 0 ? mid - 1 : kLportHi);
    EXPECT_EQ(w0.worker.owner_of_local_port(lport), owner);  // replies find the owner
    ++flows_of[owner];
  }
  EXPECT_GT(flows_of[0], 0);
  EXPECT_GT(flows_of[1], 0);
}

INSTANTIATE_TEST_SUITE_P(Golden, ModesGolden, ::testing::ValuesIn(kCases), case_name);

}  // namespace
}  // namespace gale::golden
