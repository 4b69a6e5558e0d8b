#include "io/memory_io.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace gale::io {

MemoryIo::MemoryIo(const MemoryIoConfig& cfg)
    : cfg_(cfg),
      pool_(cfg.buffer_size, cfg.headroom, cfg.buffers),
      sent_(cfg.links),
      kernel_(cfg.links) {
  if (cfg.headroom < lb::kMinHeadroom)
    throw std::runtime_error("memory io: headroom below lb::kMinHeadroom");
  if (cfg.buffer_size <= cfg.headroom + FramePool::kTailroom)
    throw std::runtime_error("memory io: buffer_size leaves no room for a frame");
}

void MemoryIo::inject(uint16_t link, std::span<const uint8_t> frame) {
  inputs_.push_back({link, Frame(frame.begin(), frame.end())});
}

void MemoryIo::clear_output() {
  for (auto& v : sent_)
    v.clear();
  for (auto& v : kernel_)
    v.clear();
}

uint16_t MemoryIo::rx(lb::Batch& batch) {
  uint16_t n = 0;
  while (n < lb::kBatchSize) {
    if (next_ == inputs_.size()) {
      if (!cfg_.repeat || inputs_.empty()) break;
      next_ = 0;
    }
    const Input& in = inputs_[next_];
    if (in.bytes.size() > pool_.max_frame() || in.link >= cfg_.links) {
      ++next_;
      ++stats_.rx_dropped;
      continue;
    }
    uint8_t* buf = pool_.take();
    if (buf == nullptr) break;  // every buffer is lent out: the frame waits
    ++next_;
    lb::Packet& p = batch.pkts[n];
    p.data = buf;
    std::memcpy(p.data, in.bytes.data(), in.bytes.size());
    p.len = static_cast<uint16_t>(in.bytes.size());
    p.headroom = pool_.headroom();
    p.link = in.link;
    p.verdict = lb::Verdict::drop;
    p.drop_reason = lb::Drop::none;
    ++n;
  }
  batch.count = n;
  stats_.rx += n;
  return n;
}

void MemoryIo::send(const lb::Batch& batch) {
  uint32_t want = 0;
  for (uint16_t i = 0; i < batch.count; ++i)
    want += batch.pkts[i].verdict == lb::Verdict::tx && batch.pkts[i].link < cfg_.links;
  uint32_t slots = want;
  if (cfg_.tx_slots) slots = std::min(want, cfg_.tx_slots - tx_queued_);
  tx_queued_ += slots;
  for (uint16_t i = 0; i < batch.count; ++i) {
    const lb::Packet& p = batch.pkts[i];
    if (p.verdict == lb::Verdict::to_kernel) {
      ++(p.link < cfg_.links ? stats_.to_kernel : stats_.kernel_dropped);
      if (cfg_.capture && p.link < cfg_.links) kernel_[p.link].emplace_back(p.data, p.data + p.len);
      continue;
    }
    if (p.verdict != lb::Verdict::tx) continue;
    if (p.link >= cfg_.links || slots == 0) {
      ++stats_.tx_dropped;
      continue;
    }
    --slots;
    ++stats_.tx;
    if (cfg_.capture) sent_[p.link].emplace_back(p.data, p.data + p.len);
  }
}

void MemoryIo::complete(lb::Batch& batch) {
  send(batch);
  for (uint16_t i = 0; i < batch.count; ++i) {
    const lb::Packet& p = batch.pkts[i];
    if (p.verdict == lb::Verdict::handoff) {
      ++handed_off_;  // lent to its owner: back through release()
      continue;
    }
    if (p.verdict == lb::Verdict::drop) ++dropped_;
    pool_.give(p.data);
  }
  batch.count = 0;
}

void MemoryIo::complete_foreign(lb::Batch& batch) {
  send(batch);
  batch.count = 0;
}

void MemoryIo::release(std::span<uint8_t* const> frames) {
  for (uint8_t* f : frames)
    pool_.give(f);
}

void MemoryIo::flush() {
  ++flushes_;
  tx_queued_ = 0;
}

}  // namespace gale::io
