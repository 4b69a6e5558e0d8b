// The reference Internet checksum for tests: RFC 1071 written the plainest way, one
// big-endian 16-bit word at a time. Independent of net/checksum (which it checks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gale::test {

inline uint16_t ref_checksum(const std::vector<uint8_t>& data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    uint16_t word = static_cast<uint16_t>(data[i] << 8);
    if (i + 1 < data.size()) word = static_cast<uint16_t>(word | data[i + 1]);
    sum += word;
    while (sum > 0xffff)
      sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

}  // namespace gale::test
