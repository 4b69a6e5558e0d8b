#include "io/worker_report.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <type_traits>

namespace gale::io {

namespace {

// The report is copied word by word, so every part must be a bag of 64-bit words.
template <typename T>
constexpr size_t words_of() {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % sizeof(uint64_t) == 0);
  return sizeof(T) / sizeof(uint64_t);
}

constexpr size_t kCountersAt = 0;
constexpr size_t kIoAt = kCountersAt + words_of<lb::WorkerCounters>();
constexpr size_t kScalarsAt = kIoAt + words_of<IoStats>();
enum Scalar : size_t {
  flows,
  batches,
  handoff_in,
  handoff_out,
  handoff_held,
  busy_ns,
  rs_count,
  count_
};
constexpr size_t kDroppedToAt = kScalarsAt + Scalar::count_;
constexpr size_t kRsWords = words_of<lb::RsCounters>();

}  // namespace

void ReportBoard::FreeWords::operator()(uint64_t* p) const {
  std::free(p);
}

ReportBoard::ReportBoard(uint16_t workers, uint32_t max_rs)
    : workers_(workers),
      max_rs_(max_rs),
      laddr_at_(kDroppedToAt + workers),
      rs_at_(laddr_at_ + kMaxLocalAddrs) {
  // calloc: the kernel hands out zero pages as they are first written, so the ids no
  // real server has cost nothing.
  const size_t words = rs_at_ + size_t{max_rs} * kRsWords;
  words_.reset(static_cast<uint64_t*>(std::calloc(words, sizeof(uint64_t))));
  if (!words_) throw std::bad_alloc();
}

template <typename T>
void ReportBoard::put_struct(size_t at, const T& v) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(&v);
  for (size_t i = 0; i < words_of<T>(); ++i) {
    uint64_t w;
    std::memcpy(&w, bytes + i * sizeof w, sizeof w);
    put(at + i, w);
  }
}

template <typename T>
void ReportBoard::get_struct(size_t at, T& v) const {
  auto* bytes = reinterpret_cast<unsigned char*>(&v);
  for (size_t i = 0; i < words_of<T>(); ++i) {
    const uint64_t w = get(at + i);
    std::memcpy(bytes + i * sizeof w, &w, sizeof w);
  }
}

// The seqlock's writer: an odd sequence while the words change. Each word's release
// store keeps the odd sequence before it; the final release store keeps the words before
// the even one. Words are atomics, so a racing reader is well defined (it retries).
void ReportBoard::publish(const ReportSource& src) {
  const uint64_t seq = seq_.load(std::memory_order_relaxed);
  seq_.store(seq + 1, std::memory_order_relaxed);
  if (src.counters) put_struct(kCountersAt, *src.counters);
  put_struct(kIoAt, src.io);
  put(kScalarsAt + flows, src.flows);
  put(kScalarsAt + batches, src.batches);
  put(kScalarsAt + handoff_in, src.handoff_in);
  put(kScalarsAt + handoff_out, src.handoff_out);
  put(kScalarsAt + handoff_held, src.handoff_held);
  put(kScalarsAt + busy_ns, src.busy_ns);
  const size_t rs = std::min<size_t>(src.rs.size(), max_rs_);
  put(kScalarsAt + rs_count, rs);
  const size_t to = std::min<size_t>(src.handoff_dropped_to.size(), workers_);
  for (size_t w = 0; w < to; ++w)
    put(kDroppedToAt + w, src.handoff_dropped_to[w]);
  for (size_t id = 0; id < rs; ++id)
    put_struct(rs_at_ + id * kRsWords, src.rs[id]);
  for (size_t id = 0; id < kMaxLocalAddrs; ++id)
    put(laddr_at_ + id, id < src.laddr_flows.size() ? src.laddr_flows[id] : 0);
  seq_.store(seq + 2, std::memory_order_release);
}

WorkerReport ReportBoard::read() const {
  WorkerReport r;
  r.handoff_dropped_to.resize(workers_);
  r.laddr_flows.resize(kMaxLocalAddrs);
  for (;;) {
    const uint64_t before = seq_.load(std::memory_order_acquire);
    if (before & 1) {  // the worker is writing (microseconds, unless it was preempted)
      std::this_thread::yield();
      continue;
    }
    get_struct(kCountersAt, r.counters);
    get_struct(kIoAt, r.io);
    r.flows = static_cast<uint32_t>(get(kScalarsAt + flows));
    r.batches = get(kScalarsAt + batches);
    r.handoff_in = get(kScalarsAt + handoff_in);
    r.handoff_out = get(kScalarsAt + handoff_out);
    r.handoff_held = get(kScalarsAt + handoff_held);
    r.busy_ns = get(kScalarsAt + busy_ns);
    // A torn read may see any count: bound it before it sizes anything.
    const size_t rs = std::min<size_t>(get(kScalarsAt + rs_count), max_rs_);
    r.rs.resize(rs);
    for (size_t id = 0; id < rs; ++id)
      get_struct(rs_at_ + id * kRsWords, r.rs[id]);
    for (size_t w = 0; w < workers_; ++w)
      r.handoff_dropped_to[w] = get(kDroppedToAt + w);
    for (size_t id = 0; id < kMaxLocalAddrs; ++id)
      r.laddr_flows[id] = static_cast<uint32_t>(get(laddr_at_ + id));
    // The words' acquire loads keep this load after them.
    if (seq_.load(std::memory_order_relaxed) == before) break;
  }
  r.handoff_dropped = 0;
  for (uint64_t d : r.handoff_dropped_to)
    r.handoff_dropped += d;
  return r;
}

}  // namespace gale::io
