#include "net/encap.h"

#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"

namespace gale::net {

const char* to_string(DecapError e) {
  switch (e) {
    case DecapError::ok:
      return "ok";
    case DecapError::not_tunnel:
      return "not_tunnel";
    case DecapError::truncated:
      return "truncated";
    case DecapError::bad_header:
      return "bad_header";
    case DecapError::control:
      return "control";
  }
  return "unknown";
}

namespace {

Family family_of_proto(uint8_t proto) {
  if (proto == kProtoIpip) return Family::v4;
  if (proto == kProtoIpv6) return Family::v6;
  return Family::none;
}

}  // namespace

DecapError decap_ipip(const ParsedPacket& pp, Decap& out) {
  Family f = family_of_proto(pp.proto);
  if (pp.family == Family::none || f == Family::none) return DecapError::not_tunnel;
  if (pp.has(kFlagFragment)) return DecapError::truncated;  // reassembly is not ours
  size_t need = f == Family::v4 ? kIpv4MinHeaderLen : kIpv6HeaderLen;
  if (size_t{pp.l3_end} - pp.l4_off < need) return DecapError::truncated;
  out = Decap{.inner_off = pp.l4_off, .inner_family = f};
  return DecapError::ok;
}

DecapError decap_gue(Bytes frame, const ParsedPacket& pp, Decap& out) {
  if (pp.proto != kProtoUdp || !pp.has(kFlagL4)) return DecapError::not_tunnel;
  if (pp.has(kFlagFragment)) return DecapError::truncated;
  const size_t start = pp.payload_off;
  const size_t end = pp.l3_end;
  if (end - start < 1) return DecapError::truncated;
  const uint8_t* g = frame.data() + start;
  size_t inner = start;
  Family f;
  switch (g[0] >> 6) {
    case 0: {
      if (end - start < kGueHeaderLen) return DecapError::truncated;
      if (g[0] & 0x20) return DecapError::control;
      size_t hlen = kGueHeaderLen + size_t{g[0] & 0x1fu} * 4;
      if (end - start < hlen) return DecapError::truncated;
      f = family_of_proto(g[1]);
      inner = start + hlen;
      break;
    }
    case 1:  // variant 1: the first nibble is the IP version (0100 or 0110)
      f = (g[0] >> 4) == 4 ? Family::v4 : (g[0] >> 4) == 6 ? Family::v6 : Family::none;
      break;
    default:
      return DecapError::bad_header;
  }
  if (f == Family::none) return DecapError::bad_header;
  size_t need = f == Family::v4 ? kIpv4MinHeaderLen : kIpv6HeaderLen;
  if (end - inner < need) return DecapError::truncated;
  out = Decap{.inner_off = static_cast<uint16_t>(inner), .inner_family = f};
  return DecapError::ok;
}

DecapError decap_vxlan(Bytes frame, const ParsedPacket& pp, Decap& out) {
  if (pp.proto != kProtoUdp || !pp.has(kFlagL4)) return DecapError::not_tunnel;
  if (pp.has(kFlagFragment)) return DecapError::truncated;
  const size_t start = pp.payload_off;
  const size_t end = pp.l3_end;
  if (end - start < kVxlanHeaderLen + kEthHeaderLen) return DecapError::truncated;
  const uint8_t* v = frame.data() + start;
  if (!(v[0] & kVxlanFlagVni)) return DecapError::bad_header;
  out = Decap{.inner_off = static_cast<uint16_t>(start + kVxlanHeaderLen),
              .inner_family = Family::none,
              .vni = load_be32(v + 4) >> 8};
  return DecapError::ok;
}

}  // namespace gale::net
