// The simulator against the real thing: for random clients, what simulate_adoption and
// simulate_new_flow say must be the real server a Worker sends the client's frames to,
// found both from the Worker's flow table and from the frame it sends (every real server
// has a MAC of its own).
#include "lb/simulator.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "lb/worker.h"
#include "net/ipv4.h"
#include "net/l4.h"
#include "packet_builder.h"

namespace gale::lb {
namespace {

using test::PacketBuilder;

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}
net::MacAddr mac(const char* s) {
  return *net::parse_mac(s);
}

constexpr auto kPortMac = "02:00:00:00:00:01";
constexpr auto kVip4 = "192.0.2.10";
constexpr auto kVip6 = "2001:db8::10";

struct ServerSpec {
  const char* addr;
  FwdMode mode;
  int32_t weight;
};

// Services of every kind the two simulations treat differently: Maglev-adopted (wlc, rr),
// hash-scheduled (sh, sh with the port, mh), across both families and every mode.
Snapshot make_snapshot() {
  Snapshot s;
  s.generation = 1;
  s.links.push_back({.mac = mac(kPortMac), .gateway_mac = mac("02:00:00:00:00:fe")});
  s.fullnat.laddrs = {ip("10.2.0.1"), ip("2001:db8:2::1")};
  s.maglev_size = 1009;
  auto add = [&](const char* vip, uint16_t port, uint8_t proto, SchedKind sched,
                 std::vector<ServerSpec> servers, SchedFlags flags = {}) {
    Service svc{.vip = ip(vip), .port = port, .proto = proto, .sched = sched, .sched_flags = flags};
    for (const ServerSpec& spec : servers) {
      const auto id = static_cast<uint16_t>(s.real_servers.size());
      RealServer rs{.addr = ip(spec.addr), .mode = spec.mode, .mac = mac("02:00:00:01:00:00")};
      rs.mac.b[4] = static_cast<uint8_t>(id >> 8);
      rs.mac.b[5] = static_cast<uint8_t>(id);
      s.real_servers.push_back(rs);
      svc.dests.push_back({.addr = rs.addr, .port = port, .weight = spec.weight});
      svc.dest_ids.push_back(id);
    }
    s.services.push_back(std::move(svc));
  };
  using enum FwdMode;
  add(kVip4, 80, net::kProtoTcp, SchedKind::wlc,
      {{"10.1.0.1", dr, 1},
       {"10.1.0.2", dr, 3},
       {"10.1.0.3", tun, 2},
       {"10.1.0.4", nat, 1},
       {"10.1.0.5", fullnat, 1},
       {"10.1.0.6", dr, 0}});
  add(kVip4, 53, net::kProtoUdp, SchedKind::sh,
      {{"10.1.1.1", nat, 1}, {"10.1.1.2", dr, 2}, {"10.1.1.3", tun, 1}, {"10.1.1.4", dr, 1}});
  add(kVip4, 443, net::kProtoTcp, SchedKind::sh,
      {{"10.1.2.1", dr, 1}, {"10.1.2.2", fullnat, 1}, {"10.1.2.3", dr, 5}}, {.sh_port = true});
  add(kVip6, 80, net::kProtoTcp, SchedKind::mh,
      {{"2001:db8:1::1", dr, 1},
       {"2001:db8:1::2", tun, 2},
       {"2001:db8:1::3", nat, 1},
       {"2001:db8:1::4", fullnat, 1}});
  add(kVip6, 443, net::kProtoTcp, SchedKind::rr,
      {{"2001:db8:1::11", dr, 1}, {"2001:db8:1::12", dr, 1}, {"2001:db8:1::13", nat, 4}});
  add(kVip6, 53, net::kProtoUdp, SchedKind::mh,
      {{"2001:db8:1::21", dr, 1}, {"2001:db8:1::22", nat, 1}, {"2001:db8:1::23", dr, 0}},
      {.mh_port = true});
  EXPECT_TRUE(s.finalize().has_value());
  return s;
}

// A random client of a service: IPv4 clients in 100.64.0.0/10, IPv6 in 2001:db8:c::/48,
// so that none is a VIP, a real server or a local address.
net::FiveTuple random_client(std::mt19937_64& rng, const Service& svc) {
  net::FiveTuple t{.dst = svc.vip,
                   .sport = static_cast<uint16_t>(1024 + rng() % (65536 - 1024)),
                   .dport = svc.port,
                   .proto = svc.proto};
  if (svc.vip.is_v4()) {
    t.src = net::Ipv4Addr{0x64400000u | static_cast<uint32_t>(rng() & 0x3fffff)};
  } else {
    net::Ipv6Addr a = ip("2001:db8:c::").v6();
    const uint64_t r = rng();
    for (int i = 0; i < 8; ++i)
      a.b[8 + i] = static_cast<uint8_t>(r >> (8 * i));
    t.src = a;
  }
  return t;
}

// The client's frame for a tuple: TCP with the given flags, or UDP.
std::vector<uint8_t> client_frame(const net::FiveTuple& t, uint8_t tcp_flags) {
  PacketBuilder b;
  b.eth("02:00:00:00:00:aa", kPortMac);
  const std::string src(net::to_text(t.src).view()), dst(net::to_text(t.dst).view());
  if (t.src.is_v4())
    b.ipv4(src, dst);
  else
    b.ipv6(src, dst);
  if (t.proto == net::kProtoTcp)
    b.tcp(t.sport, t.dport, tcp_flags);
  else
    b.udp(t.sport, t.dport);
  return b.payload("x").build();
}

// The indexes of the services for which `keep` holds.
template <typename Pred>
std::vector<size_t> services_where(const Snapshot& snap, Pred keep) {
  std::vector<size_t> out;
  for (size_t i = 0; i < snap.services.size(); ++i)
    if (keep(snap.services[i])) out.push_back(i);
  return out;
}

// Runs one frame through the worker; returns the real server it went to, by its MAC, or
// -1 when it was not sent.
int forward(Worker& w, const Snapshot& snap, const std::vector<uint8_t>& frame, uint32_t now) {
  std::vector<uint8_t> buf(256 + frame.size() + 64);
  std::copy(frame.begin(), frame.end(), buf.begin() + 256);
  Batch b;
  b.count = 1;
  b.pkts[0] = {
      .data = buf.data() + 256, .len = static_cast<uint16_t>(frame.size()), .headroom = 256};
  w.process(b, now);
  if (b.pkts[0].verdict != Verdict::tx) return -1;
  for (size_t id = 0; id < snap.real_servers.size(); ++id)
    if (std::equal(snap.real_servers[id].mac.b.begin(), snap.real_servers[id].mac.b.end(),
                   b.pkts[0].data))
      return static_cast<int>(id);
  ADD_FAILURE() << "sent to no real server's MAC";
  return -1;
}

TEST(Simulator, AdoptionMatchesWhereAWorkerSendsAMidConnectionAck) {
  const Snapshot snap = make_snapshot();
  Worker w({.flows_v4 = 1 << 14, .flows_v6 = 1 << 14});
  w.use(&snap);
  // Only TCP has mid-connection packets: a UDP packet with no flow starts one.
  const auto tcp = services_where(snap, [](const Service& s) { return s.proto == net::kProtoTcp; });
  std::mt19937_64 rng(42);
  int none = 0;
  for (int i = 0; i < 1000; ++i) {
    const net::FiveTuple t = random_client(rng, snap.services[tcp[i % tcp.size()]]);
    const SimResult sim = simulate_adoption(snap, t);
    const int sent = forward(w, snap, client_frame(t, net::kTcpAck), 100);
    EXPECT_EQ(sim.rs_id, sent) << sim.explanation;
    EXPECT_EQ(w.find_flow_rs(t, 100), sent);
    EXPECT_FALSE(sim.stateful_pick) << sim.explanation;
    if (sent < 0) ++none;
  }
  EXPECT_EQ(none, 0);
  EXPECT_EQ(w.counters().flows_adopted, 1000u);
}

// Every node agrees: a worker with another secret seed and a busy history adopts alike.
TEST(Simulator, AdoptionIsTheSameOnABusyWorkerWithAnotherSeed) {
  const Snapshot snap = make_snapshot();
  Worker w({.flows_v4 = 1 << 12, .flows_v6 = 1 << 12, .seed = 0x1234});
  w.use(&snap);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 300; ++i) {  // history: connections that load the servers unevenly
    const Service& svc = snap.services[static_cast<size_t>(i) % snap.services.size()];
    forward(w, snap, client_frame(random_client(rng, svc), net::kTcpSyn), 50);
  }
  const auto tcp = services_where(snap, [](const Service& s) { return s.proto == net::kProtoTcp; });
  for (int i = 0; i < 300; ++i) {
    const net::FiveTuple t = random_client(rng, snap.services[tcp[i % tcp.size()]]);
    EXPECT_EQ(simulate_adoption(snap, t).rs_id,
              forward(w, snap, client_frame(t, net::kTcpAck), 60));
  }
}

TEST(Simulator, NewFlowMatchesTheWorkersPickForHashSchedulers) {
  const Snapshot snap = make_snapshot();
  Worker w({.flows_v4 = 1 << 14, .flows_v6 = 1 << 14});
  w.use(&snap);
  const auto hashed = services_where(
      snap, [](const Service& s) { return s.sched == SchedKind::sh || s.sched == SchedKind::mh; });
  ASSERT_EQ(hashed.size(), 4u);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    // A SYN, or a UDP packet: both start a connection.
    const net::FiveTuple t = random_client(rng, snap.services[hashed[i % hashed.size()]]);
    const SimResult sim = simulate_new_flow(snap, t);
    EXPECT_FALSE(sim.stateful_pick) << sim.explanation;
    const int sent = forward(w, snap, client_frame(t, net::kTcpSyn), 100);
    ASSERT_GE(sent, 0);
    EXPECT_EQ(sim.rs_id, sent) << sim.explanation;
    EXPECT_EQ(w.find_flow_rs(t, 100), sent);
  }
  EXPECT_EQ(w.counters().flows_created, 1000u);
}

// Stateful schedulers: the answer is a fresh worker's first pick, and says it is stateful.
TEST(Simulator, NewFlowOfAStatefulSchedulerIsAFreshWorkersPick) {
  const Snapshot snap = make_snapshot();
  std::mt19937_64 rng(3);
  for (size_t si : {size_t{0}, size_t{4}}) {  // wlc, rr
    for (int i = 0; i < 20; ++i) {
      const net::FiveTuple t = random_client(rng, snap.services[si]);
      const SimResult sim = simulate_new_flow(snap, t);
      EXPECT_TRUE(sim.stateful_pick);
      Worker w({.flows_v4 = 64, .flows_v6 = 64});
      w.use(&snap);
      EXPECT_EQ(sim.rs_id, forward(w, snap, client_frame(t, net::kTcpSyn), 100)) << sim.explanation;
    }
  }
}

TEST(Simulator, ExplainsWhyThereIsNoServer) {
  Snapshot snap = make_snapshot();
  const net::FiveTuple nowhere{.src = ip("100.64.0.1"),
                               .dst = ip(kVip4),
                               .sport = 40000,
                               .dport = 8080,
                               .proto = net::kProtoTcp};
  for (const SimResult& r : {simulate_new_flow(snap, nowhere), simulate_adoption(snap, nowhere)}) {
    EXPECT_EQ(r.rs_id, -1);
    EXPECT_EQ(r.explanation, "no virtual service 192.0.2.10:8080/tcp");
  }

  // Every server quiesced: nothing for new flows, nor for adoption.
  for (SchedDest& d : snap.services[0].dests)
    d.weight = 0;
  ASSERT_TRUE(snap.finalize().has_value());
  const net::FiveTuple t{.src = ip("100.64.0.1"),
                         .dst = ip(kVip4),
                         .sport = 40000,
                         .dport = 80,
                         .proto = net::kProtoTcp};
  const SimResult fresh = simulate_new_flow(snap, t);
  EXPECT_EQ(fresh.rs_id, -1);
  EXPECT_NE(fresh.explanation.find("finds no available real server"), std::string::npos)
      << fresh.explanation;
  EXPECT_EQ(simulate_adoption(snap, t).rs_id, -1);
  Worker w({.flows_v4 = 64, .flows_v6 = 64});
  w.use(&snap);
  EXPECT_EQ(forward(w, snap, client_frame(t, net::kTcpSyn), 100), -1);
  EXPECT_EQ(forward(w, snap, client_frame(t, net::kTcpAck), 100), -1);
}

// A fwmark service has no VIP: the simulator finds it by the classifier's rules, as the
// worker does (it used to look up VIPs only and answered "no virtual service").
TEST(Simulator, FindsAFwmarkServiceByItsRule) {
  Snapshot snap = make_snapshot();
  Service marked{.fwmark = 9, .proto = net::kProtoTcp, .sched = SchedKind::sh};
  marked.dests = {{.addr = ip("10.1.9.1"), .port = 0, .weight = 1}};
  marked.dest_ids = {static_cast<uint16_t>(snap.real_servers.size())};
  snap.real_servers.push_back(
      {.addr = ip("10.1.9.1"), .mode = FwdMode::dr, .mac = mac("02:00:00:01:09:01")});
  snap.services.push_back(marked);
  snap.fwmark_rules.push_back(
      {.fwmark = 9, .net = ip("198.51.100.0"), .prefix_len = 24, .port_lo = 80, .port_hi = 80});
  ASSERT_TRUE(snap.finalize().has_value());
  const net::FiveTuple t{.src = ip("100.64.0.1"),
                         .dst = ip("198.51.100.77"),
                         .sport = 40000,
                         .dport = 80,
                         .proto = net::kProtoTcp};
  const SimResult r = simulate_new_flow(snap, t);
  EXPECT_EQ(r.rs_id, marked.dest_ids[0]) << r.explanation;
  EXPECT_EQ(r.explanation.rfind("fwmark 9/tcp (sh)", 0), 0u) << r.explanation;
  Worker w({.flows_v4 = 64, .flows_v6 = 64});
  w.use(&snap);
  EXPECT_EQ(forward(w, snap, client_frame(t, net::kTcpSyn), 100), r.rs_id);
}

TEST(Simulator, ExplanationNamesServiceSchedulerAndServer) {
  const Snapshot snap = make_snapshot();
  const net::FiveTuple t{.src = ip("2001:db8:c::1"),
                         .dst = ip(kVip6),
                         .sport = 40000,
                         .dport = 80,
                         .proto = net::kProtoTcp};
  const SimResult r = simulate_adoption(snap, t);
  ASSERT_GE(r.rs_id, 0);
  const std::string rs(net::to_text(snap.real_servers[static_cast<size_t>(r.rs_id)].addr).view());
  EXPECT_EQ(r.explanation.rfind("[2001:db8::10]:80/tcp (mh): mh's table picks dest ", 0), 0u)
      << r.explanation;
  EXPECT_NE(r.explanation.find("[" + rs + "]:80"), std::string::npos) << r.explanation;
}

}  // namespace
}  // namespace gale::lb
