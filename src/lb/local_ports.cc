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
  for (auto& ids : live_)
    ids.clear();
  for (size_t id = 0; id < snap.fullnat.laddrs.size(); ++id)
    if (snap.fullnat.is_live(id))
      live_[snap.fullnat.laddrs[id].is_v6()].push_back(static_cast<uint8_t>(id));
}

uint16_t LocalPorts::owner(uint16_t lport, uint16_t self) const {
  if (lport < range_lo_) return self;
  return static_cast<uint16_t>(
      std::min<uint32_t>((lport - range_lo_) / per_worker_, workers_ - 1u));
}

template <typename Key>
bool LocalPorts::pick(const FlowTracker& flows, const Snapshot& snap, const RealServer& rs,
                      uint16_t rsport, uint8_t proto, NatAddrs& a, uint8_t& laddr_id) {
  const std::vector<uint8_t>& ids = live_[rs.addr.is_v6()];
  if (ids.empty()) return false;  // finalize() refuses such a config
  const uint32_t range = uint32_t{hi_} - lo_ + 1;
  // A (local address, port) pair is free when no flow's reply key uses it toward this
  // real server: ports are reused across real servers, as connect() does.
  // One cursor walks the (address, port) pairs, addresses fastest.
  for (int attempt = 0; attempt < 64; ++attempt) {
    const uint64_t c = cursor_++;
    const uint8_t id = ids[c % ids.size()];
    const net::IpAddr& laddr = snap.fullnat.laddrs[id];
    const uint16_t port = static_cast<uint16_t>(lo_ + (c / ids.size()) % range);
    const Key rk = Key::make(rs.addr, rsport, laddr, port, proto);
    if (flows.find(rk, true) == kNoRef) {
      a.laddr = laddr;
      a.lport = port;
      laddr_id = id;
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
