// The hand-off rings: SPSC order across threads, a full lane refuses (and the dataplane
// counts it), lent frames come back to their backend, and the memory a pair of workers
// costs, before (frame copies) and after (descriptors).
#include "io/handoff.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <thread>
#include <vector>

#include "io/memory_io.h"

namespace gale::io {
namespace {

TEST(SpscRing, KeepsOrderAcrossThreads) {
  constexpr uint64_t kCount = 100'000;
  SpscRing<uint64_t, 64> ring;  // small: the producer keeps finding it full
  std::thread producer([&] {
    for (uint64_t v = 1; v <= kCount;) {
      if (ring.push(v))
        ++v;
      else
        std::this_thread::yield();  // the test machine may have fewer cores than threads
    }
  });
  uint64_t expect = 1, out[16];
  bool in_order = true;
  while (expect <= kCount) {
    const uint32_t n = ring.pop(out, 16);
    if (n == 0) std::this_thread::yield();
    for (uint32_t i = 0; i < n; ++i)
      in_order = in_order && out[i] == expect++;
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(ring.size(), 0u);
}

TEST(SpscRing, RefusesWhenFull) {
  SpscRing<int, 4> ring;
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(ring.push(i));
  EXPECT_FALSE(ring.push(4));
  int out[2];
  EXPECT_EQ(ring.pop(out, 2), 2u);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 1);
  EXPECT_TRUE(ring.push(5));
}

TEST(HandoffLane, LendsAtMostItsSlotsAndTakesFramesBack) {
  auto lane = std::make_unique<HandoffLane>();
  std::vector<uint8_t> mem(HandoffLane::kSlots + 1);
  for (uint32_t i = 0; i < HandoffLane::kSlots; ++i)
    ASSERT_TRUE(lane->lend({.data = &mem[i], .len = 60, .headroom = 128, .link = 1}));
  EXPECT_FALSE(lane->lend({.data = &mem[HandoffLane::kSlots], .len = 60}));
  EXPECT_EQ(lane->lent(), HandoffLane::kSlots);

  // The owner borrows them all (the frame ring is empty again), but until it gives
  // them back the lender still may not lend more: the return ring could overflow.
  HandoffFrame f[HandoffLane::kSlots];
  ASSERT_EQ(lane->borrow(f, HandoffLane::kSlots), HandoffLane::kSlots);
  EXPECT_EQ(f[3].data, &mem[3]);
  EXPECT_EQ(f[3].link, 1);
  EXPECT_FALSE(lane->lend({.data = &mem[HandoffLane::kSlots], .len = 60}));
  for (uint32_t i = 0; i < HandoffLane::kSlots; ++i)
    lane->give_back(f[i].data);
  uint8_t* back[HandoffLane::kSlots];
  ASSERT_EQ(lane->take_back(back, HandoffLane::kSlots), HandoffLane::kSlots);
  EXPECT_EQ(back[0], &mem[0]);
  EXPECT_EQ(back[HandoffLane::kSlots - 1], &mem[HandoffLane::kSlots - 1]);
  EXPECT_EQ(lane->lent(), 0u);
  EXPECT_TRUE(lane->lend({.data = &mem[0], .len = 60}));
}

// A frame complete() lends (verdict handoff) stays out of the backend's pool until
// release() gives it back; rx takes no buffer that is lent out.
TEST(MemoryIo, LentFramesStayOutOfThePoolUntilReleased) {
  MemoryIo io({.buffers = lb::kBatchSize + 2});
  const std::vector<uint8_t> frame(60, 0xab);
  for (int i = 0; i < 3 * lb::kBatchSize; ++i)
    io.inject(0, frame);
  lb::Batch batch;
  ASSERT_EQ(io.rx(batch), lb::kBatchSize);
  uint8_t* lent[2] = {batch.pkts[5].data, batch.pkts[9].data};
  batch.pkts[5].verdict = lb::Verdict::handoff;
  batch.pkts[9].verdict = lb::Verdict::handoff;
  io.complete(batch);
  EXPECT_EQ(io.lent(), 2u);
  EXPECT_EQ(io.handed_off(), 2u);
  ASSERT_EQ(io.rx(batch), lb::kBatchSize);  // the two spare buffers cover the lent ones
  for (int i = 0; i < batch.count; ++i)
    EXPECT_TRUE(batch.pkts[i].data != lent[0] && batch.pkts[i].data != lent[1]);
  io.complete(batch);
  io.release(lent);
  EXPECT_EQ(io.lent(), 0u);
}

// The memory one ordered pair of workers costs for hand-off. Before: 1024 slots, each a
// whole frame (2 KiB bytes and a length), in a ring of its own per pair. After: a lane
// of two descriptor rings.
TEST(HandoffLane, MemoryPerPairOfWorkers) {
  struct OldSlot {
    uint16_t len;
    uint8_t data[2048];
  };
  const size_t before = sizeof(OldSlot) * 1024 + 3 * 64;  // slots + head, tail, dropped lines
  const size_t after = sizeof(HandoffLane);
  const size_t pairs64 = 64 * 63;
  std::printf("hand-off memory per ordered worker pair: before %zu B, after %zu B\n", before,
              after);
  std::printf("64 workers (%zu pairs): before %.2f GB (%zu rings: n*n), after %.1f MB\n", pairs64,
              double(before) * 64 * 64 / 1e9, size_t{64 * 64}, double(after) * pairs64 / 1e6);
  // 1024 slots since the lab's bulk transfers lost frames at 256 (issue 10): ~25 KiB.
  EXPECT_LE(after, 32u * 1024);
  EXPECT_EQ(sizeof(HandoffFrame), 16u);
}

}  // namespace
}  // namespace gale::io
