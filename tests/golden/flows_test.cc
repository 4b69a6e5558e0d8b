// Golden tests of what decides a flow's real server: adoption of mid-connection packets
// by the consistent hash, a full flow table, TCP states and timeouts, reloads, and the
// frames that are not ours.
#include <set>

#include "lb_fixture.h"

namespace gale::golden {
namespace {

const Family* const kFamilies[] = {&kV4, &kV6};

Seg dr_syn(const Family& f, uint16_t cport) {
  return {.src = f.client, .dst = f.vip, .sport = cport, .dport = 80, .flags = net::kTcpSyn};
}

TEST(FlowsGolden, AdoptionFollowsTheMaglevTableOnEveryNode) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    // Two nodes: same snapshot (cluster seed), different flow-table seeds.
    Golden a({}, {.flows_v4 = 64, .flows_v6 = 64, .seed = 1});
    Golden b({}, {.flows_v4 = 64, .flows_v6 = 64, .seed = 2});
    const Service& svc = service_of(a.snap(), *f, Svc::dr, net::kProtoTcp);
    std::set<const RealServer*> picked;
    for (uint16_t cport = 50000; cport < 50016; ++cport) {
      Seg s = dr_syn(*f, cport);
      s.flags = net::kTcpAck;  // no SYN: a connection another node began
      const RealServer& rs = a.maglev_pick(svc, s);
      const Bytes want = frame(kPort1Mac, text(rs.mac), s);
      EXPECT_TRUE(sent(a.run(frame(kClientSideMac, kPort0Mac, s)), 1, want));
      EXPECT_TRUE(sent(b.run(frame(kClientSideMac, kPort0Mac, s)), 1, want));
      EXPECT_EQ(a.flow_rs(s), &rs);
      picked.insert(&rs);
    }
    EXPECT_EQ(picked.size(), 2u);  // the hash does spread flows
    EXPECT_EQ(a.worker.counters().flows_adopted, 16u);
    EXPECT_EQ(b.worker.counters().flows_adopted, 16u);
    // An adopted TCP flow is established, hence active.
    const auto loads = a.worker.loads(service_index(a.snap(), svc));
    EXPECT_EQ(loads[0].active + loads[1].active, 16u);
    EXPECT_EQ(loads[0].inactive + loads[1].inactive, 0u);
  }
}

TEST(FlowsGolden, FullTableForwardsNewFlowsStatelesslyAndKeepsOldOnes) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    Golden g({}, {.flows_v4 = 4, .flows_v6 = 4});
    const Service& svc = service_of(g.snap(), *f, Svc::dr, net::kProtoTcp);
    std::vector<const RealServer*> servers;
    for (uint16_t cport = 40000; cport < 40004; ++cport) {
      EXPECT_EQ(g.run(frame(kClientSideMac, kPort0Mac, dr_syn(*f, cport))).verdict, Verdict::tx);
      servers.push_back(g.flow_rs(dr_syn(*f, cport)));
      ASSERT_NE(servers.back(), nullptr);
    }
    EXPECT_EQ(g.worker.flows(), 4u);
    for (uint16_t cport = 40004; cport < 40012; ++cport) {
      const Seg s = dr_syn(*f, cport);
      EXPECT_TRUE(sent(g.run(frame(kClientSideMac, kPort0Mac, s)), 1,
                       frame(kPort1Mac, text(g.maglev_pick(svc, s).mac), s)));
      EXPECT_EQ(g.flow_rs(s), nullptr);
    }
    EXPECT_EQ(g.worker.counters().stateless, 8u);
    EXPECT_EQ(g.worker.flows(), 4u);
    for (uint16_t cport = 40000; cport < 40004; ++cport) {  // established flows stay put
      Seg s = dr_syn(*f, cport);
      s.flags = net::kTcpAck;
      EXPECT_TRUE(sent(g.run(frame(kClientSideMac, kPort0Mac, s)), 1,
                       frame(kPort1Mac, text(servers[cport - 40000]->mac), s)));
    }
  }
}

TEST(FlowsGolden, FullTableDropsNewFullNatFlows) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    Golden g({}, {.flows_v4 = 4, .flows_v6 = 4});
    for (uint16_t cport = 40000; cport < 40005; ++cport) {
      Seg s = dr_syn(*f, cport);
      s.dport = port_of(Svc::fullnat);
      const Out out = g.run(frame(kClientSideMac, kPort0Mac, s));
      if (cport < 40004) {
        EXPECT_EQ(out.verdict, Verdict::tx);
      } else {
        EXPECT_EQ(out.verdict, Verdict::drop);
        EXPECT_EQ(out.drop, Drop::table_full);
      }
    }
    EXPECT_EQ(g.drops(Drop::table_full), 1u);
    EXPECT_EQ(g.worker.counters().stateless, 0u);
  }
}

TEST(FlowsGolden, TcpStatesSetTimeoutsAndActiveCounts) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    Golden g;
    const Service& svc = service_of(g.snap(), *f, Svc::dr, net::kProtoTcp);
    const size_t si = service_index(g.snap(), svc);
    Seg s = dr_syn(*f, 40000);
    auto send = [&](uint32_t now, uint8_t flags) {
      g.now = now;
      s.flags = flags;
      return g.run(frame(kClientSideMac, kPort0Mac, s));
    };
    // What the worker holds: the server's position, or -1, at a time.
    auto rs_at = [&](uint32_t now) { return g.worker.find_flow_rs(s.tuple(), now); };
    auto load = [&](int pos) {
      const lb::DestLoad& l = g.worker.loads(si)[static_cast<size_t>(pos)];
      return std::pair{l.active, l.inactive};
    };

    ASSERT_EQ(send(1000, net::kTcpSyn).verdict, Verdict::tx);  // SYN_RECV, 60 s
    const int first = rs_at(1000);
    ASSERT_GE(first, 0);
    const int pos = static_cast<int>(g.snap().real_servers[static_cast<size_t>(first)].pos);
    EXPECT_EQ(rs_at(1059), first);
    EXPECT_EQ(rs_at(1060), -1);
    EXPECT_EQ(load(pos), (std::pair{0u, 1u}));

    send(1030, net::kTcpAck);  // ESTABLISHED, 900 s
    EXPECT_EQ(rs_at(1929), first);
    EXPECT_EQ(rs_at(1930), -1);
    EXPECT_EQ(load(pos), (std::pair{1u, 0u}));

    send(1100, net::kTcpFin | net::kTcpAck);  // FIN_WAIT, 120 s
    EXPECT_EQ(rs_at(1219), first);
    EXPECT_EQ(rs_at(1220), -1);
    EXPECT_EQ(load(pos), (std::pair{0u, 1u}));

    send(1110, net::kTcpRst);  // CLOSE, 10 s
    EXPECT_EQ(rs_at(1119), first);
    EXPECT_EQ(rs_at(1120), -1);
    EXPECT_EQ(load(pos), (std::pair{0u, 1u}));

    // Past its expiry the flow is gone: a new SYN is scheduled anew (rr: the other one).
    ASSERT_EQ(send(1120, net::kTcpSyn).verdict, Verdict::tx);
    const int second = rs_at(1120);
    ASSERT_GE(second, 0);
    EXPECT_NE(second, first);
    EXPECT_EQ(load(pos), (std::pair{0u, 0u}));
    EXPECT_EQ(load(1 - pos), (std::pair{0u, 1u}));
    EXPECT_EQ(g.worker.counters().flows_expired, 1u);
    EXPECT_EQ(g.worker.counters().flows_created, 2u);
  }
}

// Where gale sees both directions (NAT), the server's packets move the state too.
TEST(FlowsGolden, NatTcpStatesFollowBothDirections) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    Golden g;
    Seg in = dr_syn(*f, 40000);
    in.dport = port_of(Svc::nat);
    ASSERT_EQ(g.run(frame(kClientSideMac, kPort0Mac, in)).verdict, Verdict::tx);
    const RealServer* rs = g.flow_rs(in);
    ASSERT_NE(rs, nullptr);
    const lb::DestLoad& l = g.worker.loads(
        service_index(g.snap(), service_of(g.snap(), *f, Svc::nat, net::kProtoTcp)))[rs->pos];
    Seg out{.src = text(rs->addr), .dst = f->client, .sport = kRsPort, .dport = 40000};
    auto server_sends = [&](uint8_t flags) {
      out.flags = flags;
      return g.run(frame(text(rs->mac), kPort1Mac, out), 1).verdict;
    };
    auto client_sends = [&](uint8_t flags) {
      in.flags = flags;
      return g.run(frame(kClientSideMac, kPort0Mac, in)).verdict;
    };
    EXPECT_EQ(l.inactive, 1u);  // SYN_RECV
    EXPECT_EQ(server_sends(net::kTcpSyn | net::kTcpAck), Verdict::tx);
    EXPECT_EQ(g.worker.find_flow_rs(in.tuple(), 1059), rs - g.snap().real_servers.data());
    EXPECT_EQ(g.worker.find_flow_rs(in.tuple(), 1060), -1);  // still SYN_RECV
    EXPECT_EQ(client_sends(net::kTcpAck), Verdict::tx);      // ESTABLISHED
    EXPECT_EQ(l.active, 1u);
    EXPECT_EQ(l.inactive, 0u);
    EXPECT_EQ(server_sends(net::kTcpFin | net::kTcpAck), Verdict::tx);  // FIN_WAIT
    EXPECT_EQ(l.active, 0u);
    EXPECT_EQ(l.inactive, 1u);
    EXPECT_GE(g.worker.find_flow_rs(in.tuple(), 1119), 0);
    EXPECT_EQ(g.worker.find_flow_rs(in.tuple(), 1120), -1);
  }
}

TEST(FlowsGolden, TheSweepFreesExpiredFlowsAndTheirLoad) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    // Tables small enough that one batch's sweep examines every entry.
    Golden g({}, {.flows_v4 = 8, .flows_v6 = 8});
    const Service& svc = service_of(g.snap(), *f, Svc::dr, net::kProtoTcp);
    ASSERT_EQ(g.run(frame(kClientSideMac, kPort0Mac, dr_syn(*f, 40000))).verdict, Verdict::tx);
    EXPECT_EQ(g.worker.flows(), 1u);
    g.now = 1060;  // SYN_RECV's 60 s are over; any batch sweeps
    Seg other = dr_syn(*f, 40000);
    other.dst = f->not_vip;
    EXPECT_EQ(g.run(frame(kClientSideMac, kPort0Mac, other)).verdict, Verdict::to_kernel);
    EXPECT_EQ(g.worker.flows(), 0u);
    EXPECT_EQ(g.worker.counters().flows_expired, 1u);
    const auto loads = g.worker.loads(service_index(g.snap(), svc));
    EXPECT_EQ(loads[0].inactive + loads[1].inactive + loads[0].active + loads[1].active, 0u);
  }
}

TEST(FlowsGolden, NatWithAFullTableTranslatesStatelessly) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    Golden g({}, {.flows_v4 = 1, .flows_v6 = 1});
    Seg s = dr_syn(*f, 40000);
    s.dport = port_of(Svc::nat);
    ASSERT_EQ(g.run(frame(kClientSideMac, kPort0Mac, s)).verdict, Verdict::tx);
    s.sport = 40001;  // no room for this one
    const Service& svc = service_of(g.snap(), *f, Svc::nat, net::kProtoTcp);
    const RealServer& rs = g.maglev_pick(svc, s);
    Seg to_rs = s;
    to_rs.dst = text(rs.addr);
    to_rs.dport = kRsPort;
    to_rs.ttl = 63;
    EXPECT_TRUE(
        sent(g.run(frame(kClientSideMac, kPort0Mac, s)), 1, frame(kPort1Mac, text(rs.mac), to_rs)));
    EXPECT_EQ(g.worker.counters().stateless, 1u);
    // Its reply names the server, hence the service: translated from the snapshot.
    Seg reply = to_rs.reversed();
    reply.ttl = 64;
    reply.flags = net::kTcpSyn | net::kTcpAck;
    Seg to_client = s.reversed();
    to_client.ttl = 63;
    to_client.flags = reply.flags;
    EXPECT_TRUE(sent(g.run(frame(text(rs.mac), kPort1Mac, reply), 1), 0,
                     frame(kPort0Mac, kGatewayMac, to_client)));
    EXPECT_EQ(g.worker.counters().stateless_replies, 1u);
  }
}

// The node's own connection to a NAT server's service port (a health check from galed's
// host): the server's answer, addressed to one of the node's addresses, is the kernel's;
// the same answer addressed to a client is translated statelessly, as above.
TEST(FlowsGolden, NatServerAnswersToTheNodeGoToTheKernel) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    Golden g;
    Snapshot next = g.snap();
    const char* node = f->not_vip;  // an address of the node's own, not a service's
    next.host_addrs = {ip(node)};
    g.reload(std::move(next));
    const Service& svc = service_of(g.snap(), *f, Svc::nat, net::kProtoTcp);
    const RealServer& rs = g.snap().real_servers[svc.dest_ids[0]];
    Seg answer{.src = text(rs.addr),
               .dst = node,
               .sport = kRsPort,
               .dport = 45000,
               .flags = net::kTcpSyn | net::kTcpAck};
    EXPECT_EQ(g.run(frame(text(rs.mac), kPort1Mac, answer), 1).verdict, Verdict::to_kernel);
    EXPECT_EQ(g.worker.counters().stateless_replies, 0u);
    answer.dst = f->client;
    EXPECT_EQ(g.run(frame(text(rs.mac), kPort1Mac, answer), 1).verdict, Verdict::tx);
    EXPECT_EQ(g.worker.counters().stateless_replies, 1u);
  }
}

TEST(FlowsGolden, UdpFlowsLast300SecondsAndAreInactive) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    Golden g;
    const Seg s{.src = f->client, .dst = f->vip, .dport = 80, .proto = net::kProtoUdp};
    ASSERT_EQ(g.run(frame(kClientSideMac, kPort0Mac, s)).verdict, Verdict::tx);
    EXPECT_GE(g.worker.find_flow_rs(s.tuple(), 1299), 0);
    EXPECT_EQ(g.worker.find_flow_rs(s.tuple(), 1300), -1);
    const Service& svc = service_of(g.snap(), *f, Svc::dr, net::kProtoUdp);
    const auto loads = g.worker.loads(service_index(g.snap(), svc));
    EXPECT_EQ(loads[0].active + loads[1].active, 0u);
    EXPECT_EQ(loads[0].inactive + loads[1].inactive, 1u);
  }
}

// A reload that takes the flow's server out of the service, by removal or weight 0.
enum class Retire { remove, quiesce };

void reload_keeps_flows(const Family& f, Retire how) {
  Golden g;
  const Seg syn = dr_syn(f, 40000);
  ASSERT_EQ(g.run(frame(kClientSideMac, kPort0Mac, syn)).verdict, Verdict::tx);
  const RealServer* old_rs = g.flow_rs(syn);
  ASSERT_NE(old_rs, nullptr);
  const uint16_t id = static_cast<uint16_t>(old_rs - g.snap().real_servers.data());
  const net::MacAddr old_mac = old_rs->mac;

  Snapshot next = g.snap();
  next.generation += 1;
  const Service& svc = service_of(next, f, Svc::dr, net::kProtoTcp);
  Service& s = next.services[service_index(next, svc)];
  const size_t pos = next.real_servers[id].pos;
  if (how == Retire::remove) {
    next.real_servers[id].live = false;
    s.dests.erase(s.dests.begin() + static_cast<ptrdiff_t>(pos));
    s.dest_ids.erase(s.dest_ids.begin() + static_cast<ptrdiff_t>(pos));
  } else {
    s.dests[pos].last_weight = s.dests[pos].weight;
    s.dests[pos].weight = 0;
  }
  ASSERT_TRUE(next.finalize().has_value());
  g.reload(std::move(next));

  Seg ack = syn;
  ack.flags = net::kTcpAck;
  EXPECT_TRUE(
      sent(g.run(frame(kClientSideMac, kPort0Mac, ack)), 1, frame(kPort1Mac, text(old_mac), ack)));
  for (uint16_t cport = 41000; cport < 41006; ++cport) {
    const Seg s2 = dr_syn(f, cport);
    const Out out = g.run(frame(kClientSideMac, kPort0Mac, s2));
    ASSERT_EQ(out.verdict, Verdict::tx);
    const RealServer* rs = g.flow_rs(s2);
    ASSERT_NE(rs, nullptr);
    EXPECT_NE(rs->addr, g.snap().real_servers[id].addr);
    EXPECT_TRUE(sent(out, 1, frame(kPort1Mac, text(rs->mac), s2)));
  }
}

TEST(FlowsGolden, ReloadRemovingTheServerKeepsItsFlows) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    reload_keeps_flows(*f, Retire::remove);
  }
}

TEST(FlowsGolden, ReloadQuiescingTheServerKeepsItsFlows) {
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    reload_keeps_flows(*f, Retire::quiesce);
  }
}

TEST(FlowsGolden, FramesThatAreNotOursGoToTheKernel) {
  Golden g;
  // ARP who-has 192.0.2.10 (PacketBuilder's proto() cannot say 0x0806: patched in).
  Bytes arp = PacketBuilder()
                  .eth(kClientSideMac, "ff:ff:ff:ff:ff:ff")
                  .payload(Bytes{0,   1,  8,   0, 6, 4, 0, 1, 2, 0, 0,   0, 0, 0xaa,
                                 198, 51, 100, 7, 0, 0, 0, 0, 0, 0, 192, 0, 2, 10})
                  .pad_to(60)
                  .build();
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(g.run(arp).verdict, Verdict::to_kernel);
  for (const Family* f : kFamilies) {
    SCOPED_TRACE(f->name);
    Seg s = dr_syn(*f, 40000);
    s.dst = f->not_vip;
    EXPECT_EQ(g.run(frame(kClientSideMac, kPort0Mac, s)).verdict, Verdict::to_kernel);
    s.dst = f->vip;
    s.dport = 22;  // ssh to the node: no service there
    EXPECT_EQ(g.run(frame(kClientSideMac, kPort0Mac, s)).verdict, Verdict::to_kernel);
  }
  EXPECT_EQ(g.worker.counters().to_kernel, 5u);
  EXPECT_EQ(g.worker.flows(), 0u);
}

// A frame whose L2/L3 structure is broken cannot say whose it is: the kernel judges it
// (and drops it). One that is ours by its addresses and ports but malformed past them
// is dropped, counted under the parse reason (lb/classify.h).
TEST(FlowsGolden, MalformedFramesAreTheKernelsUnlessOwned) {
  struct Row {
    const Family* f;
    size_t keep;  // bytes of the frame kept
  };
  for (Row r : {Row{&kV4, 14 + 12}, Row{&kV4, 14 + 20 + 10}, Row{&kV6, 14 + 30},
                Row{&kV6, 14 + 40 + 10}, Row{&kV4, 10}}) {
    SCOPED_TRACE(r.keep);
    Golden g;
    Bytes f = frame(kClientSideMac, kPort0Mac, dr_syn(*r.f, 40000));
    f.resize(r.keep);
    EXPECT_EQ(g.run(f).verdict, Verdict::to_kernel);
    EXPECT_EQ(g.worker.counters().to_kernel, 1u);
  }
  // A TCP header cut short inside a consistent IPv4 packet.
  Golden g;
  Bytes f = PacketBuilder()
                .eth(kClientSideMac, kPort0Mac)
                .ipv4(kV4.client, kV4.vip)
                .payload(Bytes{0x9c, 0x40, 0, 80, 0, 0})
                .build();
  f[14 + 9] = net::kProtoTcp;
  f[14 + 10] = f[14 + 11] = 0;
  const uint16_t c = test::ref_checksum(Bytes(f.begin() + 14, f.begin() + 34));
  f[14 + 10] = static_cast<uint8_t>(c >> 8);
  f[14 + 11] = static_cast<uint8_t>(c);
  EXPECT_EQ(g.run(f).drop, lb::drop_of(net::ParseError::l4_truncated));
}

}  // namespace
}  // namespace gale::golden
