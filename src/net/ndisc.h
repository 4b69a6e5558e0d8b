// IPv6 neighbour discovery (RFC 4861): the unsolicited Neighbor Advertisement a new
// VRRP master sends for each IPv6 VIP (section 7.2.6), IPv6's gratuitous ARP. A whole
// Ethernet frame, built without I/O; ha/vip.cc sends it on a packet socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "net/addr.h"
#include "net/bytes.h"
#include "net/checksum.h"
#include "net/ethernet.h"
#include "net/icmp.h"
#include "net/ipv6.h"

namespace gale::net {

inline constexpr uint8_t kIpProtoIcmpv6 = 58;
inline constexpr uint8_t kNdiscHopLimit = 255;  // RFC 4861 section 7.1: receivers check it
inline constexpr uint8_t kNaFlagRouter = 0x80;
inline constexpr uint8_t kNaFlagSolicited = 0x40;
inline constexpr uint8_t kNaFlagOverride = 0x20;
inline constexpr uint8_t kNdOptTargetLinkAddr = 2;

// ICMPv6 NA (type, code, checksum, flags + reserved, target) and one Target Link-Layer
// Address option (type, length in units of 8 bytes, the MAC).
inline constexpr size_t kNaLen = 24 + 8;
inline constexpr size_t kUnsolicitedNaFrameLen = kEthHeaderLen + kIpv6HeaderLen + kNaLen;

struct UnsolicitedNa {
  MacAddr mac;          // the interface's: Ethernet source and the target link-layer address
  Ipv6Addr target;      // the VIP; also the IPv6 source, as keepalived sends it
  bool router = false;  // the R flag: set when the interface forwards IPv6 (keepalived)
};

// Writes the frame to all-nodes (ff02::1, 33:33:00:00:00:01), hop limit 255, Override
// set, Solicited clear (RFC 4861 section 7.2.6), checksum over the IPv6 pseudo-header.
inline void write_unsolicited_na(std::span<uint8_t, kUnsolicitedNaFrameLen> f,
                                 const UnsolicitedNa& na) {
  uint8_t* p = f.data();
  const MacAddr all_nodes_mac{{0x33, 0x33, 0, 0, 0, 1}};
  Ipv6Addr all_nodes{};
  all_nodes.b[0] = 0xff;
  all_nodes.b[1] = 0x02;
  all_nodes.b[15] = 1;
  write_eth(p, all_nodes_mac, na.mac, kEtherTypeIpv6);
  uint8_t* ip = p + kEthHeaderLen;
  write_ipv6(ip, {.src = na.target,
                  .dst = all_nodes,
                  .next_header = kIpProtoIcmpv6,
                  .payload_len = static_cast<uint16_t>(kNaLen),
                  .hop_limit = kNdiscHopLimit});
  uint8_t* m = ip + kIpv6HeaderLen;
  m[0] = kIcmpv6NeighborAdvert;
  m[1] = 0;
  store_be16(m + 2, 0);
  m[4] = static_cast<uint8_t>(kNaFlagOverride | (na.router ? kNaFlagRouter : 0));
  m[5] = m[6] = m[7] = 0;
  std::memcpy(m + 8, na.target.b.data(), 16);
  m[24] = kNdOptTargetLinkAddr;
  m[25] = 1;
  std::memcpy(m + 26, na.mac.b.data(), 6);
  const uint32_t ph =
      pseudo_header_v6(na.target.b.data(), all_nodes.b.data(), kIpProtoIcmpv6, kNaLen);
  store_be16(m + 2, checksum(m, kNaLen, ph));
}

}  // namespace gale::net
