// The Maglev table builder. The paper's population loop, with turns rationed by weight:
// in each round every backend earns its weight in credit and takes a turn only when it
// has max_weight of credit, so over R rounds backend i takes floor(R x w_i / w_max)
// turns: shares exact to within one entry whatever the weights' size or ratio.
#include "lb/maglev.h"

#include <algorithm>
#include <bit>
#include <numeric>

namespace gale::lb {
namespace {

// Two unrelated seeds give the two independent hashes the paper asks for.
constexpr uint64_t kOffsetSeed = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kSkipSeed = 0xc2b2ae3d27d4eb4fULL;

uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | p[i];
  return v;
}

// One backend's walk through its preference list (the paper's permutation row,
// generated as it is consumed rather than stored).
struct Walk {
  uint32_t pos;     // the next preferred entry
  uint32_t skip;    // in [1, size - 1]; size prime, so the walk visits every entry
  uint64_t credit;  // weight earned and not yet spent on a turn
  uint32_t weight;
  uint16_t index;  // into the caller's backends
};

}  // namespace

bool is_prime(uint32_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (uint64_t d = 3; d * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

uint64_t maglev_key(const net::IpAddr& addr, uint16_t port) {
  // Bytes are read big-endian on purpose: the key must not depend on the host.
  uint64_t h = maglev_mix(load_be64(addr.b.data()) ^ kOffsetSeed);
  h = maglev_mix(h ^ load_be64(addr.b.data() + 8));
  return maglev_mix(h ^ ((static_cast<uint64_t>(addr.family) << 16) | port));
}

std::vector<uint16_t> build_maglev(std::span<const MaglevBackend> backends, uint32_t size) {
  if (!is_prime(size) || backends.size() >= kNoBackend) return {};
  std::vector<uint16_t> table(size, kNoBackend);

  std::vector<Walk> walks;
  walks.reserve(backends.size());
  uint32_t max_weight = 0;
  for (size_t i = 0; i < backends.size(); ++i) {
    const MaglevBackend& b = backends[i];
    if (b.weight == 0) continue;
    uint64_t offset = maglev_mix(b.key ^ kOffsetSeed);
    uint64_t skip = maglev_mix(std::rotl(b.key, 32) ^ kSkipSeed);
    walks.push_back({.pos = static_cast<uint32_t>(offset % size),
                     .skip = static_cast<uint32_t>(skip % (size - 1) + 1),
                     .credit = 0,
                     .weight = b.weight,
                     .index = static_cast<uint16_t>(i)});
    max_weight = std::max(max_weight, b.weight);
  }
  if (walks.empty()) return table;
  // Sorted by key, the turns come in the same order on every node.
  std::sort(walks.begin(), walks.end(), [&](const Walk& a, const Walk& b) {
    const MaglevBackend& x = backends[a.index];
    const MaglevBackend& y = backends[b.index];
    return x.key != y.key ? x.key < y.key : x.weight < y.weight;
  });

  uint32_t filled = 0;
  for (;;) {
    for (Walk& w : walks) {
      w.credit += w.weight;
      if (w.credit < max_weight) continue;
      w.credit -= max_weight;
      while (table[w.pos] != kNoBackend) {
        w.pos += w.skip;
        if (w.pos >= size) w.pos -= size;
      }
      table[w.pos] = w.index;
      if (++filled == size) return table;
    }
  }
}

}  // namespace gale::lb
