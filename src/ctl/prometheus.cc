#include "ctl/prometheus.h"

#include <charconv>
#include <cstdio>
#include <map>
#include <string_view>

#include "lb/drop.h"

namespace gale::ctl {

namespace {

// A metric's name, HELP and TYPE, keyed by the stats tables' field names (stats.cc): a
// field without an entry here fails prometheus_test, so no counter goes unexported.
struct Meta {
  std::string_view field;
  std::string_view name;
  std::string_view type;
  std::string_view help;
};

constexpr Meta kWorkerMeta[] = {
    {"rx", "gale_worker_rx_packets_total", "counter", "Frames the worker's engine received."},
    {"tx", "gale_worker_tx_packets_total", "counter", "Frames the worker's engine sent."},
    {"to_kernel", "gale_worker_to_kernel_packets_total", "counter",
     "Frames passed to the kernel (not the load balancer's)."},
    {"flows_created", "gale_worker_flows_created_total", "counter", "Connections tracked."},
    {"flows_expired", "gale_worker_flows_expired_total", "counter", "Tracked connections expired."},
    {"flows_adopted", "gale_worker_flows_adopted_total", "counter",
     "Mid-connection packets given a flow by the consistent hash."},
    {"stateless", "gale_worker_stateless_packets_total", "counter",
     "Packets forwarded by the consistent hash without a flow (flow table full)."},
    {"stateless_replies", "gale_worker_stateless_replies_total", "counter",
     "NAT replies translated without a flow."},
    {"nodest_expired", "gale_worker_flows_nodest_expired_total", "counter",
     "Connections ended at a client packet because their real server left the pool "
     "(expire_nodest_conn)."},
    {"icmp_forwarded", "gale_worker_icmp_forwarded_total", "counter",
     "ICMP errors about a connection translated and sent on."},
    {"too_big_sent", "gale_worker_icmp_too_big_sent_total", "counter",
     "ICMP fragmentation-needed / packet-too-big answers sent."},
    {"handed_off", "gale_worker_handed_off_packets_total", "counter",
     "Frames of flows another worker owns, passed to it by the engine."},
    {"flows_imported", "gale_worker_flows_imported_total", "counter",
     "Flows installed from another node's export."},
    {"imports_refused", "gale_worker_flow_imports_refused_total", "counter",
     "Flow imports and synced connections that named what this node lacks."},
    {"sync_sent", "gale_worker_sync_events_sent_total", "counter",
     "Connection events a worker queued for the sync daemon."},
    {"sync_lost", "gale_worker_sync_events_lost_total", "counter",
     "Connection events lost because the worker's sync ring was full."},
    {"sync_applied", "gale_worker_sync_events_applied_total", "counter",
     "Peers' connection events installed, updated or removed by a worker."},
    {"proxy_headers", "gale_worker_proxy_headers_total", "counter",
     "PROXY protocol headers put in front of a FullNAT connection's or datagram's payload."},
    {"toa_added", "gale_worker_toa_added_total", "counter",
     "TOA options (the client's address) put in a FullNAT client's SYN or first segment."},
    {"toa_no_room", "gale_worker_toa_no_room_total", "counter",
     "TOA options left out: the segment's TCP options (40 bytes) had no room for one."},
};

constexpr Meta kIoMeta[] = {
    {"io_rx", "gale_io_rx_frames_total", "counter", "Frames the I/O backend received."},
    {"io_tx", "gale_io_tx_frames_total", "counter", "Frames the I/O backend sent."},
    {"io_tx_dropped", "gale_io_tx_dropped_frames_total", "counter",
     "Frames the I/O backend could not send (ring full)."},
    {"io_rx_dropped", "gale_io_rx_dropped_frames_total", "counter",
     "Frames lost on receive (ring full or truncated)."},
    {"io_to_kernel", "gale_io_to_kernel_frames_total", "counter",
     "Frames the I/O backend gave back to the kernel."},
    {"io_kernel_dropped", "gale_io_kernel_dropped_frames_total", "counter",
     "Frames for the kernel that could not be given to it."},
};

constexpr Meta kLoopMeta[] = {
    {"flows", "gale_flow_table_entries", "gauge", "Connections the worker tracks now."},
    {"handoff_in", "gale_handoff_in_frames_total", "counter",
     "Frames other workers handed to this one (it owns their flows)."},
    {"handoff_out", "gale_handoff_out_frames_total", "counter",
     "Frames this worker handed to the worker owning their flow."},
    {"handoff_dropped", "gale_handoff_dropped_frames_total", "counter",
     "Frames not handed over: the owner's ring was full."},
    {"handoff_held", "gale_handoff_held_frames", "gauge",
     "Frames of this worker's backend lent to their owners now."},
    {"batches", "gale_worker_batches_total", "counter", "Receive batches processed."},
    {"busy_ns", "gale_worker_busy_seconds_total", "counter",
     "Time spent on loop turns with frames to process; rate() of it is the busy ratio."},
};

// IPVS's five counters: the global totals (node_exporter's names) and the same per
// service and per real server (gale's).
struct IpvsCounter {
  std::string_view what;  // node_ipvs_<what>_total
  std::string_view help;
  uint64_t lb::RsCounters::*field;
};
constexpr IpvsCounter kIpvs[] = {
    {"connections", "The total number of connections made.", &lb::RsCounters::conns},
    {"incoming_packets", "The total number of incoming packets.", &lb::RsCounters::in_pkts},
    {"outgoing_packets", "The total number of outgoing packets.", &lb::RsCounters::out_pkts},
    {"incoming_bytes", "The total amount of incoming data.", &lb::RsCounters::in_bytes},
    {"outgoing_bytes", "The total amount of outgoing data.", &lb::RsCounters::out_bytes},
};

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void head(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;  // ours: no backslash or newline to escape
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, uint64_t v) {
    start(name, labels);
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, double v) {
    start(name, labels);
    char buf[32];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    out_ += '\n';
  }

 private:
  void start(std::string_view name, std::string_view labels) {
    out_ += name;
    out_ += labels;
    out_ += ' ';
  }
  std::string& out_;
};

// A label value as the format wants it: backslash, double quote and newline escaped.
void append_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
}

std::string text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}

// node_exporter's label values, as procfs reads them from /proc/net/ip_vs: proto TCP,
// UDP or FWM; a fwmark service has no address (""), port 0 and its mark as the kernel
// prints it (%08X); other services have local_mark "".
struct ServiceLabels {
  std::string local_address, local_port, proto, local_mark;
};
ServiceLabels service_labels(const ServiceKey& k) {
  if (k.fwmark) {
    char mark[9];
    std::snprintf(mark, sizeof mark, "%08X", k.fwmark);
    return {"", "0", "FWM", mark};
  }
  return {text(k.vip), std::to_string(k.port), k.proto == 17 ? "UDP" : "TCP", ""};
}

// {local_address="...",local_port="...",proto="...",local_mark="..."}, with the real
// server's labels between port and proto when given (node_exporter's order).
std::string labels(const ServiceKey& k, const net::IpAddr* rs = nullptr, uint16_t rs_port = 0) {
  const ServiceLabels s = service_labels(k);
  std::string out = "{local_address=\"";
  append_value(out, s.local_address);
  out += "\",local_port=\"" + s.local_port + '"';
  if (rs) {
    // IPVS stores an unwritten real-server port as the service's (fwmark: 0).
    const uint16_t port = rs_port ? rs_port : (k.fwmark ? 0 : k.port);
    out += ",remote_address=\"" + text(*rs) + "\",remote_port=\"" + std::to_string(port) + '"';
  }
  out += ",proto=\"" + s.proto + "\",local_mark=\"" + s.local_mark + "\"}";
  return out;
}

std::string one_label(std::string_view name, std::string_view value) {
  std::string out = "{";
  out += name;
  out += "=\"";
  append_value(out, value);
  out += "\"}";
  return out;
}

const Meta* meta_of(std::string_view field, std::span<const Meta> meta) {
  for (const Meta& m : meta)
    if (m.field == field) return &m;
  return nullptr;
}

// One family per field of a stats table, one sample per worker. `part` picks the
// table's struct out of a worker's stats.
template <typename T, typename Part>
void per_worker(Writer& w, const Stats& s, std::span<const CounterField<T>> fields,
                std::span<const Meta> meta, Part part) {
  for (const auto& f : fields) {
    const Meta* m = meta_of(f.name, meta);
    if (!m) continue;  // unexported_stats_fields() names it, and prometheus_test fails
    w.head(m->name, m->type, m->help);
    for (size_t i = 0; i < s.workers.size(); ++i) {
      const uint64_t v = part(s.workers[i]).*f.field;
      const std::string l = one_label("worker", std::to_string(i));
      if (f.name == "busy_ns")  // Prometheus' base unit is the second
        w.sample(m->name, l, static_cast<double>(v) / 1e9);
      else
        w.sample(m->name, l, v);
    }
  }
}

void render_ipvs(Writer& w, const Stats& s) {
  // Real servers summed by their labels (a mode change gives one server two ids) and
  // services summed over their real servers; std::map keeps the output sorted.
  std::map<std::string, lb::RsCounters> by_service, by_backend;
  lb::RsCounters total;
  auto add = [](lb::RsCounters& into, const lb::RsCounters& from) {
    for (const auto& f : rs_counter_fields())
      into.*f.field += from.*f.field;
  };
  for (const RealServerStats& r : s.real_servers) {
    add(total, r.counters);
    add(by_service[labels(r.key.service)], r.counters);
    add(by_backend[labels(r.key.service, &r.key.addr, r.key.port)], r.counters);
  }
  for (const IpvsCounter& c : kIpvs) {
    const std::string name = "node_ipvs_" + std::string(c.what) + "_total";
    w.head(name, "counter", c.help);
    w.sample(name, "", total.*c.field);
  }
  for (const IpvsCounter& c : kIpvs) {
    const std::string name = "gale_ipvs_service_" + std::string(c.what) + "_total";
    if (by_service.empty()) break;
    w.head(name, "counter", std::string(c.help.substr(0, c.help.size() - 1)) + " by service.");
    for (const auto& [l, v] : by_service)
      w.sample(name, l, v.*c.field);
  }
  for (const IpvsCounter& c : kIpvs) {
    const std::string name = "gale_ipvs_backend_" + std::string(c.what) + "_total";
    if (by_backend.empty()) break;
    w.head(name, "counter",
           std::string(c.help.substr(0, c.help.size() - 1)) + " by service and real server.");
    for (const auto& [l, v] : by_backend)
      w.sample(name, l, v.*c.field);
  }
}

// What only the listing knows: weights, connection gauges, health, reloads.
void render_listing(Writer& w, const Listing& l) {
  struct Row {
    std::string labels;
    const DestRow* d;
  };
  std::vector<Row> rows;
  for (const ServiceRow& s : l.services)
    for (const DestRow& d : s.dests)
      rows.push_back({labels(s.spec.key, &d.spec.addr, d.spec.port), &d});
  auto gauge = [&](std::string_view name, std::string_view type, std::string_view help,
                   auto value) {
    if (rows.empty()) return;
    w.head(name, type, help);
    for (const Row& r : rows)
      w.sample(name, r.labels, value(*r.d));
  };
  gauge("node_ipvs_backend_connections_active", "gauge",
        "The current active connections by local and remote address.",
        [](const DestRow& d) { return d.active; });
  gauge("node_ipvs_backend_connections_inactive", "gauge",
        "The current inactive connections by local and remote address.",
        [](const DestRow& d) { return d.inactive; });
  gauge("node_ipvs_backend_weight", "gauge",
        "The current backend weight by local and remote address.",
        [](const DestRow& d) { return uint64_t{d.weight}; });
  gauge("gale_backend_up", "gauge", "1 if the real server's last health verdict was up.",
        [](const DestRow& d) { return uint64_t{d.healthy}; });
  gauge("gale_health_checks_total", "counter", "Health checks completed (success or failure).",
        [](const DestRow& d) { return d.checks.checks; });
  gauge("gale_health_check_failures_total", "counter", "Health checks that failed.",
        [](const DestRow& d) { return d.checks.failures; });
  if (!rows.empty()) {
    // A summary without quantiles: rate(_sum) / rate(_count) is the mean latency.
    constexpr std::string_view name = "gale_health_check_duration_seconds";
    w.head(name, "summary", "Time from a health check's start to its verdict.");
    for (const Row& r : rows) {
      w.sample("gale_health_check_duration_seconds_sum", r.labels,
               static_cast<double>(r.d->checks.latency_us_sum) / 1e6);
      w.sample("gale_health_check_duration_seconds_count", r.labels, r.d->checks.checks);
    }
  }
  gauge("gale_health_check_last_duration_seconds", "gauge",
        "Time the last health check took to its verdict.",
        [](const DestRow& d) { return static_cast<double>(d.checks.last_latency_us) / 1e6; });
  w.head("gale_config_reloads_total", "counter",
         "Config reloads since start, by result (failed: the running config stayed).");
  w.sample("gale_config_reloads_total", one_label("result", "ok"), l.reloads_ok);
  w.sample("gale_config_reloads_total", one_label("result", "failed"), l.reloads_failed);
}

// Each vrrp_instance's state, effective priority and transitions (none without VRRP).
void render_vrrp(Writer& w, const std::vector<VrrpRow>& rows) {
  if (rows.empty()) return;
  w.head("gale_vrrp_state", "gauge", "VRRP instance state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.");
  for (const VrrpRow& r : rows)
    w.sample("gale_vrrp_state", one_label("instance", r.instance), vrrp_state_number(r.state));
  w.head("gale_vrrp_priority_effective", "gauge",
         "The priority the instance advertises: its configured one with tracking's weights.");
  for (const VrrpRow& r : rows)
    w.sample("gale_vrrp_priority_effective", one_label("instance", r.instance),
             uint64_t{r.priority});
  w.head("gale_vrrp_transitions_total", "counter",
         "States the instance entered since galed started (BACKUP at start included).");
  for (const VrrpRow& r : rows)
    w.sample("gale_vrrp_transitions_total", one_label("instance", r.instance), r.transitions);
}

}  // namespace

std::string render_prometheus(const Stats& s, const Listing* listing, const MetricsInfo& info) {
  std::string out;
  out.reserve(4096 + 2048 * s.real_servers.size());
  Writer w(out);
  render_ipvs(w, s);
  if (listing) render_listing(w, *listing);

  w.head("gale_drops_total", "counter", "Frames the dataplane dropped, by reason.");
  for (int d = 1; d < lb::kDropCount; ++d) {
    uint64_t n = 0;
    for (const WorkerStats& ws : s.workers)
      n += ws.counters.drops[d];
    w.sample("gale_drops_total", one_label("reason", lb::to_string(static_cast<lb::Drop>(d))), n);
  }
  per_worker(w, s, worker_counter_fields(), kWorkerMeta,
             [](const WorkerStats& ws) -> const lb::WorkerCounters& { return ws.counters; });
  per_worker(w, s, io_counter_fields(), kIoMeta,
             [](const WorkerStats& ws) -> const io::IoStats& { return ws.io; });
  per_worker(w, s, worker_stats_fields(), kLoopMeta,
             [](const WorkerStats& ws) -> const WorkerStats& { return ws; });
  w.head("gale_flow_table_capacity", "gauge",
         "Connections a worker's flow tables can track (IPv4 and IPv6 tables together).");
  for (size_t i = 0; i < s.workers.size(); ++i)
    w.sample("gale_flow_table_capacity", one_label("worker", std::to_string(i)),
             info.flow_capacity);
  w.head("gale_snapshot_generation", "gauge",
         "Generation of the forwarding snapshot the workers run (bumped by every publish).");
  w.sample("gale_snapshot_generation", "", s.generation);
  render_vrrp(w, info.vrrp);
  w.head("gale_build_info", "gauge", "Always 1; the version label says which gale runs.");
  w.sample("gale_build_info", one_label("version", info.version), uint64_t{1});
  return out;
}

std::vector<std::string> unexported_stats_fields() {
  std::vector<std::string> missing;
  auto check = [&](const auto& fields, std::span<const Meta> meta) {
    for (const auto& f : fields)
      if (!meta_of(f.name, meta)) missing.emplace_back(f.name);
  };
  check(worker_counter_fields(), kWorkerMeta);
  check(io_counter_fields(), kIoMeta);
  check(worker_stats_fields(), kLoopMeta);
  return missing;
}

}  // namespace gale::ctl
