// TCP (RFC 9293) and UDP (RFC 768): layouts, accessors and builders.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/bytes.h"

namespace gale::net {

inline constexpr size_t kTcpMinHeaderLen = 20;
inline constexpr size_t kTcpMaxHeaderLen = 60;  // data offset 15: 40 bytes of options
inline constexpr size_t kUdpHeaderLen = 8;

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;

inline constexpr uint8_t kTcpOptEnd = 0;
inline constexpr uint8_t kTcpOptNop = 1;
inline constexpr uint8_t kTcpOptMss = 2;
inline constexpr uint8_t kTcpOptSack = 5;  // RFC 2018: 2 + 8 bytes per block

// Walks type-length-value options in [p, end) where kinds 0 (end) and 1 (no-op) are
// one byte long: the shape shared by IPv4 and TCP options. Calls on_option(kind, at,
// len) for each longer option (`at`: its kind byte). False if an option's length runs
// past end.
template <typename Byte, typename OnOption>
bool walk_options(Byte* p, Byte* end, OnOption on_option) {
  while (p < end) {
    const uint8_t kind = p[0];
    if (kind == 0) return true;
    if (kind == 1) {
      ++p;
      continue;
    }
    if (end - p < 2) return false;
    const uint8_t len = p[1];
    if (len < 2 || len > end - p) return false;
    on_option(kind, p, len);
    p += len;
  }
  return true;
}

// Ports sit at the same offsets in TCP and UDP.
inline uint16_t l4_sport(const uint8_t* p) {
  return load_be16(p);
}
inline uint16_t l4_dport(const uint8_t* p) {
  return load_be16(p + 2);
}
inline void set_l4_sport(uint8_t* p, uint16_t v) {
  store_be16(p, v);
}
inline void set_l4_dport(uint8_t* p, uint16_t v) {
  store_be16(p + 2, v);
}

namespace tcp {
inline uint32_t seq(const uint8_t* p) {
  return load_be32(p + 4);
}
inline uint32_t ack(const uint8_t* p) {
  return load_be32(p + 8);
}
inline size_t header_len(const uint8_t* p) {
  return static_cast<size_t>(p[12] >> 4) * 4;
}
inline uint8_t flags(const uint8_t* p) {
  return p[13];
}
inline uint16_t window(const uint8_t* p) {
  return load_be16(p + 14);
}
inline uint16_t check(const uint8_t* p) {
  return load_be16(p + 16);
}
inline void set_check(uint8_t* p, uint16_t c) {
  store_be16(p + 16, c);
}
inline constexpr size_t kCheckOffset = 16;
}  // namespace tcp

namespace udp {
inline uint16_t length(const uint8_t* p) {
  return load_be16(p + 4);
}
inline uint16_t check(const uint8_t* p) {
  return load_be16(p + 6);
}
inline void set_check(uint8_t* p, uint16_t c) {
  store_be16(p + 6, c);
}
inline constexpr size_t kCheckOffset = 6;
}  // namespace udp

struct TcpFields {
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 65535;
};

// Writes a 20-byte TCP header with a zero checksum (the caller fills it).
inline void write_tcp(uint8_t* p, const TcpFields& f) {
  store_be16(p, f.sport);
  store_be16(p + 2, f.dport);
  store_be32(p + 4, f.seq);
  store_be32(p + 8, f.ack);
  p[12] = 5 << 4;
  p[13] = f.flags;
  store_be16(p + 14, f.window);
  store_be32(p + 16, 0);  // checksum, urgent pointer
}

// Writes an 8-byte UDP header with a zero checksum (the caller fills it, or leaves 0
// over IPv4 for "no checksum").
inline void write_udp(uint8_t* p, uint16_t sport, uint16_t dport, uint16_t length) {
  store_be16(p, sport);
  store_be16(p + 2, dport);
  store_be16(p + 4, length);
  store_be16(p + 6, 0);
}

}  // namespace gale::net
