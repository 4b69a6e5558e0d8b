// Checks that need the whole Config: references resolve, address families agree,
// forwarding modes have what they need, fwmark services have their match rules.
#include <algorithm>
#include <map>
#include <tuple>

#include "ctl/names.h"
#include "ctl/parse_blocks.h"
#include "ctl/parse_util.h"
#include "ctl/snapshot_builder.h"

namespace gale::ctl::detail {

namespace {

auto error_loc(const Location& at, const std::string& message) {
  return fail(to_string(at) + ": " + message);
}

std::string text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}

std::string rs_name(const RealServerConf& rs) {
  std::string name = "real_server " + text(rs.addr);
  if (rs.port) {  // appended, not `" " + std::to_string(...)`: g++ 12 -O3 -Wrestrict (PR 105651)
    name += ' ';
    name += std::to_string(rs.port);
  }
  return name;
}

// proxy_protocol and toa, at the line they took effect from (the real server's own, else
// the service's): only FullNAT hides the client's address, TOA rides on TCP segments,
// and PROXY v1 is text in front of a TCP stream (v2 has a UDP form).
Expected<void> check_client_addr(const RealServerConf& rs, const VirtualServerConf& vs,
                                 lb::FwdMode mode) {
  const ClientAddr ca = client_addr(rs, vs);
  const std::string needs_fullnat =
      " needs lb_kind FULLNAT: DR, TUN and NAT servers see the client's address already "
      "(this server uses " +
      std::string(mode_name(mode)) + ")";
  // Written for the service: the way out for this one server (galectl's for a runtime one).
  const auto off_here = [&](bool own, const char* off, const char* option) {
    if (own) return std::string();
    if (rs.origin == Origin::runtime) return std::string("; give it ") + option;
    return std::string("; write `") + off + "` in its real_server block";
  };
  if (ca.proxy != lb::ProxyProto::none) {
    if (mode != lb::FwdMode::fullnat)
      return error_loc(ca.proxy_at, rs_name(rs) + ": proxy_protocol" + needs_fullnat +
                                        off_here(rs.client_addr.proxy.has_value(),
                                                 "proxy_protocol none", "--proxy-protocol none"));
    if (ca.proxy == lb::ProxyProto::v1 && vs.proto != 6)
      return error_loc(ca.proxy_at, rs_name(rs) +
                                        ": proxy_protocol v1 needs protocol TCP: v1 has no UDP "
                                        "form (use v2)");
  }
  if (ca.toa) {
    if (mode != lb::FwdMode::fullnat)
      return error_loc(ca.toa_at,
                       rs_name(rs) + ": toa" + needs_fullnat +
                           off_here(rs.client_addr.toa.has_value(), "toa off", "--no-toa"));
    if (vs.proto != 6)
      return error_loc(ca.toa_at, rs_name(rs) +
                                      ": toa needs protocol TCP: the address rides in a TCP "
                                      "option (proxy_protocol v2 has a UDP form)");
  }
  return {};
}

Expected<void> check_real_server(const RealServerConf& rs, const VirtualServerConf& vs,
                                 const std::vector<ServiceKey>& ms, const Config& c) {
  const lb::FwdMode mode = rs.mode.value_or(vs.mode);
  const GaleConf& g = c.gale;
  for (const ServiceKey& m : ms) {
    if (mode == lb::FwdMode::nat && m.fwmark && !rs.port) {
      // Replies are recognised by their source port: one endpoint per port the rule spans.
      for (const FwmarkMatch& f : g.fwmarks) {
        if (f.fwmark != m.fwmark) continue;
        for (const FwmarkMatch::Ports& p :
             f.ports.empty() ? std::vector<FwmarkMatch::Ports>{{}} : f.ports)
          if (p.hi - p.lo > 1024)
            return error_loc(rs.where,
                             rs_name(rs) + ": NAT needs the real server's port here, or fwmark " +
                                 std::to_string(m.fwmark) + "'s match (" + to_string(f.where) +
                                 ") to span at most 1025 ports per range");
      }
    }
    if (mode == lb::FwdMode::nat || mode == lb::FwdMode::fullnat) {
      // NAT64 (docs/modes.md): FULLNAT of an IPv6 VIP to an IPv4 server translates.
      const bool nat64 = mode == lb::FwdMode::fullnat && m.vip.is_v6() && rs.addr.is_v4();
      if (!m.fwmark && m.vip.family != rs.addr.family && !nat64)
        return error_loc(rs.where, rs_name(rs) + ": " + mode_name(mode) +
                                       " needs the real server in the VIP's address family (" +
                                       text(m.vip) + "); use DR or TUN to mix families" +
                                       (mode == lb::FwdMode::fullnat
                                            ? " (FULLNAT translates IPv6 VIPs to IPv4 servers "
                                              "only: NAT64)"
                                            : ""));
      for (const FwmarkMatch& f : g.fwmarks)
        if (m.fwmark && f.fwmark == m.fwmark && f.net.family != rs.addr.family)
          return error_loc(rs.where, rs_name(rs) + ": " + mode_name(mode) +
                                         " needs the real server in the family of fwmark " +
                                         std::to_string(m.fwmark) + "'s match (" +
                                         to_string(f.where) + ")");
    } else if (rs.port) {
      if (m.fwmark)
        return error_loc(rs.where, rs_name(rs) + ": " + mode_name(mode) +
                                       " keeps the client's destination port; omit the port "
                                       "for a fwmark service (real_server " +
                                       text(rs.addr) + ")");
      if (rs.port != m.port)
        return error_loc(rs.where, rs_name(rs) + ": " + mode_name(mode) +
                                       " cannot change the port (the server receives the VIP's "
                                       "port " +
                                       std::to_string(m.port) + "); write " +
                                       std::to_string(m.port) + " or use NAT");
    }
  }
  if (mode == lb::FwdMode::fullnat) {
    bool have = false;
    for (const net::IpAddr& a : g.fullnat_local_addresses)
      have |= a.family == rs.addr.family;
    if (!have) {
      const bool nat64 = std::any_of(ms.begin(), ms.end(), [&](const ServiceKey& m) {
        return m.vip.family != rs.addr.family;
      });
      return error_loc(rs.where, rs_name(rs) +
                                     (nat64 ? ": NAT64 (an IPv6 VIP, this IPv4 server) needs an "
                                              "IPv4 FullNAT local address"
                                            : ": FULLNAT needs a local address of its family") +
                                     " (gale { fullnat_local_addresses ... })");
    }
  }
  GALE_CTL_TRY(check_client_addr(rs, vs, mode));
  if (mode == lb::FwdMode::tun) {
    if (rs.addr.is_v4() && !g.tunnel_source)
      return error_loc(rs.where, rs_name(rs) + ": TUN needs gale { tunnel_source IPV4 }");
    if (rs.addr.is_v6() && !g.tunnel_source6)
      return error_loc(rs.where, rs_name(rs) + ": TUN needs gale { tunnel_source6 IPV6 }");
  } else if (rs.encap) {
    return error_loc(rs.where, rs_name(rs) +
                                   ": tunnel_encap applies to TUN only (this real "
                                   "server uses " +
                                   mode_name(mode) + ")");
  }
  return {};
}

Expected<void> check_virtual_servers_impl(const Config& c, std::vector<Warning>& warnings) {
  // (fwmark, vip, port, proto) -> where, to find services defined twice.
  std::map<std::tuple<uint32_t, net::IpAddr, uint16_t, uint8_t>, Location> seen;
  size_t total = 0;
  for (const VirtualServerConf& vs : c.virtual_servers) {
    if (vs.kind == VsKind::group) {
      bool found = false;
      for (const VirtualServerGroup& g : c.groups)
        found |= g.name == vs.group;
      if (!found) {
        std::vector<std::string_view> names;
        for (const VirtualServerGroup& g : c.groups)
          names.push_back(g.name);
        return error_loc(vs.where, "virtual_server group \"" + vs.group +
                                       "\": no virtual_server_group of that name" +
                                       did_you_mean(vs.group, names));
      }
    }
    const std::vector<ServiceKey> ms = service_keys(vs, c);
    for (const ServiceKey& m : ms) {
      const auto key = std::make_tuple(m.fwmark, m.vip, m.port, vs.proto);
      const std::string name = m.fwmark ? "fwmark " + std::to_string(m.fwmark)
                                        : text(m.vip) + " " + std::to_string(m.port);
      if (auto it = seen.find(key); it != seen.end())
        return error_loc(vs.where,
                         "virtual_server " + name + " " + (vs.proto == 6 ? "TCP" : "UDP") +
                             " is defined twice (first at " + to_string(it->second) + ")");
      seen.emplace(key, vs.where);
      if (m.fwmark) {
        bool has_rule = false;
        for (const FwmarkMatch& f : c.gale.fwmarks) {
          if (f.fwmark != m.fwmark) continue;
          has_rule = true;
          if (f.proto && *f.proto != vs.proto)
            return error_loc(f.where, "fwmark " + std::to_string(m.fwmark) + " matches " +
                                          (*f.proto == 6 ? "tcp" : "udp") +
                                          " but its virtual_server (" + to_string(vs.where) +
                                          ") has protocol " + (vs.proto == 6 ? "TCP" : "UDP"));
        }
        // keepalived accepts the service (iptables marks the packets); gale sees packets
        // before netfilter, so until a match rule says which carry the mark, none does.
        if (!has_rule)
          warnings.push_back(
              {.where = vs.where,
               .message = "fwmark " + std::to_string(m.fwmark) +
                          ": no packet carries this mark for gale (it sees packets before "
                          "netfilter): say which do with gale { fwmark " +
                          std::to_string(m.fwmark) + " { match tcp 192.0.2.0/24 ports 80,443 } }"});
      } else if (vs.persistence_prefix > (m.vip.is_v4() ? 32 : 128)) {
        return error_loc(vs.where, "persistence_granularity /" +
                                       std::to_string(vs.persistence_prefix) +
                                       " is longer than an address of " + text(m.vip));
      }
    }
    const bool sh = vs.sched == lb::SchedKind::sh, mh = vs.sched == lb::SchedKind::mh;
    if ((vs.sched_flags.sh_port || vs.sched_flags.sh_fallback) && !sh)
      return error_loc(vs.where, "sh-port and sh-fallback apply to lb_algo sh only");
    if ((vs.sched_flags.mh_port || vs.sched_flags.mh_fallback) && !mh)
      return error_loc(vs.where, "mh-port and mh-fallback apply to lb_algo mh only");
    for (const RealServerConf& rs : vs.real_servers)
      GALE_CTL_TRY(check_real_server(rs, vs, ms, c));
    // The sorry server serves as a real server of the service does, so it is checked as
    // one (and counts against the ids).
    if (const auto sorry = sorry_dest(vs, true)) {
      if (auto r = check_real_server(*sorry, vs, ms, c); !r)
        return fail(r.error().message + " (the sorry_server)");
      total += ms.size();
    }
    total += ms.size() * vs.real_servers.size();
  }
  if (total >= 0xffff)
    return fail("too many real servers: " + std::to_string(total) + " (at most 65534 in all)");
  for (const FwmarkMatch& f : c.gale.fwmarks) {
    bool used = false;
    for (const auto& [key, at] : seen)
      used |= std::get<0>(key) == f.fwmark;
    if (!used)
      return error_loc(f.where, "gale fwmark " + std::to_string(f.fwmark) +
                                    " has no virtual_server fwmark " + std::to_string(f.fwmark));
  }
  return {};
}

}  // namespace

Expected<void> check_virtual_servers(const Config& c) {
  std::vector<Warning> warnings;  // a runtime change's warnings have no file line to name
  return check_virtual_servers_impl(c, warnings);
}

namespace {

Expected<void> check_vrrp(const Config& c, std::vector<Warning>& warnings) {
  std::vector<std::string_view> scripts, instances;
  for (const VrrpScript& s : c.vrrp_scripts)
    scripts.push_back(s.name);
  for (const VrrpInstance& v : c.vrrp_instances)
    instances.push_back(v.name);
  for (size_t i = 0; i < c.vrrp_instances.size(); ++i) {
    const VrrpInstance& v = c.vrrp_instances[i];
    for (const TrackScript& t : v.track_scripts)
      if (std::find(scripts.begin(), scripts.end(), t.name) == scripts.end())
        return error_loc(v.where, "vrrp_instance \"" + v.name + "\" tracks \"" + t.name +
                                      "\": no vrrp_script of that name" +
                                      did_you_mean(t.name, scripts));
    if (v.vmac_xmit_base && !v.use_vmac)
      warnings.push_back({.where = v.vmac_xmit_base_at,
                          .message = "vmac_xmit_base without use_vmac does nothing (as "
                                     "keepalived)"});
    for (size_t j = 0; v.use_vmac && j < c.vrrp_instances.size(); ++j) {
      const VrrpInstance& o = c.vrrp_instances[j];
      const std::string name = vmac_ifname(c, v);
      if (o.interface == name)
        return error_loc(v.vmac_at, "vrrp_instance \"" + v.name + "\": its VMAC " + name +
                                        " is the interface of \"" + o.name + "\" (at " +
                                        to_string(o.where) + "); name another with use_vmac NAME");
      if (j < i && o.use_vmac && vmac_ifname(c, o) == name)
        return error_loc(v.vmac_at, "vrrp_instance \"" + v.name + "\": VMAC " + name +
                                        " is already \"" + o.name + "\"'s (at " +
                                        to_string(o.vmac_at) +
                                        "); name another with use_vmac NAME");
    }
    for (size_t j = 0; j < i; ++j) {
      const VrrpInstance& o = c.vrrp_instances[j];
      if (o.interface == v.interface && o.virtual_router_id == v.virtual_router_id &&
          o.family == v.family)
        return error_loc(v.where, "vrrp_instance \"" + v.name + "\" reuses virtual_router_id " +
                                      std::to_string(v.virtual_router_id) + " on " + v.interface +
                                      " (\"" + o.name + "\" at " + to_string(o.where) + ")");
    }
    // keepalived's two warnings: the owner's priority is fixed, and a sync group's
    // members ignore their scripts' weights.
    bool weighted = std::any_of(v.track_interfaces.begin(), v.track_interfaces.end(),
                                [](const TrackInterface& t) { return t.weight != 0; });
    for (const ResolvedTrack& t : resolved_track_processes(c, v))
      weighted = weighted || t.weight != 0;
    bool group_zeroed = false;
    for (const TrackScript& t : v.track_scripts) {
      const auto s = std::find_if(c.vrrp_scripts.begin(), c.vrrp_scripts.end(),
                                  [&](const VrrpScript& x) { return x.name == t.name; });
      const int32_t w = t.weight.value_or(s->weight);
      weighted = weighted || (w != 0 && !sync_group_of(c, v.name));
      group_zeroed = group_zeroed || (w != 0 && sync_group_of(c, v.name));
    }
    if (v.priority == 255 && weighted)
      warnings.push_back({.where = v.where,
                          .message = "vrrp_instance \"" + v.name +
                                     "\" has priority 255 (the address owner): tracking weights "
                                     "do not change it (only weight 0, FAULT, applies)"});
    if (group_zeroed)
      warnings.push_back({.where = v.where,
                          .message = "vrrp_instance \"" + v.name +
                                     "\" is in a vrrp_sync_group: its track_script weights "
                                     "count as 0 (a failing script is FAULT), as keepalived"});
  }
  for (size_t gi = 0; gi < c.vrrp_sync_groups.size(); ++gi) {
    const VrrpSyncGroup& g = c.vrrp_sync_groups[gi];
    for (const TrackScript& t : g.track_scripts)
      if (std::find(scripts.begin(), scripts.end(), t.name) == scripts.end())
        return error_loc(g.where, "vrrp_sync_group \"" + g.name + "\" tracks \"" + t.name +
                                      "\": no vrrp_script of that name" +
                                      did_you_mean(t.name, scripts));
    const bool weighted =
        std::any_of(g.track_scripts.begin(), g.track_scripts.end(),
                    [](const TrackScript& t) { return t.weight.value_or(0) != 0; }) ||
        std::any_of(g.track_interfaces.begin(), g.track_interfaces.end(),
                    [](const TrackInterface& t) { return t.weight != 0; });
    if (weighted)
      warnings.push_back({.where = g.where,
                          .message = "vrrp_sync_group \"" + g.name +
                                     "\": the weights of its track_script and track_interface "
                                     "lines count as 0 (a failure is the group's FAULT), as "
                                     "keepalived without sync_group_tracking_weight"});
    for (const std::string& n : g.instances) {
      if (std::find(instances.begin(), instances.end(), n) == instances.end())
        return error_loc(g.where, "vrrp_sync_group \"" + g.name + "\" names \"" + n +
                                      "\": no vrrp_instance of that name" +
                                      did_you_mean(n, instances));
      for (size_t gj = 0; gj < gi; ++gj) {
        const VrrpSyncGroup& o = c.vrrp_sync_groups[gj];
        if (std::find(o.instances.begin(), o.instances.end(), n) != o.instances.end())
          return error_loc(g.where, "vrrp_sync_group \"" + g.name + "\" names \"" + n +
                                        "\", already in vrrp_sync_group \"" + o.name + "\" (at " +
                                        to_string(o.where) + ")");
      }
    }
  }
  return {};
}

// lvs_sync_daemon names an instance of this config, whose family the sync socket takes:
// a group of the other family is refused, and an IPv6 instance that multicasts needs a
// group (IPVS's default, 224.0.0.81, is IPv4; keepalived has no IPv6 one).
Expected<void> check_sync_daemon(const Config& c) {
  if (!c.global.lvs_sync_daemon) return {};
  const LvsSyncDaemon& d = *c.global.lvs_sync_daemon;
  std::vector<std::string_view> names;
  for (const VrrpInstance& v : c.vrrp_instances) {
    if (v.name != d.instance) {
      names.push_back(v.name);
      continue;
    }
    const bool v6 = v.family == net::Family::v6;
    const std::string fam = v6 ? "IPv6" : "IPv4";
    if (d.group && d.group->is_v4() == v6)
      return error_loc(d.group_where, "lvs_sync_daemon group " +
                                          std::string(net::to_text(*d.group).view()) + " is " +
                                          (v6 ? "IPv4" : "IPv6") + " but vrrp_instance \"" +
                                          d.instance + "\" is " + fam);
    if (v6 && !d.group && v.unicast_peers.empty())
      return error_loc(d.where, "lvs_sync_daemon: vrrp_instance \"" + d.instance +
                                    "\" is IPv6 and multicast: write an IPv6 `group` "
                                    "(there is no IPv6 default)");
    return {};
  }
  return error_loc(d.where, "lvs_sync_daemon names \"" + d.instance +
                                "\": no vrrp_instance of that name" +
                                did_you_mean(d.instance, names));
}

}  // namespace

Expected<void> validate(const Config& c, const std::string& main_file,
                        std::vector<Warning>& warnings) {
  (void)main_file;  // without a gale block, derive_gale_defaults has filled the interfaces
  if (c.gale.interfaces.empty())
    return error_loc(c.gale.where,
                     "the gale block needs `interfaces IFNAME ...` (the first faces clients)");
  if (c.gale.fullnat_port_hi - c.gale.fullnat_port_lo + 1 < 64)
    return error_loc(c.gale.where, "fullnat_ports must span at least 64 ports");
  GALE_CTL_TRY(check_virtual_servers_impl(c, warnings));
  GALE_CTL_TRY(check_sync_daemon(c));
  GALE_CTL_TRY(check_tracks(c, warnings));
  return check_vrrp(c, warnings);
}

}  // namespace gale::ctl::detail

namespace gale::ctl {

ClientAddr client_addr(const RealServerConf& rs, const VirtualServerConf& vs) {
  const ClientAddrConf& own = rs.client_addr;
  const ClientAddrConf& svc = vs.client_addr;
  ClientAddr out;
  if (own.proxy)
    out = {.proxy = *own.proxy, .proxy_at = own.proxy_at};
  else if (svc.proxy)
    out = {.proxy = *svc.proxy, .proxy_at = svc.proxy_at};
  if (own.toa) {
    out.toa = *own.toa;
    out.toa_at = own.toa_at;
  } else if (svc.toa) {
    out.toa = *svc.toa;
    out.toa_at = svc.toa_at;
  }
  return out;
}

net::IpAddr vrrp_group(const Config& c, const VrrpInstance& vi) {
  if (vi.mcast_dst_ip) return *vi.mcast_dst_ip;
  if (vi.family == net::Family::v6)
    return c.global.vrrp_mcast_group6.value_or(
        net::Ipv6Addr{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12}});
  return c.global.vrrp_mcast_group4.value_or(net::Ipv4Addr{0xe0000012});
}

std::string vmac_ifname(const Config& c, const VrrpInstance& vi) {
  if (!vi.vmac_name.empty()) return vi.vmac_name;
  return c.global.vmac_prefix + "." + std::to_string(vi.virtual_router_id);
}

const VrrpSyncGroup* sync_group_of(const Config& c, std::string_view instance) {
  for (const VrrpSyncGroup& g : c.vrrp_sync_groups)
    if (std::find(g.instances.begin(), g.instances.end(), instance) != g.instances.end()) return &g;
  return nullptr;
}

TrackWeight track_weight(const Config& c, const VrrpInstance& vi, const TrackScript& t) {
  TrackWeight w;
  for (const VrrpScript& s : c.vrrp_scripts)
    if (s.name == t.name) w = {.weight = s.weight, .reverse = s.reverse};
  if (t.weight) w.weight = *t.weight;
  if (t.reverse) w.reverse = *t.reverse;
  if (sync_group_of(c, vi.name)) w.weight = 0;
  return w;
}

}  // namespace gale::ctl
