// Flow keys: the 5-tuple of one direction of a connection, packed for hashing and
// comparing as whole machine words. Pad bytes are always zero, so equality is memcmp.
#pragma once

#include <cstdint>
#include <cstring>

#include "net/addr.h"
#include "net/parse.h"

namespace gale::lb {

// IPv4: 13 bytes of tuple in 16.
struct FlowKeyV4 {
  uint32_t src = 0;  // host order, as net::Ipv4Addr
  uint32_t dst = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  uint8_t pad[3] = {};

  static constexpr net::Family family = net::Family::v4;
  static FlowKeyV4 make(const net::IpAddr& src, uint16_t sport, const net::IpAddr& dst,
                        uint16_t dport, uint8_t proto) {
    return FlowKeyV4{
        .src = src.v4().v, .dst = dst.v4().v, .sport = sport, .dport = dport, .proto = proto};
  }
  net::IpAddr src_ip() const { return net::Ipv4Addr{src}; }
  net::IpAddr dst_ip() const { return net::Ipv4Addr{dst}; }
  friend bool operator==(const FlowKeyV4& a, const FlowKeyV4& b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
  }
};
static_assert(sizeof(FlowKeyV4) == 16);

// IPv6: 37 bytes of tuple in 40.
struct FlowKeyV6 {
  uint8_t src[16] = {};
  uint8_t dst[16] = {};
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  uint8_t pad[3] = {};

  static constexpr net::Family family = net::Family::v6;
  static FlowKeyV6 make(const net::IpAddr& s, uint16_t sport, const net::IpAddr& d, uint16_t dport,
                        uint8_t proto) {
    FlowKeyV6 k;
    std::memcpy(k.src, s.b.data(), 16);
    std::memcpy(k.dst, d.b.data(), 16);
    k.sport = sport;
    k.dport = dport;
    k.proto = proto;
    return k;
  }
  net::IpAddr src_ip() const {
    net::Ipv6Addr a;
    std::memcpy(a.b.data(), src, 16);
    return a;
  }
  net::IpAddr dst_ip() const {
    net::Ipv6Addr a;
    std::memcpy(a.b.data(), dst, 16);
    return a;
  }
  friend bool operator==(const FlowKeyV6& a, const FlowKeyV6& b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
  }
};
static_assert(sizeof(FlowKeyV6) == 40);

// The key of a parsed packet's own direction.
template <typename Key>
inline Key key_of(const net::FiveTuple& t) {
  return Key::make(t.src, t.sport, t.dst, t.dport, t.proto);
}

// NAT64 (lb/nat64.h): a connection of an IPv6 client to an IPv4 server lives in the
// IPv6 table, and its reply key there is the server's IPv4 tuple (each address in the
// first 4 of its 16 bytes, as IpAddr keeps it), marked apart from IPv6 tuples by this
// pad byte.
inline constexpr uint8_t kNat64KeyMark = 0x64;
inline FlowKeyV6 nat64_key(const net::IpAddr& src, uint16_t sport, const net::IpAddr& dst,
                           uint16_t dport, uint8_t proto) {
  FlowKeyV6 k = FlowKeyV6::make(src, sport, dst, dport, proto);
  k.pad[1] = kNat64KeyMark;
  return k;
}

// Seeded hash of a key's words: a multiply-xorshift per word and a final avalanche,
// cheap enough for every packet. The seed is secret per worker, so an attacker cannot
// aim a flood of tuples at one bucket.
template <typename Key>
inline uint64_t hash_key(const Key& k, uint64_t seed) {
  static_assert(sizeof(Key) % 8 == 0);
  uint64_t w[sizeof(Key) / 8];
  std::memcpy(w, &k, sizeof k);
  uint64_t h = seed;
  for (size_t i = 0; i < sizeof(Key) / 8; ++i) {
    h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
  }
  h *= 0xd6e8feb86659fd93ULL;
  return h ^ (h >> 32);
}

}  // namespace gale::lb
