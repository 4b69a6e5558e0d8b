// NAT64 connections (lb/nat64.h) exported by a one-worker node and imported into a
// three-worker node go on byte for byte: the client's IPv6 packets at the worker owning
// the client, the server's IPv4 replies at the worker owning the local port.
#include "lb_fixture.h"
#include "nat64_fixture.h"

namespace gale::golden {
namespace {

TEST(Nat64ExportGolden, OneWorkerToThreeWorkersForwardsIdentically) {
  Golden a;
  a.reload(nat64_snapshot());
  std::vector<CarriedConn> conns;
  for (uint8_t proto : {net::kProtoTcp, net::kProtoUdp}) {
    for (uint16_t cport = 41000; cport < 41006; ++cport) {
      const Seg s{.src = kV6.client,
                  .dst = kV6.vip,
                  .sport = cport,
                  .dport = kNat64Port,
                  .proto = proto,
                  .flags = net::kTcpSyn};
      const Out syn = a.run(frame(kClientSideMac, kPort0Mac, s));
      ASSERT_EQ(syn.verdict, Verdict::tx) << lb::to_string(syn.drop);
      const RealServer* rs = a.flow_rs(s);
      ASSERT_NE(rs, nullptr);
      CarriedConn c;
      c.ack = s;
      c.ack.flags = net::kTcpAck;
      const Seg r{.src = text(rs->addr),
                  .dst = kV4.laddr,
                  .sport = kRsPort,
                  .dport = sent_sport(syn.bytes, false),
                  .proto = proto,
                  .flags = net::kTcpSyn | net::kTcpAck};
      c.reply = frame(text(rs->mac), kPort1Mac, r);
      ASSERT_EQ(a.run(c.reply, 1).verdict, Verdict::tx);
      const Out ack = a.run(frame(kClientSideMac, kPort0Mac, c.ack));
      ASSERT_EQ(ack.verdict, Verdict::tx);
      c.ack_out = ack.bytes;
      c.reply_out = a.run(c.reply, 1).bytes;
      conns.push_back(c);
    }
  }
  std::vector<lb::FlowRecord> records;
  a.worker.export_flows(records, a.now);
  ASSERT_EQ(records.size(), conns.size());
  for (const lb::FlowRecord& r : records) {
    EXPECT_TRUE(r.tuple.src.is_v6());
    EXPECT_TRUE(r.rs_addr.is_v4());
    EXPECT_EQ(r.laddr, ip(kV4.laddr));
  }

  std::vector<std::unique_ptr<Golden>> b;
  for (uint16_t id = 0; id < 3; ++id) {
    b.push_back(std::make_unique<Golden>(
        SnapOptions{}, lb::WorkerConfig{.flows_v4 = 256, .flows_v6 = 256, .id = id, .count = 3}));
    b.back()->reload(nat64_snapshot());
  }
  for (const lb::FlowRecord& r : records) {
    const lb::FlowOwners own = b[0]->worker.owners_of(r);
    for (uint16_t id = 0; id < 3; ++id) {
      const lb::ImportResult got = b[id]->worker.import_flow(r, b[id]->now);
      const bool owns = id == own.forward || id == own.reply;
      EXPECT_EQ(got, owns ? lb::ImportResult::ok : lb::ImportResult::not_owner)
          << lb::to_string(got);
    }
  }
  expect_carried_on(b, conns);
}

}  // namespace
}  // namespace gale::golden
