// ReportBoard: a worker publishes its counters without a lock; the control plane copies
// them out and never sees a report half from one publish and half from another.
#include "io/worker_report.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace gale::io {
namespace {

TEST(ReportBoard, ReadsBackWhatWasPublished) {
  ReportBoard board(3, 16);
  lb::WorkerCounters c{.rx = 5, .tx = 4, .to_kernel = 1};
  c.drops[2] = 7;
  const lb::RsCounters rs[2] = {{.conns = 1, .flows = 2}, {.conns = 3, .out_bytes = 9}};
  const uint64_t dropped_to[3] = {0, 11, 12};
  board.publish({.counters = &c,
                 .rs = rs,
                 .io = {.rx = 5, .tx = 3, .tx_dropped = 1, .rx_dropped = 2, .kernel_dropped = 6},
                 .flows = 42,
                 .batches = 8,
                 .handoff_in = 13,
                 .handoff_out = 14,
                 .handoff_dropped_to = dropped_to,
                 .handoff_held = 15,
                 .busy_ns = 16});
  const WorkerReport r = board.read();
  EXPECT_EQ(r.counters.rx, 5u);
  EXPECT_EQ(r.counters.tx, 4u);
  EXPECT_EQ(r.counters.drops[2], 7u);
  ASSERT_EQ(r.rs.size(), 2u);
  EXPECT_EQ(r.rs[0].flows, 2u);
  EXPECT_EQ(r.rs[1].out_bytes, 9u);
  EXPECT_EQ(r.io.kernel_dropped, 6u);
  EXPECT_EQ(r.io.rx_dropped, 2u);
  EXPECT_EQ(r.flows, 42u);
  EXPECT_EQ(r.batches, 8u);
  EXPECT_EQ(r.handoff_in, 13u);
  EXPECT_EQ(r.handoff_out, 14u);
  EXPECT_EQ(r.handoff_held, 15u);
  EXPECT_EQ(r.busy_ns, 16u);
  EXPECT_EQ(r.handoff_dropped_to, (std::vector<uint64_t>{0, 11, 12}));
  EXPECT_EQ(r.handoff_dropped, 23u);
  EXPECT_EQ(board.generation(), 1u);
}

TEST(ReportBoard, MoreRealServersThanTheBoardHoldsAreCutAtItsSize) {
  ReportBoard board(1, 2);
  const lb::RsCounters rs[3] = {{.conns = 1}, {.conns = 2}, {.conns = 3}};
  board.publish({.rs = rs});
  EXPECT_EQ(board.read().rs.size(), 2u);
}

// A writer publishes reports in which every word equals the publish number (and the
// real-server count varies with it); a reader on another thread checks each copy is
// uniform. Without the seqlock the reader sees mixed numbers within a few thousand reads.
TEST(ReportBoard, ReaderNeverSeesATornReport) {
  constexpr uint32_t kRs = 64;
  ReportBoard board(4, kRs);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::vector<lb::RsCounters> rs(kRs);
    uint64_t dropped_to[4];
    lb::WorkerCounters c;
    for (uint64_t g = 1; !done.load(std::memory_order_relaxed); ++g) {
      c = lb::WorkerCounters{.rx = g, .tx = g, .handed_off = g};
      for (auto& r : rs)
        r = {.conns = g, .flows = g, .in_pkts = g, .out_pkts = g, .in_bytes = g, .out_bytes = g};
      for (auto& d : dropped_to)
        d = g;
      board.publish(
          {.counters = &c,
           .rs = std::span(rs).first(1 + g % kRs),
           .io = {.rx = g, .tx = g, .tx_dropped = g, .rx_dropped = g, .kernel_dropped = g},
           .flows = static_cast<uint32_t>(g),
           .batches = g,
           .handoff_in = g,
           .handoff_out = g,
           .handoff_dropped_to = dropped_to,
           .handoff_held = g,
           .busy_ns = g});
    }
  });
  uint64_t torn = 0, reads = 0, last = 0, distinct = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  const auto limit = until + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until ||
         (distinct < 20 && std::chrono::steady_clock::now() < limit)) {
    const WorkerReport r = board.read();
    ++reads;
    const uint64_t g = r.counters.rx;
    if (g == 0) continue;  // nothing published yet
    if (g != last) ++distinct;
    last = g;
    bool ok = r.counters.tx == g && r.counters.handed_off == g && r.io.rx == g &&
              r.io.kernel_dropped == g && r.flows == static_cast<uint32_t>(g) && r.batches == g &&
              r.handoff_in == g && r.handoff_out == g && r.handoff_held == g && r.busy_ns == g &&
              r.rs.size() == 1 + g % kRs && r.handoff_dropped == 4 * g;
    for (const auto& s : r.rs)
      ok = ok && s.conns == g && s.out_bytes == g && s.in_pkts == g;
    torn += ok ? 0 : 1;
  }
  done = true;
  writer.join();
  EXPECT_EQ(torn, 0u) << "of " << reads << " reads";
  EXPECT_GE(distinct, 20u) << reads << " reads";  // the reader overlapped many publishes
}

}  // namespace
}  // namespace gale::io
