// Connection sync, the workers' side (lb/flow_sync.h): what a worker writes to its sync
// ring and when, and a peer node's workers that apply those events forwarding the
// connection's next packets exactly as the first node did (the takeover).
#include <algorithm>
#include <memory>

#include "lb_fixture.h"

namespace gale::golden {
namespace {

using lb::ConnState;
using lb::SyncEvent;
using lb::SyncOp;

std::vector<SyncEvent> drain(lb::SyncRing& ring) {
  std::vector<SyncEvent> out(lb::kSyncRingSlots);
  out.resize(ring.pop(out.data(), lb::kSyncRingSlots));
  return out;
}

Seg client_seg(const Family& f, Svc svc, uint16_t cport, uint8_t flags) {
  return {.src = f.client, .dst = f.vip, .sport = cport, .dport = port_of(svc), .flags = flags};
}

struct SyncedNode : Golden {
  SyncedNode() { worker.sync_to(ring.get()); }
  std::unique_ptr<lb::SyncRing> ring = std::make_unique<lb::SyncRing>();
};

TEST(SyncGolden, SendsAConnectionOnceEstablishedThenOnEachStateChangeAndWhenDue) {
  SyncedNode a;
  const Seg syn = client_seg(kV4, Svc::nat, 41000, net::kTcpSyn);
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, syn)).verdict, Verdict::tx);
  EXPECT_TRUE(drain(*a.ring).empty()) << "a half-open connection is not sent";

  const RealServer* rs = a.flow_rs(syn);
  ASSERT_NE(rs, nullptr);
  const Seg synack{.src = text(rs->addr),
                   .dst = kV4.client,
                   .sport = kRsPort,
                   .dport = 41000,
                   .flags = net::kTcpSyn | net::kTcpAck};
  ASSERT_EQ(a.run(frame(text(rs->mac), kPort1Mac, synack), 1).verdict, Verdict::tx);
  Seg ack = syn;
  ack.flags = net::kTcpAck;
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, ack)).verdict, Verdict::tx);
  std::vector<SyncEvent> ev = drain(*a.ring);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].op, SyncOp::upsert);
  EXPECT_EQ(ev[0].flow.state, ConnState::established);
  EXPECT_EQ(ev[0].flow.tuple, syn.tuple());
  EXPECT_EQ(ev[0].flow.rs_addr, rs->addr);
  EXPECT_EQ(ev[0].flow.mode, FwdMode::nat);
  EXPECT_EQ(ev[0].flow.timeout_s, a.snap().timeout_of[static_cast<int>(ConnState::established)]);

  // More data: nothing until a quarter of the timeout (900 s) has passed.
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, ack)).verdict, Verdict::tx);
  a.now += 900 / 4;
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, ack)).verdict, Verdict::tx);
  EXPECT_TRUE(drain(*a.ring).empty());
  a.now += 1;
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, ack)).verdict, Verdict::tx);
  ev = drain(*a.ring);
  ASSERT_EQ(ev.size(), 1u) << "re-sent once due";
  EXPECT_EQ(ev[0].flow.state, ConnState::established);

  Seg fin = ack;
  fin.flags = net::kTcpFin | net::kTcpAck;
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, fin)).verdict, Verdict::tx);
  ev = drain(*a.ring);
  ASSERT_EQ(ev.size(), 1u) << "a state change is sent at once";
  // IPVS's table: the client's FIN on an established connection -> CLOSE_WAIT.
  EXPECT_EQ(ev[0].flow.state, ConnState::close_wait);
  EXPECT_EQ(a.worker.counters().sync_sent, 3u);
}

TEST(SyncGolden, UdpFlowsAreSentWhenCreated) {
  SyncedNode a;
  Seg u = client_seg(kV6, Svc::dr, 5353, 0);
  u.proto = net::kProtoUdp;
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, u)).verdict, Verdict::tx);
  const std::vector<SyncEvent> ev = drain(*a.ring);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].flow.state, ConnState::udp);
  EXPECT_EQ(ev[0].flow.tuple, u.tuple());
}

// Node A's connections, streamed through its ring into node B's three workers (whose
// snapshot has the same services): B forwards the next packets byte for byte as A did.
TEST(SyncGolden, APeerThatAppliedTheEventsCarriesTheConnectionsOn) {
  SyncedNode a;
  std::vector<CarriedConn> conns;
  for (const Family* f : {&kV4, &kV6}) {
    for (Svc svc : {Svc::dr, Svc::nat, Svc::fullnat}) {
      for (uint16_t cport = 42000; cport < 42004; ++cport) {
        const Seg syn = client_seg(*f, svc, cport, net::kTcpSyn);
        const Out so = a.run(frame(kClientSideMac, kPort0Mac, syn));
        ASSERT_EQ(so.verdict, Verdict::tx);
        const RealServer* rs = a.flow_rs(syn);
        ASSERT_NE(rs, nullptr);
        CarriedConn c{.ack = syn};
        c.ack.flags = net::kTcpAck;
        ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, c.ack)).verdict, Verdict::tx);
        if (svc != Svc::dr) {
          const bool full = svc == Svc::fullnat;
          const uint16_t lport = sent_sport(so.bytes, f->v6);
          c.reply = frame(text(rs->mac), kPort1Mac,
                          {.src = text(rs->addr),
                           .dst = full ? f->laddr : f->client,
                           .sport = kRsPort,
                           .dport = full ? lport : cport,
                           .flags = net::kTcpAck});
          c.reply_out = a.run(c.reply, 1).bytes;
          ASSERT_FALSE(c.reply_out.empty());
        }
        c.ack_out = a.run(frame(kClientSideMac, kPort0Mac, c.ack)).bytes;
        conns.push_back(c);
      }
    }
  }
  const std::vector<SyncEvent> ev = drain(*a.ring);
  ASSERT_EQ(ev.size(), conns.size()) << "one event per established connection";

  std::vector<std::unique_ptr<Golden>> b;
  for (uint16_t id = 0; id < 3; ++id)
    b.push_back(std::make_unique<Golden>(
        SnapOptions{}, lb::WorkerConfig{.flows_v4 = 256, .flows_v6 = 256, .id = id, .count = 3}));
  // Every worker is given every event, twice (a resend updates, never duplicates).
  for (int round = 0; round < 2; ++round)
    for (const SyncEvent& e : ev)
      for (auto& w : b)
        (void)w->worker.apply_sync(e, w->now);
  uint64_t applied = 0;
  std::vector<lb::FlowRecord> held;  // mirrors (a FullNAT reply's worker) are not exported
  for (auto& w : b) {
    applied += w->worker.counters().sync_applied;
    w->worker.export_flows(held, w->now);
  }
  EXPECT_EQ(held.size(), conns.size());
  EXPECT_GE(applied, 2 * conns.size());
  expect_carried_on(b, conns);
}

TEST(SyncGolden, AnUpdateChangesTheCopyAndARemoveEndsIt) {
  SyncedNode a;
  const Seg syn = client_seg(kV4, Svc::nat, 43000, net::kTcpSyn);
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, syn)).verdict, Verdict::tx);
  Seg ack = syn;
  ack.flags = net::kTcpAck;
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, ack)).verdict, Verdict::tx);
  std::vector<SyncEvent> ev = drain(*a.ring);
  ASSERT_EQ(ev.size(), 1u);

  Golden b;
  ASSERT_EQ(b.worker.apply_sync(ev[0], b.now), lb::ImportResult::ok);
  std::vector<lb::FlowRecord> held;
  b.worker.export_flows(held, b.now);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].state, ConnState::established);
  const int rs_id = b.worker.find_flow_rs(syn.tuple(), b.now);
  ASSERT_GE(rs_id, 0);
  EXPECT_EQ(b.worker.rs_counters()[static_cast<size_t>(rs_id)].active, 1u)
      << "an established copy counts as active, as IPVS's synced connections do";

  SyncEvent fin = ev[0];
  fin.flow.state = ConnState::time_wait;
  fin.flow.timeout_s = 120;
  ASSERT_EQ(b.worker.apply_sync(fin, b.now), lb::ImportResult::ok);
  held.clear();
  b.worker.export_flows(held, b.now);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].state, ConnState::time_wait);
  EXPECT_EQ(held[0].timeout_s, 120u);

  SyncEvent gone = ev[0];
  gone.op = SyncOp::remove;
  ASSERT_EQ(b.worker.apply_sync(gone, b.now), lb::ImportResult::ok);
  EXPECT_EQ(b.worker.find_flow_rs(syn.tuple(), b.now), -1);
  EXPECT_EQ(b.worker.flows(), 0u);

  // A copy ages like any connection: the peer's timeout, then gone.
  ASSERT_EQ(b.worker.apply_sync(ev[0], b.now), lb::ImportResult::ok);
  b.now += ev[0].flow.timeout_s;
  EXPECT_EQ(b.worker.find_flow_rs(syn.tuple(), b.now), -1);
}

// docs/ha.md: on a BACKUP the VIP's service is standby (not steered), and that is where
// synced connections must land; once the node is MASTER (the service steered again)
// the connection's next packet is forwarded to the same real server.
TEST(SyncGolden, ABackupInstallsConnectionsOfItsStandbyServices) {
  SyncedNode a;
  const Seg syn = client_seg(kV4, Svc::nat, 43100, net::kTcpSyn);
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, syn)).verdict, Verdict::tx);
  Seg ack = syn;
  ack.flags = net::kTcpAck;
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, ack)).verdict, Verdict::tx);
  std::vector<SyncEvent> ev = drain(*a.ring);
  ASSERT_EQ(ev.size(), 1u);

  Golden b;
  lb::Snapshot standby = make_snapshot();
  for (lb::Service& s : standby.services)
    s.standby = true;
  ASSERT_TRUE(standby.finalize().has_value());
  b.reload(std::move(standby));
  EXPECT_EQ(b.run(frame(kClientSideMac, kPort0Mac, ack)).verdict, Verdict::to_kernel)
      << "a standby service's frames are the kernel's";
  ASSERT_EQ(b.worker.apply_sync(ev[0], b.now), lb::ImportResult::ok);
  const int rs_id = b.worker.find_flow_rs(syn.tuple(), b.now);
  ASSERT_GE(rs_id, 0);
  EXPECT_EQ(rs_id, a.worker.find_flow_rs(syn.tuple(), a.now));
  lb::Snapshot master = make_snapshot();
  ASSERT_TRUE(master.finalize().has_value());
  b.reload(std::move(master));
  EXPECT_EQ(b.run(frame(kClientSideMac, kPort0Mac, ack)).verdict, Verdict::tx);
  EXPECT_EQ(b.worker.find_flow_rs(syn.tuple(), b.now), rs_id);
}

TEST(SyncGolden, EventsNamingWhatThisNodeLacksAreRefusedAndCounted) {
  SyncedNode a;
  Seg u = client_seg(kV4, Svc::nat, 5000, 0);
  u.proto = net::kProtoUdp;
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, u)).verdict, Verdict::tx);
  std::vector<SyncEvent> ev = drain(*a.ring);
  ASSERT_EQ(ev.size(), 1u);
  Golden b;
  SyncEvent e = ev[0];
  e.flow.rs_addr = ip("10.9.9.9");
  EXPECT_EQ(b.worker.apply_sync(e, b.now), lb::ImportResult::unknown_server);
  e = ev[0];
  e.flow.vport = 9;
  EXPECT_EQ(b.worker.apply_sync(e, b.now), lb::ImportResult::unknown_service);
  EXPECT_EQ(b.worker.counters().imports_refused, 2u);
  EXPECT_EQ(b.worker.flows(), 0u);
}

// ipvsadm -p on every service of a node of `workers` workers.
std::vector<std::unique_ptr<Golden>> persistent_node(uint16_t workers) {
  std::vector<std::unique_ptr<Golden>> node;
  for (uint16_t id = 0; id < workers; ++id) {
    node.push_back(std::make_unique<Golden>(
        SnapOptions{},
        lb::WorkerConfig{.flows_v4 = 256, .flows_v6 = 64, .id = id, .count = workers}));
    lb::Snapshot snap = make_snapshot();
    for (lb::Service& svc : snap.services)
      svc.persistence_s = 300;
    EXPECT_TRUE(snap.finalize().has_value());
    node.back()->reload(std::move(snap));
  }
  return node;
}

// A new connection through a node (to the worker that owns it): its real server.
std::string connect(std::vector<std::unique_ptr<Golden>>& node, const Seg& s) {
  Out out = node[0]->run(frame(kClientSideMac, kPort0Mac, s));
  uint16_t owner = 0;
  if (out.verdict == Verdict::handoff) {
    owner = out.owner;
    out = node[owner]->run(frame(kClientSideMac, kPort0Mac, s));
  }
  EXPECT_EQ(out.verdict, Verdict::tx) << lb::to_string(out.drop);
  const RealServer* rs = node[owner]->flow_rs(s);
  return rs ? text(rs->addr) : "none";
}

// The server's SYN-ACK and the client's ACK of a NAT connection `syn` began on `g`.
void establish(Golden& g, const Seg& syn) {
  const RealServer* rs = g.flow_rs(syn);
  ASSERT_NE(rs, nullptr);
  const Seg synack{.src = text(rs->addr),
                   .dst = syn.src,
                   .sport = kRsPort,
                   .dport = syn.sport,
                   .flags = net::kTcpSyn | net::kTcpAck};
  ASSERT_EQ(g.run(frame(text(rs->mac), kPort1Mac, synack), 1).verdict, Verdict::tx);
  Seg ack = syn;
  ack.flags = net::kTcpAck;
  ASSERT_EQ(g.run(frame(kClientSideMac, kPort0Mac, ack)).verdict, Verdict::tx);
}

TEST(SyncGolden, APersistenceTemplateIsSentWhenMadeAndAgainWhenDue) {
  std::vector<std::unique_ptr<Golden>> node = persistent_node(1);
  Golden& a = *node[0];
  auto ring = std::make_unique<lb::SyncRing>();
  a.worker.sync_to(ring.get());
  Seg u = client_seg(kV4, Svc::nat, 5000, 0);
  u.proto = net::kProtoUdp;
  const std::string rs = connect(node, u);
  std::vector<SyncEvent> ev = drain(*ring);
  ASSERT_EQ(ev.size(), 2u) << "the client's template, then its connection";
  const lb::FlowRecord& t = ev[0].flow;
  EXPECT_EQ(ev[0].op, SyncOp::upsert);
  EXPECT_TRUE(t.persistence_template);
  EXPECT_EQ(text(t.rs_addr), rs);
  // The client's network (no persistence_netmask: its address), port 0, to the service.
  EXPECT_EQ(t.tuple.src, ip(kV4.client));
  EXPECT_EQ(t.tuple.sport, 0);
  EXPECT_EQ(t.tuple.dst, ip(kV4.vip));
  EXPECT_EQ(t.tuple.dport, port_of(Svc::nat));
  EXPECT_EQ(t.timeout_s, 300u);
  EXPECT_FALSE(ev[1].flow.persistence_template);
  EXPECT_EQ(ev[1].flow.tuple, u.tuple());

  // The template is refreshed by each new connection, and sent again only once a
  // quarter of its timeout has passed since it was sent (300 / 4 + 1 = 76 s).
  a.now += 75;
  u.sport = 5001;
  EXPECT_EQ(connect(node, u), rs);
  ev = drain(*ring);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_FALSE(ev[0].flow.persistence_template);
  a.now += 1;
  u.sport = 5002;
  EXPECT_EQ(connect(node, u), rs);
  ev = drain(*ring);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(ev[0].flow.persistence_template);
  EXPECT_EQ(text(ev[0].flow.rs_addr), rs);
  EXPECT_EQ(ev[0].flow.timeout_s, 300u);
}

// The takeover of a persistent service: node A's client went to a server; B applied
// A's events; the client's next connection through B goes to that server, although a
// node like B without the events (C) sends it to the other one.
TEST(SyncGolden, APeerThatAppliedATemplateSendsTheClientsNextConnectionToItsServer) {
  std::vector<std::unique_ptr<Golden>> a = persistent_node(1);
  auto ring = std::make_unique<lb::SyncRing>();
  a[0]->worker.sync_to(ring.get());
  // Another client first: A's rr cursor moves past the server a fresh node picks first.
  Seg other = client_seg(kV4, Svc::nat, 1000, net::kTcpSyn);
  other.src = "198.51.100.1";
  const std::string first = connect(a, other);
  const Seg syn = client_seg(kV4, Svc::nat, 41000, net::kTcpSyn);
  const std::string kept = connect(a, syn);
  ASSERT_NE(kept, first) << "rr with two servers";
  EXPECT_TRUE(drain(*ring).empty())
      << "nothing on a SYN: a template goes with a connection worth syncing";
  establish(*a[0], other);
  establish(*a[0], syn);
  std::vector<SyncEvent> ev = drain(*ring);
  ASSERT_EQ(ev.size(), 4u) << "each template, then its established connection";
  std::erase_if(ev, [](const SyncEvent& e) { return !e.flow.persistence_template; });
  ASSERT_EQ(ev.size(), 2u);

  std::vector<std::unique_ptr<Golden>> b = persistent_node(3);
  std::vector<std::unique_ptr<Golden>> c = persistent_node(3);
  int owners = 0;
  for (const SyncEvent& e : ev) {
    ASSERT_TRUE(e.flow.persistence_template);
    for (auto& w : b) {
      const lb::ImportResult r = w->worker.apply_sync(e, w->now);
      if (r == lb::ImportResult::ok)
        ++owners;
      else
        EXPECT_EQ(r, lb::ImportResult::not_owner);
    }
  }
  EXPECT_EQ(owners, 2) << "one worker owns each template";
  Seg next = syn;
  next.sport = 41001;
  EXPECT_EQ(connect(c, next), first) << "without the template: the scheduler's choice";
  EXPECT_EQ(connect(b, next), kept) << "the template's server";
  next.sport = 41002;
  EXPECT_EQ(connect(b, next), kept);
}

// The bulk copy a starting peer asks for carries the templates (Export::with_templates);
// galectl -L -c's export lists connections only.
TEST(SyncGolden, ABulkCopyCarriesTheTemplatesAndAListingDoesNot) {
  std::vector<std::unique_ptr<Golden>> a = persistent_node(1);
  Seg other = client_seg(kV4, Svc::nat, 1000, 0);
  other.proto = net::kProtoUdp;
  other.src = "198.51.100.1";
  const std::string first = connect(a, other);
  Seg u = client_seg(kV4, Svc::nat, 3000, 0);
  u.proto = net::kProtoUdp;
  const std::string kept = connect(a, u);
  ASSERT_NE(kept, first);
  std::vector<lb::FlowRecord> listed, bulk;
  a[0]->worker.export_flows(listed, a[0]->now);
  a[0]->worker.export_flows(bulk, a[0]->now, SIZE_MAX, lb::Export::with_templates);
  EXPECT_EQ(listed.size(), 2u) << "two connections";
  ASSERT_EQ(bulk.size(), 4u) << "two connections, two templates";
  EXPECT_EQ(std::count_if(bulk.begin(), bulk.end(),
                          [](const lb::FlowRecord& r) { return r.persistence_template; }),
            2);
  std::vector<std::unique_ptr<Golden>> b = persistent_node(3);
  for (const lb::FlowRecord& r : bulk)
    for (auto& w : b)
      (void)w->worker.apply_sync({.op = SyncOp::upsert, .flow = r}, w->now);
  u.sport = 3001;
  EXPECT_EQ(connect(b, u), kept);
}

// A template installed from a peer lives for the time it had left there.
TEST(SyncGolden, ATemplateFromAPeerExpiresWithTheTimeItHadLeft) {
  std::vector<std::unique_ptr<Golden>> a = persistent_node(1);
  auto ring = std::make_unique<lb::SyncRing>();
  a[0]->worker.sync_to(ring.get());
  Seg other = client_seg(kV6, Svc::dr, 1000, 0);
  other.proto = net::kProtoUdp;
  other.src = "2001:db8:5::1";
  const std::string first = connect(a, other);
  Seg u = client_seg(kV6, Svc::dr, 2000, 0);
  u.proto = net::kProtoUdp;
  const std::string kept = connect(a, u);
  ASSERT_NE(kept, first);
  std::vector<SyncEvent> ev = drain(*ring);
  ASSERT_EQ(ev.size(), 4u);
  SyncEvent tmpl = ev[2];
  ASSERT_TRUE(tmpl.flow.persistence_template);
  tmpl.flow.timeout_s = 10;
  u.sport = 2001;
  for (uint32_t later : {9u, 10u}) {
    std::vector<std::unique_ptr<Golden>> b = persistent_node(1);
    ASSERT_EQ(b[0]->worker.apply_sync(tmpl, b[0]->now), lb::ImportResult::ok);
    b[0]->now += later;
    EXPECT_EQ(connect(b, u), later < 10 ? kept : first) << later << " s later";
  }
}

}  // namespace
}  // namespace gale::golden
