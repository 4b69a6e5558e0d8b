// The Maglev builder: balance, weights, determinism across nodes and input order, and
// how many entries move when backends go. The disruption test prints the figures that
// docs/maglev.md quotes.
#include "lb/maglev.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

namespace gale::lb {
namespace {

std::vector<MaglevBackend> backends(size_t n, uint32_t weight = 1) {
  std::vector<MaglevBackend> v;
  for (size_t i = 0; i < n; ++i) {
    auto addr = net::Ipv4Addr{0x0a000000u + static_cast<uint32_t>(i) + 1};
    v.push_back({.key = maglev_key(addr, 80), .weight = weight});
  }
  return v;
}

std::vector<size_t> counts(const std::vector<uint16_t>& table, size_t n) {
  std::vector<size_t> c(n);
  for (uint16_t e : table) {
    EXPECT_LT(e, n);
    if (e < n) ++c[e];
  }
  return c;
}

// The key each entry maps to: comparable across tables built from different lists.
std::vector<uint64_t> owners(const std::vector<uint16_t>& table,
                             const std::vector<MaglevBackend>& b) {
  std::vector<uint64_t> o;
  o.reserve(table.size());
  for (uint16_t e : table)
    o.push_back(e == kNoBackend ? 0 : b[e].key);
  return o;
}

TEST(Maglev, IsPrime) {
  EXPECT_FALSE(is_prime(0));
  EXPECT_FALSE(is_prime(1));
  EXPECT_TRUE(is_prime(2));
  EXPECT_TRUE(is_prime(3));
  EXPECT_FALSE(is_prime(9));
  EXPECT_TRUE(is_prime(251));
  EXPECT_TRUE(is_prime(65537));
  EXPECT_FALSE(is_prime(65536));
  EXPECT_FALSE(is_prime(65539 * 3));
  EXPECT_TRUE(is_prime(4294967291u));  // the largest 32-bit prime
}

TEST(Maglev, RejectsNonPrimeSize) {
  auto b = backends(3);
  EXPECT_TRUE(build_maglev(b, 65536).empty());
  EXPECT_TRUE(build_maglev(b, 0).empty());
  EXPECT_EQ(build_maglev(b, 251).size(), 251u);
}

TEST(Maglev, NoBackendsOrNoWeight) {
  auto empty = build_maglev({}, 251);
  ASSERT_EQ(empty.size(), 251u);
  EXPECT_TRUE(std::all_of(empty.begin(), empty.end(), [](uint16_t e) { return e == kNoBackend; }));
  auto zero = build_maglev(backends(4, 0), 251);
  ASSERT_EQ(zero.size(), 251u);
  EXPECT_TRUE(std::all_of(zero.begin(), zero.end(), [](uint16_t e) { return e == kNoBackend; }));
}

TEST(Maglev, EqualWeightsBalanceWithinOnePercent) {
  for (size_t n : {10u, 100u, 500u}) {
    auto b = backends(n);
    auto table = build_maglev(b, kDefaultMaglevSize);
    ASSERT_GT(table.size(), 100 * n);
    double ideal = static_cast<double>(table.size()) / n;
    auto c = counts(table, n);
    auto [lo, hi] = std::minmax_element(c.begin(), c.end());
    std::printf("maglev N=%zu equal weights: entries per backend %zu..%zu (ideal %.1f)\n", n, *lo,
                *hi, ideal);
    EXPECT_LE(std::abs(*lo - ideal), 0.01 * ideal) << "n=" << n;
    EXPECT_LE(std::abs(*hi - ideal), 0.01 * ideal) << "n=" << n;
  }
}

TEST(Maglev, WeightedOneTwoThree) {
  auto b = backends(3);
  b[0].weight = 1;
  b[1].weight = 2;
  b[2].weight = 3;
  auto table = build_maglev(b, kDefaultMaglevSize);
  auto c = counts(table, 3);
  std::printf("maglev weights 1:2:3: %zu %zu %zu of %zu\n", c[0], c[1], c[2], table.size());
  for (size_t i = 0; i < 3; ++i) {
    double ideal = table.size() * (i + 1) / 6.0;
    EXPECT_LE(std::abs(c[i] - ideal), 0.01 * ideal) << "backend " << i;
  }
}

TEST(Maglev, LargeWeightRatios) {
  // Shares hold whatever the magnitude: 1000:1 and 65535:32768.
  auto b = backends(2);
  b[0].weight = 1000;
  b[1].weight = 1;
  auto c = counts(build_maglev(b, kDefaultMaglevSize), 2);
  EXPECT_NEAR(c[1], kDefaultMaglevSize / 1001.0, 2);
  b[0].weight = 65535;
  b[1].weight = 32768;
  c = counts(build_maglev(b, kDefaultMaglevSize), 2);
  EXPECT_NEAR(c[0] / static_cast<double>(c[1]), 65535 / 32768.0, 0.001);
}

TEST(Maglev, WeightZeroGetsNothing) {
  auto b = backends(5);
  b[3].weight = 0;
  auto c = counts(build_maglev(b, 251), 5);
  EXPECT_EQ(c[3], 0u);
  EXPECT_EQ(c[0] + c[1] + c[2] + c[4], 251u);
}

TEST(Maglev, SameTableInAnyOrder) {
  auto b = backends(50);
  for (size_t i = 0; i < b.size(); ++i)
    b[i].weight = 1 + i % 4;
  auto want = owners(build_maglev(b, kDefaultMaglevSize), b);
  std::mt19937 rng(7);
  for (int round = 0; round < 3; ++round) {
    std::shuffle(b.begin(), b.end(), rng);
    EXPECT_EQ(owners(build_maglev(b, kDefaultMaglevSize), b), want);
  }
}

TEST(Maglev, KeysDependOnAddressAndPort) {
  auto a = net::IpAddr(net::Ipv4Addr{0x0a000001});
  EXPECT_EQ(maglev_key(a, 80), maglev_key(a, 80));
  EXPECT_NE(maglev_key(a, 80), maglev_key(a, 81));
  EXPECT_NE(maglev_key(a, 80), maglev_key(net::Ipv4Addr{0x0a000002}, 80));
  // An IPv6 address whose leading bytes equal an IPv4 one is another backend.
  net::Ipv6Addr v6{};
  v6.b = a.b;
  EXPECT_NE(maglev_key(a, 80), maglev_key(v6, 80));
}

// Removing k of N backends must move the removed backends' entries (k/N of the table)
// and few others: Maglev is not perfectly minimal, so some surviving backends' entries
// move too. "Extra" is that second part as a fraction of the table.
TEST(Maglev, DisruptionOnRemoval) {
  const size_t n = 100;
  auto b = backends(n);
  auto before = owners(build_maglev(b, kDefaultMaglevSize), b);
  std::mt19937 rng(42);
  for (size_t k : {1u, 5u, 10u}) {
    auto kept = b;
    std::shuffle(kept.begin(), kept.end(), rng);
    std::vector<uint64_t> removed;
    for (size_t i = 0; i < k; ++i)
      removed.push_back(kept[i].key);
    kept.erase(kept.begin(), kept.begin() + k);
    auto after = owners(build_maglev(kept, kDefaultMaglevSize), kept);
    size_t moved = 0, extra = 0;
    for (size_t i = 0; i < before.size(); ++i) {
      if (before[i] == after[i]) continue;
      ++moved;
      if (std::find(removed.begin(), removed.end(), before[i]) == removed.end()) ++extra;
    }
    double share = static_cast<double>(k) / n;
    double moved_f = static_cast<double>(moved) / before.size();
    double extra_f = static_cast<double>(extra) / before.size();
    std::printf("maglev N=%zu remove k=%zu: moved %.4f (k/N %.4f), extra %.4f\n", n, k, moved_f,
                share, extra_f);
    EXPECT_LE(moved_f, 1.5 * share + 0.005) << "k=" << k;
    EXPECT_LE(extra_f, 0.5 * share + 0.005) << "k=" << k;
    EXPECT_GE(moved_f, share * 0.99) << "the removed backends' entries must all move";
  }
}

TEST(Maglev, DisruptionOnAddition) {
  const size_t n = 100;
  auto b = backends(n + 1);
  auto grown = owners(build_maglev(b, kDefaultMaglevSize), b);
  b.pop_back();
  auto before = owners(build_maglev(b, kDefaultMaglevSize), b);
  size_t moved = 0;
  for (size_t i = 0; i < before.size(); ++i)
    moved += before[i] != grown[i];
  double moved_f = static_cast<double>(moved) / before.size();
  std::printf("maglev N=%zu add 1: moved %.4f (1/(N+1) %.4f)\n", n, moved_f, 1.0 / (n + 1));
  EXPECT_LE(moved_f, 1.5 / (n + 1) + 0.005);
}

}  // namespace
}  // namespace gale::lb

namespace gale::lb {
namespace {

// FNV-1a 64 over the entries, each as two bytes, low byte first.
uint64_t fnv1a(const std::vector<uint16_t>& table) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint16_t e : table) {
    for (uint8_t b : {static_cast<uint8_t>(e & 0xff), static_cast<uint8_t>(e >> 8)}) {
      h ^= b;
      h *= 0x100000001b3ULL;
    }
  }
  return h;
}

// Every node must build the same table from the same backends, whatever version of gale
// it runs: a flow that ECMP moves from an old node to an upgraded one keeps its real
// server only then. The keys and tables are pinned to constants computed once by an
// independent reference (maglev_reference.py beside this file), not by this code; a
// change that fails here breaks cross-version consistency and needs a release note.
TEST(Maglev, PinnedTable) {
  const std::vector<MaglevBackend> b = {
      {.key = maglev_key(*net::parse_ip("10.0.0.1"), 80), .weight = 1},
      {.key = maglev_key(*net::parse_ip("10.0.0.2"), 80), .weight = 2},
      {.key = maglev_key(*net::parse_ip("10.0.0.3"), 8080), .weight = 3},
      {.key = maglev_key(*net::parse_ip("2001:db8::1"), 80), .weight = 1},
      {.key = maglev_key(*net::parse_ip("10.0.0.4"), 80), .weight = 0},
  };
  EXPECT_EQ(b[0].key, 0x6cfdbf131b163675ULL);
  EXPECT_EQ(b[1].key, 0x9e7c4bd11183799cULL);
  EXPECT_EQ(b[2].key, 0x05adb6fa82838325ULL);
  EXPECT_EQ(b[3].key, 0x2f6ebce879ba1835ULL);
  EXPECT_EQ(b[4].key, 0x1e258f1c381f5296ULL);

  EXPECT_EQ(build_maglev(b, 13), (std::vector<uint16_t>{2, 3, 2, 1, 2, 2, 3, 1, 0, 2, 0, 2, 1}));
  EXPECT_EQ(fnv1a(build_maglev(b, 13)), 0x75238d215cacb6ccULL);
  EXPECT_EQ(fnv1a(build_maglev(b, 251)), 0xc727d9a86fa8ad74ULL);
  EXPECT_EQ(fnv1a(build_maglev(b, kDefaultMaglevSize)), 0x09c4644c740717fcULL);
}

}  // namespace
}  // namespace gale::lb
