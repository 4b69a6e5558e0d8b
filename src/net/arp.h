// ARP for IPv4 over Ethernet (RFC 826): the only ARP the dataplane sees. gale never
// answers ARP itself (the kernel does); it parses ARP to classify and to learn.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/addr.h"
#include "net/bytes.h"
#include "net/ethernet.h"

namespace gale::net {

inline constexpr size_t kArpLen = 28;
inline constexpr uint16_t kArpRequest = 1;
inline constexpr uint16_t kArpReply = 2;

struct ArpPacket {
  uint16_t op = 0;
  MacAddr sender_mac;
  Ipv4Addr sender_ip;
  MacAddr target_mac;
  Ipv4Addr target_ip;
};

// Parses an Ethernet/IPv4 ARP body; false if too short or not Ethernet/IPv4.
inline bool parse_arp(Bytes body, ArpPacket& out) {
  if (body.size() < kArpLen) return false;
  const uint8_t* p = body.data();
  if (load_be16(p) != 1 || load_be16(p + 2) != kEtherTypeIpv4 || p[4] != 6 || p[5] != 4)
    return false;
  out.op = load_be16(p + 6);
  std::memcpy(out.sender_mac.b.data(), p + 8, 6);
  out.sender_ip = Ipv4Addr{load_be32(p + 14)};
  std::memcpy(out.target_mac.b.data(), p + 18, 6);
  out.target_ip = Ipv4Addr{load_be32(p + 24)};
  return true;
}

// Writes a 28-byte ARP body.
inline void write_arp(uint8_t* p, const ArpPacket& a) {
  store_be16(p, 1);
  store_be16(p + 2, kEtherTypeIpv4);
  p[4] = 6;
  p[5] = 4;
  store_be16(p + 6, a.op);
  std::memcpy(p + 8, a.sender_mac.b.data(), 6);
  store_be32(p + 14, a.sender_ip.v);
  std::memcpy(p + 18, a.target_mac.b.data(), 6);
  store_be32(p + 24, a.target_ip.v);
}

}  // namespace gale::net
