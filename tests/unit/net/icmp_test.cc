// ICMP errors and the packet they quote: parse_icmp_inner on "fragmentation needed"
// (ICMPv4) and "packet too big" (ICMPv6) about TCP, UDP and ICMP echo packets, quotes cut
// short or malformed, and ICMP messages that are no errors.
#include "net/icmp.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"
#include "net/parse.h"
#include "packet_builder.h"

namespace gale::net {
namespace {

using test::PacketBuilder;

constexpr auto kMacA = "02:00:00:00:00:01";
constexpr auto kMacB = "02:00:00:00:00:02";

std::vector<uint8_t> cut(std::vector<uint8_t> v, size_t n) {
  v.resize(n);
  return v;
}

IpAddr ip(std::string_view s) {
  return *parse_ip(s);
}

// An ICMPv4 error from a router about `quoted` (an IP packet, possibly cut short).
std::vector<uint8_t> icmp4_error(const std::vector<uint8_t>& quoted, uint8_t type = 3,
                                 uint8_t code = 4, uint32_t rest = 1400) {
  return PacketBuilder()
      .eth(kMacA, kMacB)
      .ipv4("192.0.2.254", "10.0.0.1")
      .icmp(type, code, rest)
      .payload(quoted)
      .build();
}

std::vector<uint8_t> icmp6_error(const std::vector<uint8_t>& quoted, uint8_t type = 2,
                                 uint8_t code = 0, uint32_t rest = 1280) {
  return PacketBuilder()
      .eth(kMacA, kMacB)
      .ipv6("2001:db8:ff::1", "2001:db8::1")
      .icmp(type, code, rest)
      .payload(quoted)
      .build();
}

struct Parsed {
  ParsedPacket pp;
  IcmpInner inner;
  IcmpInnerError err;
};

Parsed parse_error_frame(const std::vector<uint8_t>& f) {
  Parsed r;
  EXPECT_EQ(parse(f, r.pp), ParseError::ok);
  r.err = parse_icmp_inner(f, r.pp, r.inner);
  return r;
}

TEST(IcmpInner, FragNeededQuotingTcp) {
  auto quoted = PacketBuilder()
                    .ipv4("10.0.0.1", "198.51.100.7")
                    .tcp(40000, 443, kTcpAck)
                    .payload(std::string(1400, 'x'))
                    .build();
  auto f = icmp4_error(cut(quoted, 20 + 8));  // the RFC 792 minimum quote
  auto r = parse_error_frame(f);
  EXPECT_TRUE(r.pp.has(kFlagIcmpError));
  EXPECT_EQ(r.pp.icmp_type, kIcmpDestUnreachable);
  EXPECT_EQ(r.pp.icmp_code, kIcmpCodeFragNeeded);
  EXPECT_EQ(icmp::frag_needed_mtu(&f[r.pp.l4_off]), 1400);
  // An error carries no flow identifier of its own.
  EXPECT_EQ(r.pp.tuple.sport, 0);
  EXPECT_EQ(r.pp.tuple.dport, 0);
  ASSERT_EQ(r.err, IcmpInnerError::ok);
  EXPECT_EQ(r.inner.l3_off, 14 + 20 + 8);
  EXPECT_EQ(r.inner.l4_off, 14 + 20 + 8 + 20);
  EXPECT_EQ(r.inner.end, f.size());
  EXPECT_EQ(r.inner.tuple.src, ip("10.0.0.1"));
  EXPECT_EQ(r.inner.tuple.dst, ip("198.51.100.7"));
  EXPECT_EQ(r.inner.tuple.sport, 40000);
  EXPECT_EQ(r.inner.tuple.dport, 443);
  EXPECT_EQ(r.inner.tuple.proto, kProtoTcp);
}

TEST(IcmpInner, FragNeededQuotingUdpWithIpOptions) {
  auto quoted = PacketBuilder()
                    .ipv4("10.0.0.1", "198.51.100.7")
                    .ip_options({7, 7, 4, 0, 0, 0, 0})  // record route, one slot
                    .udp(5353, 53)
                    .payload("query")
                    .build();
  auto f = icmp4_error(quoted);  // the whole packet quoted
  auto r = parse_error_frame(f);
  ASSERT_EQ(r.err, IcmpInnerError::ok);
  EXPECT_EQ(r.inner.l4_off, r.inner.l3_off + 28);  // the quoted IHL is honoured
  EXPECT_EQ(r.inner.tuple.proto, kProtoUdp);
  EXPECT_EQ(r.inner.tuple.sport, 5353);
  EXPECT_EQ(r.inner.tuple.dport, 53);
}

TEST(IcmpInner, TimeExceededQuotingEcho) {
  auto quoted = PacketBuilder()
                    .ipv4("10.0.0.1", "198.51.100.7")
                    .icmp(kIcmpEchoRequest, 0, 0x4242'0001)
                    .build();
  auto r = parse_error_frame(icmp4_error(quoted, kIcmpTimeExceeded, 0, 0));
  ASSERT_EQ(r.err, IcmpInnerError::ok);
  EXPECT_EQ(r.inner.tuple.proto, kProtoIcmp);
  EXPECT_EQ(r.inner.tuple.sport, 0x4242);
  EXPECT_EQ(r.inner.tuple.dport, 0x4242);
}

TEST(IcmpInner, QuotedNonEchoIcmpHasNoPorts) {
  // An error about an error (forbidden by RFC 1122, but it can arrive): no ids to report.
  auto quoted = PacketBuilder()
                    .ipv4("10.0.0.1", "198.51.100.7")
                    .icmp(kIcmpDestUnreachable, 1, 0x1234'5678)
                    .build();
  auto r = parse_error_frame(icmp4_error(quoted));
  ASSERT_EQ(r.err, IcmpInnerError::ok);
  EXPECT_EQ(r.inner.tuple.sport, 0);
  EXPECT_EQ(r.inner.tuple.dport, 0);
}

TEST(IcmpInner, PacketTooBigQuotingTcp) {
  auto quoted = PacketBuilder()
                    .ipv6("2001:db8::1", "2001:db8:5::80")
                    .tcp(50000, 80, kTcpAck | kTcpPsh)
                    .payload(std::string(1300, 'y'))
                    .build();
  auto f = icmp6_error(cut(quoted, 1232));  // as much as fits in the IPv6 minimum MTU
  auto r = parse_error_frame(f);
  EXPECT_TRUE(r.pp.has(kFlagIcmpError));
  EXPECT_EQ(r.pp.proto, kProtoIcmpv6);
  EXPECT_EQ(r.pp.icmp_type, kIcmpv6PacketTooBig);
  EXPECT_EQ(icmp::too_big_mtu(&f[r.pp.l4_off]), 1280u);
  ASSERT_EQ(r.err, IcmpInnerError::ok);
  EXPECT_EQ(r.inner.l3_off, 14 + 40 + 8);
  EXPECT_EQ(r.inner.l4_off, 14 + 40 + 8 + 40);
  EXPECT_EQ(r.inner.end, f.size());
  EXPECT_EQ(r.inner.tuple.src, ip("2001:db8::1"));
  EXPECT_EQ(r.inner.tuple.dst, ip("2001:db8:5::80"));
  EXPECT_EQ(r.inner.tuple.sport, 50000);
  EXPECT_EQ(r.inner.tuple.dport, 80);
  EXPECT_EQ(r.inner.tuple.proto, kProtoTcp);
}

TEST(IcmpInner, PacketTooBigQuotingUdpAndEcho) {
  auto udp = PacketBuilder().ipv6("2001:db8::1", "2001:db8::2").udp(4500, 4501).build();
  auto r = parse_error_frame(icmp6_error(udp));
  ASSERT_EQ(r.err, IcmpInnerError::ok);
  EXPECT_EQ(r.inner.tuple.proto, kProtoUdp);
  EXPECT_EQ(r.inner.tuple.sport, 4500);
  EXPECT_EQ(r.inner.tuple.dport, 4501);

  auto echo = PacketBuilder()
                  .ipv6("2001:db8::1", "2001:db8::2")
                  .icmp(kIcmpv6EchoRequest, 0, 0x0777'0003)
                  .build();
  r = parse_error_frame(icmp6_error(echo));
  ASSERT_EQ(r.err, IcmpInnerError::ok);
  EXPECT_EQ(r.inner.tuple.proto, kProtoIcmpv6);
  EXPECT_EQ(r.inner.tuple.sport, 0x0777);
  EXPECT_EQ(r.inner.tuple.dport, 0x0777);

  // ICMPv4 echo type numbers mean nothing in ICMPv6: type 8 is no echo there.
  auto v4type = PacketBuilder()
                    .ipv6("2001:db8::1", "2001:db8::2")
                    .icmp(kIcmpEchoRequest, 0, 0x0777'0003)
                    .build();
  r = parse_error_frame(icmp6_error(v4type));
  ASSERT_EQ(r.err, IcmpInnerError::ok);
  EXPECT_EQ(r.inner.tuple.sport, 0);
}

TEST(IcmpInner, EveryIcmpv6ErrorTypeIsAnError) {
  auto quoted = PacketBuilder().ipv6("2001:db8::1", "2001:db8::2").udp(1, 2).build();
  for (uint8_t type :
       {kIcmpv6DestUnreachable, kIcmpv6PacketTooBig, kIcmpv6TimeExceeded, kIcmpv6ParamProblem}) {
    auto r = parse_error_frame(icmp6_error(quoted, type));
    EXPECT_TRUE(r.pp.has(kFlagIcmpError)) << int{type};
    EXPECT_EQ(r.err, IcmpInnerError::ok) << int{type};
  }
  for (uint8_t type : {kIcmpv6NeighborSolicit, kIcmpv6NeighborAdvert, uint8_t{0}, uint8_t{5}}) {
    auto r = parse_error_frame(icmp6_error(quoted, type));
    EXPECT_FALSE(r.pp.has(kFlagIcmpError)) << int{type};
    EXPECT_EQ(r.err, IcmpInnerError::not_an_error) << int{type};
  }
}

TEST(IcmpInner, EveryIcmpv4ErrorTypeIsAnError) {
  auto quoted = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build();
  for (uint8_t type :
       {kIcmpDestUnreachable, kIcmpSourceQuench, kIcmpTimeExceeded, kIcmpParamProblem}) {
    auto r = parse_error_frame(icmp4_error(quoted, type, 0));
    EXPECT_TRUE(r.pp.has(kFlagIcmpError)) << int{type};
    EXPECT_EQ(r.err, IcmpInnerError::ok) << int{type};
  }
  for (uint8_t type : {uint8_t{5}, uint8_t{13}, uint8_t{128}}) {  // redirect, timestamp, -
    auto r = parse_error_frame(icmp4_error(quoted, type, 0));
    EXPECT_EQ(r.err, IcmpInnerError::not_an_error) << int{type};
  }
}

TEST(IcmpInner, TruncatedQuotes) {
  auto quoted4 = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(1000, 2000).build();
  // Shorter than IP header + 8 bytes of L4: every length from an empty quote up.
  for (size_t n = 0; n < 28; ++n) {
    auto r = parse_error_frame(icmp4_error(cut(quoted4, n)));
    EXPECT_EQ(r.err, IcmpInnerError::truncated) << n;
  }
  EXPECT_EQ(parse_error_frame(icmp4_error(cut(quoted4, 28))).err, IcmpInnerError::ok);

  // A quoted header with options needs its options and 8 bytes more.
  auto opts = PacketBuilder()
                  .ipv4("10.0.0.1", "10.0.0.2")
                  .ip_options({1, 1, 1, 1, 1, 1, 1, 1})
                  .udp(1, 2)
                  .build();
  EXPECT_EQ(parse_error_frame(icmp4_error(cut(opts, 28 + 7))).err, IcmpInnerError::truncated);
  EXPECT_EQ(parse_error_frame(icmp4_error(cut(opts, 28 + 8))).err, IcmpInnerError::ok);

  auto quoted6 = PacketBuilder().ipv6("2001:db8::1", "2001:db8::2").udp(1, 2).build();
  for (size_t n = 0; n < 48; ++n) {
    auto r = parse_error_frame(icmp6_error(cut(quoted6, n)));
    EXPECT_EQ(r.err, IcmpInnerError::truncated) << n;
  }
  EXPECT_EQ(parse_error_frame(icmp6_error(cut(quoted6, 48))).err, IcmpInnerError::ok);
}

TEST(IcmpInner, QuoteEndsAtTheOuterPacketNotAtThePadding) {
  // 28 quoted bytes minus 4, then Ethernet padding: the padding is not part of the quote.
  auto quoted = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(1000, 2000).build();
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4("192.0.2.254", "10.0.0.1")
               .icmp(3, 4, 1400)
               .payload(cut(quoted, 24))
               .pad_to(90)
               .build();
  EXPECT_EQ(parse_error_frame(f).err, IcmpInnerError::truncated);
}

TEST(IcmpInner, MalformedQuotedHeaders) {
  auto quoted4 = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(1000, 2000).build();
  auto bad = quoted4;
  bad[0] = 0x65;  // version 6 in an ICMPv4 error
  EXPECT_EQ(parse_error_frame(icmp4_error(bad)).err, IcmpInnerError::bad_header);
  bad = quoted4;
  bad[0] = 0x44;  // IHL 4
  EXPECT_EQ(parse_error_frame(icmp4_error(bad)).err, IcmpInnerError::bad_header);
  bad = quoted4;
  bad[0] = 0x4f;  // IHL 15: 60 bytes of header, more than was quoted
  EXPECT_EQ(parse_error_frame(icmp4_error(bad)).err, IcmpInnerError::truncated);

  // An IPv4 packet quoted in an ICMPv6 error is of the wrong family.
  EXPECT_EQ(parse_error_frame(icmp6_error(cut(quoted4, 39))).err, IcmpInnerError::truncated);
  auto longer = PacketBuilder()
                    .ipv4("10.0.0.1", "10.0.0.2")
                    .tcp(1000, 2000)
                    .payload(std::string(40, 'z'))
                    .build();
  EXPECT_EQ(parse_error_frame(icmp6_error(longer)).err, IcmpInnerError::bad_header);
}

TEST(IcmpInner, NotAnError) {
  auto echo = PacketBuilder()
                  .eth(kMacA, kMacB)
                  .ipv4("10.0.0.1", "10.0.0.2")
                  .icmp(kIcmpEchoRequest, 0, 0xbeef'0001)
                  .payload("ping")
                  .build();
  auto r = parse_error_frame(echo);
  EXPECT_FALSE(r.pp.has(kFlagIcmpError));
  EXPECT_EQ(r.err, IcmpInnerError::not_an_error);

  auto tcp = PacketBuilder().eth(kMacA, kMacB).ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).build();
  r = parse_error_frame(tcp);
  EXPECT_EQ(r.err, IcmpInnerError::not_an_error);
}

TEST(IcmpEcho, IdentifierIsBothPorts) {
  for (uint8_t type : {kIcmpEchoRequest, kIcmpEchoReply}) {
    auto f = PacketBuilder()
                 .eth(kMacA, kMacB)
                 .ipv4("10.0.0.1", "10.0.0.2")
                 .icmp(type, 0, 0xbeef'0007)
                 .build();
    ParsedPacket pp;
    ASSERT_EQ(parse(f, pp), ParseError::ok);
    EXPECT_TRUE(pp.has(kFlagL4));
    EXPECT_EQ(pp.proto, kProtoIcmp);
    EXPECT_EQ(pp.tuple.sport, 0xbeef);
    EXPECT_EQ(pp.tuple.dport, 0xbeef);
    EXPECT_EQ(pp.payload_off, pp.l4_off + kIcmpHeaderLen);
  }
  for (uint8_t type : {kIcmpv6EchoRequest, kIcmpv6EchoReply}) {
    auto f = PacketBuilder()
                 .eth(kMacA, kMacB)
                 .ipv6("2001:db8::1", "2001:db8::2")
                 .icmp(type, 0, 0x1234'0001)
                 .build();
    ParsedPacket pp;
    ASSERT_EQ(parse(f, pp), ParseError::ok);
    EXPECT_EQ(pp.proto, kProtoIcmpv6);
    EXPECT_EQ(pp.tuple.sport, 0x1234);
    EXPECT_EQ(pp.tuple.dport, 0x1234);
  }
}

}  // namespace
}  // namespace gale::net
