// Statistics as one aggregate (DESIGN.md section 6): the per-worker reports summed into
// totals, kept per worker too, and per real server by its configured key. Renderers take
// the aggregate (JSON here; galectl's ipvsadm text and Prometheus use the same struct),
// so every counter the workers and backends keep is named once, in the tables below.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctl/snapshot_builder.h"
#include "io/dataplane.h"
#include "lb/worker.h"

namespace gale::ctl {

// What one worker (or the sum of all) counted.
struct WorkerStats {
  lb::WorkerCounters counters;   // the engine's (drops per reason included)
  io::IoStats io;                // its I/O backend's
  uint64_t flows = 0;            // connections tracked now
  uint64_t handoff_in = 0;       // frames other workers handed to it
  uint64_t handoff_out = 0;      // frames it handed to their owners
  uint64_t handoff_dropped = 0;  // frames it could not hand over (the owner's ring full)
  uint64_t handoff_held = 0;     // frames of its backend lent to owners right now
  uint64_t batches = 0;
  uint64_t busy_ns = 0;  // time on loop turns with frames to process
};

struct RealServerStats {
  uint16_t id = 0;
  RealServerKey key;
  lb::RsCounters counters;
};

struct Stats {
  uint64_t generation = 0;  // of the snapshot running
  WorkerStats total;
  std::vector<WorkerStats> workers;
  std::vector<RealServerStats> real_servers;  // ids the builder still knows, by id
};

// Sums the workers' reports; real servers are named through `ids`.
Stats aggregate(std::span<const io::WorkerReport> reports, const RealServerIds& ids,
                uint64_t generation);

// Every scalar counter by name: renderers walk these tables, so a counter added to a
// struct but not here fails stats_test (it compares the tables with the structs' sizes).
template <typename T>
struct CounterField {
  std::string_view name;
  uint64_t T::*field;
};
std::span<const CounterField<lb::WorkerCounters>> worker_counter_fields();
std::span<const CounterField<io::IoStats>> io_counter_fields();
std::span<const CounterField<WorkerStats>> worker_stats_fields();
std::span<const CounterField<lb::RsCounters>> rs_counter_fields();

// {"ok":true,"generation":N, <the totals>, "workers":[...],"real_servers":[...]}; a set
// of worker counters is flat: the engine's, "drops":{reason: n} (reasons that happened),
// the backend's prefixed "io_", then the worker loop's (flows, handoff_*, batches).
nlohmann::json to_json(const Stats& stats);

}  // namespace gale::ctl
