// What the kernel's input path refuses before IPVS sees a packet, gale's parser must
// refuse too (gale takes frames ahead of that path). Expected verdicts come from the
// RFCs and from Linux's rules, cited per case, never from running the parser:
//   ip_rcv_core          -- version, IHL >= 5, header checksum, total length vs frame
//   ip_route_input_slow  -- martian sources and destinations (route_localnet off)
//   fib_validate_source  -- a source that is a local address (src == dst)
//   ip_rcv_options       -- source-routed packets (accept_source_route off)
//   ip6_rcv_core         -- loopback and multicast addresses (RFC 4291)
#include <gtest/gtest.h>

#include <string>
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

ParseError verdict(const std::vector<uint8_t>& f) {
  ParsedPacket pp;
  return parse(f, pp);
}

// A header whose checksum is published, not computed here: the worked example of the
// IPv4 header checksum article (192.168.0.1 -> 192.168.0.199, UDP, 115 bytes), checksum
// 0xb861. Followed by a UDP header covering the rest and zero payload.
std::vector<uint8_t> published_frame() {
  std::vector<uint8_t> f = {
      0x02, 0,    0,    0,    0,    0x02, 0x02, 0,    0,    0,
      0,    0x01, 0x08, 0x00,                                      // Ethernet, IPv4
      0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,  // ver/IHL .. proto
      0xb8, 0x61,                                                  // header checksum
      0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,              // src, dst
      0x30, 0x39, 0x00, 0x35, 0x00, 0x5f, 0x00, 0x00,              // UDP 12345 -> 53, 95
  };
  f.resize(14 + 0x73);
  return f;
}

TEST(InputChecks, PublishedIpv4HeaderIsAccepted) {
  EXPECT_EQ(verdict(published_frame()), ParseError::ok);
}

// RFC 1812 5.2.2: a router MUST verify the header checksum and silently discard a
// packet whose checksum is wrong; so does ip_rcv_core. The ones'-complement sum
// catches every single-bit error, so every flip past the version/IHL byte is caught.
TEST(InputChecks, EverySingleBitErrorInTheHeaderIsABadChecksum) {
  const auto good = published_frame();
  int flips = 0;
  for (size_t byte = 14 + 1; byte < 14 + 20; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto f = good;
      f[byte] ^= static_cast<uint8_t>(1 << bit);
      EXPECT_EQ(verdict(f), ParseError::ipv4_bad_checksum) << "byte " << byte << " bit " << bit;
      ++flips;
    }
  }
  EXPECT_EQ(flips, 19 * 8);
}

// The checksum covers the options too (RFC 791 3.1: "the checksum field is the 16 bit
// one's complement of the one's complement sum of all 16 bit words in the header").
TEST(InputChecks, ChecksumCoversTheOptions) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("198.51.100.7", "192.0.2.10")
               .ip_options({7, 7, 4, 0, 0, 0, 0, 1})  // record route, NOP
               .tcp(40000, 80, kTcpSyn)
               .build();
  ASSERT_EQ(verdict(f), ParseError::ok);
  f[14 + 20 + 3] ^= 0x01;  // inside the record-route slot
  EXPECT_EQ(verdict(f), ParseError::ipv4_bad_checksum);
}

// The checks ip_rcv_core makes before the checksum come first, as there: a version or
// header length that is wrong is reported as such, whatever the checksum says.
TEST(InputChecks, VersionAndHeaderLengthBeforeTheChecksum) {
  auto f = published_frame();
  f[14] = 0x44;  // IHL 4
  EXPECT_EQ(verdict(f), ParseError::ipv4_bad_header_len);
  f[14] = 0x65;  // version 6
  EXPECT_EQ(verdict(f), ParseError::ipv4_bad_version);
}

// Total length beyond the frame (ip_rcv_core: INTRUNCATEDPKTS) or below the header
// length (INHDRERRORS), with the checksum made right for the changed field.
TEST(InputChecks, TotalLengthAgainstTheFrame) {
  for (uint16_t total : {uint16_t{0x74}, uint16_t{19}, uint16_t{0}}) {
    auto f = published_frame();
    store_be16(&f[14 + 2], total);
    store_be16(&f[14 + 10], 0);
    store_be16(&f[14 + 10], test::ref_checksum({f.begin() + 14, f.begin() + 34}));
    EXPECT_EQ(verdict(f), ParseError::ipv4_bad_total_len) << total;
  }
}

// A fresh header with the given addresses (checksum by the builder's reference).
std::vector<uint8_t> v4(const char* src, const char* dst, uint8_t ttl = 64) {
  return PacketBuilder()
      .eth(kMacA, kMacB)
      .ipv4(src, dst)
      .ttl(ttl)
      .udp(40000, 53)
      .payload("q")
      .build();
}

// ip_route_input_slow: multicast or limited-broadcast source, 0/8 source unless to the
// limited broadcast, loopback source or destination, 0/8 destination. RFC 1812 5.3.7
// lists the same sources as ones a router must not forward.
TEST(InputChecks, Ipv4MartianSources) {
  for (const char* src : {"224.0.0.5", "239.255.255.250", "255.255.255.255", "127.0.0.1",
                          "127.255.0.9", "0.0.0.0", "0.1.2.3"})
    EXPECT_EQ(verdict(v4(src, "192.0.2.10")), ParseError::ipv4_martian_src) << src;
  // A source equal to the (local) destination is a local source: fib_validate_source
  // refuses it (the LAND attack).
  EXPECT_EQ(verdict(v4("192.0.2.10", "192.0.2.10")), ParseError::ipv4_martian_src);
}

TEST(InputChecks, Ipv4MartianDestinations) {
  for (const char* dst : {"127.0.0.1", "127.1.2.3", "0.0.0.0", "0.0.0.7"})
    EXPECT_EQ(verdict(v4("198.51.100.7", dst)), ParseError::ipv4_martian_dst) << dst;
}

TEST(InputChecks, Ipv4AddressesTheKernelAccepts) {
  // DHCP discover: 0.0.0.0 to the limited broadcast is how a client without an address
  // speaks (RFC 2131 4.1); Linux takes it as broadcast input.
  EXPECT_EQ(verdict(v4("0.0.0.0", "255.255.255.255")), ParseError::ok);
  // ip_route_input_mc: a 0/8 source may send to local multicast (224.0.0.0/24) or in
  // IGMP -- a bridge with no address reports its groups so (seen in the e2e lab).
  EXPECT_EQ(verdict(v4("0.0.0.0", "224.0.0.251")), ParseError::ok);
  auto igmp = v4("0.0.0.0", "239.1.2.3");
  igmp[14 + 9] = kProtoIgmp;
  store_be16(&igmp[14 + 10], 0);
  store_be16(&igmp[14 + 10], test::ref_checksum({igmp.begin() + 14, igmp.begin() + 34}));
  EXPECT_EQ(verdict(igmp), ParseError::ok);
  EXPECT_EQ(verdict(v4("0.0.0.0", "239.1.2.3")), ParseError::ipv4_martian_src);  // UDP
  // Multicast and broadcast destinations (VRRP adverts, RIP) are not martian.
  EXPECT_EQ(verdict(v4("192.0.2.1", "224.0.0.18")), ParseError::ok);
  EXPECT_EQ(verdict(v4("192.0.2.1", "255.255.255.255")), ParseError::ok);
  // Linux routes class E (240/4, but 255.255.255.255) as unicast since 2.6.25.
  EXPECT_EQ(verdict(v4("240.0.0.1", "192.0.2.10")), ParseError::ok);
  EXPECT_EQ(verdict(v4("198.51.100.7", "192.0.2.10")), ParseError::ok);
}

// RFC 1122 3.2.1.7: a host MUST NOT discard a datagram just because it was received
// with a TTL below 2. A packet to a VIP is delivered locally, so the parser keeps it
// and records the TTL; the modes that route (NAT, FullNAT) decrement it and drop at 0
// as a router would (RFC 1812 5.3.1), which is the engine's ttl_exceeded.
TEST(InputChecks, TtlZeroAndOneToALocalAddressAreKept) {
  for (uint8_t ttl : {0, 1}) {
    ParsedPacket pp;
    EXPECT_EQ(parse(v4("198.51.100.7", "192.0.2.10", ttl), pp), ParseError::ok);
    EXPECT_EQ(pp.ttl, ttl);
  }
}

// ip_rcv_options drops a source-routed packet unless accept_source_route is set (off
// for hosts by default; RFC 7126 4.3 and 4.4 advise dropping LSRR and SSRR).
TEST(InputChecks, SourceRoutedPacketsAreRefused) {
  for (uint8_t kind : {kIpv4OptLsrr, kIpv4OptSsrr}) {
    auto f = PacketBuilder()
                 .eth(kMacA, kMacB)
                 .ipv4("198.51.100.7", "192.0.2.10")
                 .ip_options({1, kind, 7, 4, 10, 0, 0, 1})  // NOP, route via 10.0.0.1
                 .tcp(40000, 80, kTcpSyn)
                 .build();
    EXPECT_EQ(verdict(f), ParseError::ipv4_source_route) << int{kind};
  }
}

std::vector<uint8_t> v6(const char* src, const char* dst) {
  return PacketBuilder().eth(kMacA, kMacB).ipv6(src, dst).tcp(40000, 80, kTcpSyn).build();
}

// ip6_rcv_core: multicast source (RFC 4291 2.7), loopback source or destination from
// another node (2.5.3), multicast destination of scope 0 (2.7) or 1 (erratum 3480).
TEST(InputChecks, Ipv6MartianAddresses) {
  for (const char* src : {"ff02::1", "ff05::1:3", "::1"})
    EXPECT_EQ(verdict(v6(src, "2001:db8::10")), ParseError::ipv6_martian_src) << src;
  // An IPv4-mapped source never appears on the wire (RFC 4291 2.5.5.2).
  EXPECT_EQ(verdict(v6("::ffff:198.51.100.7", "2001:db8::10")), ParseError::ipv6_martian_src);
  // A router never forwards from the unspecified address (RFC 4291 2.5.2).
  EXPECT_EQ(verdict(v6("::", "2001:db8::10")), ParseError::ipv6_martian_src);
  for (const char* dst : {"::1", "ff01::1", "ff00::1", "ff11::2"})
    EXPECT_EQ(verdict(v6("2001:db8::7", dst)), ParseError::ipv6_martian_dst) << dst;
}

TEST(InputChecks, Ipv6AddressesTheKernelAccepts) {
  EXPECT_EQ(verdict(v6("2001:db8::7", "2001:db8::10")), ParseError::ok);
  EXPECT_EQ(verdict(v6("fe80::1", "ff02::1")), ParseError::ok);  // link-local scope
  // Duplicate address detection sends a neighbour solicitation from :: (RFC 4862
  // 5.4.2), MLD reports from :: sit behind a hop-by-hop header (RFC 3810 5.2.13).
  auto ns = PacketBuilder()
                .eth(kMacA, kMacB)
                .ipv6("::", "ff02::1:ff00:10")
                .icmp(135, 0)
                .payload(std::vector<uint8_t>(16))
                .build();
  EXPECT_EQ(verdict(ns), ParseError::ok);
  auto mld =
      PacketBuilder().eth(kMacA, kMacB).ipv6("::", "ff02::16").ipv6_ext(0).icmp(143, 0).build();
  EXPECT_EQ(verdict(mld), ParseError::ok);
}

// Hop limit 0 or 1 to a local address: kept, as for IPv4 (RFC 8200 3 leaves the
// discard to a node that forwards).
TEST(InputChecks, HopLimitZeroToALocalAddressIsKept) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv6("2001:db8::7", "2001:db8::10")
               .ttl(0)
               .udp(1, 2)
               .build();
  EXPECT_EQ(verdict(f), ParseError::ok);
}

}  // namespace
}  // namespace gale::net
