// Worker-owned frame buffers for the backends that copy (memory, AF_PACKET): one buffer
// per batch slot, allocated once. A batch's frames are disposed of by complete() before
// the next rx(), so slot i of the batch always uses buffer i: no free list needed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "lb/packet.h"

namespace gale::io {

class FramePool {
 public:
  // `headroom` bytes before each frame, `capacity` bytes per buffer in all.
  FramePool(uint32_t capacity, uint16_t headroom) : capacity_(capacity), headroom_(headroom) {
    mem_ = static_cast<uint8_t*>(std::aligned_alloc(64, size_t{capacity} * lb::kBatchSize));
    if (!mem_) throw std::bad_alloc();
  }
  ~FramePool() { std::free(mem_); }
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;

  uint8_t* buffer(int slot) { return mem_ + size_t{capacity_} * static_cast<size_t>(slot); }
  // Where a received frame starts in its buffer.
  uint8_t* frame(int slot) { return buffer(slot) + headroom_; }
  uint16_t headroom() const { return headroom_; }
  // The longest frame rx may store (the rest of the buffer stays free to grow into).
  uint32_t max_frame() const { return capacity_ - headroom_ - kTailroom; }

  static constexpr uint32_t kTailroom = 128;

 private:
  uint8_t* mem_ = nullptr;
  uint32_t capacity_;
  uint16_t headroom_;
};

}  // namespace gale::io
