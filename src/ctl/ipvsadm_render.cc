// ipvsadm 1.31's listing formats (ipvsadm_render.h), after its print_title,
// print_service_entry, print_largenum, list_conn, list_timeout and list_daemon.
#include "ctl/ipvsadm_render.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include "lb/scheduler.h"

namespace gale::ctl::ipvsadm {

namespace {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return std::string(buf, n < 0 ? 0 : std::min<size_t>(size_t(n), sizeof buf - 1));
}

const char* proto_name(uint8_t p) {
  return p == 6 ? "TCP" : p == 17 ? "UDP" : p == 132 ? "SCTP" : "?";
}

// ipvsadm's addrport_to_anyname: [v6]:port, names unless numeric.
std::string addr_port(const net::IpAddr& a, uint16_t port, uint8_t proto, const ListFormat& f,
                      const NameLookup& names) {
  std::string host(net::to_text(a).view()), serv = std::to_string(port);
  if (!f.numeric) {
    if (auto h = names.host_name ? names.host_name(a) : std::nullopt) host = *h;
    if (auto s = names.service_name ? names.service_name(port, proto) : std::nullopt) serv = *s;
  }
  return a.is_v4() ? host + ":" + serv : "[" + host + "]:" + serv;
}

// The -b names ipvsadm's print_sched_flags prints, comma-separated.
std::string sched_flags_text(const ServiceSpec& s) {
  std::string out;
  auto add = [&out](bool on, const char* name) {
    if (on) out += (out.empty() ? "" : ",") + std::string(name);
  };
  if (s.sched == lb::SchedKind::sh) {
    add(s.flags.sh_fallback, "sh-fallback");
    add(s.flags.sh_port, "sh-port");
  } else if (s.sched == lb::SchedKind::mh) {
    add(s.flags.mh_fallback, "mh-fallback");
    add(s.flags.mh_port, "mh-port");
  }
  return out;
}

// The persistence netmask as ipvsadm prints it ("" for a host mask): dotted for IPv4,
// a prefix length for IPv6.
std::string mask_text(const ServiceSpec& s) {
  const int p = s.persistence_prefix;
  if (s.family == net::Family::v6) return p == 0 || p == 128 ? "" : std::to_string(p);
  if (p == 0 || p == 32) return "";
  const uint32_t m = p >= 32 ? 0xffffffffu : ~(0xffffffffu >> p);
  return std::string(net::to_text(net::Ipv4Addr{m}).view());
}

// A real server's port as IPVS holds it: -r's port, else the service's.
uint16_t dest_port(const ServiceRow& s, const DestRow& d) {
  return d.spec.port ? d.spec.port : s.spec.key.port;
}

const char* fwd_switch(lb::FwdMode m) {
  switch (m) {
    case lb::FwdMode::nat:
      return "-m";
    case lb::FwdMode::tun:
      return "-i";
    case lb::FwdMode::fullnat:
      return "--fullnat";
    case lb::FwdMode::dr:
      break;
  }
  return "-g";
}

// ipvsadm's fwd_tun_info: ipip, gue:PORT:FLAGS, or nothing for a non-tunnel server.
std::optional<std::string> tun_info(const DestSpec& d) {
  if (d.mode != lb::FwdMode::tun) return std::nullopt;
  if (!d.encap || *d.encap == lb::TunEncap::ipip) return "ipip";
  static const char* const kFlags[] = {"-c", "+c", "r+c"};
  if (*d.encap == lb::TunEncap::gue)
    return format("gue:%u:%s", unsigned{d.tun_port}, kFlags[int(d.tun_csum)]);
  return std::string(lb::to_string(*d.encap));
}

std::string tunnel_rule(const std::string& svc, const std::string& dname, const DestSpec& d) {
  static const char* const kFlagOpts[] = {"--tun-nocsum", "--tun-csum", "--tun-remcsum"};
  std::string line = "-a " + svc + " -r " + dname + " -i -w " + std::to_string(d.weight);
  if (!d.encap || *d.encap == lb::TunEncap::ipip) return line + " --tun-type ipip\n";
  if (*d.encap == lb::TunEncap::gue)
    return line + " --tun-type gue --tun-port " + std::to_string(d.tun_port) + " " +
           kFlagOpts[int(d.tun_csum)] + "\n";
  return line + " --tun-type " + lb::to_string(*d.encap) + "\n";
}

// gale's FullNAT options as -a takes them back (-R), when they are on.
std::string client_addr_options(const DestSpec& d) {
  std::string out;
  if (d.proxy && *d.proxy != lb::ProxyProto::none)
    out += std::string(" --proxy-protocol ") + lb::to_string(*d.proxy);
  if (d.toa.value_or(false)) out += " --toa";
  return out;
}

std::string title(const ListFormat& f) {
  if (f.stats)
    return format("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port",
                  "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes");
  if (f.rate)
    return format("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port",
                  "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS");
  if (f.thresholds)
    return format("%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n",
                  "Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn", "InActConn");
  if (f.persistent_conn)
    return format("%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n",
                  "Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn", "InActConn");
  if (f.tun_info)
    return "Prot LocalAddress:Port Scheduler Flags\n"
           "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n";
  if (!f.rule)
    return "Prot LocalAddress:Port Scheduler Flags\n"
           "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
  return "";
}

std::string numbers(const Counters& c, bool exact) {
  return large_number(c.conns, exact) + large_number(c.in_pkts, exact) +
         large_number(c.out_pkts, exact) + large_number(c.in_bytes, exact) +
         large_number(c.out_bytes, exact);
}

std::string service_entry(const ServiceRow& row, const ListFormat& f, const NameLookup& names) {
  const ServiceSpec& s = row.spec;
  const bool v6 = s.family == net::Family::v6;
  std::string svc;
  if (s.key.fwmark) {
    const std::string mark = std::to_string(s.key.fwmark);
    svc = f.rule ? "-f " + mark + (v6 ? " -6" : "") : "FWM  " + mark + (v6 ? " IPv6" : "");
  } else {
    const std::string v = addr_port(s.key.vip, s.key.port, s.key.proto, f, names);
    if (f.rule) {
      svc = (s.key.proto == 17 ? "-u " : "-t ") + v;
    } else {
      svc = format("%-4s %s", proto_name(s.key.proto), v.c_str());
      if (!v6 && svc.size() > 33) svc.resize(33);
    }
  }
  const std::string flags = sched_flags_text(s), mask = mask_text(s);
  std::string out;
  if (f.rule) {
    out = "-A " + svc + " -s " + lb::to_string(s.sched);
    if (s.persistence_s) {
      out += " -p " + std::to_string(s.persistence_s);
      if (!mask.empty()) out += " -M " + mask;
    }
    if (s.one_packet) out += " -o";
    if (!flags.empty()) out += " -b " + flags;
  } else if (f.stats) {
    out = format("%-33s", svc.c_str()) + numbers(row.stats, f.exact);
  } else if (f.rate) {
    const Rates& r = row.rate;
    out = format("%-33s", svc.c_str()) + large_number(r.cps, f.exact) +
          large_number(r.inpps, f.exact) + large_number(r.outpps, f.exact) +
          large_number(r.inbps, f.exact) + large_number(r.outbps, f.exact);
  } else {
    out = svc + " " + lb::to_string(s.sched);
    if (!flags.empty()) out += " (" + flags + ")";
    if (s.persistence_s) {
      out += " persistent " + std::to_string(s.persistence_s);
      if (!mask.empty()) out += " mask " + mask;
    }
    if (s.one_packet) out += " ops";
  }
  out += "\n";

  std::vector<const DestRow*> dests;
  for (const DestRow& d : row.dests)
    dests.push_back(&d);
  if (!f.nosort)
    std::stable_sort(dests.begin(), dests.end(), [&row](const DestRow* a, const DestRow* b) {
      if (a->spec.addr.family != b->spec.addr.family)
        return a->spec.addr.family < b->spec.addr.family;
      if (a->spec.addr.b != b->spec.addr.b) return a->spec.addr.b < b->spec.addr.b;
      return dest_port(row, *a) < dest_port(row, *b);
    });
  for (const DestRow* d : dests) {
    std::string dname = addr_port(d->spec.addr, dest_port(row, *d), s.key.proto, f, names);
    if (!f.rule && !d->spec.addr.is_v6() && dname.size() > 28) dname.resize(28);
    const char* fwd = lb::to_string(d->spec.mode);
    if (f.rule) {
      // -S restores the configuration: the configured weight, not a health verdict's.
      out += d->spec.mode == lb::FwdMode::tun
                 ? tunnel_rule(svc, dname, d->spec)
                 : "-a " + svc + " -r " + dname + " " + fwd_switch(d->spec.mode) + " -w " +
                       std::to_string(d->spec.weight) + client_addr_options(d->spec) + "\n";
    } else if (f.stats) {
      out += format("  -> %-28s", dname.c_str()) + numbers(d->stats, f.exact) + "\n";
    } else if (f.rate) {
      out += format("  -> %-28s %8" PRIu64 " %8" PRIu64 " %8" PRIu64, dname.c_str(), d->rate.cps,
                    d->rate.inpps, d->rate.outpps) +
             large_number(d->rate.inbps, f.exact) + large_number(d->rate.outbps, f.exact) + "\n";
    } else if (f.thresholds) {
      out += format("  -> %-28s %-10u %-10u %-10" PRIu64 " %-10" PRIu64 "\n", dname.c_str(),
                    d->spec.uthreshold, d->spec.lthreshold, d->active, d->inactive);
    } else if (f.persistent_conn) {
      out += format("  -> %-28s %-9u %-11" PRIu64 " %-10" PRIu64 " %-10" PRIu64 "\n", dname.c_str(),
                    d->weight, d->persistent, d->active, d->inactive);
    } else if (f.tun_info) {
      const auto ti = tun_info(d->spec);
      out += format("  -> %-28s %-7s %-13s %-6d %-10" PRIu64 " %-10" PRIu64 "\n", dname.c_str(),
                    fwd, ti ? ti->c_str() : "n/a", int(d->weight), d->active, d->inactive);
    } else {
      out += format("  -> %-28s %-7s %-6d %-10" PRIu64 " %-10" PRIu64 "\n", dname.c_str(), fwd,
                    int(d->weight), d->active, d->inactive);
    }
  }
  return out;
}

bool same_service(const ServiceSpec& a, const ServiceSpec& b) {
  if (a.key.fwmark || b.key.fwmark) return a.key.fwmark == b.key.fwmark && a.family == b.family;
  return a.key.vip == b.key.vip && a.key.port == b.key.port && a.key.proto == b.key.proto;
}

}  // namespace

std::string large_number(uint64_t n, bool exact) {
  if (exact) {
    const std::string digits = std::to_string(n);
    return format("%*" PRIu64, digits.size() <= 8 ? 9 : int(digits.size()) + 1, n);
  }
  if (n < 100000000ull) return format("%9" PRIu64, n);
  if (n < 1000000000ull) return format("%8" PRIu64 "K", n / 1000);
  if (n < 100000000000ull) return format("%8" PRIu64 "M", n / 1000000);
  if (n < 100000000000000ull) return format("%8" PRIu64 "G", uint64_t(n / 1000000000ull));
  return format("%8" PRIu64 "T", uint64_t(n / 1000000000000ull));
}

std::string render_table(const Listing& l, const ListFormat& f, const NameLookup& names) {
  std::string out;
  if (!f.rule) out = format("IP Virtual Server version 1.2.1 (size=%d)\n", int(l.conn_table_size));
  std::vector<const ServiceRow*> rows;
  for (const ServiceRow& s : l.services)
    rows.push_back(&s);
  // libipvs' ipvs_cmp_services: fwmark, family, protocol, address, port.
  if (!f.nosort)
    std::stable_sort(rows.begin(), rows.end(), [](const ServiceRow* a, const ServiceRow* b) {
      const ServiceSpec &x = a->spec, &y = b->spec;
      return std::tie(x.key.fwmark, x.family, x.key.proto, x.key.vip.b, x.key.port) <
             std::tie(y.key.fwmark, y.family, y.key.proto, y.key.vip.b, y.key.port);
    });
  out += title(f);
  for (const ServiceRow* s : rows)
    out += service_entry(*s, f, names);
  return out;
}

std::optional<std::string> render_service(const Listing& l, const ServiceSpec& key,
                                          const ListFormat& f, const NameLookup& names) {
  for (const ServiceRow& s : l.services)
    if (same_service(s.spec, key)) return title(f) + service_entry(s, f, names);
  return std::nullopt;
}

std::string render_conns(const ConnListing& c, const ListFormat& f, const NameLookup& names) {
  std::string out = "IPVS connection entries\n";
  if (f.persistent_conn)
    out += format("pro expire %-11s %-18s %-18s %-18s %-16s %s\n", "state", "source", "virtual",
                  "destination", "pe name", "pe_data");
  else
    out += format("pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual", "destination");
  for (const ConnRow& r : c.conns) {
    const std::string expire = format("%02u:%02u", r.expires_s / 60, r.expires_s % 60);
    out += format("%-3s %-6s %-11s %-18s %-18s %s\n", proto_name(r.proto), expire.c_str(),
                  r.state.c_str(), addr_port(r.client, r.client_port, r.proto, f, names).c_str(),
                  addr_port(r.vip, r.vport, r.proto, f, names).c_str(),
                  addr_port(r.rs, r.rs_port, r.proto, f, names).c_str());
  }
  return out;
}

std::string render_timeouts(uint32_t tcp, uint32_t tcpfin, uint32_t udp) {
  return format("Timeout (tcp tcpfin udp): %d %d %d\n", int(tcp), int(tcpfin), int(udp));
}

// ipvsadm's list_daemon prints maxlen, group, port and ttl when the kernel reports them,
// which every kernel since 4.3 does, with IPVS's defaults filled in.
std::string render_daemons(const std::vector<SyncDaemonRow>& rows) {
  std::string out;
  for (const SyncDaemonRow& r : rows)
    out += format("%s sync daemon (mcast=%s, syncid=%d, maxlen=%u, group=%s, port=%u, ttl=%u)\n",
                  to_string(r.role), r.conf.interface.c_str(), int(r.conf.syncid),
                  unsigned(r.conf.maxlen), net::to_text(r.conf.group).c_str(),
                  unsigned(r.conf.port), unsigned(r.conf.ttl));
  return out;
}

}  // namespace gale::ctl::ipvsadm
