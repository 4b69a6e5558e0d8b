// The IPVS schedulers: sequences, shares and stickiness that a wrong implementation
// would break, the overload hysteresis, and the rules every scheduler shares (weight 0
// never picked, nothing available -> -1).
#include "lb/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

namespace gale::lb {
namespace {

net::IpAddr ip4(uint32_t v) {
  return net::IpAddr(net::Ipv4Addr{v});
}

std::vector<SchedDest> dests_with(std::initializer_list<int32_t> weights) {
  std::vector<SchedDest> v;
  uint32_t i = 0;
  for (int32_t w : weights)
    v.push_back({.addr = ip4(0x0a000100 + ++i), .port = 80, .weight = w});
  return v;
}

net::FiveTuple tuple(uint32_t client, uint16_t sport = 40000, uint32_t vip = 0xc0a80001) {
  return {.src = ip4(client), .dst = ip4(vip), .sport = sport, .dport = 80, .proto = 6};
}

// One service on one worker: config, tables, counts and state, as the pipeline holds them.
struct Svc {
  SchedKind kind;
  SchedFlags flags;
  std::vector<SchedDest> dests;
  std::vector<DestLoad> loads;
  SchedTables tables;
  SchedState state;

  Svc(SchedKind k, std::vector<SchedDest> d, SchedFlags f = {}, uint64_t seed = 1)
      : kind(k),
        flags(f),
        dests(std::move(d)),
        loads(dests.size()),
        tables(SchedTables::build(k, f, dests)),
        state(k, dests.size(), seed) {}

  void rebuild() {
    loads.resize(dests.size());
    tables = SchedTables::build(kind, flags, dests);
  }
  int pick(const net::FiveTuple& t, uint32_t now = 1000) {
    return schedule(kind, flags, tables, dests, loads, state, {.tuple = t, .now_s = now});
  }
  int pick(uint32_t client = 1) { return pick(tuple(client)); }
  // Picks and counts the connection as active, as the pipeline does.
  int connect(const net::FiveTuple& t, uint32_t now = 1000) {
    int d = pick(t, now);
    if (d >= 0) bind_conn(dests[d], loads[d]);
    return d;
  }
  int connect(uint32_t client = 1) { return connect(tuple(client)); }
};

constexpr SchedKind kAllKinds[] = {
    SchedKind::rr,  SchedKind::wrr,  SchedKind::lc,    SchedKind::wlc, SchedKind::sh,
    SchedKind::dh,  SchedKind::mh,   SchedKind::sed,   SchedKind::nq,  SchedKind::fo,
    SchedKind::ovf, SchedKind::lblc, SchedKind::lblcr, SchedKind::twos};

TEST(Sched, NamesRoundTrip) {
  static_assert(std::size(kAllKinds) == kSchedKindCount);
  for (SchedKind k : kAllKinds)
    EXPECT_EQ(sched_from_name(to_string(k)), k) << to_string(k);
  EXPECT_EQ(sched_from_name("wlc"), SchedKind::wlc);
  EXPECT_EQ(sched_from_name("lblcr"), SchedKind::lblcr);
  EXPECT_FALSE(sched_from_name("wrrr"));
  EXPECT_FALSE(sched_from_name(""));
  EXPECT_FALSE(sched_from_name("RR"));
}

TEST(Sched, RrCyclesInOrderSkippingUnavailable) {
  Svc s(SchedKind::rr, dests_with({1, 5, 1}));
  std::vector<int> seq;
  for (int i = 0; i < 6; ++i)
    seq.push_back(s.pick());
  EXPECT_EQ(seq, (std::vector<int>{0, 1, 2, 0, 1, 2}));  // rr ignores weights
  s.dests[1].weight = 0;
  s.loads[2].overloaded = true;
  EXPECT_EQ(s.pick(), 0);
  EXPECT_EQ(s.pick(), 0);
  s.loads[2].overloaded = false;
  EXPECT_EQ(s.pick(), 2);
  EXPECT_EQ(s.pick(), 0);
}

TEST(Sched, WrrSequenceOneTwoThree) {
  // IPVS's wrr for weights A=1 B=2 C=3: levels 3, 2, 1 -> C | B C | A B C.
  Svc s(SchedKind::wrr, dests_with({1, 2, 3}));
  std::vector<int> seq;
  for (int i = 0; i < 12; ++i)
    seq.push_back(s.pick());
  EXPECT_EQ(seq, (std::vector<int>{2, 1, 2, 0, 1, 2, 2, 1, 2, 0, 1, 2}));
  std::vector<int> count(3);
  for (int i = 0; i < 600; ++i)
    ++count.at(s.pick());
  EXPECT_EQ(count, (std::vector<int>{100, 200, 300}));
}

TEST(Sched, WrrUsesGcdAndSkipsUnavailable) {
  Svc s(SchedKind::wrr, dests_with({2, 4}));
  EXPECT_EQ(s.tables.wrr_gcd, 2);
  std::vector<int> seq;
  for (int i = 0; i < 6; ++i)
    seq.push_back(s.pick());
  EXPECT_EQ(seq, (std::vector<int>{1, 0, 1, 1, 0, 1}));

  // The heaviest overloaded: the others keep their 1:2 share, no empty passes.
  Svc t(SchedKind::wrr, dests_with({1, 2, 1000}));
  t.loads[2].overloaded = true;
  std::vector<int> count(3);
  for (int i = 0; i < 300; ++i)
    ++count.at(t.pick());
  EXPECT_EQ(count, (std::vector<int>{100, 200, 0}));
}

TEST(Sched, LcPicksLeastOverhead) {
  Svc s(SchedKind::lc, dests_with({1, 1, 1}));
  s.loads[0] = {.active = 1, .inactive = 0};    // 256
  s.loads[1] = {.active = 0, .inactive = 300};  // 300
  s.loads[2] = {.active = 1, .inactive = 10};   // 266
  EXPECT_EQ(s.pick(), 0);
  s.loads[0].inactive = 20;  // 276
  EXPECT_EQ(s.pick(), 2);
  s.dests[2].weight = 0;  // quiesced, though least loaded
  EXPECT_EQ(s.pick(), 0);
  // Ties go to the first in list order.
  Svc t(SchedKind::lc, dests_with({1, 1, 1}));
  EXPECT_EQ(t.pick(), 0);
  // lc ignores weights: connections spread evenly.
  Svc u(SchedKind::lc, dests_with({1, 100}));
  for (int i = 0; i < 10; ++i)
    u.connect();
  EXPECT_EQ(u.loads[0].active, 5u);
  EXPECT_EQ(u.loads[1].active, 5u);
}

TEST(Sched, WlcSharesByWeight) {
  Svc s(SchedKind::wlc, dests_with({1, 3}));
  for (int i = 0; i < 400; ++i)
    s.connect();
  EXPECT_EQ(s.loads[0].active, 100u);
  EXPECT_EQ(s.loads[1].active, 300u);
  // Inactive connections count 1/256 of an active one.
  Svc t(SchedKind::wlc, dests_with({1, 1}));
  t.loads[0] = {.active = 1, .inactive = 0};
  t.loads[1] = {.active = 0, .inactive = 255};
  EXPECT_EQ(t.pick(), 1);
  t.loads[1].inactive = 257;
  EXPECT_EQ(t.pick(), 0);
}

TEST(Sched, SedAndNq) {
  // Both idle, weights 1 and 10: wlc takes the first (0/1 == 0/10), sed the heavier
  // ((0+1)/10 < (0+1)/1), nq the first idle one.
  auto d = dests_with({1, 10});
  EXPECT_EQ(Svc(SchedKind::wlc, d).pick(), 0);
  EXPECT_EQ(Svc(SchedKind::sed, d).pick(), 1);
  EXPECT_EQ(Svc(SchedKind::nq, d).pick(), 0);

  // sed counts active connections only: (1+1)/1 = 2 vs (5+1)/10 = 0.6.
  Svc sed(SchedKind::sed, d);
  sed.loads[0] = {.active = 1, .inactive = 0};
  sed.loads[1] = {.active = 5, .inactive = 1000};
  EXPECT_EQ(sed.pick(), 1);

  // nq: an idle server wins outright, even a light one; none idle -> sed.
  Svc nq(SchedKind::nq, d);
  nq.loads[1] = {.active = 3};
  EXPECT_EQ(nq.pick(), 0);
  nq.loads[0] = {.active = 1};
  EXPECT_EQ(nq.pick(), 1);  // 2/1 vs 4/10
}

TEST(Sched, OverloadHysteresis) {
  SchedDest d{.addr = ip4(1), .port = 80, .weight = 1, .u_threshold = 10};
  DestLoad l;
  for (int i = 0; i < 9; ++i)
    bind_conn(d, l);
  EXPECT_FALSE(l.overloaded);
  bind_conn(d, l);  // 10 >= 10
  EXPECT_TRUE(l.overloaded);
  deactivate_conn(l);  // total unchanged
  EXPECT_TRUE(l.overloaded);
  unbind_conn(d, l, true);  // 9
  unbind_conn(d, l, true);  // 8: 32 >= 30, still overloaded
  EXPECT_TRUE(l.overloaded);
  unbind_conn(d, l, false);  // 7: 28 < 30 = 3/4 of 10
  EXPECT_FALSE(l.overloaded);
  EXPECT_EQ(l.active, 7u);
  EXPECT_EQ(l.inactive, 0u);

  d.l_threshold = 5;
  for (int i = 0; i < 3; ++i)
    bind_conn(d, l);
  EXPECT_TRUE(l.overloaded);
  while (l.active > 5)
    unbind_conn(d, l, true);
  EXPECT_TRUE(l.overloaded);  // 5 is not below 5
  unbind_conn(d, l, true);
  EXPECT_FALSE(l.overloaded);

  // No thresholds: never overloaded.
  SchedDest free{.addr = ip4(2), .port = 80, .weight = 1};
  DestLoad fl;
  for (int i = 0; i < 1000; ++i)
    bind_conn(free, fl);
  EXPECT_FALSE(fl.overloaded);
}

TEST(Sched, ThresholdCapsConnectionsPerServer) {
  auto d = dests_with({1, 1});
  d[0].u_threshold = 3;
  d[1].u_threshold = 3;
  Svc s(SchedKind::wlc, d);
  for (int i = 0; i < 6; ++i)
    EXPECT_GE(s.connect(), 0);
  EXPECT_EQ(s.connect(), -1);
  unbind_conn(s.dests[0], s.loads[0], true);  // 2: 8 < 9, cleared
  EXPECT_EQ(s.connect(), 0);
}

TEST(Sched, FoPicksHighestWeightAvailable) {
  Svc s(SchedKind::fo, dests_with({5, 10, 10, 7}));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(s.connect(), 1);  // first of the two 10s
  s.loads[1].overloaded = true;
  EXPECT_EQ(s.pick(), 2);
  s.dests[2].weight = 0;
  EXPECT_EQ(s.pick(), 3);
}

TEST(Sched, OvfOverflowsPastWeight) {
  // IPVS's ovf skips a server once its active connections exceed its weight, so the
  // heaviest takes weight + 1 connections before the next takes any.
  Svc s(SchedKind::ovf, dests_with({2, 3}));
  std::vector<int> seq;
  for (int i = 0; i < 8; ++i)
    seq.push_back(s.connect());
  EXPECT_EQ(seq, (std::vector<int>{1, 1, 1, 1, 0, 0, 0, -1}));
  unbind_conn(s.dests[1], s.loads[1], true);
  EXPECT_EQ(s.pick(), 1);
  s.loads[1].overloaded = true;
  EXPECT_EQ(s.pick(), -1);  // server 0 is full too
}

// A table from source to the server address sh/mh/dh picks, for many sources.
std::map<uint32_t, net::IpAddr> mapping(Svc& s, uint32_t nsources) {
  std::map<uint32_t, net::IpAddr> m;
  for (uint32_t c = 0; c < nsources; ++c) {
    int d = s.pick(tuple(0x64000000 + c * 7919));
    if (d >= 0) m[c] = s.dests[d].addr;
  }
  return m;
}

TEST(Sched, ShStablePerSourceAndBalanced) {
  Svc s(SchedKind::sh, dests_with({1, 1, 1, 1, 1}));
  ASSERT_EQ(s.tables.buckets.size(), kShTableSize);
  auto a = mapping(s, 20000);
  ASSERT_EQ(a.size(), 20000u);
  // Another worker (another state) maps every source the same way.
  Svc other(SchedKind::sh, dests_with({1, 1, 1, 1, 1}));
  EXPECT_EQ(mapping(other, 20000), a);
  std::map<net::IpAddr, int> share;
  for (auto& [c, addr] : a)
    ++share[addr];
  for (auto& [addr, n] : share)
    EXPECT_NEAR(n, 4000, 400) << net::to_text(addr).c_str();
  // Without the port flag the source port does not matter; with it, it does.
  std::set<int> without, with;
  Svc p(SchedKind::sh, dests_with({1, 1, 1, 1, 1}), {.sh_port = true});
  for (uint16_t port = 1000; port < 1100; ++port) {
    without.insert(s.pick(tuple(42, port)));
    with.insert(p.pick(tuple(42, port)));
  }
  EXPECT_EQ(without.size(), 1u);
  EXPECT_EQ(with.size(), 5u);
}

TEST(Sched, ShRemovalMovesOnlyTheRemovedServersSources) {
  Svc s(SchedKind::sh, dests_with({1, 2, 1, 3, 1, 1}));
  auto before = mapping(s, 20000);
  net::IpAddr gone = s.dests[2].addr;
  s.dests.erase(s.dests.begin() + 2);
  s.rebuild();
  auto after = mapping(s, 20000);
  size_t moved = 0;
  for (auto& [c, addr] : before) {
    if (addr == gone) {
      EXPECT_NE(after[c], gone);
      ++moved;
    } else {
      EXPECT_EQ(after[c], addr) << "source " << c;
    }
  }
  EXPECT_NEAR(moved, 20000 / 9, 300);  // its weight share, 1/9
}

TEST(Sched, ShWeightShares) {
  Svc s(SchedKind::sh, dests_with({1, 2, 3}));
  std::vector<int> n(3);
  for (uint16_t b : s.tables.buckets)
    ++n[b];
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(n[i], kShTableSize * (i + 1) / 6.0, 0.05 * kShTableSize);
}

// Quiescing with last_weight keeps the table: the server's own sources get no server
// (IPVS without -b sh-fallback), or another one with the flag; nobody else moves.
void check_fallback(SchedKind kind, SchedFlags plain, SchedFlags fallback) {
  auto d = dests_with({1, 1, 1, 1});
  Svc a(kind, d, plain), b(kind, d, fallback);
  auto before = mapping(a, 8000);
  for (Svc* s : {&a, &b}) {
    s->dests[1].weight = 0;
    s->dests[1].last_weight = 1;
    s->rebuild();
  }
  int dropped = 0;
  std::map<int, int> rehomed;  // where the quiesced server's sources go with fallback
  for (uint32_t c = 0; c < 8000; ++c) {
    auto t = tuple(0x64000000 + c * 7919);
    int pa = a.pick(t), pb = b.pick(t);
    EXPECT_NE(pb, 1);
    EXPECT_GE(pb, 0);
    if (before[c] == d[1].addr) {
      EXPECT_EQ(pa, -1);
      ++dropped;
      ++rehomed[pb];
    } else {
      ASSERT_GE(pa, 0);
      EXPECT_EQ(a.dests[pa].addr, before[c]);
      EXPECT_EQ(b.dests[pb].addr, before[c]);
    }
  }
  EXPECT_NEAR(dropped, 2000, 300);
  // Rehashing spreads them over the others rather than piling them on one neighbour.
  EXPECT_EQ(rehomed.size(), 3u);
  for (auto& [dest, n] : rehomed)
    EXPECT_GT(n, dropped / 5) << "dest " << dest;
  // Overloaded is unavailable too: with fallback its sources go elsewhere.
  b.dests[1].weight = 1;
  b.loads[1].overloaded = true;
  for (uint32_t c = 0; c < 2000; ++c)
    EXPECT_NE(b.pick(tuple(0x64000000 + c * 7919)), 1);
}

TEST(Sched, ShFallbackSkipsQuiescedAndOverloaded) {
  check_fallback(SchedKind::sh, {}, {.sh_fallback = true});
}

TEST(Sched, MhFallbackSkipsQuiescedAndOverloaded) {
  check_fallback(SchedKind::mh, {}, {.mh_fallback = true});
}

TEST(Sched, QuiescedWithoutLastWeightLeavesTheTable) {
  for (SchedKind k : {SchedKind::sh, SchedKind::mh}) {
    Svc s(k, dests_with({1, 0, 1}));
    for (uint32_t c = 0; c < 3000; ++c)
      EXPECT_NE(s.pick(c * 131), 1) << to_string(k);
    for (uint32_t c = 0; c < 3000; ++c)
      EXPECT_GE(s.pick(c * 131), 0) << to_string(k);
  }
}

TEST(Sched, DhHashesTheDestination) {
  Svc s(SchedKind::dh, dests_with({1, 1, 1, 1}));
  std::set<int> per_dst, all;
  for (uint32_t c = 0; c < 200; ++c)
    per_dst.insert(s.pick(tuple(c, 1000 + c, 0x08080808)));
  EXPECT_EQ(per_dst.size(), 1u);  // any client, any port: one server per destination
  for (uint32_t v = 0; v < 200; ++v)
    all.insert(s.pick(tuple(1, 1000, 0x08080800 + v)));
  EXPECT_EQ(all.size(), 4u);
}

TEST(Sched, MhSameMappingOnEveryNode) {
  auto d = dests_with({1, 2, 1, 1, 3, 1, 1, 1, 1, 1});
  Svc node1(SchedKind::mh, d);
  auto shuffled = d;
  std::reverse(shuffled.begin(), shuffled.end());
  Svc node2(SchedKind::mh, shuffled, {}, 99);
  ASSERT_EQ(node1.tables.buckets.size(), kDefaultMaglevSize);
  auto m1 = mapping(node1, 20000);
  EXPECT_EQ(mapping(node2, 20000), m1);
  // Shares follow the weights (13 in total).
  std::map<net::IpAddr, int> share;
  for (auto& [c, addr] : m1)
    ++share[addr];
  EXPECT_NEAR(share[d[4].addr], 20000 * 3 / 13.0, 400);
  EXPECT_NEAR(share[d[0].addr], 20000 / 13.0, 300);
  // Removing one server moves its sources and few others.
  node1.dests.erase(node1.dests.begin());
  node1.rebuild();
  auto m2 = mapping(node1, 20000);
  int others_moved = 0;
  for (auto& [c, addr] : m1)
    others_moved += addr != d[0].addr && m2[c] != addr;
  EXPECT_LT(others_moved, 20000 * 0.02);
}

TEST(Sched, MhPortFlag) {
  Svc s(SchedKind::mh, dests_with({1, 1, 1, 1}));
  Svc p(SchedKind::mh, dests_with({1, 1, 1, 1}), {.mh_port = true});
  std::set<int> without, with;
  for (uint16_t port = 1000; port < 1100; ++port) {
    without.insert(s.pick(tuple(42, port)));
    with.insert(p.pick(tuple(42, port)));
  }
  EXPECT_EQ(without.size(), 1u);
  EXPECT_EQ(with.size(), 4u);
}

TEST(Sched, LblcSticksToTheDestinationsServer) {
  Svc s(SchedKind::lblc, dests_with({10, 10, 10}));
  auto to = [](uint32_t dst, uint32_t client) { return tuple(client, 40000, dst); };
  int first = s.connect(to(0x08080808, 1));
  // The same destination keeps its server up to weight + 1 active connections though
  // the others are idle (wlc would spread them).
  for (uint32_t c = 2; c <= 11; ++c)
    EXPECT_EQ(s.connect(to(0x08080808, c)), first);
  EXPECT_EQ(s.loads[first].active, 11u);
  // Now active > weight and another server is under half its weight: move.
  int moved = s.connect(to(0x08080808, 12));
  EXPECT_NE(moved, first);
  EXPECT_EQ(s.connect(to(0x08080808, 13)), moved);  // and stick to the new one
  EXPECT_EQ(s.state.cache_entries(), 1u);

  // Another destination goes to the least loaded server (wlc).
  int other = s.connect(to(0x01010101, 1));
  EXPECT_NE(other, first);
  EXPECT_NE(other, moved);
}

TEST(Sched, LblcStaysWhenNoServerIsUnderHalfItsWeight) {
  Svc s(SchedKind::lblc, dests_with({10, 10}));
  auto t = tuple(1, 40000, 0x08080808);
  EXPECT_EQ(s.connect(t), 0);
  s.loads[0].active = 15;  // past its weight...
  s.loads[1].active = 5;   // ...but 5 is not under half of 10: stay
  EXPECT_EQ(s.pick(t), 0);
  s.loads[1].active = 4;  // now it is: move to the weighted least-connection server
  EXPECT_EQ(s.pick(t), 1);
}

TEST(Sched, LblcEntriesExpire) {
  Svc s(SchedKind::lblc, dests_with({100, 100}));
  auto t = tuple(1, 40000, 0x08080808);
  EXPECT_EQ(s.connect(t, 1000), 0);
  EXPECT_EQ(s.connect(t, 1000 + kLblcExpireS), 0);  // used: refreshed
  // Stale after kLblcExpireS unused: scheduled afresh by wlc, which now prefers 1.
  EXPECT_EQ(s.connect(t, 1001 + 2 * kLblcExpireS), 1);
}

// Bounded means old destinations make room for new ones (LRU within a set): a flood of
// destinations evicts an early one, which is then scheduled afresh, while the latest
// still sticks. (A cache that grew, or that refused new entries when full, fails.)
TEST(Sched, LblcCacheIsBoundedByEvictingTheLeastRecentlyUsed) {
  Svc s(SchedKind::lblc, dests_with({100, 100}));
  const auto early = tuple(1, 40000, 0x08080808);
  ASSERT_EQ(s.connect(early, 1000), 0);
  s.loads[0].active = 10;  // wlc now prefers 1; 0 is not overloaded, so early sticks
  ASSERT_EQ(s.pick(early, 1001), 0);

  constexpr uint32_t kFlood = 40000;  // ~39 per set: every set overflows its 4 ways
  net::FiveTuple latest;
  for (uint32_t v = 0; v < kFlood; ++v) {
    latest = tuple(1, 40000, 0x0b000000 + v);
    ASSERT_EQ(s.pick(latest, 2000), 1);
  }
  EXPECT_EQ(s.state.cache_entries(), size_t{kLblcSets} * kLblcWays);  // every set full
  EXPECT_EQ(s.pick(early, 2001), 1);  // evicted: wlc's choice, no longer server 0

  s.loads[1].active = 20;  // wlc now prefers 0, but the latest destination sticks to 1
  EXPECT_EQ(s.pick(latest, 2002), 1);
}

TEST(Sched, LblcrGrowsAndShrinksTheSet) {
  Svc s(SchedKind::lblcr, dests_with({2, 2, 2}));
  auto t = tuple(1, 40000, 0x08080808);
  uint32_t now = 1000;
  EXPECT_EQ(s.connect(t, now), 0);
  EXPECT_EQ(s.connect(t, now), 0);
  EXPECT_EQ(s.connect(t, now), 0);  // 2 active: not yet more than its weight
  EXPECT_EQ(s.connect(t, now), 1);  // 3 > 2 and server 1 is idle: replicate to 1
  // The set is {0, 1}: picks go to its least loaded member (1), not to the idle 2.
  EXPECT_EQ(s.connect(t, now), 1);
  EXPECT_EQ(s.connect(t, now), 1);
  EXPECT_EQ(s.loads[2].active, 0u);
  // A set unchanged for the expiry time sheds its most loaded member.
  now += kLblcExpireS - 1;
  s.loads[1].active = 0;  // its connections ended
  unbind_conn(s.dests[0], s.loads[0], true);
  EXPECT_EQ(s.pick(t, now), 1);
  now += 2;
  EXPECT_EQ(s.pick(t, now), 1);  // picked, then 0 (most loaded) leaves the set
  s.loads[1].active = 1;
  s.loads[0].active = 0;
  EXPECT_EQ(s.pick(t, now), 1);  // 0 is idle but no longer in the set
}

TEST(Sched, TwosWeightedShares) {
  // Without load both draws tie and the first wins: picks follow the weights.
  Svc s(SchedKind::twos, dests_with({1, 2, 3}), {}, 12345);
  std::vector<int> n(3);
  const int kPicks = 60000;
  for (int i = 0; i < kPicks; ++i)
    ++n.at(s.pick());
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(n[i], kPicks * (i + 1) / 6.0, kPicks * 0.01) << i;
  // The same seed gives the same sequence; another seed another one.
  Svc a(SchedKind::twos, dests_with({1, 1, 1, 1}), {}, 7),
      b(SchedKind::twos, dests_with({1, 1, 1, 1}), {}, 7),
      c(SchedKind::twos, dests_with({1, 1, 1, 1}), {}, 8);
  std::vector<int> sa, sb, sc;
  for (int i = 0; i < 64; ++i) {
    sa.push_back(a.pick());
    sb.push_back(b.pick());
    sc.push_back(c.pick());
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

TEST(Sched, TwosBalancesLoadByWeight) {
  Svc s(SchedKind::twos, dests_with({1, 2, 3, 2}), {}, 99);
  for (int i = 0; i < 8000; ++i)
    s.connect();
  // Two choices keep each server's active/weight close: within 2% of 1000 per unit.
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(s.loads[i].active / static_cast<double>(s.dests[i].weight), 1000, 20) << i;
  }
}

TEST(Sched, WeightZeroNeverPicked) {
  for (SchedKind k : kAllKinds) {
    Svc s(k, dests_with({0, 1, 0, 2, 0}));
    for (uint32_t c = 0; c < 500; ++c) {
      int d = s.connect(tuple(0x64000000 + c * 104729, static_cast<uint16_t>(c), 0x0b000000 + c));
      if (k == SchedKind::ovf && d < 0) break;  // ovf fills up; -1 is right then
      ASSERT_TRUE(d == 1 || d == 3) << to_string(k) << " picked " << d;
    }
  }
}

TEST(Sched, NothingAvailableIsMinusOne) {
  for (SchedKind k : kAllKinds) {
    Svc zero(k, dests_with({0, 0, 0}));
    EXPECT_EQ(zero.pick(), -1) << to_string(k);
    Svc over(k, dests_with({1, 2, 3}), {.sh_fallback = true, .mh_fallback = true});
    for (auto& l : over.loads)
      l.overloaded = true;
    for (uint32_t c = 0; c < 50; ++c)
      EXPECT_EQ(over.pick(c), -1) << to_string(k);
    Svc none(k, {});
    EXPECT_EQ(none.pick(), -1) << to_string(k);
  }
}

TEST(Sched, NewServerListResyncsState) {
  // A state made for 3 servers, used with 2 (a new snapshot): no stale index comes out.
  for (SchedKind k : kAllKinds) {
    Svc s(k, dests_with({1, 1, 1}));
    for (uint32_t c = 0; c < 20; ++c)
      s.pick(c);
    s.dests.pop_back();
    s.rebuild();
    for (uint32_t c = 0; c < 20; ++c) {
      int d = s.pick(c);
      EXPECT_TRUE(d == 0 || d == 1) << to_string(k) << " " << d;
    }
  }
}

}  // namespace
}  // namespace gale::lb
