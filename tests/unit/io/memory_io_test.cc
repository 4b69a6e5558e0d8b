// MemoryIo (the test/bench backend), the owned-endpoint list derived from a snapshot,
// the nft script of the AF_PACKET ownership filter, and where the AF_XDP to_kernel path
// finds the IP packet in a frame.
#include "io/memory_io.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "io/kernel_tun.h"
#include "packet_builder.h"

namespace gale::io {
namespace {

std::vector<uint8_t> udp_frame(uint16_t dport, size_t payload = 10) {
  return test::PacketBuilder()
      .eth("02:00:00:00:00:01", "02:00:00:00:00:02")
      .ipv4("10.0.0.1", "10.0.0.2")
      .udp(1234, dport)
      .payload(std::string(payload, 'x'))
      .build();
}

TEST(MemoryIo, RxHandsOutFramesWithHeadroomAndPorts) {
  MemoryIo io({.links = 2});
  const auto a = udp_frame(1), b = udp_frame(2);
  io.inject(0, a);
  io.inject(1, b);
  lb::Batch batch;
  ASSERT_EQ(io.rx(batch), 2);
  EXPECT_EQ(batch.count, 2);
  EXPECT_EQ(batch.pkts[0].link, 0);
  EXPECT_EQ(batch.pkts[1].link, 1);
  for (int i = 0; i < 2; ++i) {
    EXPECT_GE(batch.pkts[i].headroom, lb::kMinHeadroom);
    // The headroom is writable memory of the frame's own buffer.
    batch.pkts[i].data[-static_cast<int>(lb::kMinHeadroom)] = 0xaa;
  }
  EXPECT_EQ(std::vector<uint8_t>(batch.pkts[0].data, batch.pkts[0].data + batch.pkts[0].len), a);
  EXPECT_EQ(std::vector<uint8_t>(batch.pkts[1].data, batch.pkts[1].data + batch.pkts[1].len), b);
  EXPECT_EQ(io.rx(batch), 0);  // nothing left (the first batch is not completed: fine here)
}

TEST(MemoryIo, CompleteDisposesByVerdict) {
  MemoryIo io({.links = 2});
  for (int i = 0; i < 3; ++i)
    io.inject(0, udp_frame(static_cast<uint16_t>(i)));
  lb::Batch batch;
  ASSERT_EQ(io.rx(batch), 3);
  // Encapsulate the first in its headroom and send it out of the other port.
  lb::Packet& p = batch.pkts[0];
  p.data -= 20;
  p.len += 20;
  std::memset(p.data, 0xee, 20);
  p.link = 1;
  p.verdict = lb::Verdict::tx;
  batch.pkts[1].verdict = lb::Verdict::to_kernel;
  batch.pkts[2].verdict = lb::Verdict::drop;
  io.complete(batch);
  io.flush();
  EXPECT_EQ(batch.count, 0);
  ASSERT_EQ(io.sent(1).size(), 1u);
  EXPECT_TRUE(io.sent(0).empty());
  EXPECT_EQ(io.sent(1)[0].size(), udp_frame(0).size() + 20);
  EXPECT_EQ(io.sent(1)[0][0], 0xee);
  ASSERT_EQ(io.to_kernel(0).size(), 1u);
  EXPECT_EQ(io.to_kernel(0)[0], udp_frame(1));
  EXPECT_EQ(io.dropped(), 1u);
  EXPECT_EQ(io.flushes(), 1u);
  const IoStats st = io.stats();
  EXPECT_EQ(st.rx, 3u);
  EXPECT_EQ(st.tx, 1u);
}

TEST(MemoryIo, BatchesAreAtMostKBatchSizeAndRepeatLoops) {
  MemoryIo io({.capture = false, .repeat = true});
  for (int i = 0; i < 10; ++i)
    io.inject(0, udp_frame(static_cast<uint16_t>(i)));
  lb::Batch batch;
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(io.rx(batch), lb::kBatchSize);
    for (int i = 0; i < batch.count; ++i)
      batch.pkts[i].verdict = lb::Verdict::tx;
    io.complete(batch);
  }
  EXPECT_EQ(io.stats().tx, 3u * lb::kBatchSize);
  EXPECT_TRUE(io.sent(0).empty());  // not capturing
}

TEST(MemoryIo, TooLongFramesAndUnknownPortsAreCounted) {
  MemoryIo io({.links = 1, .buffer_size = 1024});
  io.inject(0, udp_frame(1, 2000));
  io.inject(5, udp_frame(1));
  io.inject(0, udp_frame(1));
  lb::Batch batch;
  ASSERT_EQ(io.rx(batch), 1);
  batch.pkts[0].verdict = lb::Verdict::tx;
  batch.pkts[0].link = 3;  // no such link
  io.complete(batch);
  const IoStats st = io.stats();
  EXPECT_EQ(st.rx_dropped, 2u);
  EXPECT_EQ(st.tx_dropped, 1u);
  EXPECT_EQ(st.tx, 0u);
}

TEST(MemoryIo, RejectsHeadroomBelowTheMinimum) {
  EXPECT_THROW(MemoryIo({.headroom = 64}), std::runtime_error);
}

// complete() reserves the tx slots of a whole batch at once: with 16 slots free and 40
// frames to send, the first 16 (in batch order) go and 24 are counted; to_kernel frames
// take no tx slot; flush() frees the slots for the next batch.
TEST(MemoryIo, ABatchTakesWhatTheTxSlotsHaveRoomFor) {
  MemoryIo io({.tx_slots = 16});
  for (int i = 0; i < 42; ++i)
    io.inject(0, udp_frame(static_cast<uint16_t>(i)));
  lb::Batch batch;
  ASSERT_EQ(io.rx(batch), 42);
  for (int i = 0; i < 42; ++i)
    batch.pkts[i].verdict = i < 2 ? lb::Verdict::to_kernel : lb::Verdict::tx;
  io.complete(batch);
  EXPECT_EQ(io.stats().tx, 16u);
  EXPECT_EQ(io.stats().tx_dropped, 24u);
  EXPECT_EQ(io.stats().to_kernel, 2u);
  ASSERT_EQ(io.sent(0).size(), 16u);
  EXPECT_EQ(io.sent(0)[0], udp_frame(2));
  EXPECT_EQ(io.sent(0)[15], udp_frame(17));
  EXPECT_EQ(io.lent(), 0u);  // sent or not, every buffer is back

  io.flush();
  for (int i = 0; i < 3; ++i)
    io.inject(0, udp_frame(100));
  ASSERT_EQ(io.rx(batch), 3);
  for (int i = 0; i < 3; ++i)
    batch.pkts[i].verdict = lb::Verdict::tx;
  io.complete(batch);
  EXPECT_EQ(io.stats().tx, 19u);
}

// The to_kernel path writes the IP packet alone: after the 14-byte Ethernet header and
// each 4-byte VLAN tag (two at most); anything but IPv4/IPv6 cannot go.
TEST(KernelTun, FindsTheIpPacketBehindEthernetAndVlanTags) {
  using test::PacketBuilder;
  const char* m1 = "02:00:00:00:00:01";
  const char* m2 = "02:00:00:00:00:02";
  auto off = [](const std::vector<uint8_t>& f) {
    return KernelTun::ip_offset(f.data(), static_cast<uint16_t>(f.size()));
  };
  EXPECT_EQ(off(PacketBuilder().eth(m1, m2).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).build()), 14u);
  EXPECT_EQ(off(PacketBuilder().eth(m1, m2).ipv6("2001:db8::1", "fd00::1").udp(1, 2).build()), 14u);
  EXPECT_EQ(off(PacketBuilder().eth(m1, m2).vlan(7).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).build()),
            18u);
  EXPECT_EQ(off(PacketBuilder()
                    .eth(m1, m2)
                    .vlan(7, 0x88a8)
                    .vlan(8)
                    .ipv4("1.1.1.1", "2.2.2.2")
                    .udp(1, 2)
                    .build()),
            22u);
  std::vector<uint8_t> arp(42, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(off(arp), 0u);
  EXPECT_EQ(off(std::vector<uint8_t>(arp.begin(), arp.begin() + 13)), 0u);
  std::vector<uint8_t> bare(14, 0);  // an IPv4 type with nothing behind it
  bare[12] = 0x08;
  EXPECT_EQ(off(bare), 0u);
}

}  // namespace
}  // namespace gale::io
