// The dataplane: one pinned thread per worker, each running the fast path over its own
// LinkIo (DESIGN.md section 3):
//
//   loop: take the current snapshot (one atomic load) -> frames other workers handed
//   over -> rx a batch -> Worker::process -> hand non-owned frames to their owners ->
//   complete + flush -> announce a quiescent state.
//
// Hand-off lends the frame itself (handoff.h): one pair of descriptor rings per
// (lender, owner) pair of workers; the owner processes the frame in place, its backend
// sends it (complete_foreign) and the reference goes back to the lender's backend.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "base/qsbr.h"
#include "io/handoff.h"
#include "io/link_io.h"
#include "io/worker_report.h"
#include "lb/snapshot.h"
#include "lb/worker.h"

namespace gale::io {

// CLOCK_MONOTONIC in nanoseconds (a vDSO read, no syscall).
uint64_t monotonic_ns();

struct DataplaneConfig {
  lb::WorkerConfig worker;  // id and count are set per worker
  uint16_t workers = 1;
  std::vector<int> cpus;                  // pin worker i to cpus[i % size]; empty: no pinning
  int idle_wait_ms = 1;                   // wait for frames this long when idle
  uint64_t (*clock_ns)() = monotonic_ns;  // the workers' clock, read once per batch
};

class Dataplane {
 public:
  // make_io(i) creates worker i's backend (called on the worker's own thread).
  Dataplane(const DataplaneConfig& cfg, Qsbr<lb::Snapshot>& snapshots,
            std::function<std::unique_ptr<LinkIo>(uint16_t)> make_io);
  ~Dataplane();  // stops and joins

  void stop();
  // Per-worker reports (published by the workers about every 50 ms, and when they
  // stop; see worker_report.h). Never blocks a worker.
  std::vector<WorkerReport> reports() const;
  // The connections the workers track (ipvsadm -c), at most `max`: each worker exports
  // its own tables on its thread between two batches, when it next turns (at most
  // idle_wait_ms later). A worker that has not answered within `timeout_ms` is left out.
  // With lb::Export::with_templates, the persistence templates too (a bulk copy).
  std::vector<lb::FlowRecord> export_flows(size_t max, int timeout_ms,
                                           lb::Export what = lb::Export::connections) const;
  // Connection sync (lb/flow_sync.h), for one sync thread: sync(true) has the workers
  // write their connections' events (from their next turn); take_sync drains worker w's
  // outbound ring; give_sync queues a peer's event for every worker (each applies what
  // it owns), false when a ring was full (the event is lost there); applied() is true
  // once the workers have applied everything given so far, polled up to timeout_ms.
  void sync(bool on);
  uint32_t take_sync(uint16_t w, lb::SyncEvent* out, uint32_t max);
  bool give_sync(const lb::SyncEvent& ev);
  bool applied(int timeout_ms) const;
  uint16_t workers() const { return cfg_.workers; }
  // True once every worker has its backend (or one failed: see error()).
  bool started() const;
  std::string error() const;

 private:
  struct PerWorker;
  void run(uint16_t id);

  DataplaneConfig cfg_;
  Qsbr<lb::Snapshot>& snaps_;
  std::function<std::unique_ptr<LinkIo>(uint16_t)> make_io_;
  std::vector<std::unique_ptr<PerWorker>> workers_;
  HandoffLane& lane(uint16_t from, uint16_t to) { return *lanes_[from * cfg_.workers + to]; }

  std::vector<std::unique_ptr<HandoffLane>> lanes_;  // [from * n + to]; none for from == to
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace gale::io
