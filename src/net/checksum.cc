// The full checksum sums 32-bit native-order loads into a 64-bit accumulator (no carry
// handling needed below 2^32 words) and byte-swaps once at the end: ones'-complement sums
// commute with byte swapping (RFC 1071 section 2(B)), so native order is as good as
// network order until the result is folded.
#include "net/checksum.h"

#include <cstring>

namespace gale::net {

namespace {

uint64_t add_native(const uint8_t* p, size_t len) {
  uint64_t acc = 0;
  while (len >= 16) {
    uint32_t w[4];
    std::memcpy(w, p, 16);
    acc += uint64_t{w[0]} + w[1] + w[2] + w[3];
    p += 16;
    len -= 16;
  }
  while (len >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    len -= 2;
  }
  if (len == 1) {
    // Big-endian word [b, 0]: in native (little-endian) order that is b in the low byte.
    uint8_t last[2] = {p[0], 0};
    uint16_t w;
    std::memcpy(&w, last, 2);
    acc += w;
  }
  return acc;
}

uint16_t fold64(uint64_t acc) {
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  return csum_fold(static_cast<uint32_t>(acc));
}

}  // namespace

uint32_t csum_partial(const uint8_t* p, size_t len, uint32_t sum) {
  uint16_t native = fold64(add_native(p, len));
  uint16_t be = static_cast<uint16_t>(__builtin_bswap16(native));
  return static_cast<uint32_t>(csum_fold(sum)) + be;
}

uint32_t pseudo_header_v6(const uint8_t* src16, const uint8_t* dst16, uint8_t proto,
                          uint32_t l4_len) {
  uint32_t sum = csum_partial(src16, 16);
  sum = csum_partial(dst16, 16, sum);
  sum = csum_add32(sum, l4_len);
  return sum + proto;
}

uint16_t csum_update_bytes(uint16_t check, const uint8_t* old_p, const uint8_t* new_p, size_t n) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~csum_fold(csum_partial(old_p, n)));
  sum += csum_fold(csum_partial(new_p, n));
  return static_cast<uint16_t>(~csum_fold(sum));
}

}  // namespace gale::net
