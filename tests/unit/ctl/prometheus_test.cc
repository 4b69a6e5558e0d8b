// The Prometheus renderer: node_exporter's IPVS names and label values (from
// collector/ipvs_linux.go and procfs' parser of /proc/net/ip_vs, whose FWM line prints
// the mark as %08X), gale's own families, and Debian's promtool accepting the output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "ctl/prometheus.h"

namespace gale::ctl {
namespace {

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

const ServiceKey kWeb{.vip = ip("192.0.2.1"), .port = 80, .proto = 6};
const ServiceKey kMark{.fwmark = 10, .proto = 6};
const ServiceKey kDns6{.vip = ip("2001:db8::53"), .port = 53, .proto = 17};

Stats sample_stats() {
  Stats s{.generation = 7};
  s.workers.resize(2);
  s.workers[0].counters.rx = 100;
  s.workers[1].counters.rx = 50;
  s.workers[0].counters.drops[static_cast<int>(lb::Drop::no_dest)] = 3;
  s.workers[1].counters.drops[static_cast<int>(lb::Drop::no_dest)] = 4;
  s.workers[0].flows = 5;
  s.workers[1].busy_ns = 1'500'000'000;
  s.workers[1].handoff_in = 9;
  auto rs = [](uint16_t id, ServiceKey svc, const char* addr, uint16_t port, uint64_t base) {
    return RealServerStats{.id = id,
                           .key = {.service = svc, .addr = ip(addr), .port = port},
                           .counters = {.conns = base,
                                        .flows = 1,
                                        .in_pkts = base * 10,
                                        .out_pkts = base * 20,
                                        .in_bytes = base * 1000,
                                        .out_bytes = base * 2000}};
  };
  s.real_servers = {rs(0, kWeb, "10.0.0.1", 8080, 1), rs(1, kWeb, "10.0.0.2", 0, 2),
                    rs(2, kMark, "10.0.0.3", 0, 3), rs(3, kDns6, "2001:db8::1", 53, 4)};
  // The same server under a new id after a mode change: its counters add up.
  s.real_servers.push_back(rs(4, kWeb, "10.0.0.1", 8080, 5));
  s.real_servers.back().key.mode = lb::FwdMode::nat;
  return s;
}

Listing sample_listing() {
  Listing l{.generation = 7, .reloads_ok = 2, .reloads_failed = 1};
  ServiceRow web{.spec = {.key = kWeb}};
  web.dests.push_back(
      {.spec = {.addr = ip("10.0.0.1"), .port = 8080},
       .weight = 3,
       .active = 4,
       .inactive = 5,
       .checks = {
           .checks = 10, .failures = 2, .latency_us_sum = 2'500'000, .last_latency_us = 1500}});
  web.dests.push_back({.spec = {.addr = ip("10.0.0.2")}, .weight = 0, .healthy = false});
  ServiceRow mark{.spec = {.key = kMark}};
  mark.dests.push_back({.spec = {.addr = ip("10.0.0.3")}, .weight = 1, .active = 1});
  l.services = {web, mark};
  return l;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

TEST(Prometheus, EveryStatsFieldHasAMetric) {
  EXPECT_EQ(unexported_stats_fields(), std::vector<std::string>{});
}

// node_exporter's totals carry no labels (they are /proc/net/ip_vs_stats); its backend
// gauges carry local_address, local_port, remote_address, remote_port, proto, local_mark.
TEST(Prometheus, NodeExporterNamesAndLabels) {
  const Stats s = sample_stats();
  const Listing l = sample_listing();
  const std::string t = render_prometheus(s, &l, {.flow_capacity = 1000, .version = "1.2"});
  EXPECT_TRUE(has_line(t,
                       "# HELP node_ipvs_connections_total The total number of connections "
                       "made."));
  EXPECT_TRUE(has_line(t, "# TYPE node_ipvs_connections_total counter"));
  EXPECT_TRUE(has_line(t, "node_ipvs_connections_total 15"));  // 1+2+3+4+5
  EXPECT_TRUE(has_line(t, "node_ipvs_incoming_packets_total 150"));
  EXPECT_TRUE(has_line(t, "node_ipvs_outgoing_packets_total 300"));
  EXPECT_TRUE(has_line(t, "node_ipvs_incoming_bytes_total 15000"));
  EXPECT_TRUE(has_line(t, "node_ipvs_outgoing_bytes_total 30000"));
  EXPECT_TRUE(has_line(t, "# TYPE node_ipvs_backend_connections_active gauge"));
  EXPECT_TRUE(has_line(t,
                       "node_ipvs_backend_connections_active{local_address=\"192.0.2.1\","
                       "local_port=\"80\",remote_address=\"10.0.0.1\",remote_port=\"8080\","
                       "proto=\"TCP\",local_mark=\"\"} 4"));
  EXPECT_TRUE(has_line(t,
                       "node_ipvs_backend_connections_inactive{local_address=\"192.0.2.1\","
                       "local_port=\"80\",remote_address=\"10.0.0.1\",remote_port=\"8080\","
                       "proto=\"TCP\",local_mark=\"\"} 5"));
  // An unwritten port is the service's, as IPVS stores it.
  EXPECT_TRUE(has_line(t,
                       "node_ipvs_backend_weight{local_address=\"192.0.2.1\",local_port=\"80\","
                       "remote_address=\"10.0.0.2\",remote_port=\"80\",proto=\"TCP\","
                       "local_mark=\"\"} 0"));
  // A fwmark service: no address, port 0, proto FWM, the mark as %08X.
  EXPECT_TRUE(has_line(t,
                       "node_ipvs_backend_connections_active{local_address=\"\",local_port=\"0\","
                       "remote_address=\"10.0.0.3\",remote_port=\"0\",proto=\"FWM\","
                       "local_mark=\"0000000A\"} 1"));
}

TEST(Prometheus, PerServiceAndPerBackendCounters) {
  const Stats s = sample_stats();
  const std::string t = render_prometheus(s, nullptr, {});
  // 10.0.0.1:8080 under two ids (1 + 5), 10.0.0.2 (2).
  EXPECT_TRUE(has_line(t,
                       "gale_ipvs_service_incoming_packets_total{local_address=\"192.0.2.1\","
                       "local_port=\"80\",proto=\"TCP\",local_mark=\"\"} 80"));
  EXPECT_TRUE(has_line(t,
                       "gale_ipvs_backend_connections_total{local_address=\"192.0.2.1\","
                       "local_port=\"80\",remote_address=\"10.0.0.1\",remote_port=\"8080\","
                       "proto=\"TCP\",local_mark=\"\"} 6"));
  EXPECT_TRUE(has_line(t,
                       "gale_ipvs_service_outgoing_bytes_total{local_address=\"2001:db8::53\","
                       "local_port=\"53\",proto=\"UDP\",local_mark=\"\"} 8000"));
  // Without a listing, what only it knows is left out.
  EXPECT_EQ(t.find("node_ipvs_backend_weight"), std::string::npos);
  EXPECT_EQ(t.find("gale_config_reloads_total"), std::string::npos);
}

TEST(Prometheus, GaleFamilies) {
  const Stats s = sample_stats();
  const Listing l = sample_listing();
  const std::string t = render_prometheus(s, &l, {.flow_capacity = 1000, .version = "1.2"});
  EXPECT_TRUE(has_line(t, "gale_drops_total{reason=\"no_dest\"} 7"));
  EXPECT_TRUE(has_line(t, "gale_drops_total{reason=\"table_full\"} 0"));
  EXPECT_TRUE(has_line(t, "gale_worker_rx_packets_total{worker=\"0\"} 100"));
  EXPECT_TRUE(has_line(t, "gale_worker_rx_packets_total{worker=\"1\"} 50"));
  EXPECT_TRUE(has_line(t, "gale_worker_busy_seconds_total{worker=\"1\"} 1.5"));
  EXPECT_TRUE(has_line(t, "gale_flow_table_entries{worker=\"0\"} 5"));
  EXPECT_TRUE(has_line(t, "gale_flow_table_capacity{worker=\"1\"} 1000"));
  EXPECT_TRUE(has_line(t, "gale_handoff_in_frames_total{worker=\"1\"} 9"));
  EXPECT_TRUE(has_line(t, "gale_snapshot_generation 7"));
  EXPECT_TRUE(has_line(t, "gale_config_reloads_total{result=\"ok\"} 2"));
  EXPECT_TRUE(has_line(t, "gale_config_reloads_total{result=\"failed\"} 1"));
  EXPECT_TRUE(has_line(t, "gale_build_info{version=\"1.2\"} 1"));
  const std::string web1 =
      "{local_address=\"192.0.2.1\",local_port=\"80\",remote_address=\"10.0.0.1\","
      "remote_port=\"8080\",proto=\"TCP\",local_mark=\"\"}";
  EXPECT_TRUE(has_line(t, "gale_health_checks_total" + web1 + " 10"));
  EXPECT_TRUE(has_line(t, "gale_health_check_failures_total" + web1 + " 2"));
  EXPECT_TRUE(has_line(t, "gale_health_check_duration_seconds_sum" + web1 + " 2.5"));
  EXPECT_TRUE(has_line(t, "gale_health_check_duration_seconds_count" + web1 + " 10"));
  EXPECT_TRUE(has_line(t, "gale_health_check_last_duration_seconds" + web1 + " 0.0015"));
  EXPECT_TRUE(has_line(t, "gale_backend_up" + web1 + " 1"));
}

// One family each, one sample per instance; none without VRRP.
TEST(Prometheus, VrrpInstances) {
  const MetricsInfo info{.version = "1",
                         .vrrp = {{.instance = "VI_1",
                                   .state = "FAULT",
                                   .priority = 90,
                                   .configured_priority = 100,
                                   .transitions = 3}}};
  const std::string t = render_prometheus({}, nullptr, info);
  EXPECT_TRUE(has_line(t, "gale_vrrp_state{instance=\"VI_1\"} 3"));
  EXPECT_TRUE(has_line(t, "gale_vrrp_priority_effective{instance=\"VI_1\"} 90"));
  EXPECT_TRUE(has_line(t, "gale_vrrp_transitions_total{instance=\"VI_1\"} 3"));
  EXPECT_EQ(render_prometheus({}, nullptr, {}).find("gale_vrrp"), std::string::npos);
}

// A label value with a quote, a backslash and a newline is escaped as the format says.
TEST(Prometheus, EscapesLabelValues) {
  const std::string t = render_prometheus({}, nullptr, {.version = "a\"b\\c\nd"});
  EXPECT_TRUE(has_line(t, "gale_build_info{version=\"a\\\"b\\\\c\\nd\"} 1"));
}

// What one scrape costs to render with 1000 services x 3 real servers and 2 workers
// (printed; the bound only catches a blow-up, say quadratic label handling).
TEST(Prometheus, RenderCost) {
  Stats s;
  s.workers.resize(2);
  for (uint16_t i = 0; i < 3000; ++i) {
    const ServiceKey svc{
        .vip = ip("192.0.2.1"), .port = static_cast<uint16_t>(10000 + i / 3), .proto = 6};
    const net::IpAddr rs = ip(i % 3 == 0 ? "10.0.0.1" : i % 3 == 1 ? "10.0.0.2" : "10.0.0.3");
    s.real_servers.push_back(
        {.id = i, .key = {.service = svc, .addr = rs}, .counters = {.conns = i, .in_pkts = i}});
  }
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int kRuns = 10;
  size_t bytes = 0;
  for (int r = 0; r < kRuns; ++r)
    bytes += render_prometheus(s, nullptr, {}).size();
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count() /
      kRuns;
  std::printf("render: 1000 services x 3 real servers, %zu bytes, %ld us per scrape\n",
              bytes / kRuns, static_cast<long>(us));
  EXPECT_LT(us, 1'000'000);
}

// Debian's promtool (package prometheus) lints the exposition: names, suffixes, types,
// HELP, one family in one place.
TEST(Prometheus, PromtoolAcceptsIt) {
  if (access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "promtool not installed";
  const Stats s = sample_stats();
  const Listing l = sample_listing();
  for (const Listing* with : {&l, static_cast<const Listing*>(nullptr)}) {
    const MetricsInfo info{
        .flow_capacity = 1000,
        .version = "1",
        .vrrp = {{.instance = "VI_1", .state = "MASTER", .priority = 100, .transitions = 2}}};
    const std::string t = render_prometheus(s, with, info);
    char path[] = "/tmp/gale-prom-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, t.data(), t.size()), static_cast<ssize_t>(t.size()));
    close(fd);
    const std::string cmd = std::string("promtool check metrics < ") + path + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string said;
    char buf[256];
    while (size_t n = fread(buf, 1, sizeof buf, p))
      said.append(buf, n);
    const int rc = pclose(p);
    unlink(path);
    EXPECT_EQ(rc, 0) << said;
    EXPECT_EQ(said, "") << said;
  }
}

}  // namespace
}  // namespace gale::ctl
