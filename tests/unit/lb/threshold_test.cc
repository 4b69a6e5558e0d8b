// uthreshold / lthreshold are the node's caps (ipvsadm -x -y): with several workers each
// marks a server overloaded at its share, so the node as a whole stays near the cap
// instead of reaching workers x the cap.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "lb/worker.h"
#include "packet_builder.h"

namespace gale::lb {
namespace {

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

// rr over two DR servers; the first has uthreshold `cap`.
Snapshot capped(uint32_t cap, uint16_t workers) {
  Snapshot s;
  s.generation = 1;
  s.workers = workers;
  s.links.push_back({.mac = *net::parse_mac("02:00:00:00:00:01")});
  Service svc{.vip = ip("192.0.2.10"), .port = 80, .proto = 6, .sched = SchedKind::rr};
  for (uint16_t i = 0; i < 2; ++i) {
    s.real_servers.push_back({.addr = i ? ip("10.1.0.2") : ip("10.1.0.1"),
                              .mode = FwdMode::dr,
                              .mac = *net::parse_mac("02:00:00:00:01:01")});
    svc.dests.push_back(
        {.addr = s.real_servers[i].addr, .port = 80, .weight = 1, .u_threshold = i ? 0u : cap});
    svc.dest_ids.push_back(i);
  }
  s.services.push_back(svc);
  EXPECT_TRUE(s.finalize().has_value());
  return s;
}

TEST(Thresholds, TheCapHoldsForTheNode) {
  EXPECT_EQ(worker_share(6, 3), 2u);
  EXPECT_EQ(worker_share(10, 3), 4u);  // ceil
  EXPECT_EQ(worker_share(0, 3), 0u);   // off stays off
  EXPECT_EQ(worker_share(6, 1), 6u);

  constexpr uint16_t kWorkers = 3;
  constexpr uint32_t kCap = 6;
  const Snapshot snap = capped(kCap, kWorkers);
  std::vector<std::unique_ptr<Worker>> w;
  for (uint16_t id = 0; id < kWorkers; ++id) {
    w.push_back(std::make_unique<Worker>(
        WorkerConfig{.flows_v4 = 1024, .flows_v6 = 64, .id = id, .count = kWorkers}));
    w.back()->use(&snap);
  }
  std::vector<uint8_t> buf(2048);
  for (uint16_t cport = 1000; cport < 1300; ++cport) {
    const auto f = test::PacketBuilder()
                       .eth("02:00:00:00:00:aa", "02:00:00:00:00:01")
                       .ipv4("198.51.100.7", "192.0.2.10")
                       .tcp(cport, 80, 0x02)
                       .build();
    const uint16_t owner = w[0]->owner_of_client(ip("198.51.100.7"), cport);
    std::copy(f.begin(), f.end(), buf.begin() + 256);
    Batch b;
    b.count = 1;
    b.pkts[0] = {.data = buf.data() + 256, .len = static_cast<uint16_t>(f.size()), .headroom = 256};
    w[owner]->process(b, 100);
    ASSERT_EQ(b.pkts[0].verdict, Verdict::tx);
  }
  uint64_t to_capped = 0;
  for (const auto& x : w) {
    EXPECT_LE(x->rs_counters()[0].flows, worker_share(kCap, kWorkers));
    to_capped += x->rs_counters()[0].flows;
  }
  EXPECT_LE(to_capped, kCap);  // the config's cap, for the whole node
  EXPECT_GT(to_capped, 0u);
}

}  // namespace
}  // namespace gale::lb
