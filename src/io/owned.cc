#include "io/owned.h"

namespace gale::io {

std::vector<OwnedEndpoint> owned_endpoints(const lb::Snapshot& snap) {
  std::vector<OwnedEndpoint> out;
  for (const lb::Service& s : snap.services) {
    out.push_back({.addr = s.vip, .port_lo = s.port, .port_hi = s.port, .proto = s.proto});
    for (uint16_t id : s.dest_ids) {
      if (id >= snap.real_servers.size()) continue;
      const lb::RealServer& rs = snap.real_servers[id];
      if (rs.mode != lb::FwdMode::nat) continue;
      const uint16_t port = rs.port ? rs.port : s.port;
      out.push_back({.addr = rs.addr,
                     .port_lo = port,
                     .port_hi = port,
                     .proto = s.proto,
                     .match_source = true});
    }
  }
  for (const net::IpAddr& a : snap.fullnat.laddrs)
    out.push_back({.addr = a, .port_lo = snap.fullnat.port_lo, .port_hi = snap.fullnat.port_hi});
  return out;
}

}  // namespace gale::io
