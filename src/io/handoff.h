// Hand-off between workers (DESIGN.md section 3): a frame received by a worker that does
// not own its flow is lent, by reference, to the owner, which processes it in place,
// sends it with its own backend (one copy into its tx path where the UMEMs differ) and
// gives the reference back; the lender's backend then recycles the frame.
//
// One HandoffLane per ordered pair of workers (lender, owner): two single-producer
// single-consumer rings of descriptors, never of bytes. The lender keeps at most
// kSlots frames lent on a lane, so the return ring can never be full.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gale::io {

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

// A frame lent to its owner: where it is in the lender's memory, as rx() described it.
struct HandoffFrame {
  uint8_t* data;
  uint16_t len;
  uint16_t headroom;
  uint16_t link;
};

class HandoffLane {
 public:
  static constexpr uint32_t kSlots = 256;  // four batches in flight per pair of workers

  // Lender side.
  bool lend(const HandoffFrame& f) {
    if (lent_ == kSlots || !frames_.push(f)) return false;
    ++lent_;
    return true;
  }
  uint32_t take_back(uint8_t** out, uint32_t max) {
    const uint32_t n = returns_.pop(out, max);
    lent_ -= n;
    return n;
  }
  uint32_t lent() const { return lent_; }

  // Owner side.
  uint32_t borrow(HandoffFrame* out, uint32_t max) { return frames_.pop(out, max); }
  void give_back(uint8_t* data) {
    // Cannot fail: at most kSlots frames are lent on this lane.
    (void)returns_.push(data);
  }

 private:
  SpscRing<HandoffFrame, kSlots> frames_;  // lender -> owner
  SpscRing<uint8_t*, kSlots> returns_;     // owner -> lender
  alignas(64) uint32_t lent_ = 0;          // the lender's own count (only it touches it)
};

}  // namespace gale::io
