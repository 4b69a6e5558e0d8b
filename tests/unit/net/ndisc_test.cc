// The unsolicited Neighbor Advertisement (net/ndisc.h) byte for byte against RFC 4861's
// layout (section 4.4, the option of section 4.6.1) written out by hand, its checksum
// computed by the reference routine over the IPv6 pseudo-header (RFC 8200 section 8.1)
// and cross-checked with scapy's.
#include "net/ndisc.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "ref_checksum.h"

namespace gale::net {
namespace {

const MacAddr kMac{{0x02, 0, 0, 0, 0, 0x0b}};
// 2001:db8::100
const Ipv6Addr kVip{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00}};

std::vector<uint8_t> expected_frame(bool router) {
  std::vector<uint8_t> f = {
      0x33, 0x33, 0x00, 0x00, 0x00, 0x01,  // Ethernet: to all-nodes' MAC (RFC 2464 section 7)
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0b,  // from the interface's MAC
      0x86, 0xdd,                          // IPv6
      0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
      0x00, 0x20,                          // payload length 32
      0x3a,                                // next header ICMPv6
      0xff,                                // hop limit 255
  };
  f.insert(f.end(), kVip.b.begin(), kVip.b.end());  // source: the VIP
  const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  f.insert(f.end(), all_nodes, all_nodes + 16);
  const std::vector<uint8_t> icmp_head = {
      0x88,
      0x00,  // type 136 (NA), code 0
      0x00,
      0x00,  // checksum, filled below
      static_cast<uint8_t>(router ? 0xa0 : 0x20),
      0x00,
      0x00,
      0x00,  // R, S=0, O=1; reserved
  };
  f.insert(f.end(), icmp_head.begin(), icmp_head.end());
  f.insert(f.end(), kVip.b.begin(), kVip.b.end());  // target address
  f.push_back(0x02);                                // option: target link-layer address
  f.push_back(0x01);                                // length 1 (8 bytes)
  f.insert(f.end(), kMac.b.begin(), kMac.b.end());

  // Pseudo-header: source, destination, upper-layer length (32 bits), 3 zeros, 58.
  std::vector<uint8_t> sum(kVip.b.begin(), kVip.b.end());
  sum.insert(sum.end(), all_nodes, all_nodes + 16);
  const uint8_t len_and_next[8] = {0, 0, 0, 32, 0, 0, 0, 58};
  sum.insert(sum.end(), len_and_next, len_and_next + 8);
  sum.insert(sum.end(), f.begin() + 54, f.end());
  const uint16_t c = test::ref_checksum(sum);
  f[56] = static_cast<uint8_t>(c >> 8);
  f[57] = static_cast<uint8_t>(c);
  return f;
}

std::vector<uint8_t> built(bool router) {
  std::array<uint8_t, kUnsolicitedNaFrameLen> frame{};
  write_unsolicited_na(frame, {.mac = kMac, .target = kVip, .router = router});
  return {frame.begin(), frame.end()};
}

TEST(UnsolicitedNa, MatchesRfc4861Layout) {
  EXPECT_EQ(kUnsolicitedNaFrameLen, 86u);
  EXPECT_EQ(built(false), expected_frame(false));
}

TEST(UnsolicitedNa, RouterFlagWhenTheLinkForwards) {
  EXPECT_EQ(built(true), expected_frame(true));
}

TEST(UnsolicitedNa, ChecksumAgreesWithScapy) {
  // scapy: Ether()/IPv6(src="2001:db8::100", dst="ff02::1", hlim=255)/
  //   ICMPv6ND_NA(R=?, S=0, O=1, tgt="2001:db8::100")/ICMPv6NDOptDstLLAddr(lladdr=...)
  const std::vector<uint8_t> plain = built(false), router = built(true);
  EXPECT_EQ(plain[56], 0xf7);
  EXPECT_EQ(plain[57], 0x22);
  EXPECT_EQ(router[56], 0x77);
  EXPECT_EQ(router[57], 0x22);
}

}  // namespace
}  // namespace gale::net
