#include "io/dataplane.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <cstring>
#include <mutex>

namespace gale::io {

bool HandoffRing::push(const uint8_t* data, uint16_t len) {
  const uint32_t head = head_.load(std::memory_order_relaxed);
  if (head - tail_.load(std::memory_order_acquire) == kSlots || len > kSlotBytes) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  Slot& s = slots_[head & (kSlots - 1)];
  s.len = len;
  std::memcpy(s.data, data, len);
  head_.store(head + 1, std::memory_order_release);
  return true;
}

uint16_t HandoffRing::pop(uint8_t* out) {
  const uint32_t tail = tail_.load(std::memory_order_relaxed);
  if (tail == head_.load(std::memory_order_acquire)) return 0;
  const Slot& s = slots_[tail & (kSlots - 1)];
  const uint16_t len = s.len;
  std::memcpy(out, s.data, len);
  tail_.store(tail + 1, std::memory_order_release);
  return len;
}

struct Dataplane::PerWorker {
  mutable std::mutex mu;  // guards report (written by the worker, read by the control plane)
  WorkerReport report;
  std::atomic<int> state{0};  // 0 starting, 1 running, 2 failed
  std::string error;
};

Dataplane::Dataplane(const DataplaneConfig& cfg, Qsbr<lb::Snapshot>& snapshots,
                     std::function<std::unique_ptr<LinkIo>(uint16_t)> make_io)
    : cfg_(cfg), snaps_(snapshots), make_io_(std::move(make_io)) {
  const uint16_t n = std::max<uint16_t>(cfg_.workers, 1);
  cfg_.workers = n;
  if (!cfg_.clock_s) {
    cfg_.clock_s = [] {
      return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::steady_clock::now().time_since_epoch())
                                       .count());
    };
  }
  for (uint16_t i = 0; i < n; ++i)
    workers_.push_back(std::make_unique<PerWorker>());
  for (uint32_t i = 0; i < uint32_t{n} * n; ++i)
    rings_.push_back(std::make_unique<HandoffRing>());
  for (uint16_t i = 0; i < n; ++i)
    threads_.emplace_back([this, i] { run(i); });
}

Dataplane::~Dataplane() {
  stop();
}

void Dataplane::stop() {
  stop_.store(true);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

bool Dataplane::started() const {
  for (const auto& w : workers_)
    if (w->state.load() == 0) return false;
  return true;
}

std::string Dataplane::error() const {
  for (const auto& w : workers_)
    if (w->state.load() == 2) return w->error;
  return {};
}

std::vector<WorkerReport> Dataplane::reports() const {
  std::vector<WorkerReport> out;
  for (const auto& w : workers_) {
    std::lock_guard lock(w->mu);
    out.push_back(w->report);
  }
  return out;
}

void Dataplane::run(uint16_t id) {
  PerWorker& me = *workers_[id];
  const uint16_t n = cfg_.workers;
  if (!cfg_.cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cfg_.cpus[id % cfg_.cpus.size()], &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  std::unique_ptr<LinkIo> io;
  std::unique_ptr<lb::Worker> worker;
  try {
    io = make_io_(id);
    lb::WorkerConfig wc = cfg_.worker;
    wc.id = id;
    wc.count = n;
    wc.seed ^= 0x9e3779b97f4a7c15ULL * (id + 1);
    worker = std::make_unique<lb::Worker>(wc);
  } catch (const std::exception& e) {
    me.error = "worker " + std::to_string(id) + ": " + e.what();
    me.state.store(2);
    snaps_.offline(id);
    return;
  }
  me.state.store(1);

  // Frames other workers hand over are processed from these buffers (with headroom).
  constexpr size_t kBuf = lb::kMinHeadroom * 2 + HandoffRing::kSlotBytes;
  std::vector<uint8_t> foreign(lb::kBatchSize * kBuf);
  lb::Batch batch, in;
  uint64_t handoff_in = 0, batches = 0;
  auto last_report = std::chrono::steady_clock::now();

  auto publish_report = [&] {
    std::lock_guard lock(me.mu);
    me.report.counters = worker->counters();
    const auto rs = worker->rs_counters();
    me.report.rs.assign(rs.begin(), rs.end());
    const auto lf = worker->laddr_flows();
    me.report.laddr_flows.assign(lf.begin(), lf.end());
    me.report.io = io->stats();
    me.report.flows = worker->flows();
    me.report.handoff_in = handoff_in;
    me.report.batches = batches;
  };

  while (!stop_.load(std::memory_order_relaxed)) {
    const lb::Snapshot* snap = snaps_.read();
    worker->use(snap);
    const uint32_t now = cfg_.clock_s();
    bool busy = false;

    // Frames handed over by the other workers: this worker owns their flows.
    for (uint16_t from = 0; from < n; ++from) {
      if (from == id) continue;
      HandoffRing& ring = *rings_[from * n + id];
      in.count = 0;
      while (in.count < lb::kBatchSize) {
        uint8_t* buf = foreign.data() + in.count * kBuf;
        const uint16_t len = ring.pop(buf + lb::kMinHeadroom * 2);
        if (len == 0) break;
        in.pkts[in.count++] = lb::Packet{
            .data = buf + lb::kMinHeadroom * 2, .len = len, .headroom = lb::kMinHeadroom * 2};
      }
      if (in.count == 0) continue;
      busy = true;
      handoff_in += in.count;
      if (snap) worker->process(in, now);
      for (uint16_t i = 0; i < in.count; ++i) {
        const lb::Packet& p = in.pkts[i];
        if (p.verdict == lb::Verdict::tx) io->transmit(p.link, p.data, p.len);
      }
    }

    batch.count = 0;
    if (io->rx(batch) > 0) {
      busy = true;
      ++batches;
      if (snap) {
        worker->process(batch, now);
      } else {
        for (uint16_t i = 0; i < batch.count; ++i)
          batch.pkts[i].verdict = lb::Verdict::to_kernel;
      }
      for (uint16_t i = 0; i < batch.count; ++i) {
        const lb::Packet& p = batch.pkts[i];
        if (p.verdict == lb::Verdict::handoff && p.owner < n)
          rings_[id * n + p.owner]->push(p.data, p.len);
      }
      io->complete(batch);
    } else if (snap) {
      // Idle: keep the expiry sweep going.
      batch.count = 0;
      worker->process(batch, now);
    }
    io->flush();
    snaps_.quiescent(id);

    const auto t = std::chrono::steady_clock::now();
    if (t - last_report > std::chrono::milliseconds(50)) {
      publish_report();
      last_report = t;
    }
    if (!busy) io->wait_rx(cfg_.idle_wait_ms);
  }
  publish_report();
  snaps_.offline(id);
}

}  // namespace gale::io
