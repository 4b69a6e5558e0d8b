// TCP segments for the fuzz targets, written and read without net/'s builders or
// checksum code: a frame writer (Ethernet, IPv4 or IPv6, TCP with options and payload,
// checksums by a plain RFC 1071 sum) and a reader of what a worker sent, so that a
// target checks the worker against code that shares nothing with it but net::parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "net/bytes.h"
#include "net/parse.h"

namespace gale::fuzz {

// RFC 1071, the plain way: 16-bit big-endian words summed with end-around carry.
inline uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i < n; i += 2) {
    sum += static_cast<uint32_t>(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return sum;
}
inline uint16_t fold(uint32_t sum) {
  while (sum > 0xffff)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The TCP checksum's sum over the pseudo-header and the segment at l4 (len bytes).
inline uint16_t tcp_sum(bool v6, const uint8_t* l3, const uint8_t* l4, size_t len) {
  uint32_t s = v6 ? sum16(l3 + 8, 32) : sum16(l3 + 12, 8);
  s += 6 + static_cast<uint32_t>(len & 0xffff) + static_cast<uint32_t>(len >> 16);
  return fold(sum16(l4, len, fold(s)));
}

// One segment to write; addresses are 4 or 16 bytes by `v6`.
struct SegmentSpec {
  bool v6 = false;
  const uint8_t* dmac = nullptr;
  const uint8_t* src = nullptr;
  const uint8_t* dst = nullptr;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  std::vector<uint8_t> options;  // padded at the end with NOPs to 4 bytes
  std::vector<uint8_t> payload;
  bool corrupt = false;  // a TCP checksum that does not verify
};

inline std::vector<uint8_t> write_segment(const SegmentSpec& s) {
  std::vector<uint8_t> opts = s.options;
  while (opts.size() % 4)
    opts.push_back(1);
  const size_t l3_len = s.v6 ? 40 : 20;
  const size_t l4_len = 20 + opts.size() + s.payload.size();
  std::vector<uint8_t> f(14 + l3_len + l4_len);
  uint8_t* d = f.data();
  std::memcpy(d, s.dmac, 6);
  const uint8_t smac[6] = {0x02, 0, 0, 0, 0xee, 0x01};
  std::memcpy(d + 6, smac, 6);
  net::store_be16(d + 12, s.v6 ? 0x86dd : 0x0800);
  uint8_t* l3 = d + 14;
  if (s.v6) {
    l3[0] = 0x60;
    net::store_be16(l3 + 4, static_cast<uint16_t>(l4_len));
    l3[6] = 6;
    l3[7] = 64;
    std::memcpy(l3 + 8, s.src, 16);
    std::memcpy(l3 + 24, s.dst, 16);
  } else {
    l3[0] = 0x45;
    net::store_be16(l3 + 2, static_cast<uint16_t>(20 + l4_len));
    net::store_be16(l3 + 6, 0x4000);  // DF
    l3[8] = 64;
    l3[9] = 6;
    std::memcpy(l3 + 12, s.src, 4);
    std::memcpy(l3 + 16, s.dst, 4);
    net::store_be16(l3 + 10, static_cast<uint16_t>(~fold(sum16(l3, 20))));
  }
  uint8_t* l4 = l3 + l3_len;
  net::store_be16(l4, s.sport);
  net::store_be16(l4 + 2, s.dport);
  net::store_be32(l4 + 4, s.seq);
  net::store_be32(l4 + 8, s.ack);
  l4[12] = static_cast<uint8_t>((20 + opts.size()) / 4 << 4);
  l4[13] = s.flags;
  net::store_be16(l4 + 14, 65535);
  if (!opts.empty()) std::memcpy(l4 + 20, opts.data(), opts.size());
  if (!s.payload.empty()) std::memcpy(l4 + 20 + opts.size(), s.payload.data(), s.payload.size());
  uint16_t c = static_cast<uint16_t>(~tcp_sum(s.v6, l3, l4, l4_len));
  if (s.corrupt) c ^= 0x0101;
  net::store_be16(l4 + 16, c);
  return f;
}

// What a sent frame says, read with plain code once net::parse accepted it.
struct SentSegment {
  net::ParsedPacket pp;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  const uint8_t* options = nullptr;
  size_t options_len = 0;
  const uint8_t* payload = nullptr;
  size_t payload_len = 0;
  bool ip_ok = false;   // IPv4 header checksum (IPv6: true)
  bool tcp_ok = false;  // TCP checksum
};

// False when the frame is not one TCP segment with consistent lengths.
inline bool read_segment(const uint8_t* d, size_t len, SentSegment& s) {
  if (net::parse({d, len}, s.pp) != net::ParseError::ok) return false;
  const net::ParsedPacket& pp = s.pp;
  if (pp.proto != 6 || pp.l3_end != len) return false;
  const bool v6 = pp.family == net::Family::v6;
  const uint8_t* l3 = d + pp.l3_off;
  const uint8_t* l4 = d + pp.l4_off;
  if (pp.l4_off - pp.l3_off != (v6 ? 40 : 20)) return false;
  const size_t ip_len = v6 ? 40u + net::load_be16(l3 + 4) : net::load_be16(l3 + 2);
  if (ip_len != len - pp.l3_off) return false;
  const size_t hl = size_t{l4[12]} >> 4 << 2;
  if (hl < 20 || pp.l4_off + hl > len || pp.payload_off != pp.l4_off + hl) return false;
  s.seq = net::load_be32(l4 + 4);
  s.ack = net::load_be32(l4 + 8);
  s.flags = l4[13];
  s.options = l4 + 20;
  s.options_len = hl - 20;
  s.payload = l4 + hl;
  s.payload_len = len - pp.l4_off - hl;
  s.ip_ok = v6 || fold(sum16(l3, 20)) == 0xffff;
  s.tcp_ok = tcp_sum(v6, l3, l4, len - pp.l4_off) == 0xffff;
  return true;
}

// Calls on(kind, body, body_len) for each option; false when the list is malformed.
template <typename On>
bool each_option(const uint8_t* p, size_t n, On on) {
  size_t i = 0;
  while (i < n) {
    if (p[i] == 0) return true;
    if (p[i] == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= n || p[i + 1] < 2 || i + p[i + 1] > n) return false;
    on(p[i], p + i + 2, static_cast<size_t>(p[i + 1] - 2));
    i += p[i + 1];
  }
  return true;
}

}  // namespace gale::fuzz
