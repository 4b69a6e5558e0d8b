// The ICMP error mapping of RFC 7915 (net/siit.h), every row of sections 4.2 and 5.2
// and of figures 3 and 6 (parameter problem pointers) written out from the RFC, and the
// pseudo-header move of a checksum against a whole recomputation.
#include "net/siit.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "ref_checksum.h"

namespace gale::net {
namespace {

std::optional<IcmpHead> to6(uint8_t type, uint8_t code, uint32_t rest = 0) {
  return icmp4_error_to_v6({.type = type, .code = code, .rest = rest});
}
std::optional<IcmpHead> to4(uint8_t type, uint8_t code, uint32_t rest = 0) {
  return icmp6_error_to_v4({.type = type, .code = code, .rest = rest});
}
IcmpHead h(uint8_t type, uint8_t code, uint32_t rest = 0) {
  return {.type = type, .code = code, .rest = rest};
}

TEST(Siit, Icmp4ErrorsToIcmp6) {
  // Destination unreachable (RFC 7915 4.2).
  for (uint8_t code : {0, 1, 5, 6, 7, 8, 11, 12})
    EXPECT_EQ(to6(3, code), h(1, 0)) << int{code};
  EXPECT_EQ(to6(3, 2), h(4, 1, 6));  // protocol unreachable: pointer to next header
  EXPECT_EQ(to6(3, 3), h(1, 4));
  EXPECT_EQ(to6(3, 4, 1400), h(2, 0, 1420));              // fragmentation needed: packet too big
  EXPECT_EQ(to6(3, 4, 0xabcd0000u | 576), h(2, 0, 596));  // the unused half ignored
  EXPECT_EQ(to6(3, 4, 0), std::nullopt);                  // no MTU to translate
  for (uint8_t code : {9, 10, 13, 15})
    EXPECT_EQ(to6(3, code), h(1, 1)) << int{code};
  EXPECT_EQ(to6(3, 14), std::nullopt);
  EXPECT_EQ(to6(3, 16), std::nullopt);
  // Time exceeded keeps its code; source quench, redirect are dropped.
  EXPECT_EQ(to6(11, 0), h(3, 0));
  EXPECT_EQ(to6(11, 1), h(3, 1));
  EXPECT_EQ(to6(4, 0), std::nullopt);
  EXPECT_EQ(to6(5, 0), std::nullopt);
  // Parameter problem, figure 3 (the IPv4 pointer is the first byte after the checksum).
  const std::vector<std::pair<uint8_t, int>> fig3 = {
      {0, 0},  {1, 1},  {2, 4},   {3, 4},   {4, -1},  {5, -1},  {6, -1},
      {7, -1}, {8, 7},  {9, 6},   {10, -1}, {11, -1}, {12, 8},  {13, 8},
      {14, 8}, {15, 8}, {16, 24}, {17, 24}, {18, 24}, {19, 24}, {20, -1}};
  for (const auto& [p4, p6] : fig3) {
    for (uint8_t code : {0, 2}) {
      const auto got = to6(12, code, uint32_t{p4} << 24);
      if (p6 < 0)
        EXPECT_EQ(got, std::nullopt) << int{p4};
      else
        EXPECT_EQ(got, h(4, 0, static_cast<uint32_t>(p6))) << int{p4};
    }
  }
  EXPECT_EQ(to6(12, 1), std::nullopt);  // missing a required option
}

TEST(Siit, Icmp6ErrorsToIcmp4) {
  // Destination unreachable (RFC 7915 5.2).
  EXPECT_EQ(to4(1, 0), h(3, 1));
  EXPECT_EQ(to4(1, 1), h(3, 10));
  EXPECT_EQ(to4(1, 2), h(3, 1));
  EXPECT_EQ(to4(1, 3), h(3, 1));
  EXPECT_EQ(to4(1, 4), h(3, 3));
  EXPECT_EQ(to4(1, 5), std::nullopt);
  // Packet too big: fragmentation needed, MTU - 20 in 16 bits.
  EXPECT_EQ(to4(2, 0, 1280), h(3, 4, 1260));
  EXPECT_EQ(to4(2, 0, 100000), h(3, 4, 0xffff));
  EXPECT_EQ(to4(2, 0, 80), std::nullopt);
  // Time exceeded.
  EXPECT_EQ(to4(3, 0), h(11, 0));
  EXPECT_EQ(to4(3, 1), h(11, 1));
  // Parameter problem: code 1 is protocol unreachable; code 0 by figure 6; code 2 dropped.
  EXPECT_EQ(to4(4, 1), h(3, 2));
  EXPECT_EQ(to4(4, 2), std::nullopt);
  const std::vector<std::pair<uint32_t, int>> fig6 = {
      {0, 0}, {1, 1},  {2, -1},  {3, -1},  {4, 2},   {5, 2},   {6, 9},
      {7, 8}, {8, 12}, {23, 12}, {24, 16}, {39, 16}, {40, -1}, {300, -1}};
  for (const auto& [p6, p4] : fig6) {
    const auto got = to4(4, 0, p6);
    if (p4 < 0)
      EXPECT_EQ(got, std::nullopt) << p6;
    else
      EXPECT_EQ(got, h(12, 0, static_cast<uint32_t>(p4) << 24)) << p6;
  }
  // Informational and unknown types are not errors to translate.
  EXPECT_EQ(to4(128, 0), std::nullopt);
  EXPECT_EQ(to4(137, 0), std::nullopt);
}

// A checksum over (pseudo-header addresses + data), moved from IPv6 addresses to IPv4
// ones, equals the checksum computed afresh over the IPv4 addresses.
TEST(Siit, ChecksumMovesWithThePseudoHeaderAddresses) {
  const IpAddr s6 = *parse_ip("2001:db8:c::7"), d6 = *parse_ip("2001:db8:a::10");
  const IpAddr s4 = *parse_ip("10.3.0.1"), d4 = *parse_ip("10.1.64.1");
  const std::vector<uint8_t> data = {0x9c, 0x40, 0x1f, 0x90, 0x12, 0x34, 0x56, 0x78, 0x9a};
  auto fresh = [&](const IpAddr& s, const IpAddr& d) {
    std::vector<uint8_t> all(s.b.begin(), s.b.begin() + (s.is_v4() ? 4 : 16));
    all.insert(all.end(), d.b.begin(), d.b.begin() + (d.is_v4() ? 4 : 16));
    all.insert(all.end(), data.begin(), data.end());
    return test::ref_checksum(all);
  };
  const uint16_t moved =
      csum_replace_sum(fresh(s6, d6), pseudo_addr_sum(s6, d6), pseudo_addr_sum(s4, d4));
  EXPECT_EQ(moved, fresh(s4, d4));
  EXPECT_EQ(csum_replace_sum(moved, pseudo_addr_sum(s4, d4), pseudo_addr_sum(s6, d6)),
            fresh(s6, d6));
}

}  // namespace
}  // namespace gale::net
