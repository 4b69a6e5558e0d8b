// The dataplane's threads over in-memory backends: frames received by a worker that
// does not own their flow are handed to the owner, which forwards them with its own
// backend; QSBR frees a replaced snapshot only after every worker moved on.
#include "io/dataplane.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "io/memory_io.h"
#include "net/ipv4.h"
#include "net/l4.h"
#include "packet_builder.h"

namespace gale::io {
namespace {

using test::PacketBuilder;

// Lets the test keep the backend (to read what was sent after the threads stop).
class BorrowedLink final : public LinkIo {
 public:
  explicit BorrowedLink(LinkIo& io) : io_(io) {}
  uint16_t rx(lb::Batch& b) override { return io_.rx(b); }
  void complete(lb::Batch& b) override { io_.complete(b); }
  void complete_foreign(lb::Batch& b) override { io_.complete_foreign(b); }
  void release(std::span<uint8_t* const> f) override { io_.release(f); }
  void flush() override { io_.flush(); }
  IoStats stats() const override { return io_.stats(); }
  bool wait_rx(int timeout_ms, int wake_fd) override { return io_.wait_rx(timeout_ms, wake_fd); }

 private:
  LinkIo& io_;
};

std::unique_ptr<lb::Snapshot> make_snapshot(uint64_t generation) {
  auto s = std::make_unique<lb::Snapshot>();
  s->generation = generation;
  s->links.push_back({.mac = *net::parse_mac("02:00:00:00:00:01")});
  lb::Service svc{.vip = *net::parse_ip("192.0.2.10"),
                  .port = 80,
                  .proto = net::kProtoTcp,
                  .sched = lb::SchedKind::rr};
  for (uint16_t i = 0; i < 3; ++i) {
    net::IpAddr a = net::Ipv4Addr{0x0a010001u + i};
    s->real_servers.push_back(
        {.addr = a, .mode = lb::FwdMode::dr, .mac = *net::parse_mac("02:00:00:00:01:01")});
    svc.dests.push_back({.addr = a, .port = 80, .weight = 1});
    svc.dest_ids.push_back(i);
  }
  s->services.push_back(svc);
  if (!s->finalize()) return nullptr;
  return s;
}

// Frames the workers sent, as their reports say.
uint64_t total_tx(const Dataplane& dp) {
  uint64_t tx = 0;
  for (const auto& r : dp.reports())
    tx += r.counters.tx;
  return tx;
}

template <typename Pred>
bool eventually(Pred pred) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling, bounded
  }
  return true;
}

TEST(Dataplane, NonOwnedFramesAreForwardedByTheirOwner) {
  Qsbr<lb::Snapshot> snaps(2);
  snaps.publish(make_snapshot(1));
  MemoryIo io0, io1;
  constexpr int kFlows = 200;
  for (int c = 0; c < kFlows; ++c) {
    const std::string client = "198.51.100." + std::to_string(c % 250 + 1);
    io0.inject(0, PacketBuilder()
                      .eth("02:00:00:00:00:aa", "02:00:00:00:00:01")
                      .ipv4(client, "192.0.2.10")
                      .tcp(static_cast<uint16_t>(30000 + c), 80, net::kTcpSyn)
                      .build());
  }
  MemoryIo* ios[2] = {&io0, &io1};
  {
    Dataplane dp({.worker = {.flows_v4 = 4096, .flows_v6 = 64}, .workers = 2}, snaps,
                 [&](uint16_t i) { return std::make_unique<BorrowedLink>(*ios[i]); });
    ASSERT_TRUE(eventually([&] { return total_tx(dp) == kFlows; }));
    dp.stop();
    const auto reports = dp.reports();
    EXPECT_GT(reports[0].flows, 0u);
    EXPECT_GT(reports[1].flows, 0u);
    EXPECT_EQ(reports[0].flows + reports[1].flows, uint32_t{kFlows});
    // Worker 1 received nothing itself: all it forwarded was handed over by worker 0.
    EXPECT_EQ(reports[1].handoff_in, reports[0].counters.handed_off);
    EXPECT_EQ(io1.sent(0).size(), reports[1].flows);
    EXPECT_EQ(io0.sent(0).size(), reports[0].flows);
    EXPECT_EQ(reports[0].handoff_out, reports[0].counters.handed_off);
    EXPECT_EQ(reports[0].handoff_dropped, 0u);
  }
}

// A backend with a file descriptor to sleep on, like a socket's: its frames (injected
// before the threads start) come out of rx() only once the test says they arrived and
// makes `link_fd` readable; wait_rx() polls link_fd and the dataplane's wake-up fd.
class FdLinkIo final : public LinkIo {
 public:
  explicit FdLinkIo(MemoryIo& io) : io_(io), link_fd_(eventfd(0, EFD_CLOEXEC)) {}
  ~FdLinkIo() override { close(link_fd_); }
  uint16_t rx(lb::Batch& b) override { return arrived_.load() ? io_.rx(b) : 0; }
  void complete(lb::Batch& b) override { io_.complete(b); }
  void complete_foreign(lb::Batch& b) override { io_.complete_foreign(b); }
  void release(std::span<uint8_t* const> f) override { io_.release(f); }
  void flush() override { io_.flush(); }
  IoStats stats() const override { return io_.stats(); }
  bool wait_rx(int timeout_ms, int wake_fd) override {
    ++waits_;
    pollfd fds[2] = {{.fd = link_fd_, .events = POLLIN, .revents = 0},
                     {.fd = wake_fd, .events = POLLIN, .revents = 0}};
    return poll(fds, wake_fd >= 0 ? 2 : 1, timeout_ms) > 0;
  }
  void arrive() {
    arrived_.store(true);
    const uint64_t one = 1;
    ASSERT_EQ(write(link_fd_, &one, sizeof one), 8);
  }
  int waits() const { return waits_.load(); }

 private:
  MemoryIo& io_;
  const int link_fd_;
  std::atomic<bool> arrived_{false};
  std::atomic<int> waits_{0};
};

// Idle workers sleep up to a minute here. Frames arrive at worker 0 for flows of both;
// those it hands to worker 1 must wake it (all are forwarded within the 10 s the test
// waits), and stop() must not wait for a sleeper either.
TEST(Dataplane, AHandedOverFrameWakesItsSleepingOwner) {
  Qsbr<lb::Snapshot> snaps(2);
  snaps.publish(make_snapshot(1));
  MemoryIo io0, io1;
  constexpr int kFlows = 64;
  for (int c = 0; c < kFlows; ++c)
    io0.inject(0, PacketBuilder()
                      .eth("02:00:00:00:00:aa", "02:00:00:00:00:01")
                      .ipv4("198.51.100." + std::to_string(c + 1), "192.0.2.10")
                      .tcp(static_cast<uint16_t>(30000 + c), 80, net::kTcpSyn)
                      .build());
  FdLinkIo link0(io0), link1(io1);
  FdLinkIo* links[2] = {&link0, &link1};
  const auto t0 = std::chrono::steady_clock::now();
  {
    Dataplane dp(
        {.worker = {.flows_v4 = 4096, .flows_v6 = 64}, .workers = 2, .idle_wait_ms = 60'000}, snaps,
        [&](uint16_t i) { return std::make_unique<BorrowedLink>(*links[i]); });
    ASSERT_TRUE(eventually([&] { return link0.waits() > 0 && link1.waits() > 0; }));
    link0.arrive();
    ASSERT_TRUE(eventually([&] { return total_tx(dp) == kFlows; }));
    dp.stop();
    EXPECT_GT(dp.reports()[1].handoff_in, 0u);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
}

std::vector<uint8_t> syn_from(int c) {
  const std::string client =
      "198.51." + std::to_string(100 + c / 250) + "." + std::to_string(c % 250 + 1);
  return PacketBuilder()
      .eth("02:00:00:00:00:aa", "02:00:00:00:00:01")
      .ipv4(client, "192.0.2.10")
      .tcp(static_cast<uint16_t>(30000 + c), 80, net::kTcpSyn)
      .build();
}

// Worker 1 does not run yet, so worker 0's lane to it fills: exactly kSlots frames are
// lent, the rest counted as dropped for owner 1. Once worker 1 runs it sends the lent
// frames and gives every one back to worker 0's backend.
TEST(Dataplane, AFullLaneIsCountedAndLentFramesComeBack) {
  Qsbr<lb::Snapshot> snaps(2);
  snaps.publish(make_snapshot(1));
  // io0: buffers enough for the lane to fill; about half the flows are worker 1's.
  MemoryIo io0({.buffers = 4 * HandoffLane::kSlots}), io1;
  constexpr int kFlows = 3 * HandoffLane::kSlots;
  for (int c = 0; c < kFlows; ++c)
    io0.inject(0, syn_from(c));
  MemoryIo* ios[2] = {&io0, &io1};
  std::atomic<bool> go{false};
  struct Release {  // worker 1 starts even when an assertion below returns early
    std::atomic<bool>& go;
    ~Release() { go = true; }
  };
  Dataplane dp({.worker = {.flows_v4 = 4096, .flows_v6 = 64}, .workers = 2}, snaps,
               [&](uint16_t i) {
                 while (i == 1 && !go.load())
                   std::this_thread::sleep_for(std::chrono::milliseconds(1));
                 return std::make_unique<BorrowedLink>(*ios[i]);
               });
  const Release release{go};
  ASSERT_TRUE(eventually([&] { return dp.reports()[0].counters.rx == kFlows; }));
  ASSERT_TRUE(eventually([&] {
    const auto r = dp.reports()[0];
    return r.handoff_out + r.handoff_dropped == r.counters.handed_off;
  }));
  WorkerReport r0 = dp.reports()[0];
  ASSERT_GT(r0.counters.handed_off, uint64_t{HandoffLane::kSlots});
  EXPECT_EQ(r0.handoff_out, uint64_t{HandoffLane::kSlots});
  EXPECT_EQ(r0.handoff_dropped_to[1], r0.counters.handed_off - HandoffLane::kSlots);
  EXPECT_EQ(r0.handoff_dropped_to[0], 0u);
  EXPECT_EQ(r0.handoff_held, uint64_t{HandoffLane::kSlots});

  go = true;
  ASSERT_TRUE(eventually([&] {
    const auto r = dp.reports();
    return r[1].counters.tx == HandoffLane::kSlots && r[0].handoff_held == 0;
  }));
  EXPECT_EQ(dp.reports()[1].handoff_in, uint64_t{HandoffLane::kSlots});
  dp.stop();
  EXPECT_EQ(io1.sent(0).size(), size_t{HandoffLane::kSlots});
  EXPECT_EQ(io0.lent(), 0u);  // every lent buffer is back in worker 0's pool
}

TEST(Qsbr, FreesAReplacedObjectOnlyAfterEveryReaderMovedOn) {
  struct Tracked {
    explicit Tracked(int* f) : frees(f) {}
    ~Tracked() { ++*frees; }
    int* frees;
  };
  int frees = 0;
  Qsbr<Tracked> q(2);
  q.publish(std::make_unique<Tracked>(&frees));
  q.quiescent(0);
  q.quiescent(1);
  const Tracked* held = q.read();  // reader 0 holds the first object
  ASSERT_NE(held, nullptr);
  q.publish(std::make_unique<Tracked>(&frees));
  EXPECT_EQ(frees, 0);
  q.quiescent(1);
  EXPECT_EQ(q.reclaim(), 1u);  // reader 0 has not passed a quiescent point
  EXPECT_EQ(frees, 0);
  q.quiescent(0);
  EXPECT_EQ(q.reclaim(), 0u);
  EXPECT_EQ(frees, 1);
  q.offline(0);
  q.offline(1);
  q.publish(std::make_unique<Tracked>(&frees));  // offline readers hold nothing
  EXPECT_EQ(frees, 2);
}

}  // namespace
}  // namespace gale::io
