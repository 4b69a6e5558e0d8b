// Reloads under live flows: a flow keeps what it began with (its forwarding mode, its
// FullNAT local address), whatever the new snapshot says.
#include "lb_fixture.h"

namespace gale::golden {
namespace {

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

// rr's rotation survives a publish that changes another service (before, every publish
// made every service's scheduler state afresh, so the next connection went to the
// first server again); a publish that changes the service itself starts afresh.
TEST(ReloadGolden, SchedulerStateOfAnUnchangedServiceSurvivesAPublish) {
  Golden g;  // rr everywhere
  auto open = [&](uint16_t cport) {
    const Seg syn{.src = kV4.client,
                  .dst = kV4.vip,
                  .sport = cport,
                  .dport = port_of(Svc::dr),
                  .flags = net::kTcpSyn};
    EXPECT_EQ(g.run(frame(kClientSideMac, kPort0Mac, syn)).verdict, Verdict::tx);
    return g.flow_rs(syn);
  };
  const RealServer* first = open(40000);
  ASSERT_NE(first, nullptr);
  const uint16_t first_id = static_cast<uint16_t>(first - g.snap().real_servers.data());

  Snapshot next = g.snap();
  next.generation += 1;
  Service& other =
      next.services[service_index(next, service_of(next, kV4, Svc::nat, net::kProtoTcp))];
  other.dests[0].weight = 5;
  ASSERT_TRUE(next.finalize().has_value());
  g.reload(std::move(next));
  const RealServer* second = open(40001);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second - g.snap().real_servers.data(), first_id);  // rr moved on

  // Changing the service itself (a weight) makes its state afresh: rr starts over.
  Snapshot again = g.snap();
  again.generation += 1;
  Service& self =
      again.services[service_index(again, service_of(again, kV4, Svc::dr, net::kProtoTcp))];
  self.dests[1].weight = 1;
  self.dests[1].last_weight = 2;
  ASSERT_TRUE(again.finalize().has_value());
  g.reload(std::move(again));
  const RealServer* third = open(40002);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third - g.snap().real_servers.data(), first_id);
}

}  // namespace
}  // namespace gale::golden
