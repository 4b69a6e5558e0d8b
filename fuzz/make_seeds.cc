// Writes the seed corpus of fuzz_parse: one small frame of each kind the parser and the
// decapsulators know, built with the PacketBuilder, so that the fuzzer starts from
// inputs that reach every branch rather than from the Ethernet header.
//
//   make_seeds DIR     (the committed corpus is fuzz/corpus/parse/)
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "packet_builder.h"

using gale::test::PacketBuilder;

namespace {

constexpr auto kMacA = "02:00:00:00:00:01";
constexpr auto kMacB = "02:00:00:00:00:02";

PacketBuilder eth() {
  PacketBuilder b;
  b.eth(kMacA, kMacB);
  return b;
}

std::vector<std::pair<std::string, std::vector<uint8_t>>> seeds() {
  auto q4 = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 443, 0x10).build();
  q4.resize(28);
  auto q6 = PacketBuilder().ipv6("2001:db8::1", "2001:db8::2").udp(40000, 53).build();
  std::vector<uint8_t> arp(28);
  arp[1] = 1, arp[2] = 8, arp[4] = 6, arp[5] = 4, arp[7] = 1;
  auto arp_frame = eth().proto(0).payload(arp).build();
  arp_frame[12] = 0x08, arp_frame[13] = 0x06;

  return {
      {"v4_tcp_syn_mss", eth().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 80, 0x02).mss(1460).build()},
      {"v4_udp", eth().ipv4("10.0.0.1", "10.0.0.2").udp(40000, 53).payload("q").build()},
      {"v4_icmp_echo", eth().ipv4("10.0.0.1", "10.0.0.2").icmp(8, 0, 0x12340001).build()},
      {"v6_tcp", eth().ipv6("2001:db8::1", "2001:db8::2").tcp(40000, 443).payload("d").build()},
      {"v6_udp", eth().ipv6("2001:db8::1", "2001:db8::2").udp(40000, 53).build()},
      {"v6_icmpv6_echo", eth().ipv6("2001:db8::1", "2001:db8::2").icmp(128, 0, 0x43210001).build()},
      {"vlan_v4_tcp", eth().vlan(100).ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).build()},
      {"qinq_v6_udp",
       eth().vlan(10, 0x88a8).vlan(20).ipv6("2001:db8::1", "2001:db8::2").udp(1, 2).build()},
      {"v4_options_tcp", eth()
                             .ipv4("10.0.0.1", "10.0.0.2")
                             .ip_options({7, 7, 4, 0, 0, 0, 0, 1})
                             .tcp(1, 2)
                             .tcp_options({1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0})
                             .build()},
      {"v6_ext_udp", eth()
                         .ipv6("2001:db8::1", "2001:db8::2")
                         .ipv6_ext(0)
                         .ipv6_ext(43, 14)
                         .ipv6_ext(60)
                         .udp(1, 2)
                         .build()},
      {"v6_frag_first",
       eth().ipv6("2001:db8::1", "2001:db8::2").ipv6_ext(44).frag(1).udp(1, 2).build()},
      {"v6_ah_tcp",
       [] {
         auto f = eth().ipv6("2001:db8::1", "2001:db8::2").ipv6_ext(51, 14).tcp(1, 2).build();
         f[55] = 2;  // AH counts 4-byte words
         return f;
       }()},
      {"v4_frag_later", eth().ipv4("10.0.0.1", "10.0.0.2").frag(100).udp(1, 2).build()},
      {"ipip_4in4",
       eth().ipv4("192.0.2.1", "192.0.2.2").ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).build()},
      {"ipip_6in4",
       eth().ipv4("192.0.2.1", "192.0.2.2").ipv6("2001:db8::1", "2001:db8::2").udp(1, 2).build()},
      {"gue_v0_v4", eth()
                        .ipv4("192.0.2.1", "192.0.2.2")
                        .udp(50000, 6080)
                        .gue()
                        .ipv4("10.0.0.1", "10.0.0.2")
                        .tcp(1, 2)
                        .build()},
      {"gue_v1_v6", eth()
                        .ipv6("2001:db8::a", "2001:db8::b")
                        .udp(50000, 6080)
                        .ipv6("2001:db8::1", "2001:db8::2")
                        .udp(1, 2)
                        .build()},
      {"vxlan_v4", eth()
                       .ipv4("192.0.2.1", "192.0.2.2")
                       .udp(50000, 4789)
                       .vxlan(0x123456)
                       .eth(kMacA, kMacB)
                       .ipv4("10.0.0.1", "10.0.0.2")
                       .tcp(1, 2)
                       .build()},
      {"icmp_frag_needed",
       eth().ipv4("192.0.2.254", "10.0.0.1").icmp(3, 4, 1400).payload(q4).build()},
      {"icmpv6_too_big",
       eth().ipv6("2001:db8::ff", "2001:db8::1").icmp(2, 0, 1280).payload(q6).build()},
      {"arp", arp_frame},
      {"v4_udp_padded", eth().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).pad_to(60).build()},
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  for (const auto& [name, frame] : seeds()) {
    std::string path = std::string(argv[1]) + "/" + name;
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(frame.data()),
              static_cast<std::streamsize>(frame.size()));
    if (!out) {
      std::fprintf(stderr, "make_seeds: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
