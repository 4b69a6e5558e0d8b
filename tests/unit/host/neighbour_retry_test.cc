// Neighbour resolution backs off: asked at once, then at doubling intervals up to 30 s.
#include "host/neighbour_retry.h"

#include <gtest/gtest.h>

namespace gale::host {
namespace {

using std::chrono::milliseconds;

TEST(NeighbourRetry, AsksAtOnceThenBacksOffToThirtySeconds) {
  NeighbourRetry r;
  const NeighbourRetry::Clock::time_point t0{};
  const NeighbourRetry::Key k{*net::parse_ip("10.0.0.9"), 1};
  EXPECT_TRUE(r.add(k, t0));
  EXPECT_FALSE(r.add(k, t0 + milliseconds(50)));  // already scheduled: not asked again
  // Times at which it is asked again: 0.2, 0.6, 1.4, 3.0, 6.2, 12.6, 25.4, 51, 81, 111 s.
  std::vector<int64_t> asked;
  for (int64_t ms = 0; ms <= 120000; ms += 100)
    if (!r.due(t0 + milliseconds(ms)).empty()) asked.push_back(ms);
  EXPECT_EQ(asked,
            (std::vector<int64_t>{200, 600, 1400, 3000, 6200, 12600, 25400, 51000, 81000, 111000}));
}

TEST(NeighbourRetry, ResolvedAddressesLeaveTheSchedule) {
  NeighbourRetry r;
  const NeighbourRetry::Clock::time_point t0{};
  const auto a = *net::parse_ip("10.0.0.9"), b = *net::parse_ip("2001:db8::9");
  r.add({a, 0}, t0);
  r.add({b, 1}, t0);
  r.drop_if([&](const net::IpAddr& x) { return x == a; });
  const auto due = r.due(t0 + milliseconds(200));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].first, b);
  r.drop_if([](const net::IpAddr&) { return true; });
  EXPECT_TRUE(r.empty());
}

}  // namespace
}  // namespace gale::host
