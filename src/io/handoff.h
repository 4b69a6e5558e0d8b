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

#include "base/spsc_ring.h"

namespace gale::io {

using gale::SpscRing;

// A frame lent to its owner: where it is in the lender's memory, as rx() described it.
struct HandoffFrame {
  uint8_t* data;
  uint16_t len;
  uint16_t headroom;
  uint16_t link;
};

class HandoffLane {
 public:
  static constexpr uint32_t kSlots = 1024;  // 16 batches in flight per pair of workers

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
  bool waiting() const { return frames_.size() != 0; }
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
