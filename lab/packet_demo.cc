// The foundation demo (`make demo`): builds one frame of every kind gale's packet layer
// handles, parses each with net::parse (and decapsulates or reads the ICMP quote where
// there is an inner packet), prints one line per frame, and writes the frames to a
// pcap file so that lab/demo can show tshark's independent reading of the same bytes.
//
//   gale-packet-demo OUT.pcap
#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "net/addr.h"
#include "net/arp.h"
#include "net/checksum.h"
#include "net/encap.h"
#include "net/ethernet.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"
#include "net/parse.h"
#include "packet_builder.h"

namespace gale {
namespace {

using net::Bytes;
using net::ParsedPacket;
using net::ParseError;
using test::PacketBuilder;

// GUE has no IANA port; 6080 is Katran's default, used here so the demo is self-describing.
constexpr uint16_t kGuePort = 6080;

constexpr auto kClientMac = "02:00:00:00:00:01";
constexpr auto kGaleMac = "02:00:00:00:00:02";

struct Sample {
  const char* kind;
  std::vector<uint8_t> frame;
};

std::vector<uint8_t> arp_request() {
  std::vector<uint8_t> f(60, 0);  // padded to the Ethernet minimum
  net::MacAddr client = *net::parse_mac(kClientMac);
  net::write_eth(f.data(), *net::parse_mac("ff:ff:ff:ff:ff:ff"), client, net::kEtherTypeArp);
  net::write_arp(f.data() + net::kEthHeaderLen, {.op = net::kArpRequest,
                                                 .sender_mac = client,
                                                 .sender_ip = *net::parse_ipv4("192.0.2.1"),
                                                 .target_ip = *net::parse_ipv4("192.0.2.10")});
  return f;
}

// A DNS query for example.com/A (RFC 1035), so that tshark decodes the payload too.
const std::vector<uint8_t> kDnsQuery = {0x12, 0x34, 1,   0,   0,   1,   0,   0,   0,   0,
                                        0,    0,    7,   'e', 'x', 'a', 'm', 'p', 'l', 'e',
                                        3,    'c',  'o', 'm', 0,   0,   1,   0,   1};

// A TCP segment whose data offset says 60 bytes where there are 20.
std::vector<uint8_t> bad_tcp_header_len() {
  std::vector<uint8_t> f = PacketBuilder()
                               .eth(kClientMac, kGaleMac)
                               .ipv4("192.0.2.1", "192.0.2.10")
                               .tcp(40000, 80, net::kTcpAck)
                               .build();
  f[net::kEthHeaderLen + net::kIpv4MinHeaderLen + 12] = 15 << 4;
  return f;
}

std::vector<Sample> samples() {
  const std::string http = "GET / HTTP/1.1\r\n\r\n";
  return {
      {"ipv4-tcp-syn", PacketBuilder()
                           .eth(kClientMac, kGaleMac)
                           .ipv4("192.0.2.1", "192.0.2.10")
                           .tcp(40000, 80, net::kTcpSyn)
                           .seq(1000)
                           .mss(1460)
                           .build()},
      {"ipv6-udp-ext", PacketBuilder()
                           .eth(kClientMac, kGaleMac)
                           .ipv6("2001:db8::1", "2001:db8::53")
                           .ipv6_ext(0)
                           .ipv6_ext(60, 14)
                           .udp(5353, 53)
                           .payload(kDnsQuery)
                           .build()},
      {"vlan-ipv4-tcp", PacketBuilder()
                            .eth(kClientMac, kGaleMac)
                            .vlan(100)
                            .ipv4("192.0.2.1", "192.0.2.10")
                            .tcp(40001, 443, net::kTcpAck | net::kTcpPsh)
                            .payload(http)
                            .build()},
      {"qinq-ipv4-udp", PacketBuilder()
                            .eth(kClientMac, kGaleMac)
                            .vlan(300, net::kEtherTypeQinQ)
                            .vlan(100)
                            .ipv4("192.0.2.1", "192.0.2.10")
                            .udp(40002, 53)
                            .payload(kDnsQuery)
                            .build()},
      {"icmp-frag-needed", PacketBuilder()
                               .eth(kGaleMac, kClientMac)
                               .ipv4("198.51.100.1", "192.0.2.10")
                               .icmp(net::kIcmpDestUnreachable, net::kIcmpCodeFragNeeded, 1400)
                               .ipv4("192.0.2.10", "192.0.2.1")
                               .tcp(80, 40000, net::kTcpAck)
                               .build()},
      {"icmpv6-too-big", PacketBuilder()
                             .eth(kGaleMac, kClientMac)
                             .ipv6("2001:db8:ff::1", "2001:db8::80")
                             .icmp(net::kIcmpv6PacketTooBig, 0, 1280)
                             .ipv6("2001:db8::80", "2001:db8::1")
                             .tcp(443, 40003, net::kTcpAck)
                             .build()},
      {"ipip", PacketBuilder()
                   .eth(kGaleMac, "02:00:00:00:00:10")
                   .ipv4("10.0.0.2", "10.0.1.1")
                   .ipv4("192.0.2.1", "192.0.2.10")
                   .tcp(40000, 80, net::kTcpSyn)
                   .mss(1460)
                   .build()},
      {"gue", PacketBuilder()
                  .eth(kGaleMac, "02:00:00:00:00:10")
                  .ipv4("10.0.0.2", "10.0.1.1")
                  .udp(net::entropy_port(0x1234abcd), kGuePort)
                  .gue()
                  .ipv4("192.0.2.1", "192.0.2.10")
                  .tcp(40000, 80, net::kTcpSyn)
                  .build()},
      {"vxlan", PacketBuilder()
                    .eth(kGaleMac, "02:00:00:00:00:10")
                    .ipv4("10.0.0.2", "10.0.1.1")
                    .udp(net::entropy_port(0x5678), net::kVxlanPort)
                    .vxlan(42)
                    .eth(kClientMac, kGaleMac)
                    .ipv4("192.0.2.1", "192.0.2.10")
                    .tcp(40000, 80, net::kTcpSyn)
                    .build()},
      {"arp", arp_request()},
      {"bad-tcp-header-len", bad_tcp_header_len()},
      {"bad-udp-length", PacketBuilder()
                             .eth(kClientMac, kGaleMac)
                             .ipv4("192.0.2.1", "192.0.2.10")
                             .udp(40000, 53)
                             .length(4)
                             .payload("query")
                             .build()},
  };
}

// ----- text forms -----

// "addr:port", "[addr]:port" for IPv6; the bare address when the protocol has no ports.
std::string endpoint(const net::IpAddr& a, uint16_t port, bool has_ports) {
  // Appended piece by piece: g++ 12 at -O3 warns falsely (-Wrestrict) on
  // `"literal" + std::string` (GCC PR 105651).
  std::string s(net::to_text(a).view());
  if (!has_ports) return s;
  if (a.is_v6()) {
    s.insert(s.begin(), '[');
    s += ']';
  }
  s += ':';
  s += std::to_string(port);
  return s;
}

bool has_ports(uint8_t proto) {
  return proto == net::kProtoTcp || proto == net::kProtoUdp;
}

std::string proto_name(uint8_t proto) {
  switch (proto) {
    case net::kProtoTcp:
      return "tcp";
    case net::kProtoUdp:
      return "udp";
    case net::kProtoIcmp:
      return "icmp";
    case net::kProtoIcmpv6:
      return "icmpv6";
    case net::kProtoIpip:
      return "ipip";
    case net::kProtoIpv6:
      return "ipv6-in-ip";
    default:
      return std::to_string(proto);
  }
}

std::string tcp_flags(uint8_t f) {
  static constexpr struct {
    uint8_t bit;
    const char* name;
  } kNames[] = {{net::kTcpSyn, "SYN"}, {net::kTcpFin, "FIN"}, {net::kTcpRst, "RST"},
                {net::kTcpPsh, "PSH"}, {net::kTcpAck, "ACK"}, {net::kTcpUrg, "URG"}};
  std::string s;
  for (const auto& n : kNames) {
    if (f & n.bit) s += s.empty() ? n.name : std::string(",") + n.name;
  }
  return s;
}

// Whether the L4 checksum verifies (pseudo-header included for TCP, UDP and ICMPv6).
const char* l4_checksum_state(Bytes f, const ParsedPacket& pp) {
  const uint8_t* ip = f.data() + pp.l3_off;
  const uint8_t* l4 = f.data() + pp.l4_off;
  const uint32_t len = pp.l3_end - pp.l4_off;
  uint32_t sum = 0;
  if (pp.proto == net::kProtoUdp && pp.family == net::Family::v4 && net::udp::check(l4) == 0)
    return "none";
  if (pp.proto != net::kProtoIcmp) {
    sum = pp.family == net::Family::v4
              ? net::pseudo_header_v4(net::ipv4::src(ip), net::ipv4::dst(ip), pp.proto,
                                      static_cast<uint16_t>(len))
              : net::pseudo_header_v6(net::ipv6::src_bytes(ip), net::ipv6::dst_bytes(ip), pp.proto,
                                      len);
  }
  return net::csum_fold(net::csum_partial(l4, len, sum)) == 0xffff ? "ok" : "BAD";
}

// "src:sport -> dst:dport proto X len N flags ..." for a parsed IP packet.
std::string describe(Bytes f, const ParsedPacket& pp) {
  const bool ports = has_ports(pp.proto) && pp.has(net::kFlagL4);
  std::string s = endpoint(pp.tuple.src, pp.tuple.sport, ports) + " -> " +
                  endpoint(pp.tuple.dst, pp.tuple.dport, ports) + " proto " + proto_name(pp.proto) +
                  " len " + std::to_string(pp.l3_len()) + " flags";
  std::string flags;
  auto add = [&](const std::string& w) { flags += " " + w; };
  if (pp.proto == net::kProtoTcp) add(tcp_flags(pp.tcp_flags));
  if (pp.tcp_mss_off != 0) add("mss=" + std::to_string(net::load_be16(f.data() + pp.tcp_mss_off)));
  if (pp.vlan_count != 0)
    add("vlan=" + std::to_string(pp.vlan_tci & 0xfff) + (pp.vlan_count > 1 ? "+qinq" : ""));
  if (pp.has(net::kFlagIpOptions)) add(pp.family == net::Family::v6 ? "ext-hdrs" : "ip-opts");
  if (pp.has(net::kFlagFragment)) add("frag");
  if (pp.has(net::kFlagIcmpError))
    add("icmp-error=" + std::to_string(pp.icmp_type) + "/" + std::to_string(pp.icmp_code));
  if (pp.has(net::kFlagL4)) add(std::string("csum=") + l4_checksum_state(f, pp));
  return s + (flags.empty() ? " -" : flags);
}

// The inner packet, if this frame carries one: an ICMP quote or a tunnelled packet.
std::string inner_of(Bytes f, const ParsedPacket& pp) {
  if (pp.has(net::kFlagIcmpError)) {
    net::IcmpInner in;
    if (net::parse_icmp_inner(f, pp, in) != net::IcmpInnerError::ok) return " [inner: bad quote]";
    const uint8_t* icmp = f.data() + pp.l4_off;
    uint32_t mtu = pp.family == net::Family::v4 ? net::icmp::frag_needed_mtu(icmp)
                                                : net::icmp::too_big_mtu(icmp);
    const bool ports = has_ports(in.tuple.proto);
    return " [inner: " + endpoint(in.tuple.src, in.tuple.sport, ports) + " -> " +
           endpoint(in.tuple.dst, in.tuple.dport, ports) + " proto " + proto_name(in.tuple.proto) +
           ", mtu " + std::to_string(mtu) + "]";
  }
  net::Decap d;
  ParsedPacket in;
  if (net::decap_ipip(pp, d) == net::DecapError::ok) {
    if (net::parse_l3(f, d.inner_off, d.inner_family, in) != ParseError::ok)
      return " [inner: malformed]";
    return " [inner: " + describe(f, in) + "]";
  }
  if (pp.proto == net::kProtoUdp && pp.tuple.dport == kGuePort) {
    net::DecapError e = net::decap_gue(f, pp, d);
    if (e != net::DecapError::ok) return std::string(" [gue: ") + net::to_string(e) + "]";
    if (net::parse_l3(f, d.inner_off, d.inner_family, in) != ParseError::ok)
      return " [inner: malformed]";
    return " [inner gue: " + describe(f, in) + "]";
  }
  if (pp.proto == net::kProtoUdp && pp.tuple.dport == net::kVxlanPort) {
    net::DecapError e = net::decap_vxlan(f, pp, d);
    if (e != net::DecapError::ok) return std::string(" [vxlan: ") + net::to_string(e) + "]";
    Bytes eth = f.subspan(d.inner_off, pp.l3_end - d.inner_off);
    if (net::parse(eth, in) != ParseError::ok) return " [inner: malformed]";
    return " [inner vni " + std::to_string(d.vni) + ": " + describe(eth, in) + "]";
  }
  return "";
}

void print_line(int n, const Sample& s) {
  Bytes f(s.frame);
  ParsedPacket pp;
  ParseError e = net::parse(f, pp);
  std::string line;
  if (e != ParseError::ok) {
    line = std::string("DROP reason ") + net::to_string(e) + " len " + std::to_string(f.size());
  } else if (pp.ethertype == net::kEtherTypeArp) {
    net::ArpPacket a;
    if (!net::parse_arp(f.subspan(pp.l3_off), a)) {
      line = "arp (not Ethernet/IPv4)";
    } else {
      line = std::string(a.op == net::kArpRequest ? "who-has " : "reply ") +
             net::to_text(a.target_ip).c_str() + " tell " + net::to_text(a.sender_ip).c_str() +
             " len " + std::to_string(f.size()) + " (not IP: to the kernel)";
    }
  } else {
    line = describe(f, pp) + inner_of(f, pp);
  }
  std::printf("%3d gale: %-18s %s\n", n, s.kind, line.c_str());
}

int write_pcap(const char* path, const std::vector<Sample>& all) {
  pcap_t* p = pcap_open_dead(DLT_EN10MB, 65535);
  if (p == nullptr) return 1;
  pcap_dumper_t* d = pcap_dump_open(p, path);
  if (d == nullptr) {
    std::fprintf(stderr, "gale-packet-demo: %s: %s\n", path, pcap_geterr(p));
    pcap_close(p);
    return 1;
  }
  long usec = 0;
  for (const Sample& s : all) {
    pcap_pkthdr h{};
    h.ts.tv_sec = 0;
    h.ts.tv_usec = usec;
    usec += 1000;
    h.caplen = h.len = static_cast<bpf_u_int32>(s.frame.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, s.frame.data());
  }
  pcap_dump_close(d);
  pcap_close(p);
  return 0;
}

}  // namespace
}  // namespace gale

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gale-packet-demo OUT.pcap\n");
    return 2;
  }
  const std::vector<gale::Sample> all = gale::samples();
  int n = 1;
  for (const gale::Sample& s : all)
    gale::print_line(n++, s);
  return gale::write_pcap(argv[1], all);
}
