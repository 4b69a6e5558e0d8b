// Flow export and import (lb/flow_export.h): connections exported by a one-worker node
// and imported into a three-worker node, whose snapshot numbers the same real servers
// differently, forward their next packets byte for byte as the first node did.
#include <algorithm>

#include "lb_fixture.h"

namespace gale::golden {
namespace {

// The fixture's snapshot with the real server ids reversed: import must resolve servers
// by their key (service, address, port), not by the exporting node's ids.
Snapshot renumbered() {
  Snapshot s = make_snapshot();
  const size_t n = s.real_servers.size();
  std::reverse(s.real_servers.begin(), s.real_servers.end());
  for (Service& svc : s.services)
    for (uint16_t& id : svc.dest_ids)
      id = static_cast<uint16_t>(n - 1 - id);
  s.generation = 7;
  EXPECT_TRUE(s.finalize().has_value());
  return s;
}

TEST(ExportGolden, OneWorkerToThreeWorkersForwardsIdentically) {
  Golden a;
  std::vector<CarriedConn> conns;
  for (const Family* f : {&kV4, &kV6}) {
    for (Svc svc : {Svc::dr, Svc::ipip, Svc::nat, Svc::fullnat}) {
      for (uint16_t cport = 41000; cport < 41006; ++cport) {
        Seg s{.src = f->client,
              .dst = f->vip,
              .sport = cport,
              .dport = port_of(svc),
              .flags = net::kTcpSyn};
        const Out syn = a.run(frame(kClientSideMac, kPort0Mac, s));
        ASSERT_EQ(syn.verdict, Verdict::tx);
        const RealServer* rs = a.flow_rs(s);
        ASSERT_NE(rs, nullptr);
        CarriedConn c;
        c.ack = s;
        c.ack.flags = net::kTcpAck;
        if (svc == Svc::nat || svc == Svc::fullnat) {
          const bool full = svc == Svc::fullnat;
          const Seg r{.src = text(rs->addr),
                      .dst = full ? f->laddr : f->client,
                      .sport = kRsPort,
                      .dport = full ? sent_sport(syn.bytes, f->v6) : cport,
                      .flags = net::kTcpSyn | net::kTcpAck};
          c.reply = frame(text(rs->mac), kPort1Mac, r);
          ASSERT_EQ(a.run(c.reply, 1).verdict, Verdict::tx);
        }
        const Out ack = a.run(frame(kClientSideMac, kPort0Mac, c.ack));
        ASSERT_EQ(ack.verdict, Verdict::tx);
        c.ack_out = ack.bytes;
        if (!c.reply.empty()) c.reply_out = a.run(c.reply, 1).bytes;
        conns.push_back(c);
      }
    }
  }
  std::vector<lb::FlowRecord> records;
  a.worker.export_flows(records, a.now);
  ASSERT_EQ(records.size(), conns.size());

  std::vector<std::unique_ptr<Golden>> b;
  for (uint16_t id = 0; id < 3; ++id) {
    b.push_back(std::make_unique<Golden>(
        SnapOptions{}, lb::WorkerConfig{.flows_v4 = 256, .flows_v6 = 256, .id = id, .count = 3}));
    b.back()->reload(renumbered());
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

TEST(ExportGolden, UnknownServiceServerOrLocalAddressIsRefusedAndCounted) {
  Golden a;
  const Seg s{.src = kV4.client,
              .dst = kV4.vip,
              .sport = 41000,
              .dport = port_of(Svc::fullnat),
              .flags = net::kTcpSyn};
  ASSERT_EQ(a.run(frame(kClientSideMac, kPort0Mac, s)).verdict, Verdict::tx);
  std::vector<lb::FlowRecord> records;
  a.worker.export_flows(records, a.now);
  ASSERT_EQ(records.size(), 1u);

  Golden b;
  lb::FlowRecord r = records[0];
  r.vport = 9;
  EXPECT_EQ(b.worker.import_flow(r, b.now), lb::ImportResult::unknown_service);
  r = records[0];
  r.rs_addr = ip("10.9.9.9");
  EXPECT_EQ(b.worker.import_flow(r, b.now), lb::ImportResult::unknown_server);
  r = records[0];
  r.laddr = ip("10.9.9.1");
  EXPECT_EQ(b.worker.import_flow(r, b.now), lb::ImportResult::unknown_laddr);
  EXPECT_EQ(b.worker.counters().imports_refused, 3u);
  EXPECT_EQ(b.worker.import_flow(records[0], b.now), lb::ImportResult::ok);
  EXPECT_EQ(b.worker.import_flow(records[0], b.now), lb::ImportResult::exists);
  EXPECT_EQ(b.worker.counters().flows_imported, 1u);
}

}  // namespace
}  // namespace gale::golden
