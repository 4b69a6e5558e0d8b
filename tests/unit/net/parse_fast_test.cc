// parse_fast_v4() against parse(), the reference it must agree with: on the frames it
// takes, the same ParsedPacket; on every other frame, a refusal that sends the caller to
// parse(). Mutated frames (bytes changed, frames cut, the IPv4 checksum mended so that
// the mutation reaches the later checks) look for a frame it takes that parse() would
// not, or reads differently.
#include "net/parse_fast.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "net/ipv4.h"
#include "net/l4.h"
#include "net/parse.h"
#include "packet_builder.h"
#include "ref_checksum.h"

namespace gale::net {
namespace {

using test::PacketBuilder;

constexpr auto kMacA = "02:00:00:00:00:01";
constexpr auto kMacB = "02:00:00:00:00:02";

PacketBuilder v4() {
  PacketBuilder b;
  b.eth(kMacA, kMacB).ipv4("198.51.100.7", "192.0.2.10");
  return b;
}

// Frames of the kinds the fast parse exists for.
std::vector<std::vector<uint8_t>> common_frames() {
  const std::vector<uint8_t> ts = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  const std::vector<uint8_t> syn_opts = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0,
                                         0, 1, 0, 0,    0, 0, 1, 3,  3, 7};
  return {
      v4().tcp(40000, 80, kTcpAck).build(),
      v4().tcp(40000, 80, kTcpAck).pad_to(60).build(),  // Ethernet padding after the packet
      v4().tcp(40000, 80, kTcpAck | kTcpPsh).tcp_options(ts).payload("GET / HTTP/1.1\r\n").build(),
      v4().tcp(40000, 80, kTcpSyn).tcp_options(syn_opts).build(),
      v4().tcp(40000, 80, kTcpSyn).mss(1460).build(),
      v4().tcp(1, 443, kTcpFin | kTcpAck).ttl(1).build(),
      v4().udp(5353, 53).payload("query").build(),
      v4().udp(5353, 53).pad_to(60).build(),
      v4().udp(5353, 53).no_udp_checksum().build(),
  };
}

// The IPv4 header checksum made right again (by the test's own RFC 1071 sum).
void mend_ipv4_checksum(std::vector<uint8_t>& f) {
  if (f.size() < 34 || f[12] != 0x08 || f[13] != 0x00 || (f[14] & 0x0f) < 5) return;
  const size_t hl = size_t{f[14] & 0x0fu} * 4;
  if (f.size() < 14 + hl) return;
  f[24] = f[25] = 0;
  const uint16_t c = test::ref_checksum({f.begin() + 14, f.begin() + 14 + static_cast<long>(hl)});
  f[24] = static_cast<uint8_t>(c >> 8);
  f[25] = static_cast<uint8_t>(c);
}

// True when parse_fast_v4 took the frame; then it must agree with parse().
bool agrees(const std::vector<uint8_t>& f) {
  ParsedPacket fast, ref;
  fast.frame_len = 0xbeef;  // whatever the caller's slot held before
  if (!parse_fast_v4(f, fast)) return false;
  EXPECT_EQ(parse(f, ref), ParseError::ok);
  EXPECT_TRUE(fast == ref);
  return true;
}

TEST(ParseFast, TakesTheCommonFramesAsParseReadsThem) {
  for (const auto& f : common_frames())
    EXPECT_TRUE(agrees(f)) << f.size();
}

TEST(ParseFast, FindsTheMssOptionWhereParseDoes) {
  const auto f = v4().tcp(40000, 80, kTcpSyn).tcp_options({1, 1, 2, 4, 5, 0xb4}).build();
  ParsedPacket pp;
  ASSERT_TRUE(parse_fast_v4(f, pp));
  EXPECT_EQ(pp.tcp_mss_off, 14 + 20 + 20 + 4);
  EXPECT_EQ(load_be16(f.data() + pp.tcp_mss_off), 1460);
}

// Everything outside its scope goes to parse(): tagged, IPv6, ICMP, IPv4 options,
// fragments, and each error parse() reports for an untagged IPv4 TCP/UDP frame.
TEST(ParseFast, RefusesWhatItDoesNotCover) {
  std::vector<std::vector<uint8_t>> refused = {
      PacketBuilder()
          .eth(kMacA, kMacB)
          .vlan(10)
          .ipv4("198.51.100.7", "192.0.2.10")
          .tcp(1, 80)
          .build(),
      PacketBuilder().eth(kMacA, kMacB).ipv6("2001:db8::7", "2001:db8::10").tcp(1, 80).build(),
      v4().icmp(8, 0, 0x00010001).build(),
      v4().ip_options({1, 1, 1, 0}).tcp(1, 80).build(),
      v4().frag(kIpv4FlagMf).udp(1, 53).payload("part").build(),
      v4().frag(3).udp(1, 53).payload("part").build(),
      PacketBuilder().eth(kMacA, kMacB).ipv4("127.0.0.1", "192.0.2.10").tcp(1, 80).build(),
      PacketBuilder().eth(kMacA, kMacB).ipv4("198.51.100.7", "0.0.0.1").tcp(1, 80).build(),
      PacketBuilder().eth(kMacA, kMacB).ipv4("192.0.2.10", "192.0.2.10").udp(1, 53).build(),
      v4().tcp(1, 80).tcp_options({2, 9, 0, 0}).build(),  // an option past the header
      v4().udp(1, 53).length(7).build(),
      v4().udp(1, 53).payload("x").length(100).build(),
      v4().proto(kProtoIgmp).payload("12345678").build(),
  };
  // A bad IPv4 header checksum.
  auto bad_sum = v4().tcp(1, 80).build();
  bad_sum[24] ^= 0x40;
  refused.push_back(bad_sum);
  // TCP data offset below 5, and past the packet.
  auto doff = v4().tcp(1, 80).build();
  doff[14 + 20 + 12] = 0x40;
  refused.push_back(doff);
  doff[14 + 20 + 12] = 0xf0;
  refused.push_back(doff);
  // Cut inside the TCP header (IPv4 total length then says more than the frame holds).
  auto cut = v4().tcp(1, 80).build();
  cut.resize(14 + 20 + 10);
  refused.push_back(cut);
  size_t i = 0;
  for (const auto& f : refused) {
    ParsedPacket pp;
    EXPECT_FALSE(parse_fast_v4(f, pp)) << "frame " << i;
    ++i;
  }
  // The TCP checksum is not the parser's to check (nor parse()'s): such a frame is taken.
  EXPECT_TRUE(agrees(v4().tcp(1, 80).checksum(0x1234).build()));
}

// Random byte changes in the headers (and cuts), with the IPv4 checksum mended half of
// the time: every frame the fast parse takes, parse() reads the same way.
TEST(ParseFast, AgreesWithParseOnMutatedFrames) {
  std::mt19937 rng(20261203);
  size_t taken = 0, tried = 0;
  for (const auto& base : common_frames()) {
    for (int round = 0; round < 4000; ++round) {
      std::vector<uint8_t> f = base;
      const int changes = 1 + static_cast<int>(rng() % 3);
      for (int c = 0; c < changes; ++c) {
        const size_t at = rng() % std::min<size_t>(f.size(), 14 + 20 + 32);
        f[at] = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : f[at] ^ (1u << (rng() % 8)));
      }
      if (rng() % 8 == 0) f.resize(rng() % (f.size() + 1));
      if (rng() % 2 == 0) mend_ipv4_checksum(f);
      ++tried;
      taken += agrees(f);
    }
  }
  // The comparison ran on many frames, and the refusals were many too.
  EXPECT_GT(taken, tried / 10);
  EXPECT_LT(taken, tried);
}

}  // namespace
}  // namespace gale::net
