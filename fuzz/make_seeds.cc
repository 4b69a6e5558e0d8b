// Writes the seed corpora of the fuzz targets, built with the PacketBuilder, so that the
// fuzzer starts from inputs that reach every branch rather than from the Ethernet header:
//   fuzz_parse:    one small frame of each kind the parser and the decapsulators know;
//   fuzz_pipeline: sequences of batches (its input format, see pipeline_fuzz.cc) to the
//                  services, servers and local addresses pipeline_fuzz.cc configures;
//   fuzz_proxy:    one PROXY connection each, in proxy_fuzz.cc's operations
//                  (fuzz/proxy_seeds.h).
//
//   make_seeds DIR                (the committed corpus is fuzz/corpus/parse/)
//   make_seeds --pipeline DIR     (fuzz/corpus/pipeline/)
//   make_seeds --flow-table DIR   (fuzz/corpus/flow_table/)
//   make_seeds --proxy DIR        (fuzz/corpus/proxy/)
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "packet_builder.h"
#include "proxy_seeds.h"

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

// --- fuzz_pipeline -----------------------------------------------------------------
// Addresses of pipeline_fuzz.cc's snapshot: keep the two files in step.
constexpr auto kClientMac = "02:00:00:00:00:aa";
constexpr auto kPort0Mac = "02:00:00:00:00:01";
constexpr auto kPort1Mac = "02:00:00:00:00:02";
constexpr auto kRsMac = "02:00:00:01:00:05";
constexpr auto kVip4 = "192.0.2.10";
constexpr auto kVip6 = "2001:db8::10";
constexpr auto kClient4 = "198.51.100.7";
constexpr auto kClient6 = "2001:db8:c::7";
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04, kPsh = 0x08;

// One fuzz_pipeline input: a clock step, then length-prefixed frames; an empty frame
// ends a batch.
class PipelineInput {
 public:
  explicit PipelineInput(uint8_t step = 0) : bytes_{step} {}
  PipelineInput& frame(const std::vector<uint8_t>& f) {
    bytes_.push_back(static_cast<uint8_t>(f.size() >> 8));
    bytes_.push_back(static_cast<uint8_t>(f.size()));
    bytes_.insert(bytes_.end(), f.begin(), f.end());
    return *this;
  }
  PipelineInput& next_batch() { return frame({}); }
  // Ends the batch and publishes reload `op` (1..31, pipeline_fuzz.cc's reload()).
  PipelineInput& reload(uint8_t op) {
    bytes_.push_back(static_cast<uint8_t>(op << 3));
    bytes_.push_back(0);
    return *this;
  }
  std::vector<uint8_t> build() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

PacketBuilder from_client() {
  PacketBuilder b;
  b.eth(kClientMac, kPort0Mac);
  return b;
}
PacketBuilder from_server() {
  PacketBuilder b;
  b.eth(kRsMac, kPort1Mac);
  return b;
}
std::vector<uint8_t> tcp4(uint16_t sport, uint8_t flags, uint16_t dport = 80) {
  return from_client().ipv4(kClient4, kVip4).tcp(sport, dport, flags).build();
}
std::vector<uint8_t> tcp6(uint16_t sport, uint8_t flags, uint16_t dport = 80) {
  return from_client().ipv6(kClient6, kVip6).tcp(sport, dport, flags).build();
}
std::vector<uint8_t> quote(std::vector<uint8_t> packet, size_t n) {
  packet.resize(std::min(packet.size(), n));
  return packet;
}

std::vector<std::pair<std::string, std::vector<uint8_t>>> pipeline_seeds() {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
  auto add = [&](std::string name, const PipelineInput& in) {
    out.emplace_back(std::move(name), in.build());
  };

  add("v4_tcp_syn",
      PipelineInput().frame(
          from_client().ipv4(kClient4, kVip4).tcp(40000, 80, kSyn).mss(1460).build()));
  add("v4_tcp_connection", PipelineInput(1)
                               .frame(tcp4(40001, kSyn))
                               .next_batch()
                               .frame(tcp4(40001, kAck))
                               .next_batch()
                               .frame(from_client()
                                          .ipv4(kClient4, kVip4)
                                          .tcp(40001, 80, kAck | kPsh)
                                          .payload("GET / HTTP/1.0\r\n\r\n")
                                          .build())
                               .next_batch()
                               .frame(tcp4(40001, kFin | kAck)));
  add("v4_tcp_midstream_ack",
      PipelineInput().frame(tcp4(41000, kAck)).frame(tcp4(41001, kAck)).frame(tcp4(41002, kRst)));
  add("v4_udp_dns",
      PipelineInput().frame(
          from_client().ipv4(kClient4, kVip4).udp(5300, 53).payload("query").build()));
  add("v6_tcp_connection", PipelineInput(1)
                               .frame(tcp6(40001, kSyn))
                               .next_batch()
                               .frame(tcp6(40001, kAck))
                               .frame(tcp6(40002, kAck))
                               .next_batch()
                               .frame(tcp6(40001, kFin | kAck)));
  add("v6_udp_dns",
      PipelineInput().frame(
          from_client().ipv6(kClient6, kVip6).udp(5300, 53).payload("query").build()));

  // Replies of NAT servers (the connection first, then the server's answer).
  add("v4_nat_replies",
      PipelineInput()
          .frame(tcp4(42000, kSyn))
          .frame(from_client().ipv4(kClient4, kVip4).udp(5301, 53).build())
          .next_batch()
          .frame(from_server().ipv4("10.1.0.5", kClient4).tcp(8080, 42000, kSyn | kAck).build())
          .frame(from_server().ipv4("10.1.0.11", kClient4).udp(53, 5301).payload("a").build())
          .frame(from_server().ipv4("10.1.0.12", kClient4).udp(5353, 5301).payload("a").build()));
  add("v6_nat_replies",
      PipelineInput()
          .frame(tcp6(42000, kSyn))
          .frame(from_client().ipv6(kClient6, kVip6).udp(5301, 53).build())
          .next_batch()
          .frame(from_server().ipv6("2001:db8:1::24", kClient6).tcp(80, 42000, kSyn | kAck).build())
          .frame(from_server().ipv6("2001:db8:1::31", kClient6).udp(53, 5301).build()));

  // FullNAT returns: servers answer a local address on one of this worker's ports.
  PipelineInput fnat4;
  fnat4.frame(tcp4(43000, kSyn)).frame(from_client().ipv4(kClient4, kVip4).udp(5302, 53).build());
  fnat4.next_batch();
  for (const char* laddr : {"10.2.0.1", "10.2.0.2"}) {
    for (uint16_t lport : {1024, 1025}) {
      fnat4.frame(from_server().ipv4("10.1.0.6", laddr).tcp(80, lport, kSyn | kAck).build());
      fnat4.frame(from_server().ipv4("10.1.0.13", laddr).udp(53, lport).build());
    }
  }
  add("v4_fullnat_returns", fnat4);
  PipelineInput fnat6;
  fnat6.frame(tcp6(43000, kSyn)).frame(from_client().ipv6(kClient6, kVip6).udp(5302, 53).build());
  fnat6.next_batch();
  for (const char* laddr : {"2001:db8:2::1", "2001:db8:2::2"}) {
    for (uint16_t lport : {1024, 1025}) {
      fnat6.frame(from_server().ipv6("2001:db8:1::25", laddr).tcp(80, lport, kAck).build());
      fnat6.frame(from_server().ipv6("2001:db8:1::32", laddr).udp(5353, lport).build());
    }
  }
  add("v6_fullnat_returns", fnat6);

  // NAT64 (lb/nat64.h): IPv6 clients of the IPv6 VIP's port 80, some scheduled to the
  // IPv4 FullNAT server 10.1.0.27:8080, which answers a local address; ICMP errors
  // about those connections from both sides.
  PipelineInput nat64;
  for (uint16_t cport = 43100; cport < 43108; ++cport)
    nat64.frame(tcp6(cport, kSyn));
  nat64.next_batch();
  for (const char* laddr : {"10.2.0.1", "10.2.0.2"}) {
    for (uint16_t lport : {1024, 1025}) {
      nat64.frame(from_server().ipv4("10.1.0.27", laddr).tcp(8080, lport, kSyn | kAck).build());
      nat64.frame(
          from_server()
              .ipv4("10.1.0.254", laddr)
              .icmp(3, 4, 1400)
              .payload(quote(PacketBuilder().ipv4(laddr, "10.1.0.27").tcp(lport, 8080).build(), 28))
              .build());
    }
  }
  nat64.frame(from_client()
                  .ipv6("2001:db8:ff::1", kVip6)
                  .icmp(2, 0, 1280)
                  .payload(quote(PacketBuilder().ipv6(kVip6, kClient6).tcp(80, 43100).build(), 60))
                  .build());
  add("nat64_returns", nat64);

  // ICMP errors about VIP flows, from either side.
  add("v4_icmp_frag_needed",
      PipelineInput()
          .frame(tcp4(44000, kSyn))
          .next_batch()
          // A router on the client's side, about a packet the VIP sent the client.
          .frame(
              from_client()
                  .ipv4("203.0.113.1", kVip4)
                  .icmp(3, 4, 1400)
                  .payload(quote(PacketBuilder().ipv4(kVip4, kClient4).tcp(80, 44000).build(), 28))
                  .build())
          // A router on the servers' side, about a packet NAT sent to a server.
          .frame(from_server()
                     .ipv4("10.1.0.254", kClient4)
                     .icmp(3, 4, 1400)
                     .payload(quote(
                         PacketBuilder().ipv4(kClient4, "10.1.0.5").tcp(44000, 8080).build(), 28))
                     .build())
          // ... about a packet FullNAT sent from a local address.
          .frame(from_server()
                     .ipv4("10.1.0.254", "10.2.0.1")
                     .icmp(3, 4, 1400)
                     .payload(quote(
                         PacketBuilder().ipv4("10.2.0.1", "10.1.0.6").tcp(1024, 80).build(), 28))
                     .build()));
  add("v6_icmp_too_big",
      PipelineInput()
          .frame(tcp6(44000, kSyn))
          .next_batch()
          .frame(
              from_client()
                  .ipv6("2001:db8:ff::1", kVip6)
                  .icmp(2, 0, 1280)
                  .payload(quote(PacketBuilder().ipv6(kVip6, kClient6).tcp(80, 44000).build(), 60))
                  .build())
          .frame(
              from_server()
                  .ipv6("2001:db8:1::ff", "2001:db8:2::1")
                  .icmp(2, 0, 1280)
                  .payload(quote(
                      PacketBuilder().ipv6("2001:db8:2::1", "2001:db8:1::25").tcp(1024, 80).build(),
                      60))
                  .build()));

  // Too big for a tunnel: answered with "fragmentation needed" / "packet too big".
  add("v4_too_big_for_tunnel", PipelineInput().frame(from_client()
                                                         .ipv4(kClient4, kVip4)
                                                         .udp(5303, 53)
                                                         .payload(std::string(1460, 'x'))
                                                         .build()));
  add("v6_too_big_for_tunnel", PipelineInput().frame(from_client()
                                                         .ipv6(kClient6, kVip6)
                                                         .udp(5303, 53)
                                                         .payload(std::string(1300, 'x'))
                                                         .build()));

  // A SYN flood on fresh ports: fills the small flow tables (then the stateless path).
  PipelineInput flood4, flood6;
  for (uint16_t i = 0; i < 26; ++i) {
    if (i % 16 == 15) flood4.next_batch();
    flood4.frame(tcp4(static_cast<uint16_t>(45000 + i), kSyn));
    flood6.frame(tcp6(static_cast<uint16_t>(45000 + i), kSyn));
  }
  add("v4_syn_flood", flood4);
  add("v6_syn_flood", flood6);

  // Reloads under live flows: a FullNAT connection whose local address is removed
  // (op 4 + 8k) and freed once drained (op 6), a NAT server turned FullNAT (op 0), a
  // server removed (op 2) while its connection continues.
  add("reloads",
      PipelineInput(1)
          .frame(tcp4(48000, kSyn))
          .frame(tcp4(48001, kSyn))
          .frame(from_client().ipv4(kClient4, kVip4).udp(48002, 53).build())
          .frame(tcp6(48003, kSyn))
          .reload(4 + 8)
          .frame(tcp4(48000, kAck))
          .frame(from_server().ipv4("10.1.0.6", "10.2.0.2").tcp(80, 1024, kSyn | kAck).build())
          .frame(tcp4(48004, kSyn))
          .reload(2)
          .frame(tcp4(48001, kAck))
          .frame(tcp6(48003, kAck))
          .reload(0)
          .frame(tcp4(48000, kFin | kAck))
          .frame(tcp4(48005, kSyn))
          .reload(6));
  add("reload_churn", PipelineInput(200)
                          .frame(tcp4(48100, kSyn))
                          .reload(5 + 8 * 3)
                          .frame(tcp4(48101, kSyn))
                          .reload(1 + 8 * 4)
                          .frame(tcp4(48102, kSyn))
                          .reload(7 + 8));

  // Odd but well-formed frames, and malformed ones.
  const auto parse_seeds = seeds();
  const std::vector<uint8_t> arp =
      std::ranges::find(parse_seeds, std::string("arp"), [](const auto& s) {
        return s.first;
      })->second;
  add("odd_frames",
      PipelineInput()
          .frame(from_client().vlan(100).ipv4(kClient4, kVip4).tcp(46000, 80, kSyn).build())
          .frame(from_client()
                     .ipv4(kClient4, kVip4)
                     .ip_options({7, 7, 4, 0, 0, 0, 0, 1})
                     .tcp(46001, 80, kSyn)
                     .build())
          .frame(from_client().ipv6(kClient6, kVip6).ipv6_ext(0).tcp(46002, 80, kSyn).build())
          .frame(from_client().ipv4(kClient4, kVip4).frag(100).udp(1, 53).build())
          .frame(from_client().ipv4(kClient4, kVip4).frag(0x2000).udp(46003, 53).build())
          .frame(from_client().ipv4(kClient4, kVip4).ttl(1).tcp(46004, 80, kSyn).build())
          .frame(from_client().ipv4(kClient4, kVip4).icmp(8, 0, 0x12340001).build())
          .frame(from_client().ipv4(kClient4, kVip4).tcp(46005, 443, kSyn).build())
          .frame(from_client().ipv4(kClient4, "10.2.0.1").tcp(46006, 1024, kAck).build())
          .frame(arp));
  add("malformed",
      PipelineInput()
          .frame(quote(tcp4(47000, kSyn), 30))
          .frame(from_client().ipv4(kClient4, kVip4).length(19).tcp(47001, 80, kSyn).build())
          .frame(from_client().ipv4(kClient4, kVip4).length(1000).tcp(47002, 80, kSyn).build())
          .frame(from_client().ipv4(kClient4, kVip4).udp(47003, 53).length(4).build())
          .frame(from_client().ipv6(kClient6, kVip6).length(200).udp(47004, 53).build())
          .frame(from_client().ipv4(kClient4, kVip4).tcp(47005, 80, kSyn).checksum(1).build())
          .frame({0x02, 0x00, 0x00}));
  return out;
}

// --- fuzz_flow_table ---------------------------------------------------------------
// Operation strings (flow_table_fuzz.cc): a family byte, then (opcode, key) pairs.
std::vector<std::pair<std::string, std::vector<uint8_t>>> flow_table_seeds() {
  std::vector<uint8_t> fill{0}, churn{1}, expiry{0};
  for (int k = 0; k < 80; ++k) {  // past capacity, then half erased, then refilled
    fill.insert(fill.end(), {0, static_cast<uint8_t>(k)});
  }
  for (int k = 0; k < 80; k += 2)
    fill.insert(fill.end(), {2, static_cast<uint8_t>(k)});
  for (int k = 100; k < 140; ++k)
    fill.insert(fill.end(), {1, static_cast<uint8_t>(k)});
  for (int round = 0; round < 8; ++round) {
    for (int k = 0; k < 40; ++k)
      churn.insert(churn.end(), {0, static_cast<uint8_t>(round * 30 + k)});
    for (int k = 0; k < 40; ++k)
      churn.insert(churn.end(), {2, static_cast<uint8_t>(round * 30 + k)});
  }
  for (int k = 0; k < 50; ++k)
    expiry.insert(expiry.end(), {static_cast<uint8_t>(5 * (k % 8)), static_cast<uint8_t>(k)});
  for (int k = 0; k < 20; ++k)
    expiry.insert(expiry.end(), {4, 64});
  return {{"fill", fill}, {"churn", churn}, {"expiry", expiry}};
}

bool write_all(const std::string& dir,
               const std::vector<std::pair<std::string, std::vector<uint8_t>>>& files) {
  for (const auto& [name, frame] : files) {
    std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(frame.data()),
              static_cast<std::streamsize>(frame.size()));
    if (!out) {
      std::fprintf(stderr, "make_seeds: cannot write %s\n", path.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2) return write_all(argv[1], seeds()) ? 0 : 1;
  if (argc == 3 && std::string(argv[1]) == "--pipeline")
    return write_all(argv[2], pipeline_seeds()) ? 0 : 1;
  if (argc == 3 && std::string(argv[1]) == "--flow-table")
    return write_all(argv[2], flow_table_seeds()) ? 0 : 1;
  if (argc == 3 && std::string(argv[1]) == "--proxy")
    return write_all(argv[2], gale::fuzz::proxy_seeds()) ? 0 : 1;
  std::fprintf(stderr, "usage: %s DIR | --pipeline DIR | --flow-table DIR | --proxy DIR\n",
               argv[0]);
  return 2;
}
