#include "io/dataplane.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

namespace gale::io {

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

namespace {
constexpr uint64_t kReportEveryNs = 50'000'000;
}  // namespace

struct Dataplane::PerWorker {
  explicit PerWorker(uint16_t workers)
      : board(workers), wake_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~PerWorker() {
    if (wake_fd >= 0) close(wake_fd);
  }
  ReportBoard board;
  // Hand-off wake-up: a worker about to sleep in wait_rx says so in `sleeping`; a worker
  // that lends it frames then writes `wake_fd` (an eventfd its wait includes), so a
  // handed-over frame waits for no timeout. -1 if eventfd failed: the timeout remains.
  const int wake_fd;
  alignas(64) std::atomic<bool> sleeping{false};
  std::atomic<bool> nudged{false};  // wake_fd was written and not read yet
  // Made on the worker's thread, freed by stop() once every worker has stopped: an owner
  // may still hold frames this backend lent it.
  std::unique_ptr<LinkIo> io;
  std::atomic<int> state{0};  // 0 starting, 1 running, 2 failed
  std::string error;
  // export_flows(): the asker bumps `asked` (after setting `max`); the worker fills
  // `records` and stores `asked`'s value into `answered`.
  std::atomic<uint64_t> asked{0};
  std::atomic<uint64_t> answered{0};
  std::mutex export_mu;
  size_t max = 0;
  lb::Export what = lb::Export::connections;
  std::vector<lb::FlowRecord> records;
  // Connection sync: events out to the sync thread (while sync_on) and in from it;
  // `given` counts what the sync thread queued, `applied` what the worker has taken.
  std::unique_ptr<lb::SyncRing> sync_out = std::make_unique<lb::SyncRing>();
  std::unique_ptr<lb::SyncRing> sync_in = std::make_unique<lb::SyncRing>();
  std::atomic<bool> sync_on{false};
  std::atomic<uint64_t> given{0};
  std::atomic<uint64_t> applied{0};
};

Dataplane::Dataplane(const DataplaneConfig& cfg, Qsbr<lb::Snapshot>& snapshots,
                     std::function<std::unique_ptr<LinkIo>(uint16_t)> make_io)
    : cfg_(cfg), snaps_(snapshots), make_io_(std::move(make_io)) {
  const uint16_t n = std::max<uint16_t>(cfg_.workers, 1);
  cfg_.workers = n;
  if (!cfg_.clock_ns) cfg_.clock_ns = monotonic_ns;
  for (uint16_t i = 0; i < n; ++i)
    workers_.push_back(std::make_unique<PerWorker>(n));
  for (uint16_t from = 0; from < n; ++from)
    for (uint16_t to = 0; to < n; ++to)
      lanes_.push_back(from == to ? nullptr : std::make_unique<HandoffLane>());
  for (uint16_t i = 0; i < n; ++i)
    threads_.emplace_back([this, i] { run(i); });
}

std::vector<lb::FlowRecord> Dataplane::export_flows(size_t max, int timeout_ms,
                                                    lb::Export what) const {
  std::vector<uint64_t> seq(workers_.size());
  for (size_t i = 0; i < workers_.size(); ++i) {
    PerWorker& w = *workers_[i];
    {
      std::lock_guard lock(w.export_mu);
      w.max = max;
      w.what = what;
    }
    seq[i] = w.asked.fetch_add(1, std::memory_order_acq_rel) + 1;
  }
  std::vector<lb::FlowRecord> out;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (size_t i = 0; i < workers_.size(); ++i) {
    PerWorker& w = *workers_[i];
    // Polled: the worker answers between two of its batches.
    while (w.state.load() == 1 && w.answered.load(std::memory_order_acquire) < seq[i] &&
           std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (w.answered.load(std::memory_order_acquire) < seq[i]) continue;
    std::lock_guard lock(w.export_mu);
    for (const lb::FlowRecord& r : w.records) {
      if (out.size() >= max) break;
      out.push_back(r);
    }
  }
  return out;
}

void Dataplane::sync(bool on) {
  for (auto& w : workers_)
    w->sync_on.store(on, std::memory_order_release);
}

uint32_t Dataplane::take_sync(uint16_t w, lb::SyncEvent* out, uint32_t max) {
  if (w >= workers_.size()) return 0;
  return workers_[w]->sync_out->pop(out, max);
}

bool Dataplane::give_sync(const lb::SyncEvent& ev) {
  bool all = true;
  for (auto& w : workers_) {
    if (w->state.load() != 1) continue;
    if (w->sync_in->push(ev))
      w->given.fetch_add(1, std::memory_order_release);
    else
      all = false;
  }
  return all;
}

bool Dataplane::applied(int timeout_ms) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (const auto& w : workers_) {
    // Polled: a worker applies between two of its batches.
    while (w->state.load() == 1 &&
           w->applied.load(std::memory_order_acquire) < w->given.load(std::memory_order_acquire)) {
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  return true;
}

Dataplane::~Dataplane() {
  stop();
}

void Dataplane::stop() {
  stop_.store(true);
  for (auto& w : workers_) {  // a sleeping worker wakes at once
    const uint64_t one = 1;
    if (w->wake_fd >= 0 && !w->nudged.exchange(true)) (void)!write(w->wake_fd, &one, sizeof one);
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  for (auto& w : workers_)
    w->io.reset();
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
  for (const auto& w : workers_)
    out.push_back(w->board.read());
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
  std::unique_ptr<lb::Worker> worker;
  try {
    me.io = make_io_(id);
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
  LinkIo& io = *me.io;

  lb::Batch batch, in;
  HandoffFrame borrowed[lb::kBatchSize];
  uint8_t* returned[lb::kBatchSize];
  uint64_t handoff_in = 0, handoff_out = 0, batches = 0, busy_ns = 0;
  std::vector<uint64_t> dropped_to(n);  // by owner: its lane was full
  uint64_t last_report = 0;
  bool unreported = false;  // busy turns since the last report

  // Frames lent to this worker and not yet borrowed.
  auto inbound = [&] {
    for (uint16_t from = 0; from < n; ++from)
      if (from != id && lane(from, id).waiting()) return true;
    return false;
  };
  // Wakes the owners in `mask` (bit owner % 64) that sleep: one eventfd write each.
  auto wake_owners = [&](uint64_t mask) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    for (uint16_t to = 0; to < n; ++to) {
      if (to == id || !(mask >> (to % 64) & 1)) continue;
      PerWorker& owner = *workers_[to];
      if (owner.wake_fd < 0 || !owner.sleeping.load(std::memory_order_relaxed)) continue;
      if (owner.nudged.exchange(true, std::memory_order_relaxed)) continue;  // already
      const uint64_t one = 1;
      (void)!write(owner.wake_fd, &one, sizeof one);
    }
  };
  auto lent = [&] {
    uint64_t sum = 0;
    for (uint16_t to = 0; to < n; ++to)
      if (to != id) sum += lane(id, to).lent();
    return sum;
  };
  auto publish_report = [&] {
    me.board.publish({.counters = &worker->counters(),
                      .rs = worker->rs_counters(),
                      .laddr_flows = worker->laddr_flows(),
                      .io = io.stats(),
                      .flows = worker->flows(),
                      .batches = batches,
                      .handoff_in = handoff_in,
                      .handoff_out = handoff_out,
                      .handoff_dropped_to = dropped_to,
                      .handoff_held = lent(),
                      .busy_ns = busy_ns});
  };

  while (!stop_.load(std::memory_order_relaxed)) {
    const lb::Snapshot* snap = snaps_.read();
    worker->use(snap);
    worker->sync_to(me.sync_on.load(std::memory_order_relaxed) ? me.sync_out.get() : nullptr);
    const uint64_t now_ns = cfg_.clock_ns();
    const uint32_t now = static_cast<uint32_t>(now_ns / 1'000'000'000u);
    bool busy = false;

    // Frames the owners are done with go back to the backend first, so rx has them.
    for (uint16_t to = 0; to < n; ++to) {
      if (to == id) continue;
      while (uint32_t k = lane(id, to).take_back(returned, lb::kBatchSize))
        io.release(std::span<uint8_t* const>(returned, k));
    }

    // Frames lent by the other workers: this worker owns their flows.
    for (uint16_t from = 0; from < n; ++from) {
      if (from == id) continue;
      HandoffLane& l = lane(from, id);
      in.count = static_cast<uint16_t>(l.borrow(borrowed, lb::kBatchSize));
      if (in.count == 0) continue;
      busy = true;
      handoff_in += in.count;
      for (uint16_t i = 0; i < in.count; ++i) {
        const HandoffFrame& f = borrowed[i];
        in.pkts[i] = lb::Packet{.data = f.data,
                                .len = f.len,
                                .headroom = f.headroom,
                                .link = f.link,
                                .verdict = lb::Verdict::drop};
      }
      if (snap) worker->process(in, now);
      const uint16_t count = in.count;
      io.complete_foreign(in);
      for (uint16_t i = 0; i < count; ++i)
        l.give_back(borrowed[i].data);
    }

    batch.count = 0;
    if (io.rx(batch) > 0) {
      busy = true;
      ++batches;
      if (snap) {
        worker->process(batch, now);
      } else {
        for (uint16_t i = 0; i < batch.count; ++i)
          batch.pkts[i].verdict = lb::Verdict::to_kernel;
      }
      uint64_t lent_to = 0;  // owners (bit owner % 64) given frames this turn
      for (uint16_t i = 0; i < batch.count; ++i) {
        lb::Packet& p = batch.pkts[i];
        if (p.verdict != lb::Verdict::handoff) continue;
        if (p.owner < n && p.owner != id &&
            lane(id, p.owner)
                .lend({.data = p.data, .len = p.len, .headroom = p.headroom, .link = p.link})) {
          ++handoff_out;
          lent_to |= uint64_t{1} << (p.owner % 64);
        } else {
          p.verdict = lb::Verdict::drop;  // complete() frees it
          if (p.owner < n) ++dropped_to[p.owner];
        }
      }
      if (lent_to) wake_owners(lent_to);
      io.complete(batch);
    } else if (snap) {
      // Idle: keep the expiry sweep going.
      batch.count = 0;
      worker->process(batch, now);
    }
    io.flush();
    if (snap && me.sync_in->size()) {
      // Peers' connections, between two batches: a few hundred a turn.
      lb::SyncEvent evs[64];
      for (int round = 0; round < 4; ++round) {
        const uint32_t k = me.sync_in->pop(evs, 64);
        for (uint32_t i = 0; i < k; ++i)
          (void)worker->apply_sync(evs[i], now);
        me.applied.fetch_add(k, std::memory_order_release);
        if (k < 64) break;
        busy = true;
      }
    }
    snaps_.quiescent(id);
    // One more clock read on busy turns only: an idle worker's turn costs the same.
    if (busy) busy_ns += cfg_.clock_ns() - now_ns;

    if (const uint64_t want = me.asked.load(std::memory_order_acquire);
        want != me.answered.load(std::memory_order_relaxed)) {
      {
        std::lock_guard lock(me.export_mu);
        me.records.clear();
        worker->export_flows(me.records, now, me.max, me.what);
      }
      me.answered.store(want, std::memory_order_release);
    }
    if (now_ns - last_report > kReportEveryNs) {
      publish_report();
      last_report = now_ns;
      unreported = false;
    }
    if (busy) unreported = true;
    if (!busy) {
      // A sleep longer than the report period would leave the last turns' work unseen.
      if (unreported && uint64_t(cfg_.idle_wait_ms) * 1'000'000u >= kReportEveryNs) {
        publish_report();
        last_report = now_ns;
        unreported = false;
      }
      // Said before the last look at the lanes (the fences pair with wake_owners'): a
      // frame lent after that look finds `sleeping` set and writes wake_fd.
      me.sleeping.store(true, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (!inbound()) {
        io.wait_rx(cfg_.idle_wait_ms, me.wake_fd);
        // Read only when written: an idle turn costs no syscall more than the poll.
        uint64_t nudges;
        if (me.nudged.exchange(false, std::memory_order_relaxed))
          (void)!read(me.wake_fd, &nudges, sizeof nudges);
      }
      me.sleeping.store(false, std::memory_order_relaxed);
    }
  }
  publish_report();
  snaps_.offline(id);
}

}  // namespace gale::io
