// The Maglev consistent-hash table (Eisenbud et al., NSDI 2016): a pure builder and an
// O(1) lookup. Every gale node builds the same table from the same backends, so a flow
// that ECMP moves to another node keeps its real server; removing one of N backends
// moves little more than its own 1/N of the entries. Weights follow IPVS's mh: a
// backend takes turns to claim entries in proportion to its weight. See docs/maglev.md.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "net/addr.h"

namespace gale::lb {

// One backend as the builder sees it.
struct MaglevBackend {
  uint64_t key;     // stable identity, the same on every node (see maglev_key)
  uint32_t weight;  // 0: no entries
};

// A prime above 100 x 655 backends keeps each backend's share within 1% (docs/maglev.md).
inline constexpr uint32_t kDefaultMaglevSize = 65537;
// A table entry that maps to no backend (no backend, or every weight 0).
inline constexpr uint16_t kNoBackend = 0xffff;

// True when n is prime; the table size must be (config validation calls this).
bool is_prime(uint32_t n);

// The 64-bit finaliser every lb hash is built from (splitmix64's): a bijection whose
// output bits each depend on every input bit.
constexpr uint64_t maglev_mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// A backend key from its address and port, the same on every node and across restarts.
uint64_t maglev_key(const net::IpAddr& addr, uint16_t port);

// Builds the lookup table: entry i holds the index (into backends) of the backend for
// hash values h with h % size == i. Deterministic: the same backends in any order give
// every key the same entries (the builder works on them sorted by key; keys must be
// unique). Returns an empty vector when size is not prime or there are kNoBackend or
// more backends; every entry is kNoBackend when no backend has a weight.
// Off the fast path: allocates, O(size x max_weight / sum_weight x N) at worst.
std::vector<uint16_t> build_maglev(std::span<const MaglevBackend> backends,
                                   uint32_t size = kDefaultMaglevSize);

// The backend index for a hash, or kNoBackend. table must not be empty.
inline uint16_t maglev_lookup(std::span<const uint16_t> table, uint64_t hash) {
  return table[hash % table.size()];
}

}  // namespace gale::lb
