// The pacing of gratuitous ARPs and unsolicited NAs (keepalived's vrrp_garp_interval and
// vrrp_gna_interval: the least time between two messages on one interface, ARPs and NAs
// apart), with time passed in.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ha/announce.h"

namespace gale::ha {
namespace {

Vip vip(const char* addr, const char* dev) {
  return {.addr = *net::parse_ip(addr), .dev = dev};
}

struct Sent {
  std::vector<std::string> out;
  void operator()(const Vip& v) {
    out.push_back(std::string(net::to_text(v.addr).view()) + "@" + v.dev);
  }
};

TEST(AnnounceQueue, UnpacedSendsEveryRoundAtOnceInRoundOrder) {
  AnnounceQueue q;
  const std::vector<Vip> vips{vip("192.0.2.1", "eth0"), vip("192.0.2.2", "eth0")};
  q.push(vips, 3);
  Sent s;
  EXPECT_EQ(q.run(0, std::ref(s)), INT64_MAX);
  const std::vector<std::string> want{"192.0.2.1@eth0", "192.0.2.2@eth0", "192.0.2.1@eth0",
                                      "192.0.2.2@eth0", "192.0.2.1@eth0", "192.0.2.2@eth0"};
  EXPECT_EQ(s.out, want);
  EXPECT_TRUE(q.empty());
}

TEST(AnnounceQueue, OneMessagePerIntervalPerInterfaceArpsAndNasApart) {
  AnnounceQueue q({.garp_interval = 10000, .gna_interval = 0});
  const std::vector<Vip> eth0{vip("192.0.2.1", "eth0"), vip("192.0.2.2", "eth0")};
  const std::vector<Vip> eth1{vip("198.51.100.1", "eth1")};
  const std::vector<Vip> v6{vip("2001:db8::1", "eth0")};
  q.push(eth0, 2);
  q.push(eth1, 1);
  q.push(v6, 2);
  Sent s;
  // At 0: the first ARP of each interface, and both NAs (not paced).
  EXPECT_EQ(q.run(0, std::ref(s)), 10000);
  const std::vector<std::string> first{"192.0.2.1@eth0", "2001:db8::1@eth0", "2001:db8::1@eth0",
                                       "198.51.100.1@eth1"};
  std::vector<std::string> got = s.out;
  std::sort(got.begin(), got.end());
  std::vector<std::string> want = first;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  s.out.clear();
  EXPECT_EQ(q.run(9999, std::ref(s)), 10000);  // not yet
  EXPECT_TRUE(s.out.empty());
  EXPECT_EQ(q.run(10000, std::ref(s)), 20000);
  EXPECT_EQ(q.run(20000, std::ref(s)), 30000);
  EXPECT_EQ(q.run(30000, std::ref(s)), INT64_MAX);
  const std::vector<std::string> rest{"192.0.2.2@eth0", "192.0.2.1@eth0", "192.0.2.2@eth0"};
  EXPECT_EQ(s.out, rest);
  EXPECT_TRUE(q.empty());
}

// A late run sends one message, not the ones it "missed": the interval is a floor.
TEST(AnnounceQueue, ALateRunDoesNotBurst) {
  AnnounceQueue q({.garp_interval = 10000});
  const std::vector<Vip> one{vip("192.0.2.1", "eth0")};
  q.push(one, 4);
  Sent s;
  EXPECT_EQ(q.run(0, std::ref(s)), 10000);
  EXPECT_EQ(q.run(55000, std::ref(s)), 65000);
  EXPECT_EQ(s.out.size(), 2u);
}

// An instance that leaves MASTER takes back what still waits for its VIPs, and only that.
TEST(AnnounceQueue, ForgetDropsOnlyThoseVips) {
  AnnounceQueue q({.garp_interval = 10000});
  const std::vector<Vip> a{vip("192.0.2.1", "eth0")};
  const std::vector<Vip> b{vip("192.0.2.9", "eth0")};
  q.push(a, 3);
  q.push(b, 1);
  Sent s;
  q.run(0, std::ref(s));
  q.forget(a);
  EXPECT_EQ(q.run(10000, std::ref(s)), INT64_MAX);
  const std::vector<std::string> want{"192.0.2.1@eth0", "192.0.2.9@eth0"};
  EXPECT_EQ(s.out, want);
}

}  // namespace
}  // namespace gale::ha
