// IPv6 (RFC 8200): fixed header layout, extension header numbers, and a builder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "net/addr.h"
#include "net/bytes.h"

namespace gale::net {

inline constexpr size_t kIpv6HeaderLen = 40;
inline constexpr size_t kIpv6FragHeaderLen = 8;
// Extension headers walked before a packet is called hostile (RFC 8200 recommends
// each appear at most once; eight covers every legitimate chain).
inline constexpr int kMaxIpv6ExtHeaders = 8;

inline constexpr uint8_t kIpv6ExtHopByHop = 0;
inline constexpr uint8_t kIpv6ExtRouting = 43;
inline constexpr uint8_t kIpv6ExtFragment = 44;
inline constexpr uint8_t kIpv6ExtEsp = 50;
inline constexpr uint8_t kIpv6ExtAuth = 51;
inline constexpr uint8_t kIpv6NoNext = 59;
inline constexpr uint8_t kIpv6ExtDestOpts = 60;

namespace ipv6 {
inline uint8_t version(const uint8_t* p) {
  return p[0] >> 4;
}
inline uint8_t traffic_class(const uint8_t* p) {
  return static_cast<uint8_t>((load_be16(p) >> 4) & 0xff);
}
inline uint32_t flow_label(const uint8_t* p) {
  return load_be32(p) & 0xfffff;
}
inline uint16_t payload_len(const uint8_t* p) {
  return load_be16(p + 4);
}
inline uint8_t next_header(const uint8_t* p) {
  return p[6];
}
inline uint8_t hop_limit(const uint8_t* p) {
  return p[7];
}
inline const uint8_t* src_bytes(const uint8_t* p) {
  return p + 8;
}
inline const uint8_t* dst_bytes(const uint8_t* p) {
  return p + 24;
}
inline Ipv6Addr src(const uint8_t* p) {
  Ipv6Addr a;
  std::memcpy(a.b.data(), p + 8, 16);
  return a;
}
inline Ipv6Addr dst(const uint8_t* p) {
  Ipv6Addr a;
  std::memcpy(a.b.data(), p + 24, 16);
  return a;
}
inline void set_src(uint8_t* p, const Ipv6Addr& a) {
  std::memcpy(p + 8, a.b.data(), 16);
}
inline void set_dst(uint8_t* p, const Ipv6Addr& a) {
  std::memcpy(p + 24, a.b.data(), 16);
}
inline void set_hop_limit(uint8_t* p, uint8_t h) {
  p[7] = h;
}
}  // namespace ipv6

struct Ipv6Fields {
  Ipv6Addr src;
  Ipv6Addr dst;
  uint8_t next_header = 0;
  uint16_t payload_len = 0;  // everything after the fixed 40 bytes
  uint8_t hop_limit = 64;
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;
};

inline void write_ipv6(uint8_t* p, const Ipv6Fields& f) {
  store_be32(p, (6u << 28) | (uint32_t{f.traffic_class} << 20) | (f.flow_label & 0xfffff));
  store_be16(p + 4, f.payload_len);
  p[6] = f.next_header;
  p[7] = f.hop_limit;
  std::memcpy(p + 8, f.src.b.data(), 16);
  std::memcpy(p + 24, f.dst.b.data(), 16);
}

}  // namespace gale::net
