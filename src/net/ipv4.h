// IPv4 (RFC 791): header layout, accessors and a builder.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/addr.h"
#include "net/bytes.h"
#include "net/checksum.h"

namespace gale::net {

inline constexpr size_t kIpv4MinHeaderLen = 20;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoIgmp = 2;
inline constexpr uint8_t kProtoIpip = 4;  // IPv4 in IP
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIpv6 = 41;  // IPv6 in IP
inline constexpr uint8_t kProtoIcmpv6 = 58;
inline constexpr uint8_t kProtoVrrp = 112;

// Loose and strict source route options (RFC 791 3.1).
inline constexpr uint8_t kIpv4OptLsrr = 131;
inline constexpr uint8_t kIpv4OptSsrr = 137;

inline constexpr uint16_t kIpv4FlagDf = 0x4000;
inline constexpr uint16_t kIpv4FlagMf = 0x2000;
inline constexpr uint16_t kIpv4FragOffsetMask = 0x1fff;

// Field accessors over a header at p (at least 20 bytes, checked by the caller).
namespace ipv4 {
inline uint8_t version(const uint8_t* p) {
  return p[0] >> 4;
}
inline size_t header_len(const uint8_t* p) {
  return size_t{p[0] & 0x0fu} * 4;
}
inline uint8_t tos(const uint8_t* p) {
  return p[1];
}
inline uint16_t total_len(const uint8_t* p) {
  return load_be16(p + 2);
}
inline uint16_t id(const uint8_t* p) {
  return load_be16(p + 4);
}
inline uint16_t frag(const uint8_t* p) {
  return load_be16(p + 6);
}
inline uint8_t ttl(const uint8_t* p) {
  return p[8];
}
inline uint8_t proto(const uint8_t* p) {
  return p[9];
}
inline uint16_t check(const uint8_t* p) {
  return load_be16(p + 10);
}
inline Ipv4Addr src(const uint8_t* p) {
  return Ipv4Addr{load_be32(p + 12)};
}
inline Ipv4Addr dst(const uint8_t* p) {
  return Ipv4Addr{load_be32(p + 16)};
}

inline void set_check(uint8_t* p, uint16_t c) {
  store_be16(p + 10, c);
}
// Address rewrites keep the header checksum right incrementally.
inline void set_src(uint8_t* p, Ipv4Addr a) {
  set_check(p, csum_update32(check(p), src(p).v, a.v));
  store_be32(p + 12, a.v);
}
inline void set_dst(uint8_t* p, Ipv4Addr a) {
  set_check(p, csum_update32(check(p), dst(p).v, a.v));
  store_be32(p + 16, a.v);
}
// TTL is the high byte of the 16-bit word (TTL, protocol).
inline void set_ttl(uint8_t* p, uint8_t t) {
  uint16_t old_word = load_be16(p + 8);
  p[8] = t;
  set_check(p, csum_update16(check(p), old_word, load_be16(p + 8)));
}
// Recomputes the header checksum from scratch.
inline void fill_check(uint8_t* p) {
  set_check(p, 0);
  set_check(p, checksum(p, header_len(p)));
}
}  // namespace ipv4

struct Ipv4Fields {
  Ipv4Addr src;
  Ipv4Addr dst;
  uint8_t proto = 0;
  uint16_t total_len = 0;  // header + payload
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t id = 0;
  uint16_t frag = kIpv4FlagDf;  // flags and fragment offset
};

// Writes a 20-byte header (no options) with its checksum.
inline void write_ipv4(uint8_t* p, const Ipv4Fields& f) {
  p[0] = 0x45;
  p[1] = f.tos;
  store_be16(p + 2, f.total_len);
  store_be16(p + 4, f.id);
  store_be16(p + 6, f.frag);
  p[8] = f.ttl;
  p[9] = f.proto;
  store_be16(p + 10, 0);
  store_be32(p + 12, f.src.v);
  store_be32(p + 16, f.dst.v);
  store_be16(p + 10, checksum(p, kIpv4MinHeaderLen));
}

}  // namespace gale::net
