#include "ctl/snapshot_builder.h"

#include "ctl/snapshot_compare.h"

#include <algorithm>
#include <string>

namespace gale::ctl {

std::optional<uint8_t> LocalAddrIds::find(const net::IpAddr& addr) const {
  for (size_t id = 0; id < addrs_.size(); ++id)
    if (addrs_[id] == addr) return static_cast<uint8_t>(id);
  return std::nullopt;
}

std::optional<uint8_t> LocalAddrIds::assign(const net::IpAddr& addr) {
  if (auto id = find(addr)) return id;
  size_t id = 0;
  while (id < addrs_.size() && addrs_[id].family != net::Family::none)
    ++id;
  if (id >= 255) return std::nullopt;
  if (id == addrs_.size()) addrs_.emplace_back();
  addrs_[id] = addr;
  return static_cast<uint8_t>(id);
}

void LocalAddrIds::release(uint8_t id) {
  if (id >= addrs_.size()) return;
  addrs_[id] = net::IpAddr{};
  while (!addrs_.empty() && addrs_.back().family == net::Family::none)
    addrs_.pop_back();
}

std::optional<uint16_t> RealServerIds::find(const RealServerKey& key) const {
  const auto it = ids_.find(key);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint16_t> RealServerIds::assign(const RealServerKey& key) {
  if (auto id = find(key)) return id;
  size_t id = 0;
  while (id < slots_.size() && slots_[id].used)
    ++id;
  if (id >= 0xffff) return std::nullopt;
  if (id == slots_.size()) slots_.emplace_back();
  slots_[id] = Slot{.used = true, .key = key};
  ids_.emplace(key, static_cast<uint16_t>(id));
  return static_cast<uint16_t>(id);
}

void RealServerIds::release(uint16_t id) {
  if (id >= slots_.size() || !slots_[id].used) return;
  ids_.erase(slots_[id].key);
  slots_[id] = Slot{};
  while (!slots_.empty() && !slots_.back().used)
    slots_.pop_back();
}

const RealServerKey* RealServerIds::key_of(uint16_t id) const {
  return id < slots_.size() && slots_[id].used ? &slots_[id].key : nullptr;
}

const lb::RealServer* RealServerIds::last_built(uint16_t id) const {
  return id < slots_.size() && slots_[id].used ? &slots_[id].last : nullptr;
}

void RealServerIds::remember(uint16_t id, const lb::RealServer& rs) {
  if (id < slots_.size() && slots_[id].used) slots_[id].last = rs;
}

std::vector<ServiceKey> service_keys(const VirtualServerConf& vs, const Config& config) {
  if (vs.kind == VsKind::addr) return {{.vip = vs.vip, .port = vs.port, .proto = vs.proto}};
  if (vs.kind == VsKind::fwmark) return {{.fwmark = vs.fwmark, .proto = vs.proto}};
  std::vector<ServiceKey> out;
  for (const VirtualServerGroup& g : config.groups)
    if (g.name == vs.group)
      for (const GroupEntry& e : g.entries)
        out.push_back({.fwmark = e.fwmark, .vip = e.vip, .port = e.port, .proto = vs.proto});
  return out;
}

namespace {

std::vector<lb::FwmarkRule> fwmark_rules(const GaleConf& g) {
  std::vector<lb::FwmarkRule> out;
  for (const FwmarkMatch& m : g.fwmarks) {
    std::vector<FwmarkMatch::Ports> ports = m.ports;
    if (ports.empty()) ports.push_back({.lo = 0, .hi = 65535});
    for (const FwmarkMatch::Ports& p : ports)
      out.push_back({.fwmark = m.fwmark,
                     .net = m.net,
                     .prefix_len = m.prefix_len,
                     .port_lo = p.lo,
                     .port_hi = p.hi,
                     .proto = m.proto.value_or(0)});
  }
  return out;
}

// finalize() names what it rejects by address, not by where the config wrote it: find the
// virtual_server whose services alone are rejected, and say where it is.
std::string locate(const lb::Snapshot& unfinalized,
                   const std::vector<const VirtualServerConf*>& origin, const Config& config,
                   const std::string& message) {
  for (const VirtualServerConf& vs : config.virtual_servers) {
    lb::Snapshot one = unfinalized;
    one.services.clear();
    std::vector<uint32_t> marks;
    for (size_t si = 0; si < unfinalized.services.size(); ++si) {
      if (origin[si] != &vs) continue;
      one.services.push_back(unfinalized.services[si]);
      marks.push_back(unfinalized.services[si].fwmark);
    }
    if (one.services.empty()) continue;
    std::erase_if(one.fwmark_rules, [&](const lb::FwmarkRule& r) {
      return std::find(marks.begin(), marks.end(), r.fwmark) == marks.end();
    });
    for (lb::RealServer& rs : one.real_servers)
      rs.service = 0;
    if (auto r = one.finalize(); !r) return to_string(vs.where) + ": " + r.error().message;
  }
  return to_string(config.gale.where) + ": " + message;
}

std::string service_name(const lb::Service& svc) {
  const std::string proto = svc.proto == 17 ? " UDP" : " TCP";
  if (svc.fwmark) return "fwmark " + std::to_string(svc.fwmark) + proto;
  return std::string(net::to_text(svc.vip).view()) + " " + std::to_string(svc.port) + proto;
}

std::vector<std::string> unreachable(const lb::Snapshot& s,
                                     const std::vector<const VirtualServerConf*>& origin) {
  std::vector<std::string> out;
  for (size_t si = 0; si < s.services.size(); ++si) {
    const lb::Service& svc = s.services[si];
    const std::string where =
        to_string(origin[si]->where) + ": virtual_server " + service_name(svc);
    bool any_mac = false, replies = false;
    net::Family family = svc.vip.family;
    for (uint16_t id : svc.dest_ids) {
      const lb::RealServer& rs = s.real_servers[id];
      any_mac |= !rs.mac.is_zero();
      if (rs.mode == lb::FwdMode::nat || rs.mode == lb::FwdMode::fullnat) {
        replies = true;
        family = rs.addr.family;  // NAT modes keep one family end to end
      }
    }
    if (!svc.dest_ids.empty() && !any_mac)
      out.push_back(where +
                    ": no real server's MAC is known (neighbours unresolved): new connections "
                    "are dropped (no_neighbour) until one resolves");
    const auto& routes = family == net::Family::v6 ? s.routes.v6 : s.routes.v4;
    if (replies && routes.empty())
      out.push_back(where + ": no " + (family == net::Family::v6 ? "IPv6" : "IPv4") +
                    " route toward clients over the dataplane interfaces: every reply is "
                    "dropped (no_route)");
  }
  return out;
}

}  // namespace

std::optional<RealServerConf> sorry_dest(const VirtualServerConf& vs, bool quorum_lost) {
  if (!vs.sorry_server || (!quorum_lost && !vs.sorry_server_inhibit)) return std::nullopt;
  RealServerConf sorry{.where = vs.sorry_where,
                       .origin = vs.origin,
                       .addr = vs.sorry_server->addr,
                       .port = vs.sorry_server->port,
                       .weight = quorum_lost ? 1u : 0u,
                       .mode = vs.sorry_server_mode};
  // It takes the service's proxy_protocol and toa when it forwards as FullNAT; another
  // method sees the client's address already (and could not be told otherwise).
  if (vs.sorry_server_mode.value_or(vs.mode) != lb::FwdMode::fullnat)
    sorry.client_addr = {.proxy = lb::ProxyProto::none, .toa = false};
  return sorry;
}

Expected<BuiltSnapshot> build_snapshot(const Config& config, const HostView& host,
                                       RealServerIds& ids, const HealthView& healthy,
                                       const lb::Snapshot* running, const QuorumView& quorum_lost) {
  const GaleConf& g = config.gale;
  const size_t nports = g.interfaces.size();
  if (nports == 0) return fail("no interface configured (gale { interfaces ... })");
  if (host.link_macs.size() < nports)
    return fail("the host view has MACs for " + std::to_string(host.link_macs.size()) +
                " interfaces; the config names " + std::to_string(nports));
  RealServerIds next = ids;
  BuiltSnapshot out;
  lb::Snapshot& s = out.snapshot;
  for (size_t i = 0; i < nports; ++i)
    s.links.push_back(
        {.mac = host.link_macs[i], .mtu = i < host.mtus.size() ? host.mtus[i] : uint16_t{1500}});
  s.client_link = 0;
  s.routes = host.routes;
  s.routes.from_host = true;
  for (auto* table : {&s.routes.v4, &s.routes.v6})
    std::erase_if(*table, [&](const lb::Route& r) { return r.link >= nports; });
  std::erase_if(s.routes.neighbours, [&](const lb::Neighbour& n) { return n.link >= nports; });
  s.routes.sort();
  s.host_addrs = host.host_addrs;
  s.accept_macs = host.accept_macs;
  s.tunnel = lb::Tunnel{.src_v4 = g.tunnel_source.value_or(net::Ipv4Addr{}),
                        .src_v6 = g.tunnel_source6.value_or(net::Ipv6Addr{}),
                        .src_v4_spread_bits = g.tunnel_source_spread_bits,
                        .gue_port = g.gue_port,
                        .vxlan_vni = g.vxlan_vni};
  // Local addresses by stable id: the configured ones live, removed ones draining.
  std::vector<bool> configured;
  for (const net::IpAddr& a : g.fullnat_local_addresses) {
    const auto id = next.local_addrs.assign(a);
    if (!id) return fail("out of FullNAT local address ids (255): too many addresses draining");
    if (configured.size() <= *id) configured.resize(*id + 1u, false);
    configured[*id] = true;
  }
  s.fullnat = lb::FullNat{.laddrs = next.local_addrs.addrs(),
                          .port_lo = g.fullnat_port_lo,
                          .port_hi = g.fullnat_port_hi};
  configured.resize(s.fullnat.laddrs.size(), false);
  s.fullnat.live = configured;
  s.timeouts = g.timeouts;
  s.expire_nodest_conn = g.expire_nodest_conn;
  s.workers = host.workers;
  s.maglev_size = g.maglev_size;
  s.fwmark_rules = fwmark_rules(g);

  std::vector<bool> present;
  std::vector<const VirtualServerConf*> origin;  // per service: the virtual_server it stands for
  const auto place = [&](uint16_t id, const lb::RealServer& rs) {
    if (s.real_servers.size() <= id) s.real_servers.resize(id + 1, lb::RealServer{.live = false});
    if (present.size() <= id) present.resize(id + 1, false);
    s.real_servers[id] = rs;
    present[id] = true;
  };
  for (const VirtualServerConf& vs : config.virtual_servers) {
    for (const ServiceKey& key : service_keys(vs, config)) {
      const uint32_t si = static_cast<uint32_t>(s.services.size());
      lb::Service svc{.fwmark = key.fwmark,
                      .vip = key.vip,
                      .port = key.port,
                      .proto = key.proto,
                      .sched = vs.sched,
                      .sched_flags = vs.sched_flags,
                      .persistence_s = vs.persistence_timeout_s,
                      .persistence_prefix = vs.persistence_prefix,
                      .standby = key.fwmark == 0 && std::ranges::find(host.standby_vips, key.vip) !=
                                                        host.standby_vips.end()};
      const bool lost = quorum_lost && quorum_lost(key);
      const std::optional<RealServerConf> sorry = sorry_dest(vs, lost);
      const bool sorry_serves = sorry && sorry->weight > 0;
      // One real server into the service: in its pool at `weight`, or (in_pool false) kept
      // not live while its flows drain.
      const auto add = [&](const RealServerConf& rc, bool in_pool, int32_t weight,
                           int32_t last_weight) -> Expected<void> {
        const lb::FwdMode mode = rc.mode.value_or(vs.mode);
        const auto id =
            next.assign({.service = key, .addr = rc.addr, .port = rc.port, .mode = mode});
        if (!id) return fail(to_string(rc.where) + ": out of real server ids (65534)");
        const ClientAddr ca = client_addr(rc, vs);
        lb::RealServer rs{.addr = rc.addr,
                          .port = rc.port,
                          .mode = mode,
                          .encap = rc.encap.value_or(g.tunnel_encap),
                          .proxy = ca.proxy,
                          .toa = ca.toa,
                          .service = si};
        bool found = false;
        for (size_t p = nports; p-- > 0 && host.neighbour;) {
          if (auto mac = host.neighbour(rc.addr, static_cast<uint16_t>(p))) {
            rs.mac = *mac;
            // VXLAN's inner frame goes to the server's own MAC: its vxlan device is
            // expected to carry the same address (docs/modes.md).
            rs.inner_mac = *mac;
            rs.out_link = static_cast<uint16_t>(p);
            found = true;
            break;
          }
        }
        if (!found) {
          rs.out_link = static_cast<uint16_t>(nports - 1);
          out.missing_neighbours.push_back({.id = *id, .addr = rc.addr, .out_link = rs.out_link});
        }
        rs.mtu = s.links[rs.out_link].mtu;
        if (in_pool) {
          svc.dests.push_back({.addr = rc.addr,
                               .port = rc.port ? rc.port : key.port,
                               .weight = weight,
                               .u_threshold = rc.uthreshold,
                               .l_threshold = rc.lthreshold,
                               .last_weight = last_weight});
          svc.dest_ids.push_back(*id);
        } else {
          rs.live = false;  // out of the pool; its flows drain
        }
        place(*id, rs);
        next.remember(*id, rs);
        return {};
      };
      for (const RealServerConf& rc : vs.real_servers) {
        const DestHealth h = healthy ? healthy(key, rc) : DestHealth{};
        // Up and serving unless the sorry server stands in; down: quiesced with
        // inhibit_on_failure, else out.
        const bool serving = h.up && !sorry_serves;
        const int32_t full = static_cast<int32_t>(h.weight.value_or(rc.weight));
        if (auto r = add(rc, serving || rc.inhibit_on_failure, serving ? full : 0, full); !r)
          return fail(r.error().message);
      }
      if (sorry)
        if (auto r = add(*sorry, true, static_cast<int32_t>(sorry->weight), 1); !r)
          return fail(r.error().message);
      s.services.push_back(std::move(svc));
      origin.push_back(&vs);
    }
  }
  // Servers the config no longer names: kept, not live, so their flows drain.
  for (size_t id = 0; id < next.size(); ++id) {
    if (id < present.size() && present[id]) continue;
    const lb::RealServer* last = next.last_built(static_cast<uint16_t>(id));
    if (!last) {
      if (s.real_servers.size() <= id) s.real_servers.resize(id + 1, lb::RealServer{.live = false});
      continue;
    }
    lb::RealServer rs = *last;
    rs.live = false;
    rs.service = 0;
    for (size_t si = 0; si < s.services.size(); ++si) {
      const lb::Service& svc = s.services[si];
      const RealServerKey* k = next.key_of(static_cast<uint16_t>(id));
      if (svc.fwmark == k->service.fwmark && svc.vip == k->service.vip &&
          svc.port == k->service.port && svc.proto == k->service.proto)
        rs.service = static_cast<uint32_t>(si);
    }
    place(static_cast<uint16_t>(id), rs);
    out.removed.push_back(static_cast<uint16_t>(id));
  }
  out.unreachable = unreachable(s, origin);
  // galed builds a candidate every few seconds: when it forwards as the running snapshot
  // does, the Maglev tables (the bulk of finalize()) need not be computed again.
  if (running && same_forwarding(*running, s)) {
    out.unchanged = true;
    ids = std::move(next);
    return out;
  }
  const lb::Snapshot unfinalized = s;
  if (auto r = s.finalize(running); !r)
    return fail(locate(unfinalized, origin, config, r.error().message));
  ids = std::move(next);
  return out;
}

}  // namespace gale::ctl
