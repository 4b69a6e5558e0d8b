#include "lb/snapshot.h"

#include <cstring>
#include <string>

#include "lb/ownership.h"

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

const char* to_string(ProxyProto p) {
  switch (p) {
    case ProxyProto::none:
      return "none";
    case ProxyProto::v1:
      return "v1";
    case ProxyProto::v2:
      return "v2";
  }
  return "?";
}

void EndpointMap::build(std::span<const Endpoint> owned) {
  size_t n4 = 16, n6 = 16;
  for (const Endpoint& e : owned) {
    const size_t n = e.kind == EndpointKind::nat_rs ? e.port_hi - e.port_lo + 1u : 2u;
    (e.addr.is_v4() ? n4 : n6) += 2 * n;
  }
  auto pow2 = [](size_t n) {
    size_t p = 16;
    while (p < n)
      p *= 2;
    return p;
  };
  v4_.assign(pow2(n4), Slot4{});
  v6_.assign(pow2(n6), Slot6{});
  mask4_ = v4_.size() - 1;
  mask6_ = v6_.size() - 1;
  for (const Endpoint& e : owned) {
    switch (e.kind) {
      case EndpointKind::service:
        insert(EndpointKind::service, e.addr, e.port_lo, e.proto, e.value);
        insert(EndpointKind::service_addr, e.addr, 0, e.proto, e.value);
        break;
      case EndpointKind::nat_rs:
        for (uint32_t p = e.port_lo; p <= e.port_hi; ++p)
          insert(EndpointKind::nat_rs, e.addr, static_cast<uint16_t>(p), e.proto, e.value);
        break;
      case EndpointKind::laddr:  // the port range is the snapshot's fullnat range
        insert(EndpointKind::laddr, e.addr, 0, 0, e.value);
        break;
      case EndpointKind::fwmark:  // prefixes: Snapshot::service_for scans them
      case EndpointKind::service_addr:
        break;
    }
  }
}

void EndpointMap::insert(EndpointKind kind, const net::IpAddr& addr, uint16_t port, uint8_t proto,
                         uint32_t value) {
  const uint64_t tail =
      (uint64_t{port} << 16) | (uint64_t{proto} << 8) | static_cast<uint8_t>(kind);
  if (addr.is_v4()) {
    const uint64_t k = (uint64_t{addr.v4().v} << 32) | tail;
    uint64_t i = slot_of(k, mask4_);
    while (v4_[i].key != 0 && v4_[i].key != k)
      i = (i + 1) & mask4_;
    v4_[i] = Slot4{.key = k, .value = value};
  } else {
    uint64_t hi, lo;
    std::memcpy(&hi, addr.b.data(), 8);
    std::memcpy(&lo, addr.b.data() + 8, 8);
    uint64_t i = slot_of(hi ^ (lo * 31) ^ (tail << 7), mask6_);
    while (v6_[i].tail != 0 && !(v6_[i].tail == tail && v6_[i].hi == hi && v6_[i].lo == lo))
      i = (i + 1) & mask6_;
    v6_[i] = Slot6{.hi = hi, .lo = lo, .tail = tail, .value = value};
  }
}

namespace {

uint8_t full_len(const net::IpAddr& a) {
  return a.is_v4() ? 32 : 128;
}

std::string service_text(const Service& s) {
  if (s.fwmark) return "fwmark " + std::to_string(s.fwmark);
  return "service " + std::string(net::to_text(s.vip).view()) + ":" + std::to_string(s.port);
}

uint64_t content_hash_of(const Service& s) {
  uint64_t h = 0x5e41ce;
  auto mix = [&h](uint64_t v) { h = maglev_mix(h ^ v); };
  auto mix_addr = [&](const net::IpAddr& a) {
    uint64_t w[2];
    std::memcpy(w, a.b.data(), 16);
    mix(w[0]);
    mix(w[1] ^ static_cast<uint64_t>(a.family));
  };
  mix(s.fwmark);
  mix_addr(s.vip);
  mix(uint64_t{s.port} << 8 | s.proto);
  mix(static_cast<uint64_t>(s.sched) | uint64_t{s.sched_flags.sh_fallback} << 8 |
      uint64_t{s.sched_flags.sh_port} << 9 | uint64_t{s.sched_flags.mh_fallback} << 10 |
      uint64_t{s.sched_flags.mh_port} << 11);
  for (size_t d = 0; d < s.dests.size(); ++d) {
    const SchedDest& x = s.dests[d];
    mix_addr(x.addr);
    mix(uint64_t{x.port} << 48 | s.dest_ids[d]);
    mix(static_cast<uint32_t>(x.weight) | uint64_t{static_cast<uint32_t>(x.last_weight)} << 32);
    mix(x.u_threshold | uint64_t{x.l_threshold} << 32);
  }
  return h;
}

}  // namespace

// The NAT real server's replies are recognised by their source: the server's address
// and port; a portless server of a fwmark service answers from every port of its rules.
Expected<void> Snapshot::nat_sources(uint16_t id, std::vector<Endpoint>& out) const {
  const RealServer& rs = real_servers[id];
  const Service& s = services[rs.service];
  Endpoint e{.kind = EndpointKind::nat_rs,
             .addr = rs.addr,
             .prefix_len = full_len(rs.addr),
             .proto = s.proto,
             .value = id};
  if (rs.port || !s.fwmark) {
    e.port_lo = e.port_hi = rs.port ? rs.port : s.port;
    out.push_back(e);
    return {};
  }
  for (const FwmarkRule& r : fwmark_rules) {
    if (r.fwmark != s.fwmark) continue;
    if (r.port_hi - r.port_lo > 1024)
      return fail(service_text(s) +
                  ": a NAT real server needs a port, or the rule's ports a range of at most 1024");
    e.port_lo = r.port_lo;
    e.port_hi = r.port_hi;
    out.push_back(e);
  }
  return {};
}

Expected<void> Snapshot::finalize(const Snapshot* reuse) {
  if (!is_prime(maglev_size))
    return fail("maglev table size " + std::to_string(maglev_size) + " is not prime");
  if (fullnat.laddrs.size() > 255) return fail("at most 255 FullNAT local addresses");
  if (real_servers.size() >= 0xffff) return fail("at most 65534 real servers");
  if (links.empty()) return fail("no interface configured");
  if (fwmark_rules.size() > kMaxFwmarkRules)
    return fail("at most " + std::to_string(kMaxFwmarkRules) + " fwmark match rules");
  std::vector<Endpoint> exact;
  nat64 = false;
  for (size_t si = 0; si < services.size(); ++si) {
    Service& s = services[si];
    if (s.dests.size() != s.dest_ids.size())
      return fail(service_text(s) + ": dests and dest ids differ in length");
    if (s.fwmark == 0) {
      if (!s.standby)
        exact.push_back({.kind = EndpointKind::service,
                         .addr = s.vip,
                         .prefix_len = full_len(s.vip),
                         .port_lo = s.port,
                         .port_hi = s.port,
                         .proto = s.proto,
                         .value = static_cast<uint32_t>(si)});
    } else {
      // A mark no rule gives (a keepalived.conf whose marks iptables sets) reaches nothing;
      // the config layer warns about it.
      for (FwmarkRule& r : fwmark_rules) {
        if (r.fwmark != s.fwmark) continue;
        r.service = static_cast<uint32_t>(si);
        r.proto = s.proto;
      }
    }
    for (SchedDest& d : s.dests)
      d.workers = workers;
    s.content_hash = content_hash_of(s);
    const Service* same = nullptr;
    if (reuse && reuse->maglev_size == maglev_size)
      for (const Service& old : reuse->services)
        if (old.content_hash == s.content_hash && !old.maglev.empty()) same = &old;
    s.tables =
        same ? same->tables : SchedTables::build(s.sched, s.sched_flags, s.dests, maglev_size);
    std::vector<MaglevBackend> backends;
    for (size_t d = 0; d < s.dests.size(); ++d) {
      const uint16_t id = s.dest_ids[d];
      if (id >= real_servers.size()) return fail("dest id out of range");
      RealServer& rs = real_servers[id];
      rs.service = static_cast<uint32_t>(si);
      rs.pos = static_cast<uint32_t>(d);
      if (rs.out_link >= links.size()) return fail("real server on an unknown interface");
      uint32_t w = s.dests[d].weight > 0 ? static_cast<uint32_t>(s.dests[d].weight) : 0;
      backends.push_back({.key = maglev_key(rs.addr, rs.port), .weight = w});
      const bool other_family = !s.fwmark && rs.addr.family != s.vip.family;
      // NAT64: an IPv6 VIP served by an IPv4 FullNAT server (lb/nat64.h).
      const bool is_nat64 = rs.mode == FwdMode::fullnat && s.vip.is_v6() && rs.addr.is_v4();
      if ((rs.mode == FwdMode::nat || rs.mode == FwdMode::fullnat) && other_family && !is_nat64)
        return fail("real server " + std::string(net::to_text(rs.addr).view()) +
                    ": NAT and FullNAT need the VIP's address family (but for FullNAT of an "
                    "IPv6 VIP to IPv4 servers: NAT64)");
      if ((rs.mode == FwdMode::dr || rs.mode == FwdMode::tun) && rs.port && rs.port != s.port)
        return fail("real server " + std::string(net::to_text(rs.addr).view()) + ":" +
                    std::to_string(rs.port) +
                    ": DR and TUN cannot change the port (the server sees the VIP's)");
    }
    s.maglev = same ? same->maglev : build_maglev(backends, maglev_size);
  }
  std::vector<Endpoint> marks;
  for (const FwmarkRule& r : fwmark_rules) {
    if (r.service >= services.size() || services[r.service].fwmark != r.fwmark)
      return fail("fwmark rule for mark " + std::to_string(r.fwmark) + " has no virtual service");
    marks.push_back({.kind = EndpointKind::fwmark,
                     .addr = mask_prefix(r.net, r.prefix_len),
                     .prefix_len = std::min(r.prefix_len, full_len(r.net)),
                     .port_lo = r.port_lo,
                     .port_hi = r.port_hi,
                     .proto = r.proto,
                     .value = r.service});
  }
  // Every NAT server, live or removed: a removed one keeps draining, so its replies must
  // still be ours. Its service index is the one it had (the builder keeps it) when that
  // still exists.
  for (size_t id = 0; id < real_servers.size(); ++id) {
    const RealServer& rs = real_servers[id];
    if (rs.mode != FwdMode::nat || rs.service >= services.size()) continue;
    if (auto r = nat_sources(static_cast<uint16_t>(id), exact); !r) return r;
  }
  if (auto r = check_fullnat(); !r) return r;
  // Draining servers too (their flows' replies must still be found); one whose service
  // is gone may have been NAT64.
  for (const RealServer& rs : real_servers)
    nat64 |= rs.mode == FwdMode::fullnat && rs.addr.is_v4() &&
             (rs.service >= services.size() || services[rs.service].vip.is_v6());
  // Draining local addresses too (their flows' replies must still be ours); a freed id
  // holds a family-none address.
  for (size_t i = 0; i < fullnat.laddrs.size(); ++i)
    if (fullnat.laddrs[i].family != net::Family::none)
      exact.push_back({.kind = EndpointKind::laddr,
                       .addr = fullnat.laddrs[i],
                       .prefix_len = full_len(fullnat.laddrs[i]),
                       .port_lo = fullnat.port_lo,
                       .port_hi = fullnat.port_hi,
                       .value = static_cast<uint32_t>(i)});
  // Services first, then the fwmark prefixes, then the rest: the order service_for and
  // the XDP array read them in.
  const auto first_non_service = std::ranges::find_if(
      exact, [](const Endpoint& e) { return e.kind != EndpointKind::service; });
  owned.assign(exact.begin(), first_non_service);
  fwmark_begin = static_cast<uint32_t>(owned.size());
  owned.insert(owned.end(), marks.begin(), marks.end());
  fwmark_end = static_cast<uint32_t>(owned.size());
  owned.insert(owned.end(), first_non_service, exact.end());
  endpoints.build(owned);
  timeout_of = timeouts.table();
  return {};
}

// What would divide by zero or leave a worker without ports on the fast path: a FullNAT
// server without a live local address of its family, or a port range that cannot give
// every ownership shard (and so every worker) a slice.
Expected<void> Snapshot::check_fullnat() const {
  bool any = false;
  for (const Service& s : services) {
    for (uint16_t id : s.dest_ids) {
      const RealServer& rs = real_servers[id];
      if (rs.mode != FwdMode::fullnat) continue;
      any = true;
      bool found = false;
      for (size_t l = 0; l < fullnat.laddrs.size() && !found; ++l)
        found = fullnat.is_live(l) && fullnat.laddrs[l].family == rs.addr.family;
      if (!found)
        return fail("real server " + std::string(net::to_text(rs.addr).view()) +
                    " uses FullNAT, but no FullNAT local address is of its family (" +
                    (rs.addr.is_v4() ? "IPv4" : "IPv6") +
                    "): add one to gale { fullnat_local_addresses ... }");
    }
  }
  if (!any) return {};
  if (fullnat.port_lo > fullnat.port_hi)
    return fail("fullnat_ports " + std::to_string(fullnat.port_lo) + "-" +
                std::to_string(fullnat.port_hi) + " is empty");
  const uint32_t ports = uint32_t{fullnat.port_hi} - fullnat.port_lo + 1;
  if (ports < kShards)
    return fail("fullnat_ports " + std::to_string(fullnat.port_lo) + "-" +
                std::to_string(fullnat.port_hi) + " has " + std::to_string(ports) +
                " ports; FullNAT needs at least " + std::to_string(kShards) +
                " (the range is split into that many ownership shards)");
  if (workers > kShards)
    return fail(std::to_string(workers) + " workers, but FullNAT ports are owned through " +
                std::to_string(kShards) + " shards: run at most " + std::to_string(kShards) +
                " workers (gale { workers N })");
  return {};
}

}  // namespace gale::lb
