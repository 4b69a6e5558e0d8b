// Golden tests of ICMP errors about tracked connections: from the client's side about a
// packet the VIP sent (sent on to the flow's real server, translated as the mode does),
// and from the real server's side about a packet gale sent it (translated back to the
// client's view). Errors about no connection of ours go to the kernel.
#include "lb_fixture.h"

namespace gale::golden {
namespace {

// An ICMP "fragmentation needed" (IPv4) or "packet too big" (IPv6) error, MTU 1400,
// quoting q, appended to b.
PacketBuilder& add_icmp(PacketBuilder& b, std::string_view src, std::string_view dst, uint8_t ttl,
                        const Bytes& q) {
  if (src.find(':') != std::string_view::npos)
    b.ipv6(src, dst).ttl(ttl).icmp(2, 0, 1400);
  else
    b.ipv4(src, dst).ttl(ttl).icmp(3, 4, 1400);
  return b.payload(q);
}
Bytes icmp_frame(std::string_view src_mac, std::string_view dst_mac, std::string_view src,
                 std::string_view dst, uint8_t ttl, const Bytes& q) {
  PacketBuilder b;
  b.eth(src_mac, dst_mac);
  return add_icmp(b, src, dst, ttl, q).build();
}

// The quote of `translated`, except the UDP checksum, which gale leaves as it was in
// `original` (as IPVS does: a quote's L4 checksum covers bytes the quote lacks).
Bytes quote_as(const Seg& translated, const Bytes& original) {
  Bytes q = quote(translated);
  if (translated.proto == net::kProtoUdp)
    std::copy(original.end() - 2, original.end(), q.end() - 2);
  return q;
}

class IcmpGolden : public PerFamily {
 protected:
  // Opens a flow to svc; returns its real server and, for FullNAT, the local port.
  const RealServer* open(Golden& g, Svc svc, uint16_t* lport = nullptr) {
    const Out out = g.run(frame(kClientSideMac, kPort0Mac, to_vip(svc)));
    EXPECT_EQ(out.verdict, Verdict::tx);
    if (lport && out.verdict == Verdict::tx) {
      const size_t at = 14 + (F.v6 ? 40 : 20);
      *lport = static_cast<uint16_t>(out.bytes[at] << 8 | out.bytes[at + 1]);
    }
    return g.flow_rs(to_vip(svc));
  }
  // The packet the VIP sent the client, which a router on the way could not forward.
  Seg from_vip(Svc svc) const {
    Seg s = to_vip(svc).reversed();
    s.flags = net::kTcpSyn | net::kTcpAck;
    return s;
  }
};

TEST_P(IcmpGolden, FromTheClientSideDrForwardsByMac) {
  Golden g;
  const RealServer* rs = open(g, Svc::dr);
  ASSERT_NE(rs, nullptr);
  const Bytes q = quote(from_vip(Svc::dr));
  const Out out = g.run(icmp_frame(kClientSideMac, kPort0Mac, F.router, F.vip, 64, q));
  EXPECT_TRUE(sent(out, 1, icmp_frame(kPort1Mac, text(rs->mac), F.router, F.vip, 64, q)));
  EXPECT_EQ(g.worker.counters().icmp_forwarded, 1u);
}

TEST_P(IcmpGolden, FromTheClientSideTunEncapsulates) {
  Golden g;
  const RealServer* rs = open(g, Svc::ipip);
  ASSERT_NE(rs, nullptr);
  const Bytes q = quote(from_vip(Svc::ipip));
  const Out out = g.run(icmp_frame(kClientSideMac, kPort0Mac, F.router, F.vip, 64, q));
  PacketBuilder want;
  want.eth(kPort1Mac, text(rs->mac));
  if (F.v6) {
    ASSERT_GE(out.bytes.size(), 18u);
    want.ipv6(F.tun_src, text(rs->addr))
        .ttl(kTunnelTtl)
        .flow_label((uint32_t{out.bytes[15]} << 16 | uint32_t{out.bytes[16]} << 8 | out.bytes[17]) &
                    0xfffff);
  } else {
    want.ipv4(F.tun_src, text(rs->addr)).ttl(kTunnelTtl);
  }
  EXPECT_TRUE(sent(out, 1, add_icmp(want, F.router, F.vip, 64, q).build()));
}

// Over UDP tunnels the error takes its flow's outer headers (entropy port, flow label),
// so that it reaches the same receive queue as the flow.
TEST_P(IcmpGolden, FromTheClientSideTunKeepsTheFlowsOuterHeaders) {
  for (Svc svc : {Svc::gue, Svc::vxlan, Svc::gue_x, Svc::vxlan_x}) {
    SCOPED_TRACE(port_of(svc));
    Golden g;
    const Out syn = g.run(frame(kClientSideMac, kPort0Mac, to_vip(svc)));
    const RealServer* rs = g.flow_rs(to_vip(svc));
    ASSERT_NE(rs, nullptr);
    ASSERT_EQ(syn.verdict, Verdict::tx);
    const Out out =
        g.run(icmp_frame(kClientSideMac, kPort0Mac, F.router, F.vip, 64, quote(from_vip(svc))));
    ASSERT_EQ(out.verdict, Verdict::tx) << lb::to_string(out.drop);
    EXPECT_EQ(out.link, 1);
    const size_t udp = 14 + (rs->addr.is_v6() ? 40 : 20);
    // Outer Ethernet, the IPv6 flow label, the UDP ports: as the flow's.
    EXPECT_EQ(Bytes(out.bytes.begin(), out.bytes.begin() + 14),
              Bytes(syn.bytes.begin(), syn.bytes.begin() + 14));
    if (rs->addr.is_v6()) {
      EXPECT_EQ(Bytes(out.bytes.begin() + 15, out.bytes.begin() + 18),
                Bytes(syn.bytes.begin() + 15, syn.bytes.begin() + 18));
    }
    EXPECT_EQ(Bytes(out.bytes.begin() + udp, out.bytes.begin() + udp + 4),
              Bytes(syn.bytes.begin() + udp, syn.bytes.begin() + udp + 4));
  }
}

TEST_P(IcmpGolden, FromTheClientSideNatTranslatesTheQuote) {
  Golden g;
  const RealServer* rs = open(g, Svc::nat);
  ASSERT_NE(rs, nullptr);
  const Seg orig = from_vip(Svc::nat);
  Seg translated = orig;  // as the server sent it
  translated.src = text(rs->addr);
  translated.sport = kRsPort;
  const Out out = g.run(icmp_frame(kClientSideMac, kPort0Mac, F.router, F.vip, 64, quote(orig)));
  EXPECT_TRUE(sent(out, 1,
                   icmp_frame(kPort1Mac, text(rs->mac), F.router, text(rs->addr), 63,
                              quote_as(translated, quote(orig)))));
  EXPECT_EQ(g.worker.counters().icmp_forwarded, 1u);
}

TEST_P(IcmpGolden, FromTheClientSideFullNatTranslatesToServerAndLocalAddress) {
  Golden g;
  uint16_t lport = 0;
  const RealServer* rs = open(g, Svc::fullnat, &lport);
  ASSERT_NE(rs, nullptr);
  const Seg orig = from_vip(Svc::fullnat);
  Seg translated = orig;  // as the server sent it: to the local address
  translated.src = text(rs->addr);
  translated.sport = kRsPort;
  translated.dst = F.laddr;
  translated.dport = lport;
  const Out out = g.run(icmp_frame(kClientSideMac, kPort0Mac, F.router, F.vip, 64, quote(orig)));
  EXPECT_TRUE(sent(out, 1,
                   icmp_frame(kPort1Mac, text(rs->mac), F.laddr, text(rs->addr), 63,
                              quote_as(translated, quote(orig)))));
}

TEST_P(IcmpGolden, FromTheServerSideNatTranslatesBackToTheClientsView) {
  Golden g;
  const RealServer* rs = open(g, Svc::nat);
  ASSERT_NE(rs, nullptr);
  Seg to_rs = to_vip(Svc::nat);  // what gale sent the server
  to_rs.dst = text(rs->addr);
  to_rs.dport = kRsPort;
  to_rs.ttl = 63;
  Seg as_client_sent = to_vip(Svc::nat);
  as_client_sent.ttl = 63;  // the quote keeps the TTL it had
  const Out out =
      g.run(icmp_frame(text(rs->mac), kPort1Mac, text(rs->addr), F.client, 64, quote(to_rs)), 1);
  EXPECT_TRUE(sent(out, 0,
                   icmp_frame(kPort0Mac, kGatewayMac, F.vip, F.client, 63,
                              quote_as(as_client_sent, quote(to_rs)))));
  EXPECT_EQ(g.worker.counters().icmp_forwarded, 1u);
}

// The error's checksum is computed anew for the translated message: a corrupted one is
// dropped, not made to look sound.
TEST_P(IcmpGolden, CorruptedErrorIsDroppedNotMadeSound) {
  Golden g;
  const RealServer* rs = open(g, Svc::nat);
  ASSERT_NE(rs, nullptr);
  Seg to_rs = to_vip(Svc::nat);
  to_rs.dst = text(rs->addr);
  to_rs.dport = kRsPort;
  to_rs.ttl = 63;
  PacketBuilder b;
  b.eth(text(rs->mac), kPort1Mac);
  add_icmp(b, text(rs->addr), F.client, 64, quote(to_rs)).checksum(0x1234);
  const Out out = g.run(b.build(), 1);
  EXPECT_EQ(out.verdict, Verdict::drop);
  EXPECT_EQ(out.drop, Drop::bad_checksum);
  EXPECT_EQ(g.worker.counters().icmp_forwarded, 0u);
}

TEST_P(IcmpGolden, FromTheServerSideFullNatTranslatesBackToTheClientsView) {
  Golden g;
  uint16_t lport = 0;
  const RealServer* rs = open(g, Svc::fullnat, &lport);
  ASSERT_NE(rs, nullptr);
  Seg to_rs = to_vip(Svc::fullnat);
  to_rs.src = F.laddr;
  to_rs.sport = lport;
  to_rs.dst = text(rs->addr);
  to_rs.dport = kRsPort;
  to_rs.ttl = 63;
  Seg as_client_sent = to_vip(Svc::fullnat);
  as_client_sent.ttl = 63;
  const Out out =
      g.run(icmp_frame(text(rs->mac), kPort1Mac, text(rs->addr), F.laddr, 64, quote(to_rs)), 1);
  EXPECT_TRUE(sent(out, 0,
                   icmp_frame(kPort0Mac, kGatewayMac, F.vip, F.client, 63,
                              quote_as(as_client_sent, quote(to_rs)))));
}

TEST_P(IcmpGolden, AboutNoFlowGoesToTheKernel) {
  Golden g;
  const RealServer* rs = open(g, Svc::nat);
  ASSERT_NE(rs, nullptr);
  // About VIP -> another client port: no such connection.
  Seg other = from_vip(Svc::nat);
  other.dport = 40001;
  Out out = g.run(icmp_frame(kClientSideMac, kPort0Mac, F.router, F.vip, 64, quote(other)));
  EXPECT_EQ(out.verdict, Verdict::to_kernel);
  // From the server's side, about a connection gale never made.
  Seg to_rs = to_vip(Svc::nat);
  to_rs.sport = 40001;
  to_rs.dst = text(rs->addr);
  to_rs.dport = kRsPort;
  out = g.run(icmp_frame(text(rs->mac), kPort1Mac, text(rs->addr), F.client, 64, quote(to_rs)), 1);
  EXPECT_EQ(out.verdict, Verdict::to_kernel);
  EXPECT_EQ(g.worker.counters().icmp_forwarded, 0u);
  EXPECT_EQ(g.worker.counters().to_kernel, 2u);
}

// With two workers an ICMP error arrives by its own addresses, which say nothing of the
// connection it is about: it is handed to the worker that owns the quoted connection
// (the same ownership as the connection's packets), which translates it. Before, the
// receiving worker looked for the flow itself, found none, and the error was lost.
TEST_P(IcmpGolden, TwoWorkersHandTheErrorToTheQuotedFlowsOwner) {
  for (Svc svc : {Svc::nat, Svc::fullnat}) {
    SCOPED_TRACE(svc == Svc::nat ? "nat" : "fullnat");
    Golden w0({}, {.flows_v4 = 1024, .flows_v6 = 1024, .id = 0, .count = 2});
    Golden w1({}, {.flows_v4 = 1024, .flows_v6 = 1024, .id = 1, .count = 2});
    uint16_t cport = 40000;  // a client port whose connection worker 1 owns
    while (w0.worker.owner_of_client(ip(F.client), cport) != 1)
      ++cport;
    const Seg syn = to_vip(svc, cport);
    EXPECT_EQ(w0.run(frame(kClientSideMac, kPort0Mac, syn)).owner, 1);
    const Out opened = w1.run(frame(kClientSideMac, kPort0Mac, syn));
    ASSERT_EQ(opened.verdict, Verdict::tx);
    const RealServer* rs = w1.flow_rs(syn);
    ASSERT_NE(rs, nullptr);

    // From the server's side, about what gale sent the server.
    Seg to_rs = syn;
    to_rs.dst = text(rs->addr);
    to_rs.dport = kRsPort;
    to_rs.ttl = 63;
    if (svc == Svc::fullnat) {
      const size_t at = 14 + (F.v6 ? 40 : 20);
      to_rs.src = F.laddr;
      to_rs.sport = static_cast<uint16_t>(opened.bytes[at] << 8 | opened.bytes[at + 1]);
    }
    const Bytes err =
        icmp_frame(text(rs->mac), kPort1Mac, text(rs->addr), to_rs.src, 64, quote(to_rs));
    const Out at0 = w0.run(err, 1);
    EXPECT_EQ(at0.verdict, Verdict::handoff);
    EXPECT_EQ(at0.owner, 1);
    EXPECT_EQ(w0.worker.counters().icmp_forwarded, 0u);
    Seg as_client_sent = syn;
    as_client_sent.ttl = 63;
    EXPECT_TRUE(sent(w1.run(err, 1), 0,
                     icmp_frame(kPort0Mac, kGatewayMac, F.vip, F.client, 63,
                                quote_as(as_client_sent, quote(to_rs)))));
    EXPECT_EQ(w1.worker.counters().icmp_forwarded, 1u);

    // From the client's side: a router could not forward what the VIP sent the client.
    Seg back = syn.reversed();
    back.flags = net::kTcpSyn | net::kTcpAck;
    const Bytes err2 = icmp_frame(kClientSideMac, kPort0Mac, F.router, F.vip, 64, quote(back));
    const Out c0 = w0.run(err2);
    EXPECT_EQ(c0.verdict, Verdict::handoff);
    EXPECT_EQ(c0.owner, 1);
    EXPECT_EQ(w1.run(err2).verdict, Verdict::tx);
    EXPECT_EQ(w1.worker.counters().icmp_forwarded, 2u);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, IcmpGolden, ::testing::ValuesIn(kCases), case_name);

}  // namespace
}  // namespace gale::golden
