// Internet checksums: full (RFC 1071) and incremental (RFC 1624), and the TCP/UDP
// pseudo-headers of both families.
//
// Convention: every 16-bit value here is the field's numeric value as load_be16() reads
// it, and every function returns what store_be16() should write. The 32-bit "sum" is an
// unfolded ones'-complement accumulator in the same convention.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "net/addr.h"

namespace gale::net {

// Adds len bytes at p to sum. Bytes are taken as big-endian 16-bit words; an odd final
// byte is padded with zero. Only the last piece of a multi-piece sum may be odd.
uint32_t csum_partial(const uint8_t* p, size_t len, uint32_t sum = 0);

// Folds a 32-bit accumulator to 16 bits (end-around carry), without complementing.
inline uint16_t csum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Whether an IPv4 header of `hl` bytes (a multiple of 4: IHL x 4) sums to all ones, its
// checksum included (RFC 1071). Per packet on the fast path, so 32-bit words into a
// 64-bit accumulator, no call: a one's-complement sum is the same in either byte order
// up to a swap, and all ones is all ones either way.
inline bool ipv4_header_sums_ok(const uint8_t* ip, size_t hl) {
  const auto word = [ip](size_t at) {
    uint32_t w;
    std::memcpy(&w, ip + at, 4);
    return uint64_t{w};
  };
  // The 20 bytes every header has, unrolled; then the options, if any.
  uint64_t sum = word(0) + word(4) + word(8) + word(12) + word(16);
  for (size_t i = 20; i < hl; i += 4)
    sum += word(i);
  // Folding keeps the value modulo 0xffff (2^16 = 1 there), and folds a sum that is not
  // zero to 1..0xffff: it folds to 0xffff exactly when it is a nonzero multiple of
  // 0xffff. The compiler makes the modulo a multiply, fewer steps than four folds.
  return sum != 0 && sum % 0xffff == 0;
}

// The checksum to store for len bytes at p (the field itself zeroed or excluded).
inline uint16_t checksum(const uint8_t* p, size_t len, uint32_t sum = 0) {
  return static_cast<uint16_t>(~csum_fold(csum_partial(p, len, sum)));
}

inline uint32_t csum_add16(uint32_t sum, uint16_t v) {
  return sum + v;
}
inline uint32_t csum_add32(uint32_t sum, uint32_t v) {
  return sum + (v >> 16) + (v & 0xffff);
}

// Pseudo-header sums (RFC 793 / RFC 768 for IPv4, RFC 8200 section 8.1 for IPv6).
inline uint32_t pseudo_header_v4(Ipv4Addr src, Ipv4Addr dst, uint8_t proto, uint16_t l4_len) {
  return csum_add32(csum_add32(0, src.v), dst.v) + proto + l4_len;
}
uint32_t pseudo_header_v6(const uint8_t* src16, const uint8_t* dst16, uint8_t proto,
                          uint32_t l4_len);

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit word m changed to m'.
inline uint16_t csum_update16(uint16_t check, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  return static_cast<uint16_t>(~csum_fold(sum));
}
inline uint16_t csum_update32(uint16_t check, uint32_t old_v, uint32_t new_v) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~(old_v >> 16)) + static_cast<uint16_t>(~(old_v & 0xffff));
  sum += (new_v >> 16) + (new_v & 0xffff);
  return static_cast<uint16_t>(~csum_fold(sum));
}
// n bytes (even) at old_p replaced by n bytes at new_p, e.g. an IPv6 address.
uint16_t csum_update_bytes(uint16_t check, const uint8_t* old_p, const uint8_t* new_p, size_t n);

// UDP over IPv4 uses 0 for "no checksum": an absent checksum stays absent, and a
// computed 0 is sent as 0xffff (RFC 768).
inline uint16_t udp_csum_update32(uint16_t check, uint32_t old_v, uint32_t new_v) {
  if (check == 0) return 0;
  uint16_t c = csum_update32(check, old_v, new_v);
  return c == 0 ? 0xffff : c;
}
inline uint16_t udp_csum_update16(uint16_t check, uint16_t old_v, uint16_t new_v) {
  if (check == 0) return 0;
  uint16_t c = csum_update16(check, old_v, new_v);
  return c == 0 ? 0xffff : c;
}

}  // namespace gale::net
