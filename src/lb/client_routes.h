// Where replies to clients go (NAT and FullNAT replies, ICMP errors relayed to clients):
// the next hop per destination and family, from the host's routes and neighbours, as a
// Snapshot carries it. Read on the fast path: nothing here allocates or locks.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

#include "net/addr.h"

namespace gale::lb {

// Whether `a` lies in prefix/len (of the same family; host bits of `prefix` ignored).
inline bool in_prefix(const net::IpAddr& a, const net::IpAddr& prefix, uint8_t len) {
  if (a.family != prefix.family) return false;
  for (int bit = 0; bit < len; bit += 8) {
    const int n = std::min(8, len - bit);
    const uint8_t mask = static_cast<uint8_t>(0xff00 >> n);
    if ((a.b[bit / 8] ^ prefix.b[bit / 8]) & mask) return false;
  }
  return true;
}

// A route toward clients (replies of NAT and FullNAT, ICMP errors relayed to clients).
struct Route {
  net::IpAddr prefix;
  uint8_t len = 0;
  uint16_t link = 0;
  bool on_link = false;  // the client itself is the next hop: its MAC is a neighbour's
  net::MacAddr mac;      // the gateway's (zero while unresolved: counted no_neighbour)
};

// A host on an on-link prefix, as the kernel's neighbour table knows it.
struct Neighbour {
  net::IpAddr addr;
  uint16_t link = 0;
  net::MacAddr mac;
};

// On-link clients the reply path found no MAC for: galed reads them and asks the kernel
// to resolve them. Written only on that drop, so sharing it among workers costs the
// normal path nothing; two workers writing one slot at once can tear an address, which
// galed discards (it resolves only addresses inside an on-link route).
class NeighbourMisses {
 public:
  static constexpr uint32_t kSlots = 16;
  void note(const net::IpAddr& a) {
    uint64_t hi, lo;
    std::memcpy(&hi, a.b.data(), 8);
    std::memcpy(&lo, a.b.data() + 8, 8);
    Slot& s = slots_[next_.fetch_add(1, std::memory_order_relaxed) % kSlots];
    s.hi.store(hi, std::memory_order_relaxed);
    s.lo.store(lo, std::memory_order_relaxed);
    s.family.store(static_cast<uint8_t>(a.family) + 1, std::memory_order_release);
  }
  // The addresses noted since the last call (control plane).
  std::vector<net::IpAddr> take();

 private:
  struct Slot {
    std::atomic<uint8_t> family{0};  // 0: empty, else Family + 1
    std::atomic<uint64_t> hi{0}, lo{0};
  };
  std::atomic<uint32_t> next_{0};
  Slot slots_[kSlots];
};

// Where replies to clients go: per family, routes longest prefix first (a handful, so a
// scan beats a trie), and the on-link neighbours sorted by address. Lookups neither
// allocate nor lock.
struct ClientRoutes {
  std::vector<Route> v4, v6;
  std::vector<Neighbour> neighbours;
  // False in a hand-built snapshot (tests, benchmarks) that has no route table: replies
  // go to its client link's gateway_mac. galed's snapshots always carry one, even empty.
  bool from_host = false;
  // Orders routes and neighbours as the lookups need.
  void sort();
  const Route* find(const net::IpAddr& dst) const {
    for (const Route& r : dst.is_v4() ? v4 : v6)
      if (in_prefix(dst, r.prefix, r.len)) return &r;
    return nullptr;
  }
  const net::MacAddr* neighbour(const net::IpAddr& addr, uint16_t link) const {
    auto it = std::lower_bound(neighbours.begin(), neighbours.end(), addr,
                               [](const Neighbour& n, const net::IpAddr& a) { return n.addr < a; });
    for (; it != neighbours.end() && it->addr == addr; ++it)
      if (it->link == link) return &it->mac;
    return nullptr;
  }
};

}  // namespace gale::lb
