// libFuzzer target for the packet layer's read side: net::parse, then whatever a parsed
// frame leads to (the packet quoted in an ICMP error; the inner packet of IPIP, GUE and
// VXLAN, parsed again, tunnels in tunnels included). ASan/UBSan catch bad reads and
// undefined arithmetic; the invariants below catch offsets that are in bounds of the
// buffer but wrong, which the sanitizers cannot see. The fast parse of the common frame
// (net/parse_fast.h) is held to parse(): a frame it takes, parse() takes and reads the
// same way.
#include <cstddef>
#include <cstdint>

#include "net/encap.h"
#include "net/ethernet.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"
#include "net/parse.h"
#include "net/parse_fast.h"

#include "fuzz_check.h"

namespace {

using namespace gale::net;

constexpr int kMaxDepth = 4;  // tunnels inside tunnels

void check_ip(Bytes frame, const ParsedPacket& pp, int depth);

// Invariants of a frame or inner packet that parsed; `frame` is what it was parsed from.
void check_parsed(Bytes frame, const ParsedPacket& pp) {
  CHECK(pp.frame_len == frame.size());
  CHECK(pp.l3_off <= pp.l4_off);
  CHECK(pp.l4_off <= pp.payload_off);
  CHECK(pp.payload_off <= pp.l3_end);
  CHECK(pp.l3_end <= pp.frame_len);
  CHECK(pp.vlan_count <= kMaxVlanTags);
  if (pp.tcp_mss_off != 0) {
    CHECK(pp.proto == kProtoTcp);
    CHECK(pp.tcp_mss_off >= pp.l4_off + kTcpMinHeaderLen + 2);
    CHECK(pp.tcp_mss_off + 2u <= pp.payload_off);
  }
  if (pp.has(kFlagLaterFragment)) {
    CHECK(pp.has(kFlagFragment));
    CHECK(!pp.has(kFlagL4));
  }
  if (pp.family == Family::v4) {
    CHECK(pp.tuple.src.is_v4() && pp.tuple.dst.is_v4());
    CHECK(pp.l4_off - pp.l3_off >= kIpv4MinHeaderLen);
    CHECK(pp.l4_off - pp.l3_off <= 60);
  } else if (pp.family == Family::v6) {
    CHECK(pp.tuple.src.is_v6() && pp.tuple.dst.is_v6());
    CHECK(pp.l4_off - pp.l3_off >= kIpv6HeaderLen);
  }
  if (pp.family != Family::none) CHECK(pp.tuple.proto == pp.proto);
  if (pp.has(kFlagL4)) {
    switch (pp.proto) {
      case kProtoTcp:
        CHECK(pp.payload_off - pp.l4_off >= kTcpMinHeaderLen);
        CHECK(pp.payload_off - pp.l4_off <= 60);
        break;
      case kProtoUdp:
        CHECK(pp.payload_off - pp.l4_off == kUdpHeaderLen);
        break;
      case kProtoIcmp:
      case kProtoIcmpv6:
        CHECK(pp.payload_off - pp.l4_off == kIcmpHeaderLen);
        if (is_icmp_echo(pp.family, pp.icmp_type)) CHECK(pp.tuple.sport == pp.tuple.dport);
        break;
      default:
        __builtin_trap();  // kFlagL4 only for the protocols above
    }
  } else {
    CHECK(pp.payload_off == pp.l4_off);
    CHECK(!pp.has(kFlagIcmpError));
  }
}

void check_icmp_inner(Bytes frame, const ParsedPacket& pp) {
  IcmpInner in;
  IcmpInnerError e = parse_icmp_inner(frame, pp, in);
  if (!pp.has(kFlagIcmpError)) {
    CHECK(e == IcmpInnerError::not_an_error);
    return;
  }
  if (e != IcmpInnerError::ok) return;
  CHECK(in.l3_off == pp.l4_off + kIcmpHeaderLen);
  CHECK(in.l3_off < in.l4_off);
  CHECK(in.l4_off + kIcmpQuotedL4Bytes <= in.end);
  CHECK(in.end == pp.l3_end);
  CHECK(in.tuple.src.family == pp.family && in.tuple.dst.family == pp.family);
}

void check_inner_ip(Bytes frame, const ParsedPacket& outer, const Decap& d, int depth) {
  CHECK(d.inner_family != Family::none);
  const size_t need = d.inner_family == Family::v4 ? kIpv4MinHeaderLen : kIpv6HeaderLen;
  CHECK(d.inner_off >= outer.l4_off);
  CHECK(d.inner_off + need <= outer.l3_end);
  // The inner packet ends where the outer one does (Ethernet padding is not in it).
  Bytes inner_frame = frame.first(outer.l3_end);
  ParsedPacket in;
  if (parse_l3(inner_frame, d.inner_off, d.inner_family, in) != ParseError::ok) return;
  CHECK(in.l3_off == d.inner_off);
  CHECK(in.family == d.inner_family);
  check_parsed(inner_frame, in);
  check_ip(inner_frame, in, depth + 1);
}

// Second-stage parsers on an IP packet that parsed.
void check_ip(Bytes frame, const ParsedPacket& pp, int depth) {
  if (pp.family == Family::none || depth > kMaxDepth) return;
  check_icmp_inner(frame, pp);

  Decap d;
  DecapError e = decap_ipip(pp, d);
  if (e == DecapError::ok) {
    CHECK(d.inner_off == pp.l4_off);
    check_inner_ip(frame, pp, d, depth);
  }

  e = decap_gue(frame, pp, d);
  if (e == DecapError::ok) {
    CHECK(pp.proto == kProtoUdp);
    CHECK(d.inner_off >= pp.payload_off);
    check_inner_ip(frame, pp, d, depth);
  }

  e = decap_vxlan(frame, pp, d);
  if (e == DecapError::ok) {
    CHECK(d.inner_off == pp.payload_off + kVxlanHeaderLen);
    CHECK(d.inner_off + kEthHeaderLen <= pp.l3_end);
    CHECK(d.vni <= 0xffffff);
    Bytes inner = frame.subspan(d.inner_off, pp.l3_end - d.inner_off);
    ParsedPacket in;
    if (parse(inner, in) == ParseError::ok) {
      check_parsed(inner, in);
      check_ip(inner, in, depth + 1);
    }
  }
  CHECK(to_string(e) != nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes frame(data, size);
  ParsedPacket pp;
  ParseError e = parse(frame, pp);
  CHECK(to_string(e) != nullptr);
  ParsedPacket fast;
  if (parse_fast_v4(frame, fast)) {
    CHECK(e == ParseError::ok);
    CHECK(fast == pp);
  }
  if (e != ParseError::ok) return 0;
  check_parsed(frame, pp);
  check_ip(frame, pp, 0);
  return 0;
}
