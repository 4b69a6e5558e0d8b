// Reloads under live flows: a flow keeps what it began with (its forwarding mode, its
// FullNAT local address), whatever the new snapshot says.
#include "lb_fixture.h"

namespace gale::golden {
namespace {

// The source port of a frame gale sent (Ethernet, IP without options, then L4).
uint16_t sent_sport(const Bytes& b, bool v6) {
  const size_t at = 14 + (v6 ? 40 : 20);
  return static_cast<uint16_t>(b.at(at) << 8 | b.at(at + 1));
}

// The snapshot after a reload that sets every real server of one service to `mode`.
Snapshot with_mode(const Snapshot& from, const Family& f, Svc svc, FwdMode mode) {
  Snapshot next = from;
  next.generation += 1;
  const Service& s = service_of(next, f, svc, net::kProtoTcp);
  for (uint16_t id : s.dest_ids)
    next.real_servers[id].mode = mode;
  EXPECT_TRUE(next.finalize().has_value());
  return next;
}

// NAT -> FullNAT: the old flow's next packets are NAT-rewritten byte for byte (before
// the flow kept its mode, act() rewrote them as FullNAT with a family-none local
// address); a new connection is FullNAT.
TEST(ReloadGolden, ModeChangeKeepsOldFlowsInTheirMode) {
  for (const Family* f : {&kV4, &kV6}) {
    SCOPED_TRACE(f->name);
    Golden g;
    const Seg syn{.src = f->client,
                  .dst = f->vip,
                  .sport = 40000,
                  .dport = port_of(Svc::nat),
                  .flags = net::kTcpSyn};
    ASSERT_EQ(g.run(frame(kClientSideMac, kPort0Mac, syn)).verdict, Verdict::tx);
    const RealServer* rs = g.flow_rs(syn);
    ASSERT_NE(rs, nullptr);
    const std::string rs_ip = text(rs->addr), rs_mac = text(rs->mac);

    g.reload(with_mode(g.snap(), *f, Svc::nat, FwdMode::fullnat));

    Seg ack = syn;
    ack.flags = net::kTcpAck;
    Seg to_rs = ack;
    to_rs.dst = rs_ip;
    to_rs.dport = kRsPort;
    to_rs.ttl = 63;
    EXPECT_TRUE(
        sent(g.run(frame(kClientSideMac, kPort0Mac, ack)), 1, frame(kPort1Mac, rs_mac, to_rs)));

    // A new connection takes the new mode: its source is the local address.
    Seg syn2 = syn;
    syn2.sport = 40001;
    const Out out = g.run(frame(kClientSideMac, kPort0Mac, syn2));
    ASSERT_EQ(out.verdict, Verdict::tx) << lb::to_string(out.drop);
    const RealServer* rs2 = g.flow_rs(syn2);
    ASSERT_NE(rs2, nullptr);
    Seg to_rs2 = syn2;
    to_rs2.src = f->laddr;
    to_rs2.sport = sent_sport(out.bytes, f->v6);
    to_rs2.dst = text(rs2->addr);
    to_rs2.dport = kRsPort;
    to_rs2.ttl = 63;
    EXPECT_GE(to_rs2.sport, kLportLo);
    EXPECT_TRUE(sent(out, 1, frame(kPort1Mac, text(rs2->mac), to_rs2)));
  }
}

// FullNAT -> NAT: the old flow keeps its local address and port both ways.
TEST(ReloadGolden, FullNatFlowStaysFullNatAfterModeChange) {
  for (const Family* f : {&kV4, &kV6}) {
    SCOPED_TRACE(f->name);
    Golden g;
    const Seg syn{.src = f->client,
                  .dst = f->vip,
                  .sport = 40000,
                  .dport = port_of(Svc::fullnat),
                  .flags = net::kTcpSyn};
    const Out first = g.run(frame(kClientSideMac, kPort0Mac, syn));
    ASSERT_EQ(first.verdict, Verdict::tx);
    const uint16_t lport = sent_sport(first.bytes, f->v6);
    const RealServer* rs = g.flow_rs(syn);
    ASSERT_NE(rs, nullptr);
    const std::string rs_ip = text(rs->addr), rs_mac = text(rs->mac);

    g.reload(with_mode(g.snap(), *f, Svc::fullnat, FwdMode::nat));

    Seg ack = syn;
    ack.flags = net::kTcpAck;
    Seg to_rs = ack;
    to_rs.src = f->laddr;
    to_rs.sport = lport;
    to_rs.dst = rs_ip;
    to_rs.dport = kRsPort;
    to_rs.ttl = 63;
    EXPECT_TRUE(
        sent(g.run(frame(kClientSideMac, kPort0Mac, ack)), 1, frame(kPort1Mac, rs_mac, to_rs)));

    Seg reply = to_rs.reversed();
    reply.ttl = 64;
    Seg to_client = ack.reversed();
    to_client.ttl = 63;
    EXPECT_TRUE(sent(g.run(frame(rs_mac, kPort1Mac, reply), 1), 0,
                     frame(kPort0Mac, kGatewayMac, to_client)));
  }
}

}  // namespace
}  // namespace gale::golden
