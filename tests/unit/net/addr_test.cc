// Addresses: text forms of MAC/IPv4/IPv6 (round trips and rejects), IpAddr's layout,
// and the IPv4 header rewrites that must keep the header checksum valid.
#include "net/addr.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "net/ipv4.h"
#include "packet_builder.h"
#include "ref_checksum.h"

namespace gale::net {
namespace {

using test::PacketBuilder;
using test::ref_checksum;

TEST(Addr, MacRoundTrip) {
  auto m = parse_mac("02:1a:b3:c4:d5:ff");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->b, (std::array<uint8_t, 6>{0x02, 0x1a, 0xb3, 0xc4, 0xd5, 0xff}));
  EXPECT_EQ(to_text(*m).view(), "02:1a:b3:c4:d5:ff");
  // Upper case is accepted; the text form is lower case.
  auto u = parse_mac("AA:BB:CC:DD:EE:0F");
  ASSERT_TRUE(u);
  EXPECT_EQ(to_text(*u).view(), "aa:bb:cc:dd:ee:0f");
  EXPECT_TRUE(parse_mac("ff:ff:ff:ff:ff:ff")->is_broadcast());
  EXPECT_TRUE(parse_mac("01:00:5e:00:00:12")->is_multicast());
  EXPECT_FALSE(parse_mac("02:00:00:00:00:01")->is_multicast());
  EXPECT_TRUE(parse_mac("00:00:00:00:00:00")->is_zero());
  EXPECT_FALSE(parse_mac("00:00:00:00:00:01")->is_zero());
}

TEST(Addr, MacRejects) {
  for (const char* s :
       {"", "02:00:00:00:00", "02:00:00:00:00:01:02", "02-00-00-00-00-01", "0g:00:00:00:00:01",
        "02:00:00:00:00:1", "2:00:00:00:00:01", "02:00:00:00:00:001", "02:00:00:00:00:0 ",
        "02::00:00:00:00:1", "02:00:00:00:00:01 "}) {
    EXPECT_FALSE(parse_mac(s)) << '"' << s << '"';
  }
}

TEST(Addr, Ipv4RoundTrip) {
  auto a = parse_ipv4("10.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->v, 0x0a000001u);
  for (const char* s : {"0.0.0.0", "255.255.255.255", "192.0.2.1", "172.16.254.3", "1.2.3.4"}) {
    auto p = parse_ipv4(s);
    ASSERT_TRUE(p) << s;
    EXPECT_EQ(to_text(*p).view(), s);
    EXPECT_EQ(to_text(IpAddr(*p)).view(), s);
  }
  // A view that is not NUL-terminated: only its own bytes count.
  std::string_view sv("10.0.0.12", 8);
  ASSERT_TRUE(parse_ipv4(sv));
  EXPECT_EQ(parse_ipv4(sv)->v, 0x0a000001u);
}

TEST(Addr, Ipv4Rejects) {
  for (const char* s : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-4", "a.b.c.d", "1.2.3.4 ",
                        " 1.2.3.4", "1..2.3", "::1", "1.2.3.4/24"}) {
    EXPECT_FALSE(parse_ipv4(s)) << '"' << s << '"';
  }
  EXPECT_FALSE(parse_ipv4(std::string(100, '1')));  // longer than any address
}

TEST(Addr, Ipv6RoundTrip) {
  for (const char* s : {"::", "::1", "2001:db8::1", "fe80::1:2:3:4", "2001:db8:0:1:2:3:4:5",
                        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:192.0.2.1"}) {
    auto p = parse_ipv6(s);
    ASSERT_TRUE(p) << s;
    EXPECT_EQ(to_text(*p).view(), s);
    EXPECT_EQ(to_text(IpAddr(*p)).view(), s);
  }
  // Non-canonical input comes back canonical (RFC 5952).
  EXPECT_EQ(to_text(*parse_ipv6("2001:0DB8:0000:0000:0000:0000:0000:0001")).view(), "2001:db8::1");
  auto a = parse_ipv6("2001:db8::102");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->b[0], 0x20);
  EXPECT_EQ(a->b[1], 0x01);
  EXPECT_EQ(a->b[14], 0x01);
  EXPECT_EQ(a->b[15], 0x02);
}

TEST(Addr, Ipv6Rejects) {
  for (const char* s : {"", ":", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "g::1", "2001:db8::1::2",
                        "12345::1", "1.2.3.4", "::1 ", "fe80::1%eth0"}) {
    EXPECT_FALSE(parse_ipv6(s)) << '"' << s << '"';
  }
  EXPECT_FALSE(parse_ipv6(std::string(64, ':')));
}

TEST(Addr, IpAddrFamiliesAndLayout) {
  auto v4 = parse_ip("10.1.2.3");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_FALSE(v4->is_v6());
  EXPECT_EQ(v4->v4().v, 0x0a010203u);
  // IPv4 lives in the first four bytes; the rest stays zero for hashing and ==.
  EXPECT_EQ(v4->b[0], 10);
  EXPECT_EQ(v4->b[3], 3);
  for (size_t i = 4; i < 16; ++i)
    EXPECT_EQ(v4->b[i], 0) << i;

  auto v6 = parse_ip("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->v6(), *parse_ipv6("2001:db8::1"));

  EXPECT_FALSE(parse_ip("not an address"));
  EXPECT_EQ(to_text(IpAddr()).view(), "-");
  // Same bytes, different family: not equal.
  Ipv6Addr six{};
  six.b[0] = 10;
  six.b[1] = 1;
  six.b[2] = 2;
  six.b[3] = 3;
  EXPECT_NE(IpAddr(six), *v4);
  EXPECT_EQ(IpAddr(Ipv4Addr{0x0a010203}), *v4);
}

// ---- IPv4 header rewrites keep the checksum valid ----

std::vector<uint8_t> header_of(const std::vector<uint8_t>& ip_packet) {
  return {ip_packet.begin(),
          ip_packet.begin() + static_cast<long>(ipv4::header_len(&ip_packet[0]))};
}

// A header whose ones'-complement sum, checksum included, is all ones: ref_checksum 0.
void expect_valid(const std::vector<uint8_t>& pkt, int round) {
  auto h = header_of(pkt);
  ASSERT_EQ(ref_checksum(h), 0) << "round " << round;
  // And equal to the checksum computed from scratch.
  h[10] = h[11] = 0;
  EXPECT_EQ(ipv4::check(&pkt[0]), ref_checksum(h)) << "round " << round;
}

TEST(Ipv4Rewrite, SetSrcDstTtlKeepChecksumValid) {
  std::mt19937 rng(7);
  auto random_v4 = [&] {
    switch (rng() % 5) {
      case 0:
        return Ipv4Addr{0};
      case 1:
        return Ipv4Addr{0xffffffff};
      default:
        return Ipv4Addr{static_cast<uint32_t>(rng())};
    }
  };
  for (int round = 0; round < 5000; ++round) {
    PacketBuilder b;
    b.ipv4(to_text(random_v4()).view(), to_text(random_v4()).view())
        .ttl(static_cast<uint8_t>(rng()))
        .tos(static_cast<uint8_t>(rng()))
        .id(static_cast<uint16_t>(rng()));
    if (round % 3 == 0) b.ip_options({1, 1, 1, 0});  // NOPs and end: a 24-byte header
    auto pkt = b.udp(1, 2).build();
    ASSERT_EQ(ref_checksum(header_of(pkt)), 0);

    auto src = random_v4(), dst = random_v4();
    uint8_t ttl = static_cast<uint8_t>(rng() % 4 == 0 ? 0 : rng());
    ipv4::set_src(&pkt[0], src);
    expect_valid(pkt, round);
    ipv4::set_dst(&pkt[0], dst);
    expect_valid(pkt, round);
    ipv4::set_ttl(&pkt[0], ttl);
    expect_valid(pkt, round);
    EXPECT_EQ(ipv4::src(&pkt[0]), src);
    EXPECT_EQ(ipv4::dst(&pkt[0]), dst);
    EXPECT_EQ(ipv4::ttl(&pkt[0]), ttl);
    EXPECT_EQ(ipv4::proto(&pkt[0]), kProtoUdp);  // its neighbour in the TTL word
  }
}

TEST(Ipv4Rewrite, TtlDecrementChain) {
  auto pkt = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").ttl(255).tcp(1, 2).build();
  for (int t = 254; t >= 0; --t) {
    ipv4::set_ttl(&pkt[0], static_cast<uint8_t>(t));
    expect_valid(pkt, t);
  }
}

TEST(Ipv4Rewrite, FillCheckRecomputes) {
  auto pkt = PacketBuilder()
                 .ipv4("10.0.0.1", "10.0.0.2")
                 .ip_options({7, 7, 4, 0, 0, 0, 0})
                 .tcp(1, 2)
                 .build();
  const uint16_t good = ipv4::check(&pkt[0]);
  ipv4::set_check(&pkt[0], 0xdead);
  ipv4::fill_check(&pkt[0]);
  EXPECT_EQ(ipv4::check(&pkt[0]), good);
}

}  // namespace
}  // namespace gale::net
