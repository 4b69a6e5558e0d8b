// The dataplane: one pinned thread per worker, each running the fast path over its own
// LinkIo (DESIGN.md section 3):
//
//   loop: take the current snapshot (one atomic load) -> frames other workers handed
//   over -> rx a batch -> Worker::process -> hand non-owned frames to their owners ->
//   complete + flush -> announce a quiescent state.
//
// Hand-off goes through one single-producer single-consumer ring per (from, to) pair of
// workers, by copy: a frame's buffer belongs to the receiving backend (a UMEM frame of
// its socket), so the owner gets the bytes and transmits them with its own backend.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "base/qsbr.h"
#include "io/link_io.h"
#include "lb/snapshot.h"
#include "lb/worker.h"

namespace gale::io {

// A lock-free single-producer single-consumer ring of frame copies.
class HandoffRing {
 public:
  static constexpr uint32_t kSlots = 1024;      // power of two
  static constexpr uint32_t kSlotBytes = 2048;  // a frame of up to the MTU and its length

  bool push(const uint8_t* data, uint16_t len);
  // Copies the oldest frame into `out` (up to kSlotBytes); returns its length or 0.
  uint16_t pop(uint8_t* out);
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    uint16_t len;
    uint8_t data[kSlotBytes];
  };
  alignas(64) std::atomic<uint32_t> head_{0};  // next to write (producer)
  alignas(64) std::atomic<uint32_t> tail_{0};  // next to read (consumer)
  alignas(64) std::atomic<uint64_t> dropped_{0};
  std::unique_ptr<Slot[]> slots_ = std::make_unique<Slot[]>(kSlots);
};

// What the control plane reads of a worker: copied out by the worker now and then, so
// reading never races the fast path.
struct WorkerReport {
  lb::WorkerCounters counters;
  std::vector<lb::RsCounters> rs;     // by real server id
  std::vector<uint32_t> laddr_flows;  // by FullNAT local address id
  IoStats io;
  uint32_t flows = 0;
  uint64_t handoff_in = 0;
  uint64_t batches = 0;
};

struct DataplaneConfig {
  lb::WorkerConfig worker;  // id and count are set per worker
  uint16_t workers = 1;
  std::vector<int> cpus;              // pin worker i to cpus[i % size]; empty: no pinning
  int idle_wait_ms = 1;               // wait for frames this long when idle
  std::function<uint32_t()> clock_s;  // the workers' clock (seconds); default: monotonic
};

class Dataplane {
 public:
  // make_io(i) creates worker i's backend (called on the worker's own thread).
  Dataplane(const DataplaneConfig& cfg, Qsbr<lb::Snapshot>& snapshots,
            std::function<std::unique_ptr<LinkIo>(uint16_t)> make_io);
  ~Dataplane();  // stops and joins

  void stop();
  // Per-worker reports (refreshed by the workers about every 50 ms, and when they stop).
  std::vector<WorkerReport> reports() const;
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
  std::vector<std::unique_ptr<HandoffRing>> rings_;  // rings_[from * n + to]
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace gale::io
