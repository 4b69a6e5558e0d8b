// The statistics aggregate: every counter the workers and backends keep is summed and
// rendered, and the JSON carries each one under its name.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ctl/stats.h"

namespace gale::ctl {
namespace {

// A counter added to one of these structs without a row in stats.cc's tables would be
// invisible: the tables must account for every byte.
TEST(Stats, TablesCoverEveryCounter) {
  EXPECT_EQ(sizeof(lb::WorkerCounters),
            (worker_counter_fields().size() + lb::kDropCount) * sizeof(uint64_t));
  EXPECT_EQ(sizeof(io::IoStats), io_counter_fields().size() * sizeof(uint64_t));
  EXPECT_EQ(sizeof(WorkerStats), sizeof(lb::WorkerCounters) + sizeof(io::IoStats) +
                                     worker_stats_fields().size() * sizeof(uint64_t));
  EXPECT_EQ(sizeof(lb::RsCounters), rs_counter_fields().size() * sizeof(uint64_t));
  std::set<std::string_view> names;
  for (const auto& f : worker_counter_fields())
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
  for (const auto& f : io_counter_fields())
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
  for (const auto& f : worker_stats_fields())
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
}

// The list, by the names operators see.
TEST(Stats, NamesTheCountersOperatorsAskFor) {
  std::set<std::string_view> names;
  for (const auto& f : worker_counter_fields())
    names.insert(f.name);
  for (const auto& f : io_counter_fields())
    names.insert(f.name);
  for (const auto& f : worker_stats_fields())
    names.insert(f.name);
  for (const char* n :
       {"io_rx_dropped", "io_kernel_dropped", "handoff_dropped", "stateless", "flows_adopted",
        "stateless_replies", "icmp_forwarded", "too_big_sent", "flows_expired"})
    EXPECT_TRUE(names.contains(n)) << n;
}

// Two workers with distinct values in every counter: the totals are their sums, each
// worker keeps its own, and real servers are summed by id and named by their key.
TEST(Stats, SumsWorkersAndRendersEveryField) {
  std::vector<io::WorkerReport> reports(2);
  uint64_t v = 1;
  for (io::WorkerReport& r : reports) {
    for (const auto& f : worker_counter_fields())
      r.counters.*f.field = v++;
    for (int d = 0; d < lb::kDropCount; ++d)
      r.counters.drops[d] = v++;
    for (const auto& f : io_counter_fields())
      r.io.*f.field = v++;
    r.flows = static_cast<uint32_t>(v++);
    r.handoff_in = v++;
    r.handoff_dropped = v++;
    r.batches = v++;
    r.rs.resize(2);
    for (lb::RsCounters& c : r.rs)
      for (const auto& f : rs_counter_fields())
        c.*f.field = v++;
  }
  RealServerIds ids;
  const ServiceKey svc{.vip = *net::parse_ip("192.0.2.1"), .port = 80, .proto = 6};
  ASSERT_EQ(ids.assign({.service = svc, .addr = *net::parse_ip("10.0.0.1"), .port = 8080}), 0);
  ASSERT_EQ(ids.assign({.service = svc, .addr = *net::parse_ip("10.0.0.2"), .port = 8080}), 1);

  const Stats s = aggregate(reports, ids, 42);
  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["generation"], 42);
  ASSERT_EQ(j["workers"].size(), 2u);
  for (const auto& f : worker_counter_fields()) {
    const std::string n(f.name);
    EXPECT_EQ(j[n], reports[0].counters.*f.field + reports[1].counters.*f.field) << n;
    EXPECT_EQ(j["workers"][1][n], reports[1].counters.*f.field) << n;
  }
  for (const auto& f : io_counter_fields()) {
    const std::string n(f.name);
    EXPECT_EQ(j[n], reports[0].io.*f.field + reports[1].io.*f.field) << n;
  }
  EXPECT_EQ(j["flows"], reports[0].flows + reports[1].flows);
  EXPECT_EQ(j["handoff_in"], reports[0].handoff_in + reports[1].handoff_in);
  EXPECT_EQ(j["handoff_dropped"], reports[0].handoff_dropped + reports[1].handoff_dropped);
  EXPECT_EQ(j["batches"], reports[0].batches + reports[1].batches);
  // Every reason but "none", summed.
  ASSERT_EQ(j["drops"].size(), static_cast<size_t>(lb::kDropCount - 1));
  for (int d = 1; d < lb::kDropCount; ++d) {
    const std::string n = lb::to_string(static_cast<lb::Drop>(d));
    EXPECT_EQ(j["drops"][n], reports[0].counters.drops[d] + reports[1].counters.drops[d]) << n;
  }
  ASSERT_EQ(j["real_servers"].size(), 2u);
  const auto& rs1 = j["real_servers"][1];
  EXPECT_EQ(rs1["addr"], "10.0.0.2");
  EXPECT_EQ(rs1["port"], 8080);
  EXPECT_EQ(rs1["vip"], "192.0.2.1");
  EXPECT_EQ(rs1["vport"], 80);
  EXPECT_EQ(rs1["proto"], "tcp");
  for (const auto& f : rs_counter_fields())
    EXPECT_EQ(rs1[std::string(f.name)], reports[0].rs[1].*f.field + reports[1].rs[1].*f.field);
}

TEST(Stats, ReasonsThatNeverHappenedAreLeftOut) {
  std::vector<io::WorkerReport> reports(1);
  reports[0].counters.drops[static_cast<int>(lb::Drop::no_neighbour)] = 3;
  const nlohmann::json j = to_json(aggregate(reports, RealServerIds{}, 1));
  EXPECT_EQ(j["drops"], (nlohmann::json{{"no_neighbour", 3}}));
}

}  // namespace
}  // namespace gale::ctl
