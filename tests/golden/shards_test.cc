// Three workers: every frame of a connection, either direction, reaches the one worker
// that owns it (the others hand it over), by the client endpoint's shard for NAT and
// by the local port's shard for FullNAT (lb/ownership.h).
#include <set>

#include "lb_fixture.h"

namespace gale::golden {
namespace {

uint16_t sent_sport(const Bytes& b) {
  return static_cast<uint16_t>(b.at(34) << 8 | b.at(35));
}

TEST(ShardsGolden, ThreeWorkersEachDirectionReachesTheOwner) {
  constexpr uint16_t kWorkers = 3;
  std::vector<std::unique_ptr<Golden>> w;
  for (uint16_t id = 0; id < kWorkers; ++id)
    w.push_back(std::make_unique<Golden>(
        SnapOptions{}, lb::WorkerConfig{.flows_v4 = 256, .flows_v6 = 64, .id = id, .count = 3}));
  int flows_of[kWorkers] = {};
  for (Svc svc : {Svc::nat, Svc::fullnat}) {
    for (uint16_t cport = 40000; cport < 40030; ++cport) {
      SCOPED_TRACE(std::to_string(port_of(svc)) + " " + std::to_string(cport));
      const Seg s{.src = kV4.client,
                  .dst = kV4.vip,
                  .sport = cport,
                  .dport = port_of(svc),
                  .flags = net::kTcpSyn};
      const uint16_t owner = w[0]->worker.owner_of_client(ip(s.src), cport);
      ASSERT_LT(owner, kWorkers);
      for (uint16_t id = 0; id < kWorkers; ++id) {
        if (id == owner) continue;
        const Out o = w[id]->run(frame(kClientSideMac, kPort0Mac, s));
        EXPECT_EQ(o.verdict, Verdict::handoff);
        EXPECT_EQ(o.owner, owner);
      }
      const Out out = w[owner]->run(frame(kClientSideMac, kPort0Mac, s));
      ASSERT_EQ(out.verdict, Verdict::tx) << lb::to_string(out.drop);
      ++flows_of[owner];
      const RealServer* rs = w[owner]->flow_rs(s);
      ASSERT_NE(rs, nullptr);

      // The reply: to the client (NAT) or to the local address and port (FullNAT).
      Seg reply{.src = text(rs->addr),
                .dst = svc == Svc::nat ? kV4.client : kV4.laddr,
                .sport = kRsPort,
                .dport = svc == Svc::nat ? cport : sent_sport(out.bytes),
                .flags = net::kTcpSyn | net::kTcpAck};
      // FullNAT replies go by the local port's shard: whoever took the port owns it.
      const uint16_t reply_owner = owner;
      for (uint16_t id = 0; id < kWorkers; ++id) {
        const Out o = w[id]->run(frame(text(rs->mac), kPort1Mac, reply), 1);
        if (id == reply_owner) {
          EXPECT_EQ(o.verdict, Verdict::tx) << lb::to_string(o.drop);
        } else {
          EXPECT_EQ(o.verdict, Verdict::handoff);
          EXPECT_EQ(o.owner, reply_owner);
        }
      }
    }
  }
  for (int n : flows_of)
    EXPECT_GT(n, 0);
}

// ipvsadm -p: every new connection of a client goes to the real server of its first
// while the template lives -- with several workers too, whichever worker the frames
// reach first (they hand the connection to its owner).
TEST(ShardsGolden, APersistentClientKeepsItsServerAcrossWorkers) {
  constexpr uint16_t kWorkers = 3;
  std::vector<std::unique_ptr<Golden>> w;
  for (uint16_t id = 0; id < kWorkers; ++id) {
    w.push_back(std::make_unique<Golden>(
        SnapOptions{}, lb::WorkerConfig{.flows_v4 = 256, .flows_v6 = 64, .id = id, .count = 3}));
    Snapshot snap = make_snapshot();
    for (Service& svc : snap.services)
      svc.persistence_s = 300;
    ASSERT_TRUE(snap.finalize().has_value());
    w[id]->reload(std::move(snap));
  }
  // Other clients first, a different number per worker: the workers' rr cursors part.
  for (uint16_t id = 0; id < kWorkers; ++id) {
    int sent = 0;
    for (int host = 1; sent < id && host < 250; ++host) {
      const std::string client = "198.51.100." + std::to_string(host);
      const Seg other{.src = client,
                      .dst = kV4.vip,
                      .sport = 1000,
                      .dport = port_of(Svc::nat),
                      .flags = net::kTcpSyn};
      if (w[id]->run(frame(kClientSideMac, kPort0Mac, other)).verdict != Verdict::tx) continue;
      ++sent;
    }
    ASSERT_EQ(sent, id);
  }
  std::set<std::string> servers;
  std::set<uint16_t> owners;
  for (uint16_t cport = 41000; cport < 41024; ++cport) {
    const Seg s{.src = kV4.client,
                .dst = kV4.vip,
                .sport = cport,
                .dport = port_of(Svc::nat),
                .flags = net::kTcpSyn};
    Out out = w[0]->run(frame(kClientSideMac, kPort0Mac, s));
    uint16_t owner = 0;
    if (out.verdict == Verdict::handoff) {
      owner = out.owner;
      out = w[owner]->run(frame(kClientSideMac, kPort0Mac, s));
    }
    ASSERT_EQ(out.verdict, Verdict::tx) << lb::to_string(out.drop);
    owners.insert(owner);
    const RealServer* rs = w[owner]->flow_rs(s);
    ASSERT_NE(rs, nullptr);
    servers.insert(text(rs->addr));
  }
  EXPECT_EQ(servers.size(), 1u) << "a persistent client's connections went to several servers ("
                                << owners.size() << " workers owned them)";
}

}  // namespace
}  // namespace gale::golden
