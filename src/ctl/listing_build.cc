// build_listing(): the model (what is configured, what the health verdicts say) and the
// workers' counters (ctl::Stats) as one Listing, in the model's order.
#include <algorithm>
#include <map>

#include "ctl/listing.h"

namespace gale::ctl {

namespace {

ServiceSpec spec_of(const VirtualServerConf& vs, const ServiceKey& key) {
  ServiceSpec s{.key = key,
                .sched = vs.sched,
                .flags = vs.sched_flags,
                .persistence_s = vs.persistence_timeout_s,
                .persistence_prefix = vs.persistence_prefix};
  if (key.fwmark) {
    s.family = vs.fwmark_family;
    if (s.family == net::Family::none)
      s.family = vs.real_servers.empty() ? net::Family::v4 : vs.real_servers[0].addr.family;
  } else {
    s.family = key.vip.family;
  }
  if (vs.origin == Origin::runtime) s.default_mode = vs.mode;
  return s;
}

DestSpec spec_of(const RealServerConf& rc, const VirtualServerConf& vs, const GaleConf& g) {
  DestSpec d{.addr = rc.addr,
             .port = rc.port,
             .mode = rc.mode.value_or(vs.mode),
             .weight = rc.weight,
             .uthreshold = rc.uthreshold,
             .lthreshold = rc.lthreshold};
  if (d.mode == lb::FwdMode::tun) d.encap = rc.encap.value_or(g.tunnel_encap);
  // What the server is sent, whoever said it (-S writes it on the server's line).
  const ClientAddr ca = client_addr(rc, vs);
  d.proxy = ca.proxy;
  d.toa = ca.toa;
  return d;
}

void add(Counters& c, const lb::RsCounters& r) {
  c.conns += r.conns;
  c.in_pkts += r.in_pkts;
  c.out_pkts += r.out_pkts;
  c.in_bytes += r.in_bytes;
  c.out_bytes += r.out_bytes;
}

}  // namespace

Listing build_listing(const Model& model, const Stats& stats) {
  const Config& c = model.effective();
  const HealthView healthy = model.health_view();
  Listing l{.generation = stats.generation};
  for (const VirtualServerConf& vs : c.virtual_servers) {
    for (const ServiceKey& key : service_keys(vs, c)) {
      ServiceRow row{.spec = spec_of(vs, key), .origin = vs.origin, .group = vs.group};
      for (const RealServerStats& rs : stats.real_servers)
        if (rs.key.service == key) add(row.stats, rs.counters);
      const std::optional<RealServerConf> sorry = sorry_dest(vs, model.quorum_lost(key));
      const bool sorry_serves = sorry && sorry->weight > 0;
      std::vector<const RealServerConf*> dests;
      for (const RealServerConf& rc : vs.real_servers)
        dests.push_back(&rc);
      if (sorry) dests.push_back(&*sorry);  // listed as IPVS lists it: one more server
      for (const RealServerConf* rcp : dests) {
        const RealServerConf& rc = *rcp;
        DestRow d{.spec = spec_of(rc, vs, c.gale), .origin = rc.origin, .weight = rc.weight};
        d.healthy = healthy(key, rc).up;
        const auto h = model.health().find({.service = key, .addr = rc.addr, .port = rc.port});
        if (h != model.health().end()) {
          d.health_reason = h->second.reason;
          if (h->second.weight) d.weight = *h->second.weight;
        }
        // Down: quiesced (weight 0) with inhibit_on_failure, else out of the service;
        // while the sorry server serves, the real servers are out (or at weight 0).
        if (!d.healthy || (sorry_serves && rcp != &*sorry)) d.weight = 0;
        for (const RealServerStats& rs : stats.real_servers) {
          if (rs.key.service != key || rs.key.addr != rc.addr || rs.key.port != rc.port) continue;
          add(d.stats, rs.counters);
          // IPVS's ActiveConn: TCP established; InActConn: every other tracked one.
          d.active += rs.counters.active;
          d.inactive += rs.counters.flows - std::min(rs.counters.flows, rs.counters.active);
        }
        row.dests.push_back(std::move(d));
      }
      l.services.push_back(std::move(row));
    }
  }
  return l;
}

}  // namespace gale::ctl
