#include "lb/client_routes.h"

namespace gale::lb {

std::vector<net::IpAddr> NeighbourMisses::take() {
  std::vector<net::IpAddr> out;
  for (Slot& s : slots_) {
    const uint8_t f = s.family.exchange(0, std::memory_order_acquire);
    if (f == 0) continue;
    net::IpAddr a;
    a.family = static_cast<net::Family>(f - 1);
    const uint64_t hi = s.hi.load(std::memory_order_relaxed);
    const uint64_t lo = s.lo.load(std::memory_order_relaxed);
    std::memcpy(a.b.data(), &hi, 8);
    std::memcpy(a.b.data() + 8, &lo, 8);
    out.push_back(a);
  }
  return out;
}

void ClientRoutes::sort() {
  for (auto* table : {&v4, &v6})
    std::stable_sort(table->begin(), table->end(),
                     [](const Route& a, const Route& b) { return a.len > b.len; });
  std::sort(neighbours.begin(), neighbours.end(), [](const Neighbour& a, const Neighbour& b) {
    return a.addr != b.addr ? a.addr < b.addr : a.link < b.link;
  });
}

}  // namespace gale::lb
