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

void EndpointMap::build(std::span<const Item> items) {
  size_t n4 = 16, n6 = 16;
  for (const Item& it : items)
    (it.addr.is_v4() ? n4 : n6) += 2;
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
  for (const Item& it : items) {
    const uint64_t tail =
        (uint64_t{it.port} << 16) | (uint64_t{it.proto} << 8) | static_cast<uint8_t>(it.kind);
    if (it.addr.is_v4()) {
      const uint64_t k = (uint64_t{it.addr.v4().v} << 32) | tail;
      uint64_t i = slot_of(k, mask4_);
      while (v4_[i].key != 0 && v4_[i].key != k)
        i = (i + 1) & mask4_;
      v4_[i] = Slot4{.key = k, .value = it.value};
    } else {
      uint64_t hi, lo;
      std::memcpy(&hi, it.addr.b.data(), 8);
      std::memcpy(&lo, it.addr.b.data() + 8, 8);
      uint64_t i = slot_of(hi ^ (lo * 31) ^ (tail << 7), mask6_);
      while (v6_[i].tail != 0 && !(v6_[i].tail == tail && v6_[i].hi == hi && v6_[i].lo == lo))
        i = (i + 1) & mask6_;
      v6_[i] = Slot6{.hi = hi, .lo = lo, .tail = tail, .value = it.value};
    }
  }
}

namespace {

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

Expected<void> Snapshot::finalize() {
  if (!is_prime(maglev_size))
    return fail("maglev table size " + std::to_string(maglev_size) + " is not prime");
  if (fullnat.laddrs.size() > 255) return fail("at most 255 FullNAT local addresses");
  if (real_servers.size() >= 0xffff) return fail("at most 65534 real servers");
  if (links.empty()) return fail("no interface configured");
  std::vector<EndpointMap::Item> items;
  for (size_t si = 0; si < services.size(); ++si) {
    Service& s = services[si];
    if (s.dests.size() != s.dest_ids.size())
      return fail("service " + std::string(net::to_text(s.vip).view()) + ":" +
                  std::to_string(s.port) + ": dests and dest ids differ in length");
    if (s.fwmark == 0) {
      items.push_back({EndpointKind::service, s.vip, s.port, s.proto, static_cast<uint32_t>(si)});
    } else {
      bool any = false;
      for (FwmarkRule& r : fwmark_rules) {
        if (r.fwmark != s.fwmark) continue;
        r.service = static_cast<uint32_t>(si);
        r.proto = s.proto;
        any = true;
      }
      if (!any)
        return fail("fwmark " + std::to_string(s.fwmark) + ": no rule says which packets carry it");
    }
    for (SchedDest& d : s.dests)
      d.workers = workers;
    s.tables = SchedTables::build(s.sched, s.sched_flags, s.dests, maglev_size);
    s.content_hash = content_hash_of(s);
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
      if ((rs.mode == FwdMode::nat || rs.mode == FwdMode::fullnat) &&
          rs.addr.family != (s.fwmark ? rs.addr.family : s.vip.family))
        return fail("real server " + std::string(net::to_text(rs.addr).view()) +
                    ": NAT and FullNAT need the VIP's address family");
      if ((rs.mode == FwdMode::dr || rs.mode == FwdMode::tun) && rs.port && rs.port != s.port)
        return fail("real server " + std::string(net::to_text(rs.addr).view()) + ":" +
                    std::to_string(rs.port) +
                    ": DR and TUN cannot change the port (the server sees the VIP's)");
      if (rs.mode == FwdMode::nat) {
        // Replies are recognised by their source: the server's address and port.
        if (rs.port || !s.fwmark) {
          items.push_back({EndpointKind::nat_rs, rs.addr, rs.port ? rs.port : s.port, s.proto, id});
        } else {
          for (const FwmarkRule& r : fwmark_rules) {
            if (r.fwmark != s.fwmark) continue;
            if (r.port_hi - r.port_lo > 1024)
              return fail(
                  "fwmark " + std::to_string(s.fwmark) +
                  ": a NAT real server needs a port, or the rule's ports a range of at most 1024");
            for (uint32_t p = r.port_lo; p <= r.port_hi; ++p)
              items.push_back(
                  {EndpointKind::nat_rs, rs.addr, static_cast<uint16_t>(p), s.proto, id});
          }
        }
      }
    }
    s.maglev = build_maglev(backends, maglev_size);
  }
  // A removed NAT server keeps draining: its replies must still be recognised. Its
  // service index is the one it had (the builder keeps it) when that still exists.
  for (size_t id = 0; id < real_servers.size(); ++id) {
    const RealServer& rs = real_servers[id];
    if (rs.live || rs.mode != FwdMode::nat || rs.service >= services.size()) continue;
    const Service& s = services[rs.service];
    if (rs.port || !s.fwmark)
      items.push_back({EndpointKind::nat_rs, rs.addr, rs.port ? rs.port : s.port, s.proto,
                       static_cast<uint32_t>(id)});
  }
  if (auto r = check_fullnat(); !r) return r;
  for (const FwmarkRule& r : fwmark_rules)
    if (r.service >= services.size() || services[r.service].fwmark != r.fwmark)
      return fail("fwmark rule for mark " + std::to_string(r.fwmark) + " has no virtual service");
  // Draining local addresses too: their flows' replies must still be recognised.
  for (size_t i = 0; i < fullnat.laddrs.size(); ++i)
    if (fullnat.laddrs[i].family != net::Family::none)
      items.push_back({EndpointKind::laddr, fullnat.laddrs[i], 0, 0, static_cast<uint32_t>(i)});
  endpoints.build(items);
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
