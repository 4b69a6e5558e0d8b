// Loads and stores of network-byte-order fields at any alignment. Packet headers sit at
// odd offsets (an IPv4 header follows a 14-byte Ethernet header), so every access goes
// through memcpy, which the compiler turns into a plain (unaligned) load and a bswap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace gale::net {

using Bytes = std::span<const uint8_t>;
using MutBytes = std::span<uint8_t>;

inline uint16_t load_be16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline uint32_t load_be32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}

}  // namespace gale::net
