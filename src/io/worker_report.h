// What the control plane reads of a worker, and how it gets there without the worker
// taking a lock or allocating: a seqlock over one buffer of 64-bit words laid out at
// start for the largest report there can be (every real-server id). The worker writes
// the words now and then (ReportBoard::publish); the control plane copies them out and
// retries when the worker was writing meanwhile (ReportBoard::read). Pages of the
// buffer no real server uses are never touched, so they cost address space only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "io/link_io.h"
#include "lb/worker.h"

namespace gale::io {

struct WorkerReport {
  lb::WorkerCounters counters;
  std::vector<lb::RsCounters> rs;     // by real server id
  std::vector<uint32_t> laddr_flows;  // connections by FullNAT local address id
  IoStats io;
  uint32_t flows = 0;
  uint64_t batches = 0;          // rx batches processed
  uint64_t handoff_in = 0;       // frames other workers handed to this one
  uint64_t handoff_out = 0;      // frames this worker handed to their owners
  uint64_t handoff_dropped = 0;  // frames not handed over: the owner's ring was full
  // handoff_dropped by owner: [w] counts this worker's ring to worker w.
  std::vector<uint64_t> handoff_dropped_to;
  uint64_t handoff_held = 0;  // frames of this worker's backend lent to owners right now
  // Time spent on loop turns that had frames to process (rx or hand-offs), so that
  // busy_ns over wall time is the worker's load whatever its idle wait does.
  uint64_t busy_ns = 0;
};

// What a worker publishes: views of its own counters, nothing copied beforehand.
struct ReportSource {
  const lb::WorkerCounters* counters = nullptr;
  std::span<const lb::RsCounters> rs;
  std::span<const uint32_t> laddr_flows;
  IoStats io;
  uint32_t flows = 0;
  uint64_t batches = 0;
  uint64_t handoff_in = 0;
  uint64_t handoff_out = 0;
  std::span<const uint64_t> handoff_dropped_to;
  uint64_t handoff_held = 0;
  uint64_t busy_ns = 0;
};

class ReportBoard {
 public:
  // Real-server ids are 16 bits: room for all of them, so no reload outgrows the board.
  static constexpr uint32_t kMaxRealServers = 1u << 16;
  // FullNAT local address ids are 8 bits (at most 255 addresses).
  static constexpr uint32_t kMaxLocalAddrs = 256;

  explicit ReportBoard(uint16_t workers, uint32_t max_rs = kMaxRealServers);
  ReportBoard(const ReportBoard&) = delete;
  ReportBoard& operator=(const ReportBoard&) = delete;

  // Worker side (one writer): no lock, no allocation, no syscall.
  void publish(const ReportSource& src);
  // Control-plane side (any thread): a consistent copy of the last publish.
  WorkerReport read() const;
  // Publishes so far (the seqlock's sequence over two).
  uint64_t generation() const { return seq_.load(std::memory_order_acquire) / 2; }

 private:
  struct FreeWords {
    void operator()(uint64_t* p) const;
  };
  // Release stores and acquire loads (plain moves on x86) order the words against the
  // sequence without fences (Boehm, "Can seqlocks get along with programming language
  // memory models?", 2012).
  void put(size_t at, uint64_t v) {
    std::atomic_ref<uint64_t>(words_.get()[at]).store(v, std::memory_order_release);
  }
  uint64_t get(size_t at) const {
    return std::atomic_ref<uint64_t>(words_.get()[at]).load(std::memory_order_acquire);
  }
  template <typename T>
  void put_struct(size_t at, const T& v);
  template <typename T>
  void get_struct(size_t at, T& v) const;

  uint16_t workers_;
  uint32_t max_rs_;
  size_t laddr_at_ = 0;  // first word of the connections per local address id
  size_t rs_at_ = 0;     // first word of the real-server counters
  alignas(64) std::atomic<uint64_t> seq_{0};
  std::unique_ptr<uint64_t[], FreeWords> words_;
};

}  // namespace gale::io
