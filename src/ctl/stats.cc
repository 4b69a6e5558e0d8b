#include "ctl/stats.h"

#include <string>

#include "lb/drop.h"

namespace gale::ctl {

namespace {

using lb::WorkerCounters;

constexpr CounterField<WorkerCounters> kWorker[] = {
    {"rx", &WorkerCounters::rx},
    {"tx", &WorkerCounters::tx},
    {"to_kernel", &WorkerCounters::to_kernel},
    {"flows_created", &WorkerCounters::flows_created},
    {"flows_expired", &WorkerCounters::flows_expired},
    {"flows_adopted", &WorkerCounters::flows_adopted},
    {"stateless", &WorkerCounters::stateless},
    {"stateless_replies", &WorkerCounters::stateless_replies},
    {"nodest_expired", &WorkerCounters::nodest_expired},
    {"icmp_forwarded", &WorkerCounters::icmp_forwarded},
    {"too_big_sent", &WorkerCounters::too_big_sent},
    {"handed_off", &WorkerCounters::handed_off},
    {"flows_imported", &WorkerCounters::flows_imported},
    {"imports_refused", &WorkerCounters::imports_refused},
    {"sync_sent", &WorkerCounters::sync_sent},
    {"sync_lost", &WorkerCounters::sync_lost},
    {"sync_applied", &WorkerCounters::sync_applied},
    {"proxy_headers", &WorkerCounters::proxy_headers},
    {"toa_added", &WorkerCounters::toa_added},
    {"toa_no_room", &WorkerCounters::toa_no_room},
};

constexpr CounterField<io::IoStats> kIo[] = {
    {"io_rx", &io::IoStats::rx},
    {"io_tx", &io::IoStats::tx},
    {"io_tx_dropped", &io::IoStats::tx_dropped},
    {"io_rx_dropped", &io::IoStats::rx_dropped},
    {"io_to_kernel", &io::IoStats::to_kernel},
    {"io_kernel_dropped", &io::IoStats::kernel_dropped},
};

constexpr CounterField<WorkerStats> kLoop[] = {
    {"flows", &WorkerStats::flows},
    {"handoff_in", &WorkerStats::handoff_in},
    {"handoff_out", &WorkerStats::handoff_out},
    {"handoff_dropped", &WorkerStats::handoff_dropped},
    {"handoff_held", &WorkerStats::handoff_held},
    {"batches", &WorkerStats::batches},
    {"busy_ns", &WorkerStats::busy_ns},
};

constexpr CounterField<lb::RsCounters> kRs[] = {
    {"conns", &lb::RsCounters::conns},         {"flows", &lb::RsCounters::flows},
    {"active", &lb::RsCounters::active},       {"in_pkts", &lb::RsCounters::in_pkts},
    {"out_pkts", &lb::RsCounters::out_pkts},   {"in_bytes", &lb::RsCounters::in_bytes},
    {"out_bytes", &lb::RsCounters::out_bytes},
};

template <typename T>
void add(T& into, const T& from, std::span<const CounterField<T>> fields) {
  for (const auto& f : fields)
    into.*f.field += from.*f.field;
}

void add(WorkerStats& into, const WorkerStats& from) {
  add(into.counters, from.counters, worker_counter_fields());
  for (int d = 0; d < lb::kDropCount; ++d)
    into.counters.drops[d] += from.counters.drops[d];
  add(into.io, from.io, io_counter_fields());
  add(into, from, worker_stats_fields());
}

nlohmann::json render(const WorkerStats& w) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : kWorker)
    j[std::string(f.name)] = w.counters.*f.field;
  // Reasons that never happened are left out: an absent reason is zero.
  nlohmann::json drops = nlohmann::json::object();
  for (int d = 1; d < lb::kDropCount; ++d)
    if (w.counters.drops[d]) drops[lb::to_string(static_cast<lb::Drop>(d))] = w.counters.drops[d];
  j["drops"] = drops;
  for (const auto& f : kIo)
    j[std::string(f.name)] = w.io.*f.field;
  for (const auto& f : kLoop)
    j[std::string(f.name)] = w.*f.field;
  return j;
}

std::string text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}

}  // namespace

std::span<const CounterField<WorkerCounters>> worker_counter_fields() {
  return kWorker;
}
std::span<const CounterField<io::IoStats>> io_counter_fields() {
  return kIo;
}
std::span<const CounterField<WorkerStats>> worker_stats_fields() {
  return kLoop;
}
std::span<const CounterField<lb::RsCounters>> rs_counter_fields() {
  return kRs;
}

Stats aggregate(std::span<const io::WorkerReport> reports, const RealServerIds& ids,
                uint64_t generation) {
  Stats s{.generation = generation};
  std::vector<lb::RsCounters> rs;
  for (const io::WorkerReport& r : reports) {
    WorkerStats w{.counters = r.counters,
                  .io = r.io,
                  .flows = r.flows,
                  .handoff_in = r.handoff_in,
                  .handoff_out = r.handoff_out,
                  .handoff_dropped = r.handoff_dropped,
                  .handoff_held = r.handoff_held,
                  .batches = r.batches,
                  .busy_ns = r.busy_ns};
    add(s.total, w);
    s.workers.push_back(w);
    if (rs.size() < r.rs.size()) rs.resize(r.rs.size());
    for (size_t id = 0; id < r.rs.size(); ++id)
      add(rs[id], r.rs[id], rs_counter_fields());
  }
  for (size_t id = 0; id < ids.size(); ++id) {
    const RealServerKey* key = ids.key_of(static_cast<uint16_t>(id));
    if (!key) continue;
    s.real_servers.push_back({.id = static_cast<uint16_t>(id),
                              .key = *key,
                              .counters = id < rs.size() ? rs[id] : lb::RsCounters{}});
  }
  return s;
}

nlohmann::json to_json(const Stats& s) {
  nlohmann::json workers = nlohmann::json::array();
  for (const WorkerStats& w : s.workers)
    workers.push_back(render(w));
  nlohmann::json servers = nlohmann::json::array();
  for (const RealServerStats& r : s.real_servers) {
    const ServiceKey& svc = r.key.service;
    nlohmann::json j = {{"id", r.id}, {"addr", text(r.key.addr)}, {"port", r.key.port}};
    if (svc.fwmark) {
      j["fwmark"] = svc.fwmark;
    } else {
      j["vip"] = text(svc.vip);
      j["vport"] = svc.port;
    }
    j["proto"] = svc.proto == 17 ? "udp" : "tcp";
    for (const auto& f : kRs)
      j[std::string(f.name)] = r.counters.*f.field;
    servers.push_back(std::move(j));
  }
  nlohmann::json j = render(s.total);
  j["ok"] = true;
  j["generation"] = s.generation;
  j["workers"] = std::move(workers);
  j["real_servers"] = std::move(servers);
  return j;
}

}  // namespace gale::ctl
