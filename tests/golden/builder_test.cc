// The PacketBuilder that the golden tests trust: a nested packet's ICMP must take its
// protocol number from the nearest enclosing IP layer, not from the outermost one.
#include "lb_fixture.h"

namespace gale::golden {
namespace {

TEST(BuilderGolden, IcmpInsideIpv4InsideIpv6IsProtocolOne) {
  const Bytes f = PacketBuilder()
                      .ipv6("2001:db8::1", "2001:db8::2")
                      .ipv4("192.0.2.1", "192.0.2.2")
                      .icmp(8, 0, 0x12340001)
                      .build();
  ASSERT_EQ(f.size(), 40u + 20u + 8u);
  EXPECT_EQ(f[6], 4);       // outer next header: IPv4
  EXPECT_EQ(f[40 + 9], 1);  // inner protocol: ICMP, not ICMPv6
  // ICMP (v4) checksum covers no pseudo-header.
  EXPECT_EQ(test::ref_checksum(Bytes(f.begin() + 60, f.end())), 0);
}

TEST(BuilderGolden, IcmpInsideIpv6InsideIpv4IsProtocol58) {
  const Bytes f = PacketBuilder()
                      .ipv4("192.0.2.1", "192.0.2.2")
                      .ipv6("2001:db8::1", "2001:db8::2")
                      .icmp(128, 0, 0x12340001)
                      .build();
  ASSERT_EQ(f.size(), 20u + 40u + 8u);
  EXPECT_EQ(f[9], 41);
  EXPECT_EQ(f[20 + 6], 58);
}

}  // namespace
}  // namespace gale::golden
