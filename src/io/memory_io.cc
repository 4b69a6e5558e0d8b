#include "io/memory_io.h"

#include <cstring>
#include <stdexcept>

namespace gale::io {

MemoryIo::MemoryIo(const MemoryIoConfig& cfg)
    : cfg_(cfg), pool_(cfg.buffer_size, cfg.headroom), sent_(cfg.links), kernel_(cfg.links) {
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
    const Input& in = inputs_[next_++];
    if (in.bytes.size() > pool_.max_frame() || in.link >= cfg_.links) {
      ++stats_.rx_dropped;
      continue;
    }
    lb::Packet& p = batch.pkts[n];
    p.data = pool_.frame(n);
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

bool MemoryIo::transmit(uint16_t link, const uint8_t* data, uint16_t len) {
  if (link >= cfg_.links) {
    ++stats_.tx_dropped;
    return false;
  }
  ++stats_.tx;
  if (cfg_.capture) sent_[link].emplace_back(data, data + len);
  return true;
}

void MemoryIo::complete(lb::Batch& batch) {
  for (uint16_t i = 0; i < batch.count; ++i) {
    const lb::Packet& p = batch.pkts[i];
    switch (p.verdict) {
      case lb::Verdict::tx:
        if (p.link >= cfg_.links) {
          ++stats_.tx_dropped;
          break;
        }
        ++stats_.tx;
        if (cfg_.capture) sent_[p.link].emplace_back(p.data, p.data + p.len);
        break;
      case lb::Verdict::to_kernel:
        if (cfg_.capture && p.link < cfg_.links)
          kernel_[p.link].emplace_back(p.data, p.data + p.len);
        break;
      case lb::Verdict::drop:
        ++dropped_;
        break;
      case lb::Verdict::handoff:  // the worker loop has copied it to its owner already
        ++handed_off_;
        break;
    }
  }
  batch.count = 0;
}

}  // namespace gale::io
