// Parsing frames of every kind the dataplane sees, and rejecting malformed ones with
// the right reason.
#include "net/parse.h"

#include <gtest/gtest.h>

#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/l4.h"
#include "packet_builder.h"

namespace gale::net {
namespace {

using test::PacketBuilder;

constexpr auto kMacA = "02:00:00:00:00:01";
constexpr auto kMacB = "02:00:00:00:00:02";

ParsedPacket parse_ok(const std::vector<uint8_t>& f) {
  ParsedPacket pp;
  EXPECT_EQ(parse(f, pp), ParseError::ok);
  return pp;
}

ParseError parse_err(const std::vector<uint8_t>& f) {
  ParsedPacket pp;
  return parse(f, pp);
}

TEST(Parse, Ipv4Tcp) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("10.0.0.1", "10.0.0.2")
               .ttl(61)
               .tcp(40000, 80, kTcpSyn)
               .mss(1460)
               .payload("hi")
               .build();
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.family, Family::v4);
  EXPECT_EQ(pp.l3_off, 14);
  EXPECT_EQ(pp.l4_off, 34);
  EXPECT_EQ(pp.payload_off, 34 + 24);
  EXPECT_EQ(pp.l3_end, f.size());
  EXPECT_EQ(pp.proto, kProtoTcp);
  EXPECT_EQ(pp.ttl, 61);
  EXPECT_EQ(pp.tcp_flags, kTcpSyn);
  EXPECT_EQ(pp.tuple.src, IpAddr(*parse_ipv4("10.0.0.1")));
  EXPECT_EQ(pp.tuple.dst, IpAddr(*parse_ipv4("10.0.0.2")));
  EXPECT_EQ(pp.tuple.sport, 40000);
  EXPECT_EQ(pp.tuple.dport, 80);
  ASSERT_NE(pp.tcp_mss_off, 0);
  EXPECT_EQ(load_be16(&f[pp.tcp_mss_off]), 1460);
  EXPECT_TRUE(pp.has(kFlagL4));
}

TEST(Parse, Ipv6UdpThroughExtensionHeaders) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .vlan(100)
               .ipv6("2001:db8::1", "2001:db8::2")
               .ipv6_ext(0)
               .ipv6_ext(60, 14)
               .udp(5353, 53)
               .payload("q")
               .build();
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.vlan_count, 1);
  EXPECT_EQ(pp.vlan_tci, 100);
  EXPECT_EQ(pp.family, Family::v6);
  EXPECT_EQ(pp.l3_off, 18);
  EXPECT_EQ(pp.l4_off, 18 + 40 + 8 + 16);
  EXPECT_EQ(pp.proto, kProtoUdp);
  EXPECT_TRUE(pp.has(kFlagIpOptions));
  EXPECT_EQ(pp.tuple.dport, 53);
}

TEST(Parse, EthernetPaddingIsNotPayload) {
  auto f =
      PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).pad_to(60).build();
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.l3_end, 14 + 28);
  EXPECT_EQ(pp.frame_len, 60);
}

TEST(Parse, TruncationsAreCaught) {
  auto f = PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").tcp(1, 2).build();
  // Every prefix of a valid frame is either rejected or parsed without reading past it.
  for (size_t n = 0; n < f.size(); ++n) {
    std::vector<uint8_t> cut(f.begin(), f.begin() + n);
    EXPECT_NE(parse_err(cut), ParseError::ok) << n;
  }
}

TEST(Parse, BadTotalLength) {
  auto f =
      PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").length(200).tcp(1, 2).build();
  EXPECT_EQ(parse_err(f), ParseError::ipv4_bad_total_len);
}

TEST(Parse, LaterFragmentHasNoPorts) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("1.1.1.1", "2.2.2.2")
               .frag(185)  // offset 185*8, MF clear
               .udp(1, 2)
               .build();
  auto pp = parse_ok(f);
  EXPECT_TRUE(pp.has(kFlagFragment));
  EXPECT_TRUE(pp.has(kFlagLaterFragment));
  EXPECT_FALSE(pp.has(kFlagL4));
  EXPECT_EQ(pp.tuple.sport, 0);
}

TEST(Parse, ArpIsNotIp) {
  std::vector<uint8_t> f = PacketBuilder()
                               .eth(kMacA, "ff:ff:ff:ff:ff:ff")
                               .proto(0x06)
                               .payload(std::vector<uint8_t>(28))
                               .build();
  f[12] = 0x08;
  f[13] = 0x06;
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.family, Family::none);
  EXPECT_EQ(pp.ethertype, kEtherTypeArp);
}

}  // namespace
}  // namespace gale::net
