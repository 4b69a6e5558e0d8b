// Ethernet II and 802.1Q/802.1ad VLAN tags: layout, accessors and builders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "net/addr.h"
#include "net/bytes.h"

namespace gale::net {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // 802.1Q
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;  // 802.1ad service tag
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;

inline constexpr size_t kEthHeaderLen = 14;
inline constexpr size_t kVlanTagLen = 4;
// Tags walked before the parser gives up (QinQ is two; more is malformed or hostile).
inline constexpr int kMaxVlanTags = 2;

inline bool is_vlan_ethertype(uint16_t t) {
  return t == kEtherTypeVlan || t == kEtherTypeQinQ;
}

inline MacAddr eth_dst(const uint8_t* eth) {
  MacAddr m;
  std::memcpy(m.b.data(), eth, 6);
  return m;
}
inline MacAddr eth_src(const uint8_t* eth) {
  MacAddr m;
  std::memcpy(m.b.data(), eth + 6, 6);
  return m;
}
inline void set_eth_dst(uint8_t* eth, const MacAddr& m) {
  std::memcpy(eth, m.b.data(), 6);
}
inline void set_eth_src(uint8_t* eth, const MacAddr& m) {
  std::memcpy(eth + 6, m.b.data(), 6);
}

// Writes a 14-byte Ethernet header.
inline void write_eth(uint8_t* p, const MacAddr& dst, const MacAddr& src, uint16_t ethertype) {
  set_eth_dst(p, dst);
  set_eth_src(p, src);
  store_be16(p + 12, ethertype);
}

// Writes a 4-byte VLAN tag (TPID, TCI) followed by the next ethertype's slot: the caller
// writes the encapsulated ethertype at p + 2 + 2.
inline void write_vlan_tag(uint8_t* p, uint16_t tpid, uint16_t tci) {
  store_be16(p, tpid);
  store_be16(p + 2, tci);
}

}  // namespace gale::net
