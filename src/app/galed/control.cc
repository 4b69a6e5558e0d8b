// The control socket's operations (ctl::ControlApi) as galed performs them: each says
// what happened, and a failure leaves the model and the running snapshot as they were.
// Every change goes through ctl::Model (runtime commands, reloads, health verdicts) and
// is followed by one rebuild; the builder keeps the Maglev tables and scheduler state
// of every service whose content did not change.
#include <unistd.h>

#include "app/galed/daemon.h"
#include "ctl/config_check.h"
#include "ctl/parser.h"
#include "ctl/reload_check.h"
#include "ctl/stats.h"
#include "health/engine.h"
#include "io/dataplane.h"

namespace gale::app {

Expected<uint64_t> Daemon::reload() {
  auto refuse = [this](const std::string& why) -> Expected<uint64_t> {
    ++reloads_failed_;
    log("reload failed, keeping the running config: " + why);
    return fail(why);
  };
  auto cfg = ctl::load_config(opts_.config_path, opts_.parse);
  if (!cfg) return refuse(cfg.error().message);
  // A derived config keeps the backend start fell back to.
  if (cfg->gale.io_fallback && config().gale.io_fallback) cfg->gale.io = config().gale.io;
  if (opts_.control_socket) cfg->gale.control_socket = *opts_.control_socket;
  const ctl::ReloadContext ctx{
      .workers = workers_,
      .next_workers = ctl::resolve_workers(*cfg, opts_.workers.value_or(0)),
      .live_fullnat_flows = live_fullnat_flows()};
  if (auto r = ctl::check_reload(config(), *cfg, ctx); !r) return refuse(r.error().message);
  if (auto r = ctl::check_workers(*cfg, workers_); !r) return refuse(r.error().message);
  const std::vector<ctl::Warning> warnings = cfg->warnings;
  const bool vrrp_changed = vrrp_fingerprint(config()) != vrrp_fingerprint(*cfg);
  ctl::Model before = model_;
  auto notes = model_.load(std::move(*cfg));
  if (!notes) return refuse(notes.error().message);
  std::vector<std::string> said = std::move(unreachable_);
  unreachable_.clear();  // a reload says every problem again
  if (auto r = rebuild(true); !r) {
    model_ = std::move(before);
    unreachable_ = std::move(said);
    return refuse(r.error().message);
  }
  for (const auto& w : warnings)
    log(ctl::to_string(w));
  for (const auto& n : *notes)
    log(n);
  ++reloads_ok_;
  if (health_) health_->update(config());  // unchanged checkers keep their state
  if (vrrp_changed)
    log("reload: the vrrp_instance changes take effect at restart (the running instances "
        "keep their state and configuration)");
  if (config().global.fifo_write_vrrp_states_on_reload) vrrp_states_to_fifos();
  log("reloaded " + opts_.config_path);
  return generation_;
}

Expected<uint64_t> Daemon::change(const ctl::ModelChange& change) {
  ctl::Model before = model_;
  if (auto r = change(model_); !r) {
    model_ = std::move(before);
    return fail(r.error().message);
  }
  if (model_.version() == before.version()) return generation_;  // nothing to do
  if (auto r = rebuild(false); !r) {
    model_ = std::move(before);
    return fail(r.error().message);
  }
  return generation_;
}

void Daemon::post_health(ctl::RealServerRef rs, ctl::HealthState state) {
  {
    std::lock_guard lock(posted_mu_);
    posted_.emplace_back(std::move(rs), std::move(state));
  }
  const uint64_t one = 1;
  (void)!write(health_fd_, &one, sizeof one);
}

void Daemon::apply_posted_health() {
  uint64_t n = 0;
  (void)!read(health_fd_, &n, sizeof n);
  std::vector<std::pair<ctl::RealServerRef, ctl::HealthState>> posted;
  {
    std::lock_guard lock(posted_mu_);
    posted.swap(posted_);
  }
  const uint64_t version = model_.version();
  for (const auto& [rs, state] : posted) {
    const auto it = model_.health().find(rs);
    const bool was_up = it == model_.health().end() || it->second.up;
    if (auto r = model_.set_health(rs, state); !r) {
      log("health: " + r.error().message);
      continue;
    }
    if (was_up != state.up)
      log("health: real server " + std::string(net::to_text(rs.addr).view()) + ":" +
          std::to_string(rs.port) + " of " + std::string(net::to_text(rs.service.vip).view()) +
          ":" + std::to_string(rs.service.port) +
          (state.up ? " is up" : " is down: " + state.reason));
  }
  // A VRRP instance that became MASTER or left it (vrrp_steer) waits for this pass.
  const bool vrrp = vrrp_rebuild_.exchange(false);
  if (model_.version() != version || vrrp)
    if (auto r = rebuild(false); !r) log("rebuild after health changes: " + r.error().message);
  if (vrrp) vrrp_passes_.fetch_add(1);
}

uint64_t Daemon::live_fullnat_flows() const {
  if (!dataplane_) return 0;
  uint64_t flows = 0;  // every FullNAT connection holds a local address
  for (const auto& r : dataplane_->reports())
    for (uint32_t n : r.laddr_flows)
      flows += n;
  return flows;
}

nlohmann::json Daemon::stats() {
  const auto reports = dataplane_->reports();
  return ctl::to_json(ctl::aggregate(reports, ids_, generation_));
}

ctl::Listing Daemon::counted_listing() {
  const auto reports = dataplane_->reports();
  ctl::Listing l = ctl::build_listing(model_, ctl::aggregate(reports, ids_, generation_));
  subtract_zeroed(l);
  return l;
}

ctl::Listing Daemon::listing() {
  ctl::Listing l = counted_listing();
  l.conn_table_size = uint64_t{config().gale.flows + config().gale.flows6} * workers_;
  l.reloads_ok = reloads_ok_;
  l.reloads_failed = reloads_failed_;
  fill_check_stats(l);
  for (ctl::ServiceRow& s : l.services) {
    if (auto it = service_rates_.find(s.spec.key); it != service_rates_.end())
      s.rate = it->second.rates();
    for (ctl::DestRow& d : s.dests) {
      const ctl::RealServerRef ref{.service = s.spec.key, .addr = d.spec.addr, .port = d.spec.port};
      if (auto it = dest_rates_.find(ref); it != dest_rates_.end()) d.rate = it->second.rates();
    }
  }
  return l;
}

void Daemon::estimate_rates() {
  // Objects new since the last sample start from their counters now; objects gone
  // take their estimators with them.
  std::map<ServiceKey, ctl::RateEstimator> services;
  std::map<ctl::RealServerRef, ctl::RateEstimator> dests;
  auto sample = [](auto& from, auto& into, const auto& key, const ctl::Counters& now) {
    auto old = from.find(key);
    if (old == from.end()) {
      into.emplace(key, ctl::RateEstimator(now));
      return;
    }
    old->second.sample(now);
    into.emplace(key, old->second);
  };
  for (const ctl::ServiceRow& s : counted_listing().services) {
    sample(service_rates_, services, s.spec.key, s.stats);
    for (const ctl::DestRow& d : s.dests)
      sample(dest_rates_, dests,
             ctl::RealServerRef{.service = s.spec.key, .addr = d.spec.addr, .port = d.spec.port},
             d.stats);
  }
  service_rates_ = std::move(services);
  dest_rates_ = std::move(dests);
}

Expected<ctl::ConnListing> Daemon::conns(uint64_t limit) {
  if (!dataplane_) return fail("no dataplane is running");
  ctl::ConnListing out;
  for (const auto& r : dataplane_->reports())
    out.total += r.flows;
  // Each worker's tables, read on its own thread: bounded by `limit` and by 1 s.
  // Persistence templates too, as ipvsadm -L -c lists IPVS's (client port 0, state NONE,
  // or UDP for a UDP service: IPVS's names of state 0); the total counts them as well.
  for (const lb::FlowRecord& f :
       dataplane_->export_flows(limit, 1000, lb::Export::with_templates)) {
    const char* tmpl_state = f.tuple.proto == 17 ? "UDP" : "NONE";
    out.conns.push_back({.proto = f.proto ? f.proto : f.tuple.proto,
                         .state = f.persistence_template ? tmpl_state
                                  : f.tuple.proto == 17  ? "UDP"
                                                         : lb::to_string(f.state),
                         .expires_s = f.timeout_s,
                         .client = f.tuple.src,
                         .client_port = f.tuple.sport,
                         .vip = f.tuple.dst,
                         .vport = f.tuple.dport,
                         .rs = f.rs_addr,
                         .rs_port = f.rs_port ? f.rs_port : f.tuple.dport,
                         .fwmark = f.fwmark});
  }
  return out;
}

namespace {

bool names(const ServiceKey& asked, const ServiceKey& row) {
  if (asked.fwmark || row.fwmark) return asked.fwmark == row.fwmark;  // any protocol
  return asked.vip == row.vip && asked.port == row.port && asked.proto == row.proto;
}

void add_to(ctl::Counters& into, const ctl::Counters& c) {
  into.conns += c.conns;
  into.in_pkts += c.in_pkts;
  into.out_pkts += c.out_pkts;
  into.in_bytes += c.in_bytes;
  into.out_bytes += c.out_bytes;
}

void take_from(ctl::Counters& c, const ctl::Counters& base) {
  auto sub = [](uint64_t a, uint64_t b) { return a > b ? a - b : 0; };
  c.conns = sub(c.conns, base.conns);
  c.in_pkts = sub(c.in_pkts, base.in_pkts);
  c.out_pkts = sub(c.out_pkts, base.out_pkts);
  c.in_bytes = sub(c.in_bytes, base.in_bytes);
  c.out_bytes = sub(c.out_bytes, base.out_bytes);
}

}  // namespace

// ipvsadm -Z: the workers' counters only grow, so zeroing keeps what they said at that
// moment and the listing shows the difference; as IPVS, the rate estimators of what was
// zeroed start again.
Expected<void> Daemon::zero(const std::optional<ServiceKey>& service) {
  bool found = !service;
  for (const ctl::ServiceRow& s : counted_listing().services) {
    if (service && !names(*service, s.spec.key)) continue;
    found = true;
    add_to(zeroed_services_[s.spec.key], s.stats);
    service_rates_.erase(s.spec.key);
    for (const ctl::DestRow& d : s.dests) {
      const ctl::RealServerRef ref{.service = s.spec.key, .addr = d.spec.addr, .port = d.spec.port};
      add_to(zeroed_dests_[ref], d.stats);
      dest_rates_.erase(ref);
    }
  }
  if (!found) return fail("No such service");  // ipvsadm's words (ESRCH)
  return {};
}

void Daemon::subtract_zeroed(ctl::Listing& l) const {
  for (ctl::ServiceRow& s : l.services) {
    if (auto it = zeroed_services_.find(s.spec.key); it != zeroed_services_.end())
      take_from(s.stats, it->second);
    for (ctl::DestRow& d : s.dests) {
      const ctl::RealServerRef ref{.service = s.spec.key, .addr = d.spec.addr, .port = d.spec.port};
      if (auto it = zeroed_dests_.find(ref); it != zeroed_dests_.end())
        take_from(d.stats, it->second);
    }
  }
}

}  // namespace gale::app
