#include "lb/local_ports.h"

#include <algorithm>
#include <type_traits>

namespace gale::lb {

void LocalPorts::use(const Snapshot& snap, uint16_t self, const ShardMap& owners) {
  owners_ = &owners;
  lo_ = snap.fullnat.port_lo;
  hi_ = snap.fullnat.port_hi;
  slices_.clear();
  owned_ = 0;
  for (uint32_t s = 0; s < kShards; ++s) {
    if (owners[s] != self) continue;
    const uint32_t first = local_port_slice_start(s, lo_, hi_);
    const uint32_t end = local_port_slice_start(s + 1, lo_, hi_);
    if (first == end) continue;  // a range narrower than kShards leaves slices empty
    if (slices_.empty() || slices_.back().port + (owned_ - slices_.back().first) != first)
      slices_.push_back({.first = owned_, .port = static_cast<uint16_t>(first)});
    owned_ += end - first;
  }
  for (auto& ids : live_)
    ids.clear();
  for (size_t id = 0; id < snap.fullnat.laddrs.size(); ++id)
    if (snap.fullnat.is_live(id))
      live_[snap.fullnat.laddrs[id].is_v6()].push_back(static_cast<uint8_t>(id));
}

uint16_t LocalPorts::nth_port(uint32_t n) const {
  auto it = std::upper_bound(slices_.begin(), slices_.end(), n,
                             [](uint32_t v, const Slice& s) { return v < s.first; });
  --it;  // slices_[0].first == 0 <= n
  return static_cast<uint16_t>(it->port + (n - it->first));
}

namespace {

// Whether a flow's reply key already uses (laddr, port) toward (rs, rsport). An IPv4
// local address serves IPv4 FullNAT and NAT64 connections alike, whose reply keys live
// in different tables (lb/flow_key.h, nat64_key): with NAT64 in the snapshot, both.
template <typename Key>
bool port_taken(const FlowTracker& flows, const Snapshot& snap, const net::IpAddr& rs,
                uint16_t rsport, const net::IpAddr& laddr, uint16_t port, uint8_t proto) {
  if constexpr (std::is_same_v<Key, FlowKeyV6>) {
    if (rs.is_v4())
      return flows.find(nat64_key(rs, rsport, laddr, port, proto), true) != kNoRef ||
             flows.find(FlowKeyV4::make(rs, rsport, laddr, port, proto), true) != kNoRef;
  } else if (snap.nat64 && flows.find(nat64_key(rs, rsport, laddr, port, proto), true) != kNoRef) {
    return true;
  }
  return flows.find(Key::make(rs, rsport, laddr, port, proto), true) != kNoRef;
}

}  // namespace

template <typename Key>
bool LocalPorts::pick(const FlowTracker& flows, const Snapshot& snap, const RealServer& rs,
                      uint16_t rsport, uint8_t proto, NatAddrs& a, uint8_t& laddr_id) {
  const std::vector<uint8_t>& ids = live_[rs.addr.is_v6()];
  if (ids.empty() || owned_ == 0) return false;  // finalize() refuses such a config
  // A (local address, port) pair is free when no flow's reply key uses it toward this
  // real server: ports are reused across real servers, as connect() does.
  // One cursor walks the (address, port) pairs, addresses fastest.
  for (int attempt = 0; attempt < 64; ++attempt) {
    const uint64_t c = cursor_++;
    const uint8_t id = ids[c % ids.size()];
    const net::IpAddr& laddr = snap.fullnat.laddrs[id];
    const uint16_t port = nth_port(static_cast<uint32_t>((c / ids.size()) % owned_));
    if (port_taken<Key>(flows, snap, rs.addr, rsport, laddr, port, proto)) continue;
    a.laddr = laddr;
    a.lport = port;
    laddr_id = id;
    return true;
  }
  return false;
}

template bool LocalPorts::pick<FlowKeyV4>(const FlowTracker&, const Snapshot&, const RealServer&,
                                          uint16_t, uint8_t, NatAddrs&, uint8_t&);
template bool LocalPorts::pick<FlowKeyV6>(const FlowTracker&, const Snapshot&, const RealServer&,
                                          uint16_t, uint8_t, NatAddrs&, uint8_t&);

Expected<void> check_fullnat_ports_change(const FullNat& running, const FullNat& next,
                                          uint64_t live_flows) {
  if (running.port_lo == next.port_lo && running.port_hi == next.port_hi) return {};
  if (live_flows == 0) return {};
  return fail("fullnat_ports " + std::to_string(running.port_lo) + "-" +
              std::to_string(running.port_hi) + " -> " + std::to_string(next.port_lo) + "-" +
              std::to_string(next.port_hi) + " would move the local ports of " +
              std::to_string(live_flows) +
              " live FullNAT connections to other workers: keep the range until they have "
              "drained, or restart galed");
}

}  // namespace gale::lb
