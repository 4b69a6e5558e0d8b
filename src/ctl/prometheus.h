// The statistics aggregate (ctl::Stats) and the listing (ctl::Listing) as Prometheus'
// text exposition format 0.0.4, what galed's metrics listener serves on GET /metrics.
//
// Two vocabularies: node_exporter's IPVS collector (collector/ipvs_linux.go), name for
// name, label for label, so that the dashboards and alerts an LVS operator already has
// keep working -- node_ipvs_{connections,incoming_packets,outgoing_packets,
// incoming_bytes,outgoing_bytes}_total without labels (IPVS's global totals, as
// /proc/net/ip_vs_stats) and node_ipvs_backend_{connections_active,
// connections_inactive,weight} by local_address, local_port, remote_address,
// remote_port, proto, local_mark -- and gale_* for the rest: the same counters per
// service and per real server, drops by reason, per-worker counters and busy time,
// flow-table use, hand-offs, health checks, snapshot generation, reloads, build info.
// docs/metrics.md lists every metric.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ctl/listing.h"
#include "ctl/stats.h"
#include "ctl/vrrp_status.h"

namespace gale::ctl {

// What the renderer needs besides the two aggregates.
struct MetricsInfo {
  uint64_t flow_capacity = 0;  // flow-table entries per worker (IPv4 + IPv6 tables)
  std::string version;         // gale_build_info's version label
  std::vector<VrrpRow> vrrp;   // the gale_vrrp_* series, one sample per instance
};

// The content type of the format rendered here (Prometheus' 0.0.4 text format).
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Renders one scrape. The counters come from `stats` (every real-server id the builder
// still knows, drained ones included); the weights, connection gauges, health and
// reload counts from `listing`. Without a listing (nullptr) the series that only it
// knows are left out.
std::string render_prometheus(const Stats& stats, const Listing* listing, const MetricsInfo& info);

// The stats tables' fields (stats.h) that have no metric; empty unless a counter was
// added to a table and not here.
std::vector<std::string> unexported_stats_fields();

}  // namespace gale::ctl
