// The rate estimator against values computed by hand from ip_vs_est.c's arithmetic:
// est += ((delta << 9) - est) >> 2 for connections and packets, (delta << 4) for bytes;
// read as (est + 0x1ff) >> 10 and (est + 0xf) >> 5.
#include <gtest/gtest.h>

#include "ctl/rate_estimator.h"

namespace gale::ctl {
namespace {

TEST(RateEstimator, SmoothsAsIpvs) {
  RateEstimator e;
  // 100 connections and 1,000,000 bytes in the first 2 s: est = (100 << 9) >> 2 = 12800,
  // read (12800 + 511) >> 10 = 12; bytes est = (1e6 << 4) >> 2 = 4,000,000, read
  // (4,000,000 + 15) >> 5 = 125,000.
  e.sample({.conns = 100, .in_bytes = 1000000});
  EXPECT_EQ(e.rates().cps, 12u);
  EXPECT_EQ(e.rates().inbps, 125000u);
  // 100 more: est = 12800 + ((51200 - 12800) >> 2) = 22400, read 22911 >> 10 = 22.
  e.sample({.conns = 200, .in_bytes = 2000000});
  EXPECT_EQ(e.rates().cps, 22u);
  // bytes: 4,000,000 + ((16,000,000 - 4,000,000) >> 2) = 7,000,000 -> 7,000,015 >> 5 =
  // 218,750.
  EXPECT_EQ(e.rates().inbps, 218750u);
  // Nothing for 2 s: est = 22400 + ((0 - 22400) >> 2) = 16800, read 17311 >> 10 = 16.
  e.sample({.conns = 200, .in_bytes = 2000000});
  EXPECT_EQ(e.rates().cps, 16u);
  EXPECT_EQ(e.rates().outpps, 0u);
}

TEST(RateEstimator, StartsFromTheCountersItIsGiven) {
  RateEstimator e({.conns = 1000, .in_pkts = 5000});
  // 2 packets in 2 s: est = (2 << 9) >> 2 = 256, read (256 + 511) >> 10 = 0.
  e.sample({.conns = 1000, .in_pkts = 5002});
  EXPECT_EQ(e.rates().cps, 0u);
  EXPECT_EQ(e.rates().inpps, 0u);
  // 4000 packets: est = 256 + (((4000 << 9) - 256) >> 2) = 256 + 511936 = 512192,
  // read (512192 + 511) >> 10 = 500.
  e.sample({.conns = 1000, .in_pkts = 9002});
  EXPECT_EQ(e.rates().inpps, 500u);
  e.reset({.conns = 0});
  EXPECT_EQ(e.rates().inpps, 0u);
}

}  // namespace
}  // namespace gale::ctl
