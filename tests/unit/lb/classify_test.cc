// The classifier against the policy docs/io.md states, case by case: the expected
// classes come from that text (which frames are ours, how headers, fragments, malformed
// frames and ICMP errors are treated), not from running the code.
#include "lb/classify.h"

#include <gtest/gtest.h>

#include "net/ipv4.h"
#include "packet_builder.h"

namespace gale::lb {
namespace {

using test::PacketBuilder;
using Bytes = std::vector<uint8_t>;

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

// VIP 192.0.2.10:80/tcp (a NAT server 10.0.0.1:8080), [2001:db8::10]:53/udp, fwmark 5
// over 198.51.100.0/24 ports 1000-1009 tcp, FullNAT local address 10.9.0.1 with ports
// 2000-2999, and a removed NAT server 10.0.0.2:8080 still draining.
Snapshot snapshot() {
  Snapshot s;
  s.links.push_back({});
  Service web{.vip = ip("192.0.2.10"), .port = 80, .proto = net::kProtoTcp};
  web.dests = {{.addr = ip("10.0.0.1"), .port = 8080, .weight = 1}};
  web.dest_ids = {0};
  Service dns{.vip = ip("2001:db8::10"), .port = 53, .proto = net::kProtoUdp};
  dns.dests = {{.addr = ip("2001:db8:1::1"), .port = 53, .weight = 1}};
  dns.dest_ids = {1};
  Service marked{.fwmark = 5, .proto = net::kProtoTcp};
  marked.dests = {{.addr = ip("10.0.0.3"), .port = 0, .weight = 1}};
  marked.dest_ids = {2};
  s.services = {web, dns, marked};
  s.real_servers = {
      {.addr = ip("10.0.0.1"), .port = 8080, .mode = FwdMode::nat},
      {.addr = ip("2001:db8:1::1"), .mode = FwdMode::dr},
      {.addr = ip("10.0.0.3"), .mode = FwdMode::dr},
      {.addr = ip("10.0.0.2"), .port = 8080, .mode = FwdMode::nat, .service = 0, .live = false}};
  s.fwmark_rules = {
      {.fwmark = 5, .net = ip("198.51.100.0"), .prefix_len = 24, .port_lo = 1000, .port_hi = 1009}};
  s.fullnat.laddrs = {ip("10.9.0.1")};
  s.fullnat.port_lo = 2000;
  s.fullnat.port_hi = 2999;
  EXPECT_TRUE(s.finalize().has_value());
  return s;
}

PacketBuilder eth() {
  PacketBuilder b;
  b.eth("02:00:00:00:00:aa", "02:00:00:00:00:01");
  return b;
}

class Classify : public ::testing::Test {
 protected:
  // classify(), and classify_fast() held to it: a frame the fast way takes is the
  // forward frame of the same service, parsed the same way.
  Classified run(const Bytes& f) {
    const Classified c = classify({f.data(), f.size()}, snap, pp);
    net::ParsedPacket fast_pp;
    int64_t service = -1;
    if (classify_fast({f.data(), f.size()}, snap, fast_pp, service)) {
      ++taken_fast;
      EXPECT_TRUE(fast_pp == pp);
      if (service >= 0) {
        EXPECT_EQ(c.cls, Class::forward);
        EXPECT_EQ(c.target, service);
      } else {
        const Classified t = classify_tuple(fast_pp.tuple, snap);
        EXPECT_EQ(c.cls, t.cls);
        EXPECT_EQ(c.target, t.target);
        EXPECT_NE(c.cls, Class::drop);
        EXPECT_FALSE(c.icmp_error);
      }
    }
    return c;
  }
  Snapshot snap = snapshot();
  net::ParsedPacket pp;
  int taken_fast = 0;
};

TEST_F(Classify, TheFastWayTakesAClientsPlainFrame) {
  EXPECT_EQ(run(eth().ipv4("198.51.100.1", "192.0.2.10").tcp(1234, 80).build()).cls,
            Class::forward);
  EXPECT_EQ(taken_fast, 1);
  // To a fwmark service: parsed the fast way, classified by the tuple.
  EXPECT_EQ(run(eth().ipv4("203.0.113.1", "198.51.100.5").tcp(4000, 1000).build()).cls,
            Class::forward);
  EXPECT_EQ(taken_fast, 2);
  // Tagged: the general way.
  EXPECT_EQ(run(eth().vlan(7).ipv4("198.51.100.1", "192.0.2.10").tcp(1234, 80).build()).cls,
            Class::forward);
  EXPECT_EQ(taken_fast, 2);
}

TEST_F(Classify, EachKindOfEndpoint) {
  Classified c = run(eth().ipv4("1.1.1.1", "192.0.2.10").tcp(40000, 80).build());
  EXPECT_EQ(c.cls, Class::forward);
  EXPECT_EQ(c.target, 0);
  c = run(eth().ipv6("2001:db8::99", "2001:db8::10").udp(5000, 53).build());
  EXPECT_EQ(c.cls, Class::forward);
  EXPECT_EQ(c.target, 1);
  c = run(eth().ipv4("1.1.1.1", "198.51.100.200").tcp(40000, 1009).build());
  EXPECT_EQ(c.cls, Class::forward);
  EXPECT_EQ(c.target, 2);
  c = run(eth().ipv4("10.0.0.1", "1.1.1.1").tcp(8080, 40000).build());
  EXPECT_EQ(c.cls, Class::reply_nat);
  EXPECT_EQ(c.target, 0);
  c = run(eth().ipv4("10.0.0.2", "1.1.1.1").tcp(8080, 40000).build());  // draining
  EXPECT_EQ(c.cls, Class::reply_nat);
  EXPECT_EQ(c.target, 3);
  c = run(eth().ipv4("10.0.0.9", "10.9.0.1").udp(53, 2999).build());
  EXPECT_EQ(c.cls, Class::reply_fullnat);
  EXPECT_EQ(c.target, 0);
}

TEST_F(Classify, BesideAnEndpointIsTheKernels) {
  for (const Bytes& f : {eth().ipv4("1.1.1.1", "192.0.2.10").udp(40000, 80).build(),
                         eth().ipv4("1.1.1.1", "192.0.2.10").tcp(40000, 22).build(),
                         eth().ipv4("1.1.1.1", "198.51.101.1").tcp(40000, 1000).build(),
                         eth().ipv4("1.1.1.1", "198.51.100.1").tcp(40000, 1010).build(),
                         eth().ipv4("10.0.0.3", "1.1.1.1").tcp(80, 40000).build(),  // DR
                         eth().ipv4("10.0.0.9", "10.9.0.1").tcp(53, 3000).build(),
                         eth().ipv4("10.0.0.9", "10.9.0.1").icmp(8, 0).payload("echo").build(),
                         eth().ipv4("1.1.1.1", "192.0.2.10").icmp(8, 0).payload("ping").build()})
    EXPECT_EQ(run(f).cls, Class::to_kernel);
}

TEST_F(Classify, TwoVlanTagsAreWalkedAThirdIsTheKernels) {
  EXPECT_EQ(run(eth().vlan(7, 0x88a8).vlan(8).ipv4("1.1.1.1", "192.0.2.10").tcp(1, 80).build()).cls,
            Class::forward);
  EXPECT_EQ(
      run(eth().vlan(7, 0x88a8).vlan(8).vlan(9).ipv4("1.1.1.1", "192.0.2.10").tcp(1, 80).build())
          .cls,
      Class::to_kernel);
}

TEST_F(Classify, Ipv6ExtensionHeadersAreWalkedUpToEight) {
  PacketBuilder b = eth();
  b.ipv6("2001:db8::99", "2001:db8::10").ipv6_ext(0).ipv6_ext(60);
  EXPECT_EQ(run(b.udp(5000, 53).build()).cls, Class::forward);
  PacketBuilder eight = eth(), nine = eth();
  eight.ipv6("2001:db8::99", "2001:db8::10");
  nine.ipv6("2001:db8::99", "2001:db8::10");
  for (int i = 0; i < 8; ++i) {
    eight.ipv6_ext(60);
    nine.ipv6_ext(60);
  }
  nine.ipv6_ext(60);
  EXPECT_EQ(run(eight.udp(5000, 53).build()).cls, Class::forward);
  EXPECT_EQ(run(nine.udp(5000, 53).build()).cls, Class::to_kernel);
}

TEST_F(Classify, FragmentsFirstLikeAnyLaterToAServiceAddressDropped) {
  // A first fragment carries the ports.
  EXPECT_EQ(run(eth().ipv4("1.1.1.1", "192.0.2.10").frag(0x2000).tcp(1, 80).build()).cls,
            Class::forward);
  // Later ones: to a VIP (any port) or into a fwmark prefix, of the protocol: ours, dropped.
  for (const Bytes& f :
       {eth().ipv4("1.1.1.1", "192.0.2.10").frag(0x2000 | 100).tcp(1, 9).build(),
        eth().ipv4("1.1.1.1", "198.51.100.3").frag(100).tcp(1, 9).build(),
        eth().ipv6("2001:db8::99", "2001:db8::10").ipv6_ext(44).frag(100 << 3).udp(1, 9).build()}) {
    const Classified c = run(f);
    EXPECT_EQ(c.cls, Class::drop);
    EXPECT_EQ(c.drop, Drop::fragment);
  }
  // Of another protocol, or to a NAT server's client or a local address: the kernel's.
  for (const Bytes& f : {eth().ipv4("1.1.1.1", "192.0.2.10").frag(100).udp(1, 80).build(),
                         eth().ipv4("10.0.0.1", "1.1.1.1").frag(100).tcp(8080, 1).build(),
                         eth().ipv4("10.0.0.9", "10.9.0.1").frag(100).udp(53, 2000).build()})
    EXPECT_EQ(run(f).cls, Class::to_kernel);
}

TEST_F(Classify, MalformedOwnedFramesAreDroppedOthersAreTheKernels) {
  // TCP data offset 4 (< 5): ports readable, owned -> dropped with the reason.
  Bytes f = eth().ipv4("1.1.1.1", "192.0.2.10").tcp(1, 80).build();
  f[14 + 20 + 12] = 0x40;
  Classified c = run(f);
  EXPECT_EQ(c.cls, Class::drop);
  EXPECT_EQ(c.drop, drop_of(net::ParseError::tcp_bad_header_len));
  f = eth().ipv4("1.1.1.1", "192.0.2.99").tcp(1, 80).build();  // not ours
  f[14 + 20 + 12] = 0x40;
  EXPECT_EQ(run(f).cls, Class::to_kernel);
  // A bad IPv4 option (length past the header) in an owned packet.
  f = eth().ipv4("1.1.1.1", "192.0.2.10").ip_options({0x94, 0x09, 0, 0}).tcp(1, 80).build();
  c = run(f);
  EXPECT_EQ(c.cls, Class::drop);
  EXPECT_EQ(c.drop, drop_of(net::ParseError::ipv4_bad_options));
  // Broken L3 structure: the kernel's, whatever the addresses say.
  f = eth().ipv4("1.1.1.1", "192.0.2.10").tcp(1, 80).build();
  f[14 + 3] = 0xff;  // total length past the frame
  EXPECT_EQ(run(f).cls, Class::to_kernel);
}

TEST_F(Classify, IcmpErrorsAreTheQuotedConnections) {
  // A router's error about what the VIP sent a client: the client's connection.
  Classified c = run(eth()
                         .ipv4("9.9.9.9", "192.0.2.10")
                         .icmp(3, 4, 1400)
                         .ipv4("192.0.2.10", "1.1.1.1")
                         .tcp(80, 40000)
                         .build());
  EXPECT_TRUE(c.icmp_error);
  EXPECT_EQ(c.cls, Class::forward);
  EXPECT_EQ(c.flow.src, ip("1.1.1.1"));
  EXPECT_EQ(c.flow.sport, 40000);
  // A server's error about what gale sent it (NAT): the reply direction of it.
  c = run(eth()
              .ipv4("10.0.0.1", "1.1.1.1")
              .icmp(3, 4, 1400)
              .ipv4("1.1.1.1", "10.0.0.1")
              .tcp(40000, 8080)
              .build());
  EXPECT_TRUE(c.icmp_error);
  EXPECT_EQ(c.cls, Class::reply_nat);
  EXPECT_EQ(c.flow.dst, ip("1.1.1.1"));
  EXPECT_EQ(c.flow.dport, 40000);
  // About a FullNAT connection: its local port.
  c = run(eth()
              .ipv4("10.0.0.9", "10.9.0.1")
              .icmp(3, 4, 1400)
              .ipv4("10.9.0.1", "10.0.0.9")
              .udp(2500, 53)
              .build());
  EXPECT_EQ(c.cls, Class::reply_fullnat);
  EXPECT_EQ(c.flow.dport, 2500);
  // About someone else's packet.
  c = run(eth()
              .ipv4("9.9.9.9", "192.0.2.10")
              .icmp(3, 4, 1400)
              .ipv4("192.0.2.10", "1.1.1.1")
              .tcp(22, 40000)
              .build());
  EXPECT_FALSE(c.icmp_error);
  EXPECT_EQ(c.cls, Class::to_kernel);
}

// docs/io.md: with accept_macs set, a unicast frame to any other MAC (a switch flooded
// it) is the kernel's whatever it carries; one to a listed MAC is classified as ever.
TEST_F(Classify, FramesToAnotherNodesMacAreTheKernels) {
  const Bytes to_us = eth().ipv4("1.1.1.1", "192.0.2.10").tcp(40000, 80).build();
  const Bytes flooded = PacketBuilder()
                            .eth("02:00:00:00:00:aa", "02:00:00:00:00:77")
                            .ipv4("1.1.1.1", "192.0.2.10")
                            .tcp(40000, 80)
                            .build();
  EXPECT_EQ(run(flooded).cls, Class::forward);  // no list: every frame is looked at
  snap.accept_macs = {*net::parse_mac("02:00:00:00:00:05"), *net::parse_mac("02:00:00:00:00:01")};
  EXPECT_EQ(run(to_us).cls, Class::forward);
  EXPECT_EQ(run(flooded).cls, Class::to_kernel);
  const Bytes nat_reply = PacketBuilder()
                              .eth("02:00:00:00:00:aa", "ff:ff:ff:ff:ff:ff")
                              .ipv4("10.0.0.1", "1.1.1.1")
                              .tcp(8080, 40000)
                              .build();
  EXPECT_EQ(run(nat_reply).cls, Class::to_kernel);
}

// docs/ha.md: a standby service (its VRRP instance is not MASTER here) is not the
// dataplane's: its frames go to the kernel, while the other endpoints stay ours.
TEST(ClassifyStandby, AStandbyServiceIsTheKernels) {
  Snapshot s = snapshot();
  s.services[0].standby = true;
  ASSERT_TRUE(s.finalize().has_value());
  net::ParsedPacket pp;
  const Bytes f = eth().ipv4("1.1.1.1", "192.0.2.10").tcp(40000, 80).build();
  EXPECT_EQ(classify({f.data(), f.size()}, s, pp).cls, Class::to_kernel);
  const Bytes g = eth().ipv6("2001:db8::99", "2001:db8::10").udp(5000, 53).build();
  EXPECT_EQ(classify({g.data(), g.size()}, s, pp).cls, Class::forward);
  const Bytes reply = eth().ipv4("10.0.0.1", "1.1.1.1").tcp(8080, 40000).build();
  EXPECT_EQ(classify({reply.data(), reply.size()}, s, pp).cls, Class::reply_nat);
  EXPECT_FALSE(s.is_service_addr(ip("192.0.2.10"), net::kProtoTcp));
}

}  // namespace
}  // namespace gale::lb
