#include "ctl/snapshot_compare.h"

#include <tuple>

namespace gale::ctl {

namespace {

// Every input field of each type, as a tuple of references (a field missing here would
// make a change invisible: keep these lists whole).
auto fields(const lb::SchedDest& d) {
  return std::tie(d.addr, d.port, d.weight, d.u_threshold, d.l_threshold, d.last_weight);
}
auto fields(const lb::SchedFlags& f) {
  return std::tie(f.sh_fallback, f.sh_port, f.mh_fallback, f.mh_port);
}
// RealServer::pos and FwmarkRule::service / proto are left out: finalize() derives them
// (from the dest order, the service order and the service's protocol), so a finalized
// snapshot compares equal to an unfinalized one of the same inputs.
auto fields(const lb::RealServer& r) {
  return std::tie(r.addr, r.port, r.mode, r.encap, r.mac, r.inner_mac, r.out_link, r.mtu, r.proxy,
                  r.toa, r.service, r.live);
}
auto fields(const lb::FwmarkRule& r) {
  return std::tie(r.fwmark, r.net, r.prefix_len, r.port_lo, r.port_hi);
}
auto fields(const lb::Link& l) {
  return std::tie(l.mac, l.gateway_mac, l.mtu);
}
auto fields(const lb::Route& r) {
  return std::tie(r.prefix, r.len, r.link, r.on_link, r.mac);
}
auto fields(const lb::Neighbour& n) {
  return std::tie(n.addr, n.link, n.mac);
}
auto fields(const lb::Tunnel& t) {
  return std::tie(t.src_v4, t.src_v6, t.src_v4_spread_bits, t.gue_port, t.vxlan_vni, t.ttl);
}
auto fields(const lb::FullNat& f) {
  return std::tie(f.laddrs, f.port_lo, f.port_hi);
}

template <typename T>
bool same(const T& a, const T& b) {
  return fields(a) == fields(b);
}

bool same(const lb::Service& a, const lb::Service& b);

template <typename T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}

bool same(const lb::Service& a, const lb::Service& b) {
  return std::tie(a.fwmark, a.vip, a.port, a.proto, a.sched, a.dest_ids, a.persistence_s,
                  a.persistence_prefix) == std::tie(b.fwmark, b.vip, b.port, b.proto, b.sched,
                                                    b.dest_ids, b.persistence_s,
                                                    b.persistence_prefix) &&
         a.standby == b.standby && same(a.sched_flags, b.sched_flags) && same(a.dests, b.dests);
}

}  // namespace

bool same_forwarding(const lb::Snapshot& a, const lb::Snapshot& b) {
  return same(a.services, b.services) && same(a.real_servers, b.real_servers) &&
         same(a.fwmark_rules, b.fwmark_rules) && same(a.links, b.links) &&
         a.client_link == b.client_link && same(a.routes.v4, b.routes.v4) &&
         same(a.routes.v6, b.routes.v6) && same(a.routes.neighbours, b.routes.neighbours) &&
         a.routes.from_host == b.routes.from_host && a.host_addrs == b.host_addrs &&
         a.accept_macs == b.accept_macs && same(a.tunnel, b.tunnel) && same(a.fullnat, b.fullnat) &&
         a.timeouts.table() == b.timeouts.table() && a.expire_nodest_conn == b.expire_nodest_conn &&
         a.maglev_size == b.maglev_size && a.cluster_seed == b.cluster_seed;
}

}  // namespace gale::ctl
