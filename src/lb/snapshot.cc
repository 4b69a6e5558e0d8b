#include "lb/snapshot.h"

#include <string>

namespace gale::lb {

const char* to_string(FwdMode m) {
  switch (m) {
    case FwdMode::dr:
      return "Route";
    case FwdMode::tun:
      return "Tunnel";
    case FwdMode::nat:
      return "Masq";
    case FwdMode::fullnat:
      return "FullNat";
  }
  return "?";
}

const char* to_string(TunEncap e) {
  switch (e) {
    case TunEncap::ipip:
      return "ipip";
    case TunEncap::gue:
      return "gue";
    case TunEncap::vxlan:
      return "vxlan";
  }
  return "?";
}

FlowKeyV6 EndpointMap::make_key(EndpointKind kind, const net::IpAddr& addr, uint16_t port,
                                uint8_t proto) {
  FlowKeyV6 k = FlowKeyV6::make(addr, port, net::IpAddr{}, 0, proto);
  k.pad[0] = static_cast<uint8_t>(kind);
  k.pad[1] = static_cast<uint8_t>(addr.family);
  return k;
}

void EndpointMap::build(std::span<const std::pair<FlowKeyV6, uint32_t>> items) {
  size_t n = 16;
  while (n < items.size() * 2)
    n *= 2;
  slots_.assign(n, Slot{});
  mask_ = n - 1;
  for (const auto& [key, value] : items) {
    uint64_t i = hash_key(key, 0) & mask_;
    while (slots_[i].used && !(slots_[i].key == key))
      i = (i + 1) & mask_;
    slots_[i] = Slot{.key = key, .value = value, .used = true};
  }
}

int64_t EndpointMap::find(EndpointKind kind, const net::IpAddr& addr, uint16_t port,
                          uint8_t proto) const {
  if (slots_.empty()) return -1;
  const FlowKeyV6 key = make_key(kind, addr, port, proto);
  for (uint64_t i = hash_key(key, 0) & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (!s.used) return -1;
    if (s.key == key) return s.value;
  }
}

Expected<void> Snapshot::finalize() {
  if (!is_prime(maglev_size))
    return fail("maglev table size " + std::to_string(maglev_size) + " is not prime");
  if (fullnat.laddrs.size() > 255) return fail("at most 255 FullNAT local addresses");
  if (real_servers.size() >= 0xffff) return fail("at most 65534 real servers");
  if (ports.empty()) return fail("no interface configured");
  std::vector<std::pair<FlowKeyV6, uint32_t>> items;
  for (size_t si = 0; si < services.size(); ++si) {
    Service& s = services[si];
    if (s.dests.size() != s.dest_ids.size())
      return fail("service " + std::string(net::to_text(s.vip).view()) + ":" +
                  std::to_string(s.port) + ": dests and dest ids differ in length");
    items.emplace_back(EndpointMap::make_key(EndpointKind::service, s.vip, s.port, s.proto), si);
    s.tables = SchedTables::build(s.sched, s.sched_flags, s.dests, maglev_size);
    std::vector<MaglevBackend> backends;
    for (size_t d = 0; d < s.dests.size(); ++d) {
      const uint16_t id = s.dest_ids[d];
      if (id >= real_servers.size()) return fail("dest id out of range");
      RealServer& rs = real_servers[id];
      rs.service = static_cast<uint32_t>(si);
      rs.pos = static_cast<uint32_t>(d);
      if (rs.out_port >= ports.size()) return fail("real server on an unknown interface");
      uint32_t w = s.dests[d].weight > 0 ? static_cast<uint32_t>(s.dests[d].weight) : 0;
      backends.push_back({.key = maglev_key(rs.addr, rs.port), .weight = w});
      if (rs.mode == FwdMode::nat) {
        uint16_t src_port = rs.port ? rs.port : s.port;
        items.emplace_back(EndpointMap::make_key(EndpointKind::nat_rs, rs.addr, src_port, s.proto),
                           id);
      }
    }
    s.maglev = build_maglev(backends, maglev_size);
  }
  for (size_t i = 0; i < fullnat.laddrs.size(); ++i)
    items.emplace_back(EndpointMap::make_key(EndpointKind::laddr, fullnat.laddrs[i], 0, 0), i);
  endpoints.build(items);
  return {};
}

}  // namespace gale::lb
