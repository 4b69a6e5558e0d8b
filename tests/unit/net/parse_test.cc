// Parsing frames of every kind the dataplane sees, and rejecting malformed ones with
// the right reason.
#include "net/parse.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "net/encap.h"
#include "net/ethernet.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"
#include "packet_builder.h"
#include "ref_checksum.h"

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

// ---- VLAN tags ----

TEST(Parse, QinQTwoTags) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .vlan(0x0064, kEtherTypeQinQ)
               .vlan(0x20c8)
               .ipv4("10.0.0.1", "10.0.0.2")
               .udp(1000, 53)
               .build();
  EXPECT_EQ(load_be16(&f[12]), kEtherTypeQinQ);
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.vlan_count, 2);
  EXPECT_EQ(pp.vlan_tci, 0x0064);  // the outer (service) tag
  EXPECT_EQ(pp.ethertype, kEtherTypeIpv4);
  EXPECT_EQ(pp.l3_off, 22);
  EXPECT_EQ(pp.l4_off, 42);
  EXPECT_EQ(pp.tuple.dport, 53);
}

TEST(Parse, ThreeTagsAreTooMany) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .vlan(1, kEtherTypeQinQ)
               .vlan(2)
               .vlan(3)
               .ipv4("10.0.0.1", "10.0.0.2")
               .udp(1000, 53)
               .build();
  EXPECT_EQ(parse_err(f), ParseError::vlan_too_many);
}

TEST(Parse, VlanTagCutShort) {
  auto f = PacketBuilder().eth(kMacA, kMacB).vlan(5).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).build();
  for (size_t n = 14; n < 18; ++n)
    EXPECT_EQ(parse_err({f.begin(), f.begin() + static_cast<long>(n)}), ParseError::vlan_truncated)
        << n;
}

// ---- IPv4 header ----

TEST(Parse, Ipv4OptionsAreWalked) {
  // Record route with one slot (7 bytes), a NOP, then end of options: 28-byte header.
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("10.0.0.1", "10.0.0.2")
               .ip_options({7, 7, 4, 0, 0, 0, 0, 1})
               .tcp(1, 2)
               .build();
  auto pp = parse_ok(f);
  EXPECT_TRUE(pp.has(kFlagIpOptions));
  EXPECT_EQ(pp.l4_off, 14 + 28);
  EXPECT_EQ(pp.tuple.dport, 2);

  // An option that fills the option space exactly.
  f = PacketBuilder()
          .eth(kMacA, kMacB)
          .ipv4("10.0.0.1", "10.0.0.2")
          .ip_options({0x44, 8, 5, 0, 0, 0, 0, 0})  // timestamp, no entries
          .tcp(1, 2)
          .build();
  EXPECT_EQ(parse_ok(f).l4_off, 14 + 28);
}

TEST(Parse, MalformedIpv4Options) {
  for (std::vector<uint8_t> opts : {
           std::vector<uint8_t>{7, 9, 4, 0, 0, 0, 0, 0},  // length past the header
           std::vector<uint8_t>{7, 1, 4, 0},              // length < 2
           std::vector<uint8_t>{7, 0, 4, 0},              // length 0 (would loop forever)
           std::vector<uint8_t>{1, 1, 1, 0x44},           // a kind without its length byte
       }) {
    auto f = PacketBuilder()
                 .eth(kMacA, kMacB)
                 .ipv4("10.0.0.1", "10.0.0.2")
                 .ip_options(opts)
                 .tcp(1, 2)
                 .build();
    EXPECT_EQ(parse_err(f), ParseError::ipv4_bad_options) << int{opts[1]};
  }
}

TEST(Parse, Ipv4HeaderLengthAndVersion) {
  auto f = PacketBuilder().eth(kMacA, kMacB).ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).build();
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    auto g = f;
    g[14] = static_cast<uint8_t>(0x40 | ihl);
    EXPECT_EQ(parse_err(g), ParseError::ipv4_bad_header_len) << int{ihl};
  }
  auto g = f;
  g[14] = 0x4f;  // 60 bytes of header in a 40-byte packet
  EXPECT_EQ(parse_err({g.begin(), g.begin() + 14 + 40}), ParseError::ipv4_truncated);
  for (uint8_t v : {0, 5, 6, 15}) {
    g = f;
    g[14] = static_cast<uint8_t>(v << 4 | 5);
    EXPECT_EQ(parse_err(g), ParseError::ipv4_bad_version) << int{v};
  }
  // Total length shorter than the header.
  g = PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").length(19).tcp(1, 2).build();
  EXPECT_EQ(parse_err(g), ParseError::ipv4_bad_total_len);
}

TEST(Parse, Ipv6BadVersionAndPayloadLength) {
  auto f = PacketBuilder().eth(kMacA, kMacB).ipv6("2001:db8::1", "2001:db8::2").udp(1, 2).build();
  for (uint8_t v : {0, 4, 7, 15}) {
    auto g = f;
    g[14] = static_cast<uint8_t>(v << 4);
    EXPECT_EQ(parse_err(g), ParseError::ipv6_bad_version) << int{v};
  }
  auto g = f;
  store_be16(&g[18], 9);  // one byte more than present
  EXPECT_EQ(parse_err(g), ParseError::ipv6_bad_payload_len);
  EXPECT_EQ(parse_err({f.begin(), f.begin() + 14 + 39}), ParseError::ipv6_truncated);
}

// ---- IPv6 extension headers ----

TEST(Parse, Ipv6FirstFragmentHasPorts) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv6("2001:db8::1", "2001:db8::2")
               .ipv6_ext(kIpv6ExtFragment)
               .frag(1)  // offset 0, M set
               .udp(4000, 53)
               .length(1000)  // the whole datagram, of which this is the start
               .build();
  auto pp = parse_ok(f);
  EXPECT_TRUE(pp.has(kFlagFragment));
  EXPECT_FALSE(pp.has(kFlagLaterFragment));
  EXPECT_TRUE(pp.has(kFlagL4));
  EXPECT_EQ(pp.proto, kProtoUdp);
  EXPECT_EQ(pp.l4_off, 14 + 40 + 8);
  EXPECT_EQ(pp.tuple.sport, 4000);
  EXPECT_EQ(pp.tuple.dport, 53);
}

TEST(Parse, Ipv6LaterFragmentHasNoPorts) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv6("2001:db8::1", "2001:db8::2")
               .ipv6_ext(kIpv6ExtFragment)
               .frag(185 << 3)  // offset 185 (x 8 bytes), last fragment
               .udp(4000, 53)
               .build();
  auto pp = parse_ok(f);
  EXPECT_TRUE(pp.has(kFlagFragment));
  EXPECT_TRUE(pp.has(kFlagLaterFragment));
  EXPECT_FALSE(pp.has(kFlagL4));
  EXPECT_EQ(pp.proto, kProtoUdp);
  EXPECT_EQ(pp.l4_off, 14 + 40 + 8);
  EXPECT_EQ(pp.tuple.sport, 0);
  EXPECT_EQ(pp.tuple.dport, 0);
}

TEST(Parse, Ipv4FirstFragmentUdpLengthMayExceedThePacket) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("1.1.1.1", "2.2.2.2")
               .frag(kIpv4FlagMf)
               .udp(1, 2)
               .length(3000)
               .build();
  auto pp = parse_ok(f);
  EXPECT_TRUE(pp.has(kFlagFragment));
  EXPECT_FALSE(pp.has(kFlagLaterFragment));
  EXPECT_EQ(pp.tuple.dport, 2);
}

TEST(Parse, AuthenticationHeaderCountsFourByteWords) {
  // A 16-byte AH: payload length field (h[1]) = 16/4 - 2 = 2, unlike the 8-byte units
  // of the other extension headers (which would read 1).
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv6("2001:db8::1", "2001:db8::2")
               .ipv6_ext(kIpv6ExtAuth, 14)
               .tcp(1234, 80)
               .build();
  ASSERT_EQ(f[54 + 1], 1);  // the builder wrote the generic rule
  f[54 + 1] = 2;
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.l4_off, 14 + 40 + 16);
  EXPECT_EQ(pp.proto, kProtoTcp);
  EXPECT_EQ(pp.tuple.sport, 1234);
  // With the 8-byte rule the TCP header would be looked for 4 bytes early.
  f[54 + 1] = 1;
  pp = ParsedPacket{};
  ParseError e = parse(f, pp);
  EXPECT_TRUE(e != ParseError::ok || pp.l4_off == 14 + 40 + 12);
}

TEST(Parse, AtMostEightExtensionHeaders) {
  auto build = [](int n) {
    PacketBuilder b;
    b.eth(kMacA, kMacB).ipv6("2001:db8::1", "2001:db8::2");
    for (int i = 0; i < n; ++i)
      b.ipv6_ext(kIpv6ExtDestOpts);
    return b.udp(1, 2).build();
  };
  auto pp = parse_ok(build(8));
  EXPECT_EQ(pp.l4_off, 14 + 40 + 8 * 8);
  EXPECT_EQ(pp.tuple.dport, 2);
  EXPECT_EQ(parse_err(build(9)), ParseError::ipv6_ext_too_many);
  EXPECT_EQ(parse_err(build(30)), ParseError::ipv6_ext_too_many);
}

TEST(Parse, ExtensionHeaderRunningPastThePacket) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv6("2001:db8::1", "2001:db8::2")
               .ipv6_ext(kIpv6ExtHopByHop)
               .udp(1, 2)
               .build();
  f[54 + 1] = 2;  // 24 bytes claimed, 16 present (8 + UDP)
  EXPECT_EQ(parse_err(f), ParseError::ipv6_ext_truncated);
  // Fewer than 8 bytes where an extension header should start.
  auto g = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv6("2001:db8::1", "2001:db8::2")
               .proto(kIpv6ExtRouting)
               .payload(std::vector<uint8_t>(7))
               .build();
  EXPECT_EQ(parse_err(g), ParseError::ipv6_ext_truncated);
  // The limit is the IPv6 payload length, not the frame: padding does not count.
  auto h = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv6("2001:db8::1", "2001:db8::2")
               .proto(kIpv6ExtRouting)
               .payload(std::vector<uint8_t>(4))
               .pad_to(200)
               .build();
  EXPECT_EQ(parse_err(h), ParseError::ipv6_ext_truncated);
}

TEST(Parse, NoNextHeaderAndEspAreOpaque) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv6("2001:db8::1", "2001:db8::2")
               .ipv6_ext(kIpv6ExtDestOpts)
               .proto(kIpv6ExtEsp)
               .payload(std::vector<uint8_t>(24, 0xee))
               .build();
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.proto, kIpv6ExtEsp);
  EXPECT_FALSE(pp.has(kFlagL4));
  EXPECT_EQ(pp.l4_off, 14 + 40 + 8);
  EXPECT_EQ(pp.payload_off, pp.l4_off);
}

// ---- TCP / UDP / ICMP headers ----

TEST(Parse, TcpDataOffset) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("10.0.0.1", "10.0.0.2")
               .tcp(1, 2)
               .payload(std::string(20, '\x01'))  // NOPs, should they be taken as options
               .build();
  for (uint8_t doff = 0; doff < 5; ++doff) {
    auto g = f;
    g[34 + 12] = static_cast<uint8_t>(doff << 4);
    EXPECT_EQ(parse_err(g), ParseError::tcp_bad_header_len) << int{doff};
  }
  auto g = f;
  g[34 + 12] = 10 << 4;  // 40 bytes: exactly header + payload
  EXPECT_EQ(parse_ok(g).payload_off, f.size());
  g[34 + 12] = 11 << 4;  // 44 bytes: past the end of the packet
  EXPECT_EQ(parse_err(g), ParseError::tcp_bad_header_len);
  EXPECT_EQ(parse_err({f.begin(), f.begin() + 34 + 19}), ParseError::ipv4_bad_total_len);
}

TEST(Parse, TcpOptions) {
  // NOP, NOP, timestamp (10 bytes), window scale (3), MSS (4), end: all walked.
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("10.0.0.1", "10.0.0.2")
               .tcp(1, 2, kTcpSyn)
               .tcp_options({1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 3, 3, 7, 2, 4, 0x05, 0xb4, 0})
               .build();
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.payload_off, 34 + 40);
  ASSERT_NE(pp.tcp_mss_off, 0);
  EXPECT_EQ(load_be16(&f[pp.tcp_mss_off]), 1460);

  // An MSS option of the wrong length is not an MSS.
  f = PacketBuilder()
          .eth(kMacA, kMacB)
          .ipv4("10.0.0.1", "10.0.0.2")
          .tcp(1, 2, kTcpSyn)
          .tcp_options({2, 3, 5, 1})
          .build();
  EXPECT_EQ(parse_ok(f).tcp_mss_off, 0);

  // After the end-of-options kind, the rest is not looked at.
  f = PacketBuilder()
          .eth(kMacA, kMacB)
          .ipv4("10.0.0.1", "10.0.0.2")
          .tcp(1, 2, kTcpSyn)
          .tcp_options({0, 99, 99, 99})
          .build();
  EXPECT_EQ(parse_ok(f).tcp_mss_off, 0);
}

TEST(Parse, MalformedTcpOptions) {
  for (std::vector<uint8_t> opts : {
           std::vector<uint8_t>{2, 8, 5, 0xb4},  // MSS claims 8 bytes in 4 of option space
           std::vector<uint8_t>{8, 1, 0, 0},     // length < 2
           std::vector<uint8_t>{8, 0, 0, 0},     // length 0
           std::vector<uint8_t>{1, 1, 1, 2},     // MSS kind as the last byte, no length
       }) {
    auto f = PacketBuilder()
                 .eth(kMacA, kMacB)
                 .ipv4("10.0.0.1", "10.0.0.2")
                 .tcp(1, 2, kTcpSyn)
                 .tcp_options(opts)
                 .payload("data after the header must not count")
                 .build();
    EXPECT_EQ(parse_err(f), ParseError::tcp_bad_options) << int{opts[0]} << "," << int{opts[1]};
  }
}

TEST(Parse, UdpLength) {
  auto make = [](uint16_t len) {
    return PacketBuilder()
        .eth(kMacA, kMacB)
        .ipv4("10.0.0.1", "10.0.0.2")
        .udp(1, 2)
        .length(len)
        .payload("12345")
        .build();
  };
  for (uint16_t len : {0, 1, 7})
    EXPECT_EQ(parse_err(make(len)), ParseError::udp_bad_length) << len;
  EXPECT_EQ(parse_ok(make(8)).payload_off, 42);  // shorter than the IP payload is allowed
  EXPECT_EQ(parse_ok(make(13)).payload_off, 42);
  EXPECT_EQ(parse_err(make(14)), ParseError::udp_bad_length);
  EXPECT_EQ(parse_err(make(0xffff)), ParseError::udp_bad_length);
}

TEST(Parse, L4HeadersCutShort) {
  auto tcp = PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").tcp(1, 2).build();
  auto udp = PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).build();
  auto icmp = PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").icmp(8, 0).build();
  // Shrink the IP packet (total length and frame) so that the L4 header is cut.
  for (auto* f : {&tcp, &udp, &icmp}) {
    auto g = *f;
    g.pop_back();
    store_be16(&g[16], static_cast<uint16_t>(g.size() - 14));
    store_be16(&g[24], 0);  // the header checksum, made right for the new length
    store_be16(&g[24], test::ref_checksum({g.begin() + 14, g.begin() + 34}));
    EXPECT_EQ(parse_err(g), ParseError::l4_truncated);
  }
}

TEST(Parse, IcmpEchoIdentifier) {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("10.0.0.1", "10.0.0.2")
               .icmp(kIcmpEchoRequest, 0, 0xabcd'0001)
               .build();
  auto pp = parse_ok(f);
  EXPECT_EQ(pp.tuple.sport, 0xabcd);
  EXPECT_EQ(pp.tuple.dport, 0xabcd);
  EXPECT_EQ(pp.icmp_type, kIcmpEchoRequest);
}

TEST(Parse, ErrorNamesAreDistinct) {
  std::set<std::string> names;
  for (int i = 0; i < kParseErrorCount; ++i) {
    std::string n = to_string(static_cast<ParseError>(i));
    EXPECT_NE(n, "unknown") << i;
    names.insert(n);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kParseErrorCount));
}

// ---- never reads past the frame ----

// Frames of every shape the parser walks; each prefix of each must be rejected or
// parsed with every offset inside the prefix (ASan catches a read past it as well, the
// prefix being a heap block of exactly that size).
std::vector<std::vector<uint8_t>> frame_zoo() {
  std::vector<std::vector<uint8_t>> z;
  auto q4 = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).build();
  auto q6 = PacketBuilder().ipv6("2001:db8::1", "2001:db8::2").udp(3, 4).build();
  z.push_back(
      PacketBuilder().eth(kMacA, kMacB).ipv4("1.1.1.1", "2.2.2.2").tcp(1, 2).mss(1460).build());
  z.push_back(PacketBuilder()
                  .eth(kMacA, kMacB)
                  .vlan(10)
                  .ipv4("1.1.1.1", "2.2.2.2")
                  .ip_options({7, 7, 4, 0, 0, 0, 0})
                  .udp(1, 2)
                  .payload("xyz")
                  .build());
  z.push_back(PacketBuilder()
                  .eth(kMacA, kMacB)
                  .vlan(1, kEtherTypeQinQ)
                  .vlan(2)
                  .ipv6("2001:db8::1", "2001:db8::2")
                  .ipv6_ext(0)
                  .ipv6_ext(43, 14)
                  .ipv6_ext(44)
                  .frag(1)
                  .tcp(5, 6)
                  .tcp_options({1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0})
                  .build());
  z.push_back(PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv6("2001:db8::1", "2001:db8::2")
                  .icmp(128, 0, 0x00010002)
                  .payload("ping")
                  .build());
  z.push_back(PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv4("1.1.1.1", "2.2.2.2")
                  .icmp(3, 4, 1400)
                  .payload(q4)
                  .build());
  z.push_back(PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv6("2001:db8::9", "2001:db8::1")
                  .icmp(2, 0, 1280)
                  .payload(q6)
                  .build());
  z.push_back(PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv4("1.1.1.1", "2.2.2.2")
                  .ipv6("2001:db8::1", "2001:db8::2")
                  .udp(7, 8)
                  .build());
  z.push_back(PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv6("2001:db8::1", "2001:db8::2")
                  .udp(50000, 6080)
                  .gue()
                  .ipv4("10.0.0.1", "10.0.0.2")
                  .tcp(1, 2)
                  .build());
  z.push_back(PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv4("1.1.1.1", "2.2.2.2")
                  .udp(50000, kVxlanPort)
                  .vxlan(77)
                  .eth(kMacA, kMacB)
                  .ipv4("10.0.0.1", "10.0.0.2")
                  .icmp(0, 0, 0x00050006)
                  .build());
  z.push_back(PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv4("1.1.1.1", "2.2.2.2")
                  .frag(100)
                  .udp(1, 2)
                  .payload("later")
                  .pad_to(60)
                  .build());
  z.push_back(PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv6("2001:db8::1", "2001:db8::2")
                  .ipv6_ext(kIpv6ExtAuth, 14)
                  .udp(1, 2)
                  .build());
  z.back()[55] = 2;  // AH length in 4-byte words
  return z;
}

void check_offsets(const ParsedPacket& pp, size_t n) {
  EXPECT_EQ(pp.frame_len, n);
  EXPECT_LE(pp.l3_off, pp.l4_off);
  EXPECT_LE(pp.l4_off, pp.payload_off);
  EXPECT_LE(pp.payload_off, pp.l3_end);
  EXPECT_LE(pp.l3_end, n);
  if (pp.tcp_mss_off != 0) {
    EXPECT_LE(pp.tcp_mss_off + 2u, pp.payload_off);
  }
}

// Parses a frame held in a heap block of exactly its size (so ASan sees any read past
// it); when it parses, checks the offsets and runs the second-stage parsers on it.
// Returns whether it parsed.
bool parse_and_check(const std::vector<uint8_t>& frame) {
  std::vector<uint8_t> cut(frame);
  cut.shrink_to_fit();
  const size_t n = cut.size();
  ParsedPacket pp;
  if (parse(cut, pp) != ParseError::ok) return false;
  check_offsets(pp, n);
  IcmpInner in;
  if (parse_icmp_inner(cut, pp, in) == IcmpInnerError::ok) {
    EXPECT_LE(in.l3_off, in.l4_off);
    EXPECT_LE(in.l4_off + kIcmpQuotedL4Bytes, in.end);
    EXPECT_LE(in.end, pp.l3_end);
  }
  Decap d;
  ParsedPacket inner = pp;
  if (decap_ipip(pp, d) == DecapError::ok || decap_gue(cut, pp, d) == DecapError::ok) {
    EXPECT_LE(d.inner_off, pp.l3_end);
    if (parse_l3(Bytes(cut).first(pp.l3_end), d.inner_off, d.inner_family, inner) == ParseError::ok)
      check_offsets(inner, pp.l3_end);
  }
  if (decap_vxlan(cut, pp, d) == DecapError::ok) {
    EXPECT_LE(d.inner_off + kEthHeaderLen, pp.l3_end);
    if (parse(Bytes(cut).subspan(d.inner_off, pp.l3_end - d.inner_off), inner) == ParseError::ok)
      check_offsets(inner, pp.l3_end - d.inner_off);
  }
  return true;
}

TEST(Parse, EveryPrefixIsRejectedOrParsedInsideIt) {
  int parsed = 0, relength_parsed = 0, relength_tried = 0;
  for (const auto& f : frame_zoo()) {
    ParsedPacket full;
    ASSERT_EQ(parse(f, full), ParseError::ok);
    for (size_t n = 0; n <= f.size(); ++n) {
      SCOPED_TRACE(testing::Message() << "frame of " << f.size() << " cut at " << n);
      std::vector<uint8_t> cut(f.begin(), f.begin() + static_cast<long>(n));
      parsed += parse_and_check(cut);
      // The same prefix with the IP length field saying so, which takes the parser past
      // the IP header into whatever the cut left of the headers after it.
      const size_t l3 = full.l3_off;
      if (full.family == Family::v4 && n >= l3 + 4) {
        store_be16(&cut[l3 + 2], static_cast<uint16_t>(n - l3));
      } else if (full.family == Family::v6 && n >= l3 + kIpv6HeaderLen) {
        store_be16(&cut[l3 + 4], static_cast<uint16_t>(n - l3 - kIpv6HeaderLen));
      } else {
        continue;
      }
      ++relength_tried;
      relength_parsed += parse_and_check(cut);
    }
  }
  // Every whole frame parses; so do the padded one's prefixes that keep its IP packet
  // and many re-lengthed prefixes (cut in a payload, or in an opaque protocol).
  EXPECT_GT(parsed, static_cast<int>(frame_zoo().size()));
  EXPECT_GT(relength_parsed, 20);
  EXPECT_LT(relength_parsed, relength_tried);
}

}  // namespace
}  // namespace gale::net
