// Golden tests of the input checks the kernel makes before IPVS sees a packet, through a
// real worker: a frame the kernel would refuse is dropped under its reason before it is
// scheduled, so it gets no flow, no FullNAT local port and is never rewritten.
#include "lb_fixture.h"

namespace gale::golden {
namespace {

Seg syn_to(const Family& f, Svc svc) {
  return {
      .src = f.client, .dst = f.vip, .sport = 40000, .dport = port_of(svc), .flags = net::kTcpSyn};
}

// The frame with a wrong IPv4 header checksum (the rest of it intact).
Bytes with_bad_ip_checksum(Bytes f) {
  f[14 + 10] ^= 0x5a;
  return f;
}

TEST(InputGolden, WrongIpv4HeaderChecksumIsDroppedBeforeScheduling) {
  for (Svc svc : kAllSvcs) {
    SCOPED_TRACE(port_of(svc));
    Golden g;
    const Bytes good = frame(kClientSideMac, kPort0Mac, syn_to(kV4, svc));
    const Out out = g.run(with_bad_ip_checksum(good));
    EXPECT_EQ(out.verdict, Verdict::drop);
    EXPECT_EQ(out.drop, lb::drop_of(net::ParseError::ipv4_bad_checksum));
    EXPECT_EQ(g.drops(lb::drop_of(net::ParseError::ipv4_bad_checksum)), 1u);
    EXPECT_EQ(g.worker.flows(), 0u);
    EXPECT_EQ(g.worker.counters().flows_created, 0u);
    // The same SYN, checksum intact, is scheduled: the drop was the checksum's.
    EXPECT_EQ(g.run(good).verdict, Verdict::tx);
    EXPECT_EQ(g.worker.flows(), 1u);
  }
}

TEST(InputGolden, MartianAddressesAreDroppedBeforeScheduling) {
  struct Row {
    const char* src;
    const char* dst;
    net::ParseError why;
  };
  for (Row r : {Row{"127.0.0.1", kV4.vip, net::ParseError::ipv4_martian_src},
                Row{"224.0.0.1", kV4.vip, net::ParseError::ipv4_martian_src},
                Row{kV4.vip, kV4.vip, net::ParseError::ipv4_martian_src},
                Row{"::1", kV6.vip, net::ParseError::ipv6_martian_src},
                Row{"ff02::1", kV6.vip, net::ParseError::ipv6_martian_src}}) {
    SCOPED_TRACE(r.src);
    Golden g;
    Seg s = syn_to(r.dst == kV4.vip ? kV4 : kV6, Svc::fullnat);
    s.src = r.src;
    const Out out = g.run(frame(kClientSideMac, kPort0Mac, s));
    EXPECT_EQ(out.verdict, Verdict::drop);
    EXPECT_EQ(out.drop, lb::drop_of(r.why));
    EXPECT_EQ(g.drops(lb::drop_of(r.why)), 1u);
    EXPECT_EQ(g.worker.flows(), 0u);
  }
}

}  // namespace
}  // namespace gale::golden
