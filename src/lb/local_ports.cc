#include "lb/local_ports.h"

#include <algorithm>

namespace gale::lb {

void LocalPorts::use(const Snapshot& snap, uint16_t worker, uint16_t workers) {
  const uint32_t lo = snap.fullnat.port_lo, hi = snap.fullnat.port_hi;
  const uint32_t per = (hi - lo + 1) / std::max<uint32_t>(workers, 1);
  range_lo_ = static_cast<uint16_t>(lo);
  workers_ = workers;
  lo_ = static_cast<uint16_t>(lo + worker * per);
  hi_ = static_cast<uint16_t>(worker + 1 == workers ? hi : lo_ + per - 1);
  per_worker_ = std::max<uint32_t>(per, 1);
}

uint16_t LocalPorts::owner(uint16_t lport, uint16_t self) const {
  if (lport < range_lo_) return self;
  return static_cast<uint16_t>(
      std::min<uint32_t>((lport - range_lo_) / per_worker_, workers_ - 1u));
}

template <typename Key>
bool LocalPorts::pick(const FlowTracker& flows, const Snapshot& snap, const RealServer& rs,
                      uint16_t rsport, uint8_t proto, NatAddrs& a, uint8_t& laddr_idx) {
  const auto& laddrs = snap.fullnat.laddrs;
  const uint32_t range = uint32_t{hi_} - lo_ + 1;
  // A (local address, port) pair is free when no flow's reply key uses it toward this
  // real server: ports are reused across real servers, as connect() does.
  // One cursor walks the (address, port) pairs, addresses fastest.
  for (int attempt = 0; attempt < 64; ++attempt) {
    const uint64_t c = cursor_++;
    const uint32_t li = static_cast<uint32_t>(c % laddrs.size());
    if (laddrs[li].family != rs.addr.family) continue;
    const uint16_t port = static_cast<uint16_t>(lo_ + (c / laddrs.size()) % range);
    const Key rk = Key::make(rs.addr, rsport, laddrs[li], port, proto);
    if (flows.find(rk, true) == kNoRef) {
      a.laddr = laddrs[li];
      a.lport = port;
      laddr_idx = static_cast<uint8_t>(li);
      return true;
    }
  }
  return false;
}

template bool LocalPorts::pick<FlowKeyV4>(const FlowTracker&, const Snapshot&, const RealServer&,
                                          uint16_t, uint8_t, NatAddrs&, uint8_t&);
template bool LocalPorts::pick<FlowKeyV6>(const FlowTracker&, const Snapshot&, const RealServer&,
                                          uint16_t, uint8_t, NatAddrs&, uint8_t&);

}  // namespace gale::lb
