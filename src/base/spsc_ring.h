// A lock-free single-producer single-consumer ring: how two threads pass values without
// locks (workers lending frames to each other, io/handoff.h; workers and the connection
// sync thread, lb/flow_sync.h).
#pragma once

#include <atomic>
#include <cstdint>

namespace gale {

// A lock-free single-producer single-consumer ring of N trivially copyable values.
template <typename T, uint32_t N>
class SpscRing {
  static_assert((N & (N - 1)) == 0, "N must be a power of two");

 public:
  static constexpr uint32_t kSlots = N;

  bool push(const T& v) {
    const uint32_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) == N) return false;
    slots_[head & (N - 1)] = v;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }
  // Up to `max` values, oldest first, into out; how many.
  uint32_t pop(T* out, uint32_t max) {
    const uint32_t tail = tail_.load(std::memory_order_relaxed);
    uint32_t n = head_.load(std::memory_order_acquire) - tail;
    if (n > max) n = max;
    for (uint32_t i = 0; i < n; ++i)
      out[i] = slots_[(tail + i) & (N - 1)];
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }
  uint32_t size() const {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  }

 private:
  alignas(64) std::atomic<uint32_t> head_{0};  // next to write (producer)
  alignas(64) std::atomic<uint32_t> tail_{0};  // next to read (consumer)
  alignas(64) T slots_[N];
};

}  // namespace gale
