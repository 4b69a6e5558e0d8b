// Ownership through virtual shards (lb/ownership.h), FullNAT local port slices
// (lb/local_ports.h), and the FullNAT config that finalize() must refuse because the
// fast path would divide by zero or leave a worker without ports.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "lb/local_ports.h"
#include "lb/snapshot.h"
#include "lb/worker.h"

namespace gale::lb {
namespace {

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

// One FullNAT service on 192.0.2.10:80 with one real server of the given address.
Snapshot fullnat_snapshot(const char* rs_addr, std::vector<net::IpAddr> laddrs) {
  Snapshot s;
  s.generation = 1;
  s.links.push_back({});
  s.real_servers.push_back({.addr = ip(rs_addr), .port = 8080, .mode = FwdMode::fullnat});
  Service svc{.vip = ip(rs_addr).is_v4() ? ip("192.0.2.10") : ip("2001:db8:a::10"),
              .port = 80,
              .proto = 6,
              .sched = SchedKind::rr};
  svc.dests.push_back({.addr = ip(rs_addr), .port = 8080, .weight = 1});
  svc.dest_ids.push_back(0);
  s.services.push_back(svc);
  s.fullnat.laddrs = std::move(laddrs);
  return s;
}

std::string error_of(Snapshot s) {
  auto r = s.finalize();
  return r ? "" : r.error().message;
}

TEST(FullNatConfig, ServerWithoutLocalAddressOfItsFamilyIsRefused) {
  EXPECT_NE(error_of(fullnat_snapshot("10.1.0.1", {})).find("no FullNAT local address"),
            std::string::npos);
  const std::string e = error_of(fullnat_snapshot("10.1.0.1", {ip("2001:db8:2::1")}));
  EXPECT_NE(e.find("10.1.0.1"), std::string::npos) << e;
  EXPECT_NE(e.find("IPv4"), std::string::npos) << e;
  EXPECT_NE(e.find("fullnat_local_addresses"), std::string::npos) << e;
  // A draining address takes no new connection: it does not count.
  Snapshot draining = fullnat_snapshot("10.1.0.1", {ip("10.2.0.1")});
  draining.fullnat.live = {false};
  EXPECT_NE(error_of(draining).find("no FullNAT local address"), std::string::npos);
  EXPECT_EQ(error_of(fullnat_snapshot("10.1.0.1", {ip("2001:db8:2::1"), ip("10.2.0.1")})), "");
}

TEST(FullNatConfig, TooFewPortsOrTooManyWorkersAreRefused) {
  Snapshot narrow = fullnat_snapshot("10.1.0.1", {ip("10.2.0.1")});
  narrow.fullnat.port_lo = 2000;
  narrow.fullnat.port_hi = 2099;
  const std::string e = error_of(narrow);
  EXPECT_NE(e.find("fullnat_ports 2000-2099 has 100 ports"), std::string::npos) << e;
  Snapshot many = fullnat_snapshot("10.1.0.1", {ip("10.2.0.1")});
  many.workers = 300;
  EXPECT_NE(error_of(many).find("300 workers"), std::string::npos);
  // Without a FullNAT server, neither matters.
  Snapshot dr = fullnat_snapshot("10.1.0.1", {});
  dr.real_servers[0].mode = FwdMode::dr;
  dr.real_servers[0].port = 0;
  dr.services[0].dests[0].port = 80;
  dr.workers = 300;
  dr.fullnat.port_hi = dr.fullnat.port_lo;
  EXPECT_EQ(error_of(dr), "");
}

// Every port of the range belongs to exactly one worker, the one owner() names; the
// shard of port p is (p - lo) * 256 / range and shard s belongs to worker s * W / 256
// (ownership.h), computed here from that definition.
TEST(LocalPortSlices, PartitionTheRangeByShard) {
  for (uint16_t workers : {1, 2, 3, 7}) {
    for (auto [lo, hi] :
         {std::pair<uint16_t, uint16_t>{20000, 29999}, {1024, 65535}, {5000, 5255}}) {
      SCOPED_TRACE(std::to_string(workers) + " workers, " + std::to_string(lo) + "-" +
                   std::to_string(hi));
      Snapshot s = fullnat_snapshot("10.1.0.1", {ip("10.2.0.1")});
      s.fullnat.port_lo = lo;
      s.fullnat.port_hi = hi;
      s.workers = workers;
      ASSERT_EQ(error_of(s), "");
      const ShardMap owners = even_shards(workers);
      std::vector<LocalPorts> lp(workers);
      uint64_t total = 0;
      for (uint16_t w = 0; w < workers; ++w) {
        lp[w].use(s, w, owners);
        EXPECT_GT(lp[w].owned(), 0u);
        total += lp[w].owned();
      }
      EXPECT_EQ(total, uint64_t{hi} - lo + 1);
      for (uint32_t p = lo; p <= hi; p += 37) {
        const uint32_t shard = (p - lo) * 256 / (uint32_t{hi} - lo + 1);
        const uint16_t want = static_cast<uint16_t>(shard * workers / 256);
        for (uint16_t w = 0; w < workers; ++w)
          EXPECT_EQ(lp[w].owner(static_cast<uint16_t>(p), w), want) << p;
      }
    }
  }
}

TEST(LocalPortSlices, RangeChangeUnderLiveFlowsIsRefused) {
  const FullNat a{.laddrs = {ip("10.2.0.1")}, .port_lo = 1024, .port_hi = 65535};
  FullNat b = a;
  EXPECT_TRUE(check_fullnat_ports_change(a, b, 10).has_value());  // unchanged
  b.port_lo = 2048;
  EXPECT_TRUE(check_fullnat_ports_change(a, b, 0).has_value());  // nothing to move
  auto r = check_fullnat_ports_change(a, b, 10);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("fullnat_ports 1024-65535 -> 2048-65535"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("10 live FullNAT connections"), std::string::npos);
}

// The client shard spreads endpoints over all shards, and depends on the seed.
TEST(Shards, ClientShardSpreadsAndIsSeeded) {
  std::set<uint16_t> seen;
  int differ = 0;
  for (uint16_t port = 1000; port < 5000; ++port) {
    const uint16_t s = shard_of_client(ip("198.51.100.7"), port, 1);
    ASSERT_LT(s, kShards);
    seen.insert(s);
    differ += s != shard_of_client(ip("198.51.100.7"), port, 2);
  }
  EXPECT_EQ(seen.size(), kShards);
  EXPECT_GT(differ, 3500);  // about 255/256 of 4000 move with another seed
}

// A worker's owner of a client is the shard map's entry for the client's shard under the
// configured (settable) ownership seed; another seed gives other owners.
TEST(Shards, WorkerOwnershipFollowsSeedAndMap) {
  std::vector<uint16_t> reversed(kShards);
  for (uint32_t sh = 0; sh < kShards; ++sh)
    reversed[sh] = static_cast<uint16_t>(sh < kShards / 2 ? 1 : 0);
  const Worker a({.flows_v4 = 64, .flows_v6 = 64, .count = 2, .ownership_seed = 7});
  const Worker b({.flows_v4 = 64, .flows_v6 = 64, .count = 2, .ownership_seed = 8});
  const Worker c(
      {.flows_v4 = 64, .flows_v6 = 64, .count = 2, .ownership_seed = 7, .shard_owner = reversed});
  int differ = 0;
  for (uint16_t port = 1000; port < 1200; ++port) {
    const uint16_t sh = shard_of_client(ip("198.51.100.7"), port, 7);
    EXPECT_EQ(a.owner_of_client(ip("198.51.100.7"), port), sh < kShards / 2 ? 0 : 1);
    EXPECT_EQ(c.owner_of_client(ip("198.51.100.7"), port), sh < kShards / 2 ? 1 : 0);
    differ +=
        a.owner_of_client(ip("198.51.100.7"), port) != b.owner_of_client(ip("198.51.100.7"), port);
  }
  EXPECT_GT(differ, 50);  // about half of 200
}

}  // namespace
}  // namespace gale::lb
