// End-to-end smoke of the worker on a tiny config: a SYN to a DR service gets its MACs
// rewritten, a NAT service's SYN is DNATed and its reply SNATed back.
#include <gtest/gtest.h>

#include "lb/worker.h"
#include "net/ipv4.h"
#include "net/l4.h"
#include "packet_builder.h"
#include "ref_checksum.h"

namespace gale::lb {
namespace {

using test::PacketBuilder;

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}
net::MacAddr mac(const char* s) {
  return *net::parse_mac(s);
}

Snapshot make_snapshot(FwdMode mode) {
  Snapshot s;
  s.generation = 1;
  s.links.push_back({.mac = mac("02:00:00:00:00:01"), .gateway_mac = mac("02:00:00:00:00:fe")});
  for (int i = 0; i < 3; ++i) {
    RealServer rs{.addr = ip(i == 0   ? "10.1.0.1"
                             : i == 1 ? "10.1.0.2"
                                      : "10.1.0.3"),
                  .mode = mode,
                  .mac = mac(i == 0   ? "02:00:00:00:01:01"
                             : i == 1 ? "02:00:00:00:01:02"
                                      : "02:00:00:00:01:03")};
    s.real_servers.push_back(rs);
  }
  Service svc{.vip = ip("192.0.2.10"), .port = 80, .proto = net::kProtoTcp, .sched = SchedKind::rr};
  for (uint16_t i = 0; i < 3; ++i) {
    svc.dests.push_back({.addr = s.real_servers[i].addr, .port = 80, .weight = 1});
    svc.dest_ids.push_back(i);
  }
  s.services.push_back(svc);
  s.fullnat.laddrs.push_back(ip("10.2.0.1"));
  auto ok = s.finalize();
  EXPECT_TRUE(ok.has_value());
  return s;
}

struct Frame {
  std::vector<uint8_t> buf = std::vector<uint8_t>(2048);
  Packet pkt(const std::vector<uint8_t>& f) {
    std::copy(f.begin(), f.end(), buf.begin() + 256);
    return Packet{
        .data = buf.data() + 256, .len = static_cast<uint16_t>(f.size()), .headroom = 256};
  }
};

// A client's TCP segment toward the gale node (port 0's MAC).
std::vector<uint8_t> client_tcp(const std::string& client, uint16_t cport, uint8_t flags,
                                const std::string& dst = "192.0.2.10", uint16_t dport = 80) {
  return PacketBuilder()
      .eth("02:00:00:00:00:aa", "02:00:00:00:00:01")
      .ipv4(client, dst)
      .tcp(cport, dport, flags)
      .build();
}

// Runs one frame through the worker as a batch of one. The packet points into fr.
Packet run_one(Worker& w, Frame& fr, const std::vector<uint8_t>& frame, uint32_t now) {
  Batch b;
  b.count = 1;
  b.pkts[0] = fr.pkt(frame);
  w.process(b, now);
  return b.pkts[0];
}

std::vector<uint8_t> bytes(const Packet& p) {
  return {p.data, p.data + p.len};
}

// The real server id of a client's TCP flow, or -1.
int flow_rs(const Worker& w, const std::string& client, uint16_t cport, uint32_t now,
            const std::string& dst = "192.0.2.10", uint16_t dport = 80) {
  return w.find_flow_rs({.src = ip(client.c_str()),
                         .dst = ip(dst.c_str()),
                         .sport = cport,
                         .dport = dport,
                         .proto = net::kProtoTcp},
                        now);
}

TEST(WorkerSmoke, DrRewritesMacsAndKeepsTheFlow) {
  Snapshot snap = make_snapshot(FwdMode::dr);
  Worker w({.flows_v4 = 1024, .flows_v6 = 64});
  w.use(&snap);
  Frame fr;
  const auto syn = client_tcp("198.51.100.7", 40000, net::kTcpSyn);
  const Packet p = run_one(w, fr, syn, 100);
  ASSERT_EQ(p.verdict, Verdict::tx);
  const std::vector<uint8_t> out = bytes(p);
  std::vector<uint8_t> want = syn;
  const int rs = flow_rs(w, "198.51.100.7", 40000, 100);
  ASSERT_GE(rs, 0);
  std::copy(snap.real_servers[rs].mac.b.begin(), snap.real_servers[rs].mac.b.end(), want.begin());
  std::copy(snap.links[0].mac.b.begin(), snap.links[0].mac.b.end(), want.begin() + 6);
  EXPECT_EQ(out, want);
  EXPECT_EQ(w.counters().flows_created, 1u);
}

TEST(WorkerSmoke, NatForwardAndReply) {
  Snapshot snap = make_snapshot(FwdMode::nat);
  Worker w({.flows_v4 = 1024, .flows_v6 = 64});
  w.use(&snap);
  Frame fr;
  auto syn = PacketBuilder()
                 .eth("02:00:00:00:00:aa", "02:00:00:00:00:01")
                 .ipv4("198.51.100.7", "192.0.2.10")
                 .tcp(40000, 80, net::kTcpSyn)
                 .payload("x")
                 .build();
  const Packet fwd = run_one(w, fr, syn, 100);
  ASSERT_EQ(fwd.verdict, Verdict::tx);
  const std::vector<uint8_t> out = bytes(fwd);
  const int rs = flow_rs(w, "198.51.100.7", 40000, 100);
  ASSERT_GE(rs, 0);
  const std::string rs_ip(net::to_text(snap.real_servers[rs].addr).view());
  auto want = PacketBuilder()
                  .eth("02:00:00:00:00:01", net::to_text(snap.real_servers[rs].mac).c_str())
                  .ipv4("198.51.100.7", rs_ip)
                  .ttl(63)
                  .tcp(40000, 80, net::kTcpSyn)
                  .payload("x")
                  .build();
  EXPECT_EQ(out, want);

  auto synack = PacketBuilder()
                    .eth(net::to_text(snap.real_servers[rs].mac).c_str(), "02:00:00:00:00:01")
                    .ipv4(rs_ip, "198.51.100.7")
                    .tcp(80, 40000, net::kTcpSyn | net::kTcpAck)
                    .build();
  const Packet back = run_one(w, fr, synack, 101);
  ASSERT_EQ(back.verdict, Verdict::tx);
  auto want_reply = PacketBuilder()
                        .eth("02:00:00:00:00:01", "02:00:00:00:00:fe")
                        .ipv4("192.0.2.10", "198.51.100.7")
                        .ttl(63)
                        .tcp(80, 40000, net::kTcpSyn | net::kTcpAck)
                        .build();
  EXPECT_EQ(bytes(back), want_reply);
}

}  // namespace
}  // namespace gale::lb

namespace gale::lb {
namespace {

TEST(WorkerSmoke, FullNatRoundTrips) {
  Snapshot snap = make_snapshot(FwdMode::fullnat);
  Worker w({.flows_v4 = 1024, .flows_v6 = 64});
  w.use(&snap);
  Frame fr;
  for (uint16_t cport = 40000; cport < 40100; ++cport) {
    const Packet syn = run_one(w, fr, client_tcp("198.51.100.7", cport, net::kTcpSyn), 100);
    ASSERT_EQ(syn.verdict, Verdict::tx);
    net::ParsedPacket out;
    ASSERT_EQ(net::parse({syn.data, syn.len}, out), net::ParseError::ok);
    EXPECT_EQ(out.tuple.src, ip("10.2.0.1"));
    // The server answers the local address; gale sends it back to the client.
    const std::string rs_ip(net::to_text(out.tuple.dst).view());
    for (int round = 0; round < 3; ++round) {
      const Packet reply = run_one(w, fr,
                                   PacketBuilder()
                                       .eth("02:00:00:00:01:01", "02:00:00:00:00:01")
                                       .ipv4(rs_ip, "10.2.0.1")
                                       .tcp(80, out.tuple.sport, net::kTcpAck)
                                       .build(),
                                   101);
      ASSERT_EQ(reply.verdict, Verdict::tx) << cport;
      net::ParsedPacket back;
      ASSERT_EQ(net::parse({reply.data, reply.len}, back), net::ParseError::ok);
      EXPECT_EQ(back.tuple.dst, ip("198.51.100.7"));
      EXPECT_EQ(back.tuple.dport, cport);
      ASSERT_EQ(run_one(w, fr, client_tcp("198.51.100.7", cport, net::kTcpAck), 101).verdict,
                Verdict::tx);
    }
  }
  EXPECT_EQ(w.flows(), 100u);
  EXPECT_EQ(w.counters().flows_created, 100u);
}

}  // namespace
}  // namespace gale::lb

namespace gale::lb {
namespace {

// Sends a SYN from client:cport and returns the real server id its flow went to.
int syn_to(Worker& w, Frame& fr, const char* client, uint16_t cport, uint32_t now) {
  if (run_one(w, fr, client_tcp(client, cport, net::kTcpSyn), now).verdict != Verdict::tx)
    return -2;
  return flow_rs(w, client, cport, now);
}

TEST(WorkerPersistence, ClientNetworkSticksUntilTimeout) {
  Snapshot snap = make_snapshot(FwdMode::dr);
  snap.services[0].persistence_s = 300;
  snap.services[0].persistence_prefix = 24;
  Worker w({.flows_v4 = 1024, .flows_v6 = 64});
  w.use(&snap);
  Frame fr;
  const int first = syn_to(w, fr, "198.51.100.7", 40000, 100);
  ASSERT_GE(first, 0);
  // rr would rotate; persistence keeps the /24 on one server.
  for (uint16_t p = 40001; p < 40010; ++p)
    EXPECT_EQ(syn_to(w, fr, "198.51.100.7", p, 110), first);
  EXPECT_EQ(syn_to(w, fr, "198.51.100.99", 41000, 120), first);
  // Another network is scheduled on its own (rr: the next server).
  EXPECT_NE(syn_to(w, fr, "203.0.113.5", 42000, 120), first);
  // Past the timeout (counted from the last new connection) the template is gone: the
  // client is scheduled anew (rr's next server), and sticks to that one from then on.
  const int again = syn_to(w, fr, "198.51.100.7", 43000, 1000);
  ASSERT_GE(again, 0);
  EXPECT_NE(again, first);
  EXPECT_EQ(syn_to(w, fr, "198.51.100.7", 43001, 1001), again);
}

}  // namespace
}  // namespace gale::lb

namespace gale::lb {
namespace {

TEST(WorkerFwmark, RuleSelectsTheServiceAndPersistenceSpansPorts) {
  Snapshot snap = make_snapshot(FwdMode::dr);
  Service& svc = snap.services[0];
  svc.fwmark = 7;
  svc.port = 0;
  svc.persistence_s = 300;
  snap.fwmark_rules.push_back(
      {.fwmark = 7, .net = ip("192.0.2.0"), .prefix_len = 24, .port_lo = 80, .port_hi = 443});
  ASSERT_TRUE(snap.finalize().has_value());
  Worker w({.flows_v4 = 1024, .flows_v6 = 64});
  w.use(&snap);
  Frame fr;
  auto send = [&](const char* dst, uint16_t dport, uint16_t cport) {
    const auto syn = client_tcp("198.51.100.7", cport, net::kTcpSyn, dst, dport);
    if (run_one(w, fr, syn, 100).verdict != Verdict::tx) return -2;
    return flow_rs(w, "198.51.100.7", cport, 100, dst, dport);
  };
  const int first = send("192.0.2.10", 80, 40000);
  ASSERT_GE(first, 0);
  EXPECT_EQ(send("192.0.2.11", 443, 40001), first);  // same mark, same client: same server
  EXPECT_EQ(send("192.0.2.10", 8080, 40002), -2);    // outside the rule: not ours
  EXPECT_EQ(send("192.0.3.10", 80, 40003), -2);
}

TEST(Snapshot, RejectsWhatCannotWork) {
  Snapshot snap = make_snapshot(FwdMode::dr);
  snap.real_servers[0].port = 8080;  // DR cannot change the port
  auto r = snap.finalize();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("DR and TUN cannot change the port"), std::string::npos);

  // A fwmark service no rule marks is accepted (keepalived accepts it; the config
  // warns): it simply receives no packets.
  Snapshot mark = make_snapshot(FwdMode::dr);
  mark.services[0].fwmark = 9;
  EXPECT_TRUE(mark.finalize().has_value());
}

}  // namespace
}  // namespace gale::lb

namespace gale::lb {
namespace {

// Two workers: each frame is processed by its receiver, which hands it off unless it
// owns the flow; the owner then processes it. Every flow ends up in its owner's table
// only, and both workers get flows.
TEST(WorkerOwnership, FlowsLandOnlyInTheirOwnersTable) {
  for (FwdMode mode : {FwdMode::dr, FwdMode::nat, FwdMode::fullnat}) {
    Snapshot snap = make_snapshot(mode);
    Worker w0({.flows_v4 = 1024, .flows_v6 = 64, .id = 0, .count = 2});
    Worker w1({.flows_v4 = 1024, .flows_v6 = 64, .id = 1, .count = 2});
    w0.use(&snap);
    w1.use(&snap);
    Worker* workers[2] = {&w0, &w1};
    Frame fr;
    auto deliver = [&](int receiver, const std::vector<uint8_t>& frame) {
      Packet p = run_one(*workers[receiver], fr, frame, 100);
      if (p.verdict == Verdict::handoff) {
        const int owner = p.owner;
        EXPECT_NE(owner, receiver);
        p = run_one(*workers[owner], fr, frame, 100);
        EXPECT_NE(p.verdict, Verdict::handoff);
      }
      return p;
    };
    for (uint16_t c = 0; c < 64; ++c) {
      const std::string client = "198.51.100." + std::to_string(1 + c);
      Packet out =
          deliver(c % 2, client_tcp(client, static_cast<uint16_t>(40000 + c), net::kTcpSyn));
      ASSERT_EQ(out.verdict, Verdict::tx);
      if (mode == FwdMode::dr) continue;
      // The server's reply, received by the other worker, reaches the flow's owner.
      net::ParsedPacket o;
      ASSERT_EQ(net::parse({out.data, out.len}, o), net::ParseError::ok);
      const std::string src(net::to_text(o.tuple.dst).view()),
          dst(net::to_text(o.tuple.src).view());
      Packet back = deliver((c + 1) % 2, PacketBuilder()
                                             .eth("02:00:00:00:01:01", "02:00:00:00:00:01")
                                             .ipv4(src, dst)
                                             .tcp(o.tuple.dport, o.tuple.sport, net::kTcpAck)
                                             .build());
      EXPECT_EQ(back.verdict, Verdict::tx) << to_string(mode) << " client " << client;
    }
    EXPECT_GT(w0.flows(), 0u) << to_string(mode);
    EXPECT_GT(w1.flows(), 0u) << to_string(mode);
    EXPECT_EQ(w0.flows() + w1.flows(), 64u) << to_string(mode);
    for (uint16_t c = 0; c < 64; ++c) {
      const net::FiveTuple t{.src = ip(("198.51.100." + std::to_string(1 + c)).c_str()),
                             .dst = ip("192.0.2.10"),
                             .sport = static_cast<uint16_t>(40000 + c),
                             .dport = 80,
                             .proto = net::kProtoTcp};
      const uint16_t owner = w0.owner_of_client(t.src, t.sport);
      EXPECT_GE(workers[owner]->find_flow_rs(t, 100), 0);
      EXPECT_EQ(workers[1 - owner]->find_flow_rs(t, 100), -1);
    }
  }
}

}  // namespace
}  // namespace gale::lb

namespace gale::lb {
namespace {

TEST(WorkerReuse, ASynOnAClosedConnectionIsScheduledAfresh) {
  Snapshot snap = make_snapshot(FwdMode::dr);
  Worker w({.flows_v4 = 1024, .flows_v6 = 64});
  w.use(&snap);
  Frame fr;
  auto send = [&](uint8_t flags) {
    run_one(w, fr, client_tcp("198.51.100.7", 40000, flags), 100);
    return flow_rs(w, "198.51.100.7", 40000, 100);
  };
  const int first = send(net::kTcpSyn);
  EXPECT_EQ(send(net::kTcpSyn), first);  // a retransmitted SYN stays
  send(net::kTcpAck);
  send(net::kTcpFin | net::kTcpAck);
  const int again = send(net::kTcpSyn);  // the port reused for a new connection: rr moves on
  ASSERT_GE(again, 0);
  EXPECT_NE(again, first);
}

}  // namespace
}  // namespace gale::lb

namespace gale::lb {
namespace {

TEST(WorkerNeighbour, AnUnresolvedNextHopIsCountedNotSentToNowhere) {
  Snapshot snap = make_snapshot(FwdMode::dr);
  for (auto& rs : snap.real_servers)
    rs.mac = net::MacAddr{};  // galed is still resolving
  Worker w({.flows_v4 = 1024, .flows_v6 = 64});
  w.use(&snap);
  Frame fr;
  const Packet out = run_one(w, fr, client_tcp("198.51.100.7", 40000, net::kTcpSyn), 100);
  EXPECT_EQ(out.verdict, Verdict::drop);
  EXPECT_EQ(out.drop_reason, Drop::no_neighbour);
  EXPECT_EQ(w.counters().drops[static_cast<int>(Drop::no_neighbour)], 1u);
}

}  // namespace
}  // namespace gale::lb

namespace gale::lb {
namespace {

// IPVS's ActiveConn / InActConn: a connection counts as active while ESTABLISHED only
// (ip_vs_proto_tcp.c moves it between the two on every state change), and leaves both
// counts when it expires.
TEST(WorkerRsCounters, ActiveWhileEstablishedOnly) {
  Snapshot snap = make_snapshot(FwdMode::dr);
  Worker w({.flows_v4 = 8, .flows_v6 = 8});  // small: one batch's sweep sees every entry
  w.use(&snap);
  Frame fr;
  auto send = [&](uint16_t cport, uint8_t flags) {
    run_one(w, fr, client_tcp("198.51.100.7", cport, flags), 100);
    return flow_rs(w, "198.51.100.7", cport, 100);
  };
  auto counts = [&](int rs) { return w.rs_counters()[static_cast<size_t>(rs)]; };
  const int rs = send(40000, net::kTcpSyn);
  ASSERT_GE(rs, 0);
  EXPECT_EQ(counts(rs).flows, 1u);
  EXPECT_EQ(counts(rs).active, 0u);  // SYN_RECV: inactive
  send(40000, net::kTcpAck);
  EXPECT_EQ(counts(rs).active, 1u);  // ESTABLISHED
  send(40000, net::kTcpFin | net::kTcpAck);
  EXPECT_EQ(counts(rs).active, 0u);  // FIN_WAIT: inactive again, still tracked
  EXPECT_EQ(counts(rs).flows, 1u);
  // Another connection established, then expired by time: both counts drop.
  const int rs2 = send(40001, net::kTcpSyn);
  ASSERT_GE(rs2, 0);
  send(40001, net::kTcpAck);
  EXPECT_EQ(counts(rs2).active, 1u);
  // ESTABLISHED's 900 s are over; a packet for no service makes the batch sweep.
  run_one(w, fr, client_tcp("198.51.100.7", 40002, net::kTcpSyn, "192.0.2.99"), 100 + 3600);
  EXPECT_EQ(counts(rs2).active, 0u);
  EXPECT_EQ(counts(rs2).flows, 0u);
}

}  // namespace
}  // namespace gale::lb
