// Worker-owned frame buffers for the backends that copy on rx (memory, AF_PACKET),
// allocated once. A frame normally comes back at complete(), before the next rx(); a
// frame handed to another worker comes back later (LinkIo::release), so the pool holds
// more buffers than a batch and keeps a stack of the free ones. When every buffer is
// lent out, rx takes no more frames (they wait in the ring) until owners give some back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

#include "lb/packet.h"

namespace gale::io {

class FramePool {
 public:
  // Buffers lent out to other workers beyond one batch, at most.
  static constexpr uint32_t kLendable = 3 * lb::kBatchSize;

  // `count` buffers of `capacity` bytes, each frame `headroom` bytes into its buffer.
  FramePool(uint32_t capacity, uint16_t headroom, uint32_t count = lb::kBatchSize + kLendable)
      : capacity_(capacity), headroom_(headroom), count_(count) {
    free_ = std::make_unique<uint32_t[]>(count);
    mem_ = static_cast<uint8_t*>(std::aligned_alloc(64, size_t{capacity} * count));
    if (!mem_) throw std::bad_alloc();
    for (uint32_t i = count; i-- > 0;)
      free_[free_count_++] = i;
  }
  ~FramePool() { std::free(mem_); }
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;

  // Where a free buffer's frame starts (headroom() bytes in), or nullptr.
  uint8_t* take() {
    if (free_count_ == 0) return nullptr;
    return mem_ + size_t{capacity_} * free_[--free_count_] + headroom_;
  }
  // Gives back the buffer holding `p` (any byte of it: encapsulation moves a frame's
  // start into its headroom).
  void give(const uint8_t* p) {
    free_[free_count_++] = static_cast<uint32_t>(static_cast<size_t>(p - mem_) / capacity_);
  }
  bool owns(const uint8_t* p) const { return p >= mem_ && p < mem_ + size_t{capacity_} * count_; }
  uint32_t in_use() const { return count_ - free_count_; }
  uint16_t headroom() const { return headroom_; }
  // The longest frame rx may store (the rest of the buffer stays free to grow into).
  uint32_t max_frame() const { return capacity_ - headroom_ - kTailroom; }

  static constexpr uint32_t kTailroom = 128;

 private:
  uint8_t* mem_ = nullptr;
  std::unique_ptr<uint32_t[]> free_;
  uint32_t free_count_ = 0;
  uint32_t capacity_;
  uint16_t headroom_;
  uint32_t count_;
};

}  // namespace gale::io
