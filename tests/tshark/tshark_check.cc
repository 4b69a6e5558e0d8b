// Cross-check of gale's packet layer against Wireshark's dissectors. Frames of many
// kinds (some with checksums broken on purpose) are built with the PacketBuilder,
// written to a pcap, and read back by tshark; for every frame the addresses, protocols,
// ports, echo identifiers and VNIs that net::parse (and decap / parse_icmp_inner) find
// must equal tshark's, and the checksum verdicts of gale (net::parse for IPv4 headers,
// which it refuses when wrong; net::checksum for the rest), of tshark, and of the test's
// own intent (good unless broken) must all agree.
//
// tshark only reads a file (with -n: no name resolution, so no network traffic).
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "net/checksum.h"
#include "net/encap.h"
#include "net/ethernet.h"
#include "net/icmp.h"
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
constexpr uint16_t kGuePort = 6080;

// Wireshark's checksum status values (epan/proto.h, PROTO_CHECKSUM_E_*), as tshark
// prints them with -T fields.
enum Verdict { kBad = 0, kGood = 1, kUnverified = 2, kNotPresent = 3 };

// One test frame and the checksums it was built to break.
struct Case {
  std::string name;
  std::vector<uint8_t> frame;
  std::map<std::string, int> bad;  // field prefix ("ip", "tcp", ...) -> broken headers
  // Fields not compared for this frame. Only the L4 checksum of a quote cut short:
  // tshark leaves it out (no whole TCP header) or calls it bad (cut inside the data),
  // while gale does not look at it.
  std::vector<std::string> ignore = {};
};

// What one side (gale or tshark) says about a frame: field name -> its occurrences, in
// the order the headers appear in the frame.
using Fields = std::map<std::string, std::vector<std::string>>;

const std::vector<std::string> kFieldNames = {
    "ip.src",
    "ip.dst",
    "ip.proto",
    "ip.checksum.status",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.checksum.status",
    "udp.srcport",
    "udp.dstport",
    "udp.checksum.status",
    "icmp.type",
    "icmp.checksum.status",
    "icmp.ident",
    "icmpv6.type",
    "icmpv6.checksum.status",
    "icmpv6.echo.identifier",
    "vxlan.vni",
};

// ---- the frames ----

std::vector<uint8_t> quote(std::vector<uint8_t> v, size_t n) {
  if (v.size() > n) v.resize(n);
  return v;
}

std::vector<Case> make_cases() {
  std::vector<Case> c;
  auto add = [&](std::string name, std::vector<uint8_t> f, std::map<std::string, int> bad = {}) {
    c.push_back({std::move(name), std::move(f), std::move(bad)});
  };
  auto cut_quote = [&] { c.back().ignore = {"tcp.checksum.status"}; };
  auto eth = [] { return std::move(PacketBuilder().eth(kMacA, kMacB)); };

  add("v4 tcp syn", eth().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 80, kTcpSyn).mss(1460).build());
  add("v4 udp", eth().ipv4("10.0.0.1", "10.0.0.2").udp(40001, 5000).payload("hello, udp").build());
  add("v4 icmp echo",
      eth().ipv4("10.0.0.1", "10.0.0.2").icmp(8, 0, 0x1234'0001).payload("ping!").build());
  add("v6 tcp", eth()
                    .ipv6("2001:db8::1", "2001:db8::2")
                    .tcp(40002, 443, kTcpAck | kTcpPsh)
                    .seq(1000)
                    .ack(2000)
                    .payload("data")
                    .build());
  add("v6 udp", eth().ipv6("2001:db8::1", "2001:db8::2").udp(40003, 5001).payload("x").build());
  add("v6 icmpv6 echo",
      eth().ipv6("2001:db8::1", "2001:db8::2").icmp(128, 0, 0x4321'0002).payload("pong").build());
  add("vlan v4 tcp", eth().vlan(100).ipv4("10.0.1.1", "10.0.1.2").tcp(40004, 22, kTcpSyn).build());
  add("qinq v6 udp", eth()
                         .vlan(10, kEtherTypeQinQ)
                         .vlan(20)
                         .ipv6("2001:db8:1::1", "2001:db8:1::2")
                         .udp(40005, 5002)
                         .payload("qinq")
                         .build());
  add("v4 options tcp", eth()
                            .ipv4("10.0.2.1", "10.0.2.2")
                            .ip_options({7, 7, 4, 0, 0, 0, 0, 1})  // record route, NOP
                            .tcp(40006, 8080)
                            .build());
  add("v6 ext headers tcp", eth()
                                .ipv6("2001:db8:2::1", "2001:db8:2::2")
                                .ipv6_ext(kIpv6ExtHopByHop)
                                .ipv6_ext(kIpv6ExtDestOpts, 14)
                                .tcp(40007, 8443, kTcpSyn)
                                .build());
  add("v4 first fragment udp", eth()
                                   .ipv4("10.0.3.1", "10.0.3.2")
                                   .frag(kIpv4FlagMf)
                                   .id(77)
                                   .udp(40008, 5003)
                                   .length(2000)
                                   .payload(std::string(64, 'f'))
                                   .build());
  add("v4 later fragment",
      eth().ipv4("10.0.3.1", "10.0.3.2").frag(8).id(78).udp(40009, 5004).build());
  add("v6 later fragment", eth()
                               .ipv6("2001:db8:3::1", "2001:db8:3::2")
                               .ipv6_ext(kIpv6ExtFragment)
                               .frag(100 << 3)
                               .udp(40010, 5005)
                               .build());
  add("ipip 4in4 tcp", eth()
                           .ipv4("192.0.2.1", "192.0.2.2")
                           .ipv4("10.0.4.1", "10.0.4.2")
                           .tcp(40011, 80, kTcpSyn)
                           .build());
  add("ipip 6in4 udp", eth()
                           .ipv4("192.0.2.1", "192.0.2.2")
                           .ipv6("2001:db8:4::1", "2001:db8:4::2")
                           .udp(40012, 5006)
                           .payload("six in four")
                           .build());
  add("ipip 4in6 icmp", eth()
                            .ipv6("2001:db8:5::1", "2001:db8:5::2")
                            .ipv4("10.0.5.1", "10.0.5.2")
                            .proto(kProtoIcmp)
                            .icmp(8, 0, 0x0555'0001)
                            .build());
  add("gue v4 in v4", eth()
                          .ipv4("192.0.2.1", "192.0.2.2")
                          .udp(50001, kGuePort)
                          .gue()
                          .ipv4("10.0.6.1", "10.0.6.2")
                          .tcp(40013, 80, kTcpSyn)
                          .build());
  add("gue v6 in v6", eth()
                          .ipv6("2001:db8:6::a", "2001:db8:6::b")
                          .udp(50002, kGuePort)
                          .gue()
                          .ipv6("2001:db8:6::1", "2001:db8:6::2")
                          .udp(40014, 5007)
                          .build());
  add("vxlan v4 tcp", eth()
                          .ipv4("192.0.2.1", "192.0.2.2")
                          .udp(50003, kVxlanPort)
                          .vxlan(0x123456)
                          .eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                          .ipv4("10.0.7.1", "10.0.7.2")
                          .tcp(40015, 80, kTcpSyn)
                          .build());
  add("vxlan v6 udp, outer udp checksum 0", eth()
                                                .ipv4("192.0.2.1", "192.0.2.2")
                                                .udp(50004, kVxlanPort)
                                                .no_udp_checksum()
                                                .vxlan(42)
                                                .eth("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                                                .ipv6("2001:db8:7::1", "2001:db8:7::2")
                                                .udp(40016, 5008)
                                                .payload("inner")
                                                .build());

  auto tcp4 = PacketBuilder()
                  .ipv4("10.0.8.1", "198.51.100.80")
                  .tcp(40017, 443, kTcpAck)
                  .payload(std::string(1400, 'b'))
                  .build();
  add("icmp frag-needed quoting tcp",
      eth().ipv4("192.0.2.254", "10.0.8.1").icmp(3, 4, 1400).payload(quote(tcp4, 28)).build());
  cut_quote();
  auto udp4 = PacketBuilder().ipv4("10.0.8.1", "198.51.100.53").udp(40018, 53).build();
  add("icmp time-exceeded quoting udp",
      eth().ipv4("192.0.2.254", "10.0.8.1").icmp(11, 0).payload(udp4).build());
  auto echo4 = PacketBuilder().ipv4("10.0.8.1", "198.51.100.1").icmp(8, 0, 0x0808'0001).build();
  add("icmp unreachable quoting echo",
      eth().ipv4("198.51.100.1", "10.0.8.1").icmp(3, 1).payload(echo4).build());
  auto tcp6 = PacketBuilder()
                  .ipv6("2001:db8:8::1", "2001:db8:9::80")
                  .tcp(40019, 443, kTcpAck)
                  .payload(std::string(1400, 'c'))
                  .build();
  add("icmpv6 packet-too-big quoting tcp", eth()
                                               .ipv6("2001:db8:ff::1", "2001:db8:8::1")
                                               .icmp(2, 0, 1280)
                                               .payload(quote(tcp6, 1232))
                                               .build());
  cut_quote();
  auto udp6 = PacketBuilder().ipv6("2001:db8:8::1", "2001:db8:9::53").udp(40020, 5009).build();
  add("icmpv6 unreachable quoting udp",
      eth().ipv6("2001:db8:ff::1", "2001:db8:8::1").icmp(1, 4).payload(udp6).build());

  add("bad ip header checksum",
      eth().ipv4("10.0.9.1", "10.0.9.2").checksum(0x1234).tcp(40021, 80).build(), {{"ip", 1}});
  add("bad tcp checksum v4",
      eth().ipv4("10.0.9.1", "10.0.9.2").tcp(40022, 80).checksum(0xbad0).build(), {{"tcp", 1}});
  add("bad tcp checksum v6",
      eth().ipv6("2001:db8:a::1", "2001:db8:a::2").tcp(40023, 80).checksum(0xbad1).build(),
      {{"tcp", 1}});
  add("bad udp checksum v4",
      eth().ipv4("10.0.9.1", "10.0.9.2").udp(40024, 5010).checksum(0xbad2).payload("u").build(),
      {{"udp", 1}});
  add("bad udp checksum v6",
      eth().ipv6("2001:db8:a::1", "2001:db8:a::2").udp(40025, 5011).checksum(0xbad3).build(),
      {{"udp", 1}});
  add("bad icmp checksum",
      eth().ipv4("10.0.9.1", "10.0.9.2").icmp(8, 0, 0x0101'0001).checksum(0xbad4).build(),
      {{"icmp", 1}});
  add("bad icmpv6 checksum",
      eth()
          .ipv6("2001:db8:a::1", "2001:db8:a::2")
          .icmp(128, 0, 0x0202'0001)
          .checksum(0xbad5)
          .build(),
      {{"icmpv6", 1}});
  add("ipip with bad inner tcp checksum",
      eth()
          .ipv4("192.0.2.1", "192.0.2.2")
          .ipv4("10.0.4.1", "10.0.4.2")
          .tcp(40026, 80)
          .checksum(0xbad6)
          .build(),
      {{"tcp", 1}});
  add("bad ip and udp checksums",
      eth().ipv4("10.0.9.1", "10.0.9.2").checksum(0x4321).udp(40027, 5012).checksum(0xbad7).build(),
      {{"ip", 1}, {"udp", 1}});
  add("ipip with bad inner ip header checksum",
      eth()
          .ipv4("192.0.2.1", "192.0.2.2")
          .ipv4("10.0.4.1", "10.0.4.2")
          .checksum(0xbad8)
          .tcp(40030, 80)
          .build(),
      {{"ip", 1}});
  add("v4 udp without checksum",
      eth().ipv4("10.0.9.1", "10.0.9.2").udp(40028, 5013).no_udp_checksum().build());
  add("padded short v4 udp",
      eth().ipv4("10.0.9.1", "10.0.9.2").udp(40029, 5014).payload("p").pad_to(60).build());
  return c;
}

// ---- gale's view ----

std::string num(unsigned v) {
  return std::to_string(v);
}

// Verdict of net::checksum over [p, p+len) with a pseudo-header sum: a correct
// checksum makes the whole sum all ones, i.e. checksum() of it 0.
int verdict(const uint8_t* p, size_t len, uint32_t sum = 0) {
  return checksum(p, len, sum) == 0 ? kGood : kBad;
}

class GaleView {
 public:
  GaleView(Bytes frame, bool gue_dissected) : frame_(frame), gue_(gue_dissected) {}

  Fields run() {
    read_frame();
    return f_;
  }

 private:
  void put(const std::string& k, std::string v) { f_[k].push_back(std::move(v)); }

  void read_frame() {
    ParsedPacket pp;
    const ParseError e = parse(frame_, pp);
    ASSERT_TRUE(e == ParseError::ok || e == ParseError::ipv4_bad_checksum) << to_string(e);
    const Bytes frame = read_on(frame_, e, pp.l3_off);
    if (e != ParseError::ok) {
      ASSERT_EQ(parse(frame, pp), ParseError::ok);
    }
    ip_packet(frame, pp, e);
  }

  // The parser refuses a wrong IPv4 header checksum; its verdict is what is compared
  // with tshark's. To compare the rest, as tshark reads on past the error, the fields
  // come from a copy with the checksum made right.
  Bytes read_on(Bytes frame, ParseError e, uint16_t l3_off) {
    if (e != ParseError::ipv4_bad_checksum) return frame;
    std::vector<uint8_t>& copy = copies_.emplace_back(frame.begin(), frame.end());
    ipv4::fill_check(copy.data() + l3_off);
    return copy;
  }

  // An IP packet parsed into pp, from frame (which may be a sub-span: a VXLAN inner
  // Ethernet frame), and everything inside it.
  // `parsed` is what the parser said of the packet as received.
  void ip_packet(Bytes frame, const ParsedPacket& pp, ParseError parsed) {
    const uint8_t* ip = frame.data() + pp.l3_off;
    const bool v4 = pp.family == Family::v4;
    if (v4) {
      put("ip.src", to_text(pp.tuple.src).c_str());
      put("ip.dst", to_text(pp.tuple.dst).c_str());
      put("ip.proto", num(pp.proto));
      put("ip.checksum.status", num(parsed == ParseError::ipv4_bad_checksum ? kBad : kGood));
    } else {
      put("ipv6.src", to_text(pp.tuple.src).c_str());
      put("ipv6.dst", to_text(pp.tuple.dst).c_str());
    }
    if (pp.has(kFlagLaterFragment)) return;  // tshark shows the data, no L4 header

    const uint8_t* l4 = frame.data() + pp.l4_off;
    const size_t l4_len = pp.l3_end - pp.l4_off;
    uint32_t pseudo = v4 ? pseudo_header_v4(pp.tuple.src.v4(), pp.tuple.dst.v4(), pp.proto,
                                            static_cast<uint16_t>(l4_len))
                         : pseudo_header_v6(ipv6::src_bytes(ip), ipv6::dst_bytes(ip), pp.proto,
                                            static_cast<uint32_t>(l4_len));
    // A fragment's checksum covers the whole datagram, which one fragment cannot show.
    const bool partial = pp.has(kFlagFragment);
    switch (pp.proto) {
      case kProtoTcp:
        put("tcp.srcport", num(pp.tuple.sport));
        put("tcp.dstport", num(pp.tuple.dport));
        put("tcp.checksum.status", num(partial ? kUnverified : verdict(l4, l4_len, pseudo)));
        break;
      case kProtoUdp:
        put("udp.srcport", num(pp.tuple.sport));
        put("udp.dstport", num(pp.tuple.dport));
        put("udp.checksum.status", num(v4 && udp::check(l4) == 0 ? kNotPresent
                                       : partial                 ? kUnverified
                                                                 : verdict(l4, l4_len, pseudo)));
        udp_tunnel(frame, pp);
        break;
      case kProtoIcmp:
        put("icmp.type", num(pp.icmp_type));
        put("icmp.checksum.status", num(verdict(l4, l4_len)));
        if (is_icmp_echo(pp.family, pp.icmp_type)) put("icmp.ident", num(pp.tuple.sport));
        icmp_quote(frame, pp);
        break;
      case kProtoIcmpv6:
        put("icmpv6.type", num(pp.icmp_type));
        put("icmpv6.checksum.status", num(verdict(l4, l4_len, pseudo)));
        if (is_icmp_echo(pp.family, pp.icmp_type))
          put("icmpv6.echo.identifier", num(pp.tuple.sport));
        icmp_quote(frame, pp);
        break;
      case kProtoIpip:
      case kProtoIpv6: {
        Decap d;
        ASSERT_EQ(decap_ipip(pp, d), DecapError::ok);
        inner_ip(frame, pp, d);
        break;
      }
      default:
        break;
    }
  }

  void inner_ip(Bytes frame, const ParsedPacket& outer, const Decap& d) {
    ParsedPacket in = outer;
    Bytes inner = frame.first(outer.l3_end);
    const ParseError e = parse_l3(inner, d.inner_off, d.inner_family, in);
    ASSERT_TRUE(e == ParseError::ok || e == ParseError::ipv4_bad_checksum) << to_string(e);
    inner = read_on(inner, e, d.inner_off);
    if (e != ParseError::ok) {
      ASSERT_EQ(parse_l3(inner, d.inner_off, d.inner_family, in), ParseError::ok);
    }
    ip_packet(inner, in, e);
  }

  void udp_tunnel(Bytes frame, const ParsedPacket& pp) {
    Decap d;
    if (pp.tuple.dport == kVxlanPort) {
      ASSERT_EQ(decap_vxlan(frame, pp, d), DecapError::ok);
      put("vxlan.vni", num(d.vni));
      Bytes inner = frame.subspan(d.inner_off, pp.l3_end - d.inner_off);
      ParsedPacket in;
      ParseError e = parse(inner, in);
      ASSERT_EQ(e, ParseError::ok) << to_string(e);
      ip_packet(inner, in, e);
    } else if (pp.tuple.dport == kGuePort) {
      ASSERT_EQ(decap_gue(frame, pp, d), DecapError::ok);
      if (gue_) inner_ip(frame, pp, d);
    }
  }

  // The packet quoted in an ICMP error, as far as gale reads it: addresses, protocol,
  // the IPv4 header checksum (the header is quoted whole), ports or echo id, and the
  // TCP/UDP checksum when the whole packet is quoted (tshark checks those). tshark
  // never verifies a quoted ICMP checksum.
  void icmp_quote(Bytes frame, const ParsedPacket& pp) {
    if (!pp.has(kFlagIcmpError)) return;
    IcmpInner in;
    ASSERT_EQ(parse_icmp_inner(frame, pp, in), IcmpInnerError::ok);
    const uint8_t* ip = frame.data() + in.l3_off;
    const size_t quoted_len = pp.family == Family::v4
                                  ? ipv4::total_len(ip)
                                  : kIpv6HeaderLen + size_t{ipv6::payload_len(ip)};
    const bool whole = size_t{in.end} - in.l3_off >= quoted_len;
    const size_t q_len = quoted_len - (in.l4_off - in.l3_off);
    const uint32_t pseudo = pp.family == Family::v4
                                ? pseudo_header_v4(in.tuple.src.v4(), in.tuple.dst.v4(),
                                                   in.tuple.proto, static_cast<uint16_t>(q_len))
                                : pseudo_header_v6(ipv6::src_bytes(ip), ipv6::dst_bytes(ip),
                                                   in.tuple.proto, static_cast<uint32_t>(q_len));
    if (pp.family == Family::v4) {
      put("ip.src", to_text(in.tuple.src).c_str());
      put("ip.dst", to_text(in.tuple.dst).c_str());
      put("ip.proto", num(in.tuple.proto));
      put("ip.checksum.status", num(verdict(ip, ipv4::header_len(ip))));
    } else {
      put("ipv6.src", to_text(in.tuple.src).c_str());
      put("ipv6.dst", to_text(in.tuple.dst).c_str());
    }
    const uint8_t* q = frame.data() + in.l4_off;
    const bool v4 = pp.family == Family::v4;
    switch (in.tuple.proto) {
      case kProtoTcp:
        put("tcp.srcport", num(in.tuple.sport));
        put("tcp.dstport", num(in.tuple.dport));
        if (whole) put("tcp.checksum.status", num(verdict(q, q_len, pseudo)));
        break;
      case kProtoUdp:
        put("udp.srcport", num(in.tuple.sport));
        put("udp.dstport", num(in.tuple.dport));
        if (whole) put("udp.checksum.status", num(verdict(q, q_len, pseudo)));
        break;
      case kProtoIcmp:
      case kProtoIcmpv6:
        put(v4 ? "icmp.type" : "icmpv6.type", num(q[0]));
        put(v4 ? "icmp.checksum.status" : "icmpv6.checksum.status", num(kUnverified));
        if (is_icmp_echo(pp.family, q[0]))
          put(v4 ? "icmp.ident" : "icmpv6.echo.identifier", num(in.tuple.sport));
        break;
      default:
        break;
    }
  }

  Bytes frame_;
  bool gue_;
  Fields f_;
  std::deque<std::vector<uint8_t>> copies_;  // read_on()'s, stable while f_ is built
};

// ---- tshark's view ----

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep))
    out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.push_back("");
  return out;
}

std::string run(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  *status = pclose(p);
  return out;
}

std::string tshark_exe() {
  const char* t = getenv("TSHARK");
  return t && *t ? t : "tshark";
}

// Whether this tshark has a GUE dissector (Wireshark 4.0 has none).
bool tshark_has_gue() {
  int st;
  std::string protos = run(tshark_exe() + " -G protocols 2>/dev/null", &st);
  std::istringstream in(protos);
  std::string line;
  while (std::getline(in, line)) {
    auto cols = split(line, '\t');
    if (cols.size() >= 3 && cols[2] == "gue") return true;
  }
  return false;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gale-tshark-XXXXXX").string();
    if (mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool write_pcap(const std::string& path, const std::vector<Case>& cases) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  if (!dead) return false;
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  if (!d) {
    pcap_close(dead);
    return false;
  }
  long sec = 1700000000;
  for (const auto& c : cases) {
    pcap_pkthdr h{};
    h.ts.tv_sec = sec++;
    h.caplen = h.len = static_cast<bpf_u_int32>(c.frame.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, c.frame.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
  return true;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v)
    s += (s.empty() ? "" : ",") + x;
  return "[" + s + "]";
}

TEST(Tshark, GaleAgreesWithWireshark) {
  const auto cases = make_cases();
  ASSERT_GE(cases.size(), 30u);
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string pcap = dir.path() + "/frames.pcap";
  ASSERT_TRUE(write_pcap(pcap, cases));

  const bool gue = tshark_has_gue();
  std::string cmd = tshark_exe() + " -n -r " + pcap +
                    " -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE"
                    " -o udp.check_checksum:TRUE -o ip.defragment:FALSE"
                    " -o ipv6.defragment:FALSE -d udp.port==4789,vxlan";
  if (gue) cmd += " -d udp.port==6080,gue";
  cmd += " -T fields -E separator=/t -E occurrence=a -E aggregator=, -e frame.number";
  for (const auto& f : kFieldNames)
    cmd += " -e " + f;
  cmd += " 2>" + dir.path() + "/stderr";
  int status;
  const std::string out = run(cmd, &status);
  std::ifstream err_file(dir.path() + "/stderr");
  std::string err((std::istreambuf_iterator<char>(err_file)), {});
  ASSERT_EQ(status, 0) << cmd << "\n" << err;

  std::vector<std::string> lines = split(out, '\n');
  while (!lines.empty() && lines.back().empty())
    lines.pop_back();
  ASSERT_EQ(lines.size(), cases.size()) << out;

  int checked_fields = 0, bad_seen = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE("frame " + std::to_string(i + 1) + " (" + c.name + ")");
    auto cols = split(lines[i], '\t');
    ASSERT_EQ(cols.size(), kFieldNames.size() + 1) << lines[i];
    ASSERT_EQ(cols[0], std::to_string(i + 1));
    Fields theirs;
    for (size_t k = 0; k < kFieldNames.size(); ++k) {
      if (cols[k + 1].empty()) continue;
      for (auto& v : split(cols[k + 1], ','))  // some fields print in hex (0x0202)
        theirs[kFieldNames[k]].push_back(v.starts_with("0x") ? num(std::stoul(v, nullptr, 16)) : v);
    }

    Fields ours = GaleView(c.frame, gue).run();
    for (const auto& name : kFieldNames) {
      if (std::find(c.ignore.begin(), c.ignore.end(), name) != c.ignore.end()) continue;
      EXPECT_EQ(join(ours[name]), join(theirs[name])) << name;
      checked_fields += !ours[name].empty();
    }

    // The test's intent: every checksum good (or absent, or not checkable) except the
    // ones it broke.
    for (const char* proto : {"ip", "tcp", "udp", "icmp", "icmpv6"}) {
      const auto& st = ours[std::string(proto) + ".checksum.status"];
      int bad = 0;
      for (const auto& s : st)
        bad += s == num(kBad);
      auto it = c.bad.find(proto);
      EXPECT_EQ(bad, it == c.bad.end() ? 0 : it->second) << proto << " " << join(st);
      bad_seen += bad;
    }
  }
  EXPECT_GT(checked_fields, 200);
  EXPECT_EQ(bad_seen, 11);  // the frames above break eleven checksums in all
}

}  // namespace
}  // namespace gale::net
