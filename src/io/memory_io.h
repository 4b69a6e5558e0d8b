// The in-memory backend: frames injected by a test or benchmark come out of rx(); what
// the pipeline transmits or hands to the kernel is captured per link. The rx copy into
// worker-owned buffers is the same work AF_PACKET does, so benchmarks see a fair cost.
// Frames handed to another worker are lent by reference (FramePool) until release().
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "io/frame_pool.h"
#include "io/link_io.h"

namespace gale::io {

struct MemoryIoConfig {
  uint16_t links = 1;           // interfaces 0 .. links-1
  uint16_t headroom = 256;      // >= lb::kMinHeadroom
  uint32_t buffer_size = 4096;  // per frame: headroom + frame + tailroom
  bool capture = true;          // keep copies of tx / to_kernel frames
  bool repeat = false;          // rx replays the injected frames forever (bench)
  // Frames tx may queue between two flush() calls, as a tx ring of this many slots
  // would (0: no limit). complete() reserves the slots of a whole batch at once.
  uint32_t tx_slots = 0;
  uint32_t buffers = lb::kBatchSize + FramePool::kLendable;  // rx buffers (FramePool)
};

class MemoryIo final : public LinkIo {
 public:
  using Frame = std::vector<uint8_t>;

  explicit MemoryIo(const MemoryIoConfig& cfg = {});

  // Queues a frame to be received on `link`. Allocates (test/bench setup only).
  void inject(uint16_t link, std::span<const uint8_t> frame);
  size_t pending() const { return inputs_.size() - next_; }

  // Frames transmitted on / handed to the kernel from `link` (when capturing).
  const std::vector<Frame>& sent(uint16_t link) const { return sent_[link]; }
  const std::vector<Frame>& to_kernel(uint16_t link) const { return kernel_[link]; }
  uint64_t dropped() const { return dropped_; }
  uint64_t handed_off() const { return handed_off_; }  // frames complete() lent out
  uint32_t lent() const { return pool_.in_use(); }     // buffers not back in the pool
  uint64_t flushes() const { return flushes_; }
  void clear_output();

  uint16_t rx(lb::Batch& batch) override;
  void complete(lb::Batch& batch) override;
  void complete_foreign(lb::Batch& batch) override;
  void release(std::span<uint8_t* const> frames) override;
  void flush() override;
  IoStats stats() const override { return stats_; }

 private:
  struct Input {
    uint16_t link;
    Frame bytes;
  };
  MemoryIoConfig cfg_;
  FramePool pool_;
  std::vector<Input> inputs_;
  size_t next_ = 0;
  // Queues the tx verdicts of a batch (reserving their slots at once) and captures the
  // to_kernel ones.
  void send(const lb::Batch& batch);

  std::vector<std::vector<Frame>> sent_, kernel_;
  uint32_t tx_queued_ = 0;  // since the last flush
  uint64_t dropped_ = 0, handed_off_ = 0, flushes_ = 0;
  IoStats stats_;
};

}  // namespace gale::io
