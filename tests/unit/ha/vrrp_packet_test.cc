// The VRRP advertisement codec against an independent encoder: the expected bytes are
// scapy 2.5's (scapy.layers.vrrp, Debian's python3-scapy), printed by
//   IP(src="10.0.0.1", dst="224.0.0.18")/VRRP(vrid=51, priority=100, ipcount=2,
//     authtype=1, adv=1, addrlist=["192.168.200.16", "192.168.200.17"],
//     auth1=int.from_bytes(b"1111", "big"), auth2=0)
//   IP(src="10.0.0.1", dst="224.0.0.18")/VRRPv3(vrid=7, priority=200, ipcount=1, adv=3,
//     addrlist=["192.0.2.100"])
//   IPv6(src="fe80::1", dst="ff02::12")/VRRPv3(vrid=9, priority=150, ipcount=2, adv=100,
//     addrlist=["2001:db8::100", "2001:db8::101"])
// (raw(p) past the IP header, as hex).
#include <gtest/gtest.h>

#include <string>

#include "ha/vmac.h"
#include "ha/vrrp_packet.h"
#include "net/addr.h"
#include "ref_checksum.h"

namespace gale::ha {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

const VrrpIpPair kV4Pair{ip("10.0.0.1"), ip("224.0.0.18")};
const VrrpIpPair kV6Pair{ip("fe80::1"), ip("ff02::12")};

VrrpAdvert v2_advert() {
  VrrpAdvert a{.version = 2,
               .vrid = 51,
               .priority = 100,
               .interval = 1,
               .family = net::Family::v4,
               .addrs = {ip("192.168.200.16"), ip("192.168.200.17")},
               .auth = VrrpAuth::pass};
  a.auth_data = {'1', '1', '1', '1', 0, 0, 0, 0};
  return a;
}

// RFC 5798 section 7.3: the virtual router MAC is 00-00-5E-00-01-{VRID} for IPv4 and
// 00-00-5E-00-02-{VRID} for IPv6 (the same as RFC 3768's for IPv4).
TEST(VrrpMac, RfcLayout) {
  EXPECT_EQ(vrrp_mac(51, net::Family::v4), *net::parse_mac("00:00:5e:00:01:33"));
  EXPECT_EQ(vrrp_mac(255, net::Family::v4), *net::parse_mac("00:00:5e:00:01:ff"));
  EXPECT_EQ(vrrp_mac(1, net::Family::v6), *net::parse_mac("00:00:5e:00:02:01"));
}

TEST(VrrpPacket, V2MatchesScapy) {
  const auto want = hex("21336402010105f3c0a8c810c0a8c8113131313100000000");
  EXPECT_EQ(build_vrrp(v2_advert(), kV4Pair), want);
  auto p = parse_vrrp(want, net::Family::v4, kV4Pair);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(*p, v2_advert());
}

TEST(VrrpPacket, V3Ipv4MatchesScapyWithThePseudoHeader) {
  const VrrpAdvert a{.version = 3,
                     .vrid = 7,
                     .priority = 200,
                     .interval = 3,
                     .family = net::Family::v4,
                     .addrs = {ip("192.0.2.100")}};
  const auto want = hex("3107c801000359ffc0000264");
  EXPECT_EQ(build_vrrp(a, kV4Pair), want);
  auto p = parse_vrrp(want, net::Family::v4, kV4Pair);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(*p, a);
  // The checksum covers the pseudo-header: another destination (unicast) fails it.
  auto other = parse_vrrp(want, net::Family::v4, {ip("10.0.0.1"), ip("10.0.0.2")});
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().message, "checksum");
}

TEST(VrrpPacket, V3Ipv6MatchesScapy) {
  const VrrpAdvert a{.version = 3,
                     .vrid = 9,
                     .priority = 150,
                     .interval = 100,
                     .family = net::Family::v6,
                     .addrs = {ip("2001:db8::100"), ip("2001:db8::101")}};
  const auto want =
      hex("310996020064dced20010db800000000000000000000010020010db8000000000000000000000101");
  EXPECT_EQ(build_vrrp(a, kV6Pair), want);
  auto p = parse_vrrp(want, net::Family::v6, kV6Pair);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(*p, a);
}

// RFC 5798 section 5.2.8: v3 over IPv6 sums the RFC 8200 section 8.1 pseudo-header
// (source, destination, 32-bit length, 3 zeros, next header 112) and the message; the
// expected sum is the reference routine's over those bytes laid out by hand, for a
// multicast and a unicast destination from a link-local source.
TEST(VrrpPacket, V3Ipv6ChecksumCoversThePseudoHeader) {
  const VrrpAdvert a{.version = 3,
                     .vrid = 51,
                     .priority = 100,
                     .interval = 30,
                     .family = net::Family::v6,
                     .addrs = {ip("fe80::5:1"), ip("2001:db8:77::100")}};
  for (const char* dst : {"ff02::12", "fe80::200:ff:fe00:2", "2001:db8:77::2"}) {
    const VrrpIpPair pair{ip("fe80::200:ff:fe00:1"), ip(dst)};
    const std::vector<uint8_t> m = build_vrrp(a, pair);
    ASSERT_EQ(m.size(), 8u + 2 * 16);
    std::vector<uint8_t> sum(pair.src.b.begin(), pair.src.b.end());
    sum.insert(sum.end(), pair.dst.b.begin(), pair.dst.b.end());
    const uint8_t len_and_next[8] = {0, 0, 0, static_cast<uint8_t>(m.size()), 0, 0, 0, 112};
    sum.insert(sum.end(), len_and_next, len_and_next + 8);
    std::vector<uint8_t> zeroed = m;
    zeroed[6] = zeroed[7] = 0;
    sum.insert(sum.end(), zeroed.begin(), zeroed.end());
    const uint16_t want = test::ref_checksum(sum);
    EXPECT_EQ(m[6], want >> 8) << dst;
    EXPECT_EQ(m[7], want & 0xff) << dst;
    EXPECT_TRUE(parse_vrrp(m, net::Family::v6, pair).has_value()) << dst;
    // Another destination in the pseudo-header: the receiver's sum disagrees.
    const VrrpIpPair other{pair.src, ip("ff02::1")};
    EXPECT_FALSE(parse_vrrp(m, net::Family::v6, other).has_value()) << dst;
  }
}

// RFC 5798 section 7.1: what a receiver must discard, each with its reason.
TEST(VrrpPacket, RefusesWhatTheRfcDiscards) {
  const auto good = hex("21336402010105f3c0a8c810c0a8c8113131313100000000");
  struct Case {
    const char* name;
    size_t at;
    uint8_t value;
    const char* says;
  };
  const Case cases[] = {
      {"version 4", 0, 0x41, "version 4"},
      {"type 2", 0, 0x22, "type 2 (1 is ADVERTISEMENT)"},
      {"vrid 0", 1, 0, "virtual router id 0"},
      {"count says 3", 3, 3, "length 24 < 28 for 3 addresses"},
      {"a flipped bit", 9, 0xa9, "checksum"},
  };
  for (const Case& c : cases) {
    auto bad = good;
    bad[c.at] = c.value;
    auto r = parse_vrrp(bad, net::Family::v4, kV4Pair);
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_EQ(r.error().message, c.says) << c.name;
  }
  auto short_msg = parse_vrrp(std::span(good).first(7), net::Family::v4, kV4Pair);
  ASSERT_FALSE(short_msg.has_value());
  EXPECT_EQ(short_msg.error().message, "too short for a VRRP header");
  auto v2_over_v6 = parse_vrrp(good, net::Family::v6, kV6Pair);
  ASSERT_FALSE(v2_over_v6.has_value());
  EXPECT_EQ(v2_over_v6.error().message, "v2 over IPv6");
}

TEST(VrrpPacket, CheckRefusesWhatCannotBeSent) {
  EXPECT_TRUE(check_vrrp(v2_advert()).has_value());
  VrrpAdvert a = v2_advert();
  a.interval = 256;
  EXPECT_EQ(check_vrrp(a).error().message, "v2 advertisement interval 256 s (1..255)");
  a = v2_advert();
  a.family = net::Family::v6;
  EXPECT_EQ(check_vrrp(a).error().message, "VRRP v2 is IPv4 only");
  a = v2_advert();
  a.version = 3;
  a.interval = 4096;
  a.auth = VrrpAuth::none;
  EXPECT_EQ(check_vrrp(a).error().message, "v3 advertisement interval 4096 cs (1..4095)");
  a.interval = 100;
  a.addrs.push_back(ip("2001:db8::1"));
  EXPECT_EQ(check_vrrp(a).error().message, "an address of the other family");
}

}  // namespace
}  // namespace gale::ha
