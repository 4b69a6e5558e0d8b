// Quiescent-state-based reclamation for the snapshot pointer (DESIGN.md section 3).
//
// The control plane publishes a new object with one atomic store and retires the old
// one; each worker announces, between batches, that it holds no reference from before
// ("quiescent"). A retired object is freed once every worker has been quiescent since
// it was retired. Workers pay one relaxed load and one release store per batch.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace gale {

template <typename T>
class Qsbr {
 public:
  explicit Qsbr(size_t readers) : seen_(readers) {
    for (auto& s : seen_)
      s.epoch.store(kOffline, std::memory_order_relaxed);
  }
  ~Qsbr() {
    delete current_.load();
    for (auto& r : retired_)
      delete r.object;
  }

  // Worker side -----------------------------------------------------------------
  // The object to use for the next batch.
  const T* read() const { return current_.load(std::memory_order_acquire); }
  // Called by reader `id` between batches: it holds no pointer read before this call.
  void quiescent(size_t id) {
    seen_[id].epoch.store(epoch_.load(std::memory_order_acquire), std::memory_order_release);
  }
  // A reader that stops (or sleeps) must not hold back reclamation.
  void offline(size_t id) { seen_[id].epoch.store(kOffline, std::memory_order_release); }

  // Control-plane side (one thread) ----------------------------------------------
  // Makes `next` current; the previous object is freed once no reader can hold it.
  void publish(std::unique_ptr<T> next) {
    T* old = current_.exchange(next.release(), std::memory_order_acq_rel);
    const uint64_t e = epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (old) retired_.push_back({old, e});
    reclaim();
  }
  // Frees what every reader has passed. Returns how many objects are still waiting.
  size_t reclaim() {
    uint64_t min_seen = kOffline;
    for (auto& s : seen_)
      min_seen = std::min(min_seen, s.epoch.load(std::memory_order_acquire));
    std::erase_if(retired_, [&](const Retired& r) {
      if (min_seen < r.epoch) return false;
      delete r.object;
      return true;
    });
    return retired_.size();
  }

 private:
  static constexpr uint64_t kOffline = ~uint64_t{0};
  struct alignas(64) Seen {
    std::atomic<uint64_t> epoch;
  };
  struct Retired {
    T* object;
    uint64_t epoch;  // readers must have seen at least this epoch
  };
  std::atomic<T*> current_{nullptr};
  std::atomic<uint64_t> epoch_{0};
  std::vector<Seen> seen_;
  std::vector<Retired> retired_;
};

}  // namespace gale
