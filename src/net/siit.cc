#include "net/siit.h"

#include "net/icmp.h"
#include "net/ipv6.h"

namespace gale::net {

namespace {

// RFC 7915 figure 3: an ICMPv4 parameter problem's pointer into the IPv4 header, as a
// pointer into the IPv6 header; -1 where the field has no counterpart.
int pointer_4_to_6(uint8_t p) {
  if (p <= 1) return p;               // version/IHL, TOS
  if (p <= 3) return 4;               // total length -> payload length
  if (p == 8) return 7;               // TTL -> hop limit
  if (p == 9) return 6;               // protocol -> next header
  if (p >= 12 && p <= 15) return 8;   // source address
  if (p >= 16 && p <= 19) return 24;  // destination address
  return -1;                          // identification, flags, fragment offset, checksum
}

// RFC 7915 figure 6, the other way.
int pointer_6_to_4(uint32_t p) {
  if (p <= 1) return static_cast<int>(p);  // version/traffic class, traffic class/flow label
  if (p == 4 || p == 5) return 2;          // payload length -> total length
  if (p == 6) return 9;                    // next header -> protocol
  if (p == 7) return 8;                    // hop limit -> TTL
  if (p >= 8 && p <= 23) return 12;        // source address
  if (p >= 24 && p <= 39) return 16;       // destination address
  return -1;                               // flow label, past the header
}

}  // namespace

std::optional<IcmpHead> icmp4_error_to_v6(const IcmpHead& h) {
  switch (h.type) {
    case kIcmpDestUnreachable:
      switch (h.code) {
        case 0:
        case 1:
        case 5:
        case 6:
        case 7:
        case 8:
        case 11:
        case 12:
          return IcmpHead{.type = kIcmpv6DestUnreachable, .code = 0};  // no route
        case 2:  // protocol unreachable: the IPv6 header's next header field is wrong
          return IcmpHead{.type = kIcmpv6ParamProblem, .code = 1, .rest = 6};
        case 3:
          return IcmpHead{.type = kIcmpv6DestUnreachable, .code = 4};  // port unreachable
        case kIcmpCodeFragNeeded: {
          const uint32_t mtu = h.rest & 0xffff;
          // A router of before RFC 1191 says 0: nothing to translate into a size.
          if (mtu == 0) return std::nullopt;
          return IcmpHead{.type = kIcmpv6PacketTooBig, .code = 0, .rest = mtu + kSiitHeaderGrowth};
        }
        case 9:
        case 10:
        case 13:
        case 15:
          return IcmpHead{.type = kIcmpv6DestUnreachable, .code = 1};  // prohibited
        default:  // 14 (host precedence violation) and unknown codes
          return std::nullopt;
      }
    case kIcmpTimeExceeded:
      return IcmpHead{.type = kIcmpv6TimeExceeded, .code = h.code};
    case kIcmpParamProblem: {
      if (h.code != 0 && h.code != 2) return std::nullopt;  // 1: missing option
      const int ptr = pointer_4_to_6(static_cast<uint8_t>(h.rest >> 24));
      if (ptr < 0) return std::nullopt;
      return IcmpHead{.type = kIcmpv6ParamProblem, .code = 0, .rest = static_cast<uint32_t>(ptr)};
    }
    default:  // source quench, redirect, and the rest: not translated
      return std::nullopt;
  }
}

std::optional<IcmpHead> icmp6_error_to_v4(const IcmpHead& h) {
  switch (h.type) {
    case kIcmpv6DestUnreachable:
      switch (h.code) {
        case 0:
        case 2:
        case 3:
          return IcmpHead{.type = kIcmpDestUnreachable, .code = 1};  // host unreachable
        case 1:
          return IcmpHead{.type = kIcmpDestUnreachable, .code = 10};  // prohibited
        case 4:
          return IcmpHead{.type = kIcmpDestUnreachable, .code = 3};  // port unreachable
        default:
          return std::nullopt;
      }
    case kIcmpv6PacketTooBig: {
      // IPv4's field has 16 bits; an MTU below what the headers need says nothing.
      if (h.rest <= kSiitHeaderGrowth + 68) return std::nullopt;
      const uint32_t mtu = h.rest - kSiitHeaderGrowth;
      return IcmpHead{.type = kIcmpDestUnreachable,
                      .code = kIcmpCodeFragNeeded,
                      .rest = mtu > 0xffff ? 0xffff : mtu};
    }
    case kIcmpv6TimeExceeded:
      return IcmpHead{.type = kIcmpTimeExceeded, .code = h.code};
    case kIcmpv6ParamProblem: {
      if (h.code == 1) return IcmpHead{.type = kIcmpDestUnreachable, .code = 2};  // protocol
      if (h.code != 0) return std::nullopt;
      const int ptr = pointer_6_to_4(h.rest);
      if (ptr < 0) return std::nullopt;
      return IcmpHead{
          .type = kIcmpParamProblem, .code = 0, .rest = static_cast<uint32_t>(ptr) << 24};
    }
    default:
      return std::nullopt;
  }
}

bool ipv6_routing_pending(const uint8_t* l3, const uint8_t* l4) {
  uint8_t nh = ipv6::next_header(l3);
  for (const uint8_t* h = l3 + kIpv6HeaderLen; h < l4;) {
    if (nh == kIpv6ExtRouting && h[3] != 0) return true;
    const size_t len = nh == kIpv6ExtFragment ? kIpv6FragHeaderLen
                       : nh == kIpv6ExtAuth   ? (size_t{h[1]} + 2) * 4
                                              : (size_t{h[1]} + 1) * 8;
    nh = h[0];
    h += len;
  }
  return false;
}

}  // namespace gale::net
