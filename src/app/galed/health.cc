// galed's side of the health checkers: the engine (health/) runs on its own thread; each
// verdict goes through post_health() (queued, applied on the daemon loop as
// Model::set_health, one rebuild per batch), so a checker's and the operator's verdicts
// meet in the model. A reload gives the engine the new config: unchanged checkers keep
// their state. What the checks did (counts, latency) is kept here for the listing.
#include "app/galed/daemon.h"
#include "health/engine.h"

namespace gale::app {

void Daemon::start_health() {
  health_ = std::make_unique<health::Engine>([this](const ctl::RealServerRef& ref,
                                                    const ctl::HealthState& state,
                                                    const ctl::CheckStats& delta) {
    {
      std::lock_guard lock(check_mu_);
      ctl::CheckStats& total = check_stats_[ref];
      total.checks += delta.checks;
      total.failures += delta.failures;
      total.latency_us_sum += delta.latency_us_sum;
      if (delta.checks) total.last_latency_us = delta.last_latency_us;
    }
    post_health(ref, state);
  });
  health_->start(config());
  quorum_events();
}

void Daemon::quorum_events() {
  if (!health_) return;  // before start: taken once the engine runs (start_health)
  for (const ctl::Model::QuorumChange& q : model_.take_quorum_changes()) {
    const ctl::ServiceKey& k = q.service;
    const std::string name =
        k.fwmark ? "fwmark " + std::to_string(k.fwmark)
                 : std::string(net::to_text(k.vip).view()) + ":" + std::to_string(k.port);
    log("quorum: " + name + (q.up ? " gained" : " lost") + " quorum (up weight " +
        std::to_string(q.weight) + ", quorum " + std::to_string(q.quorum) + ")");
    if (!q.script.empty()) health_->run_script(q.script, config().global.script_user);
  }
}

void Daemon::stop_health() {
  if (!health_) return;
  // omega: at shutdown a service that has quorum runs its quorum_down (its servers'
  // notify_down run from the engine's stop()).
  const ctl::Config& c = config();
  for (const ctl::VirtualServerConf& vs : c.virtual_servers)
    if (vs.omega && !vs.quorum_down.empty())
      for (const ctl::ServiceKey& k : ctl::service_keys(vs, c))
        if (!model_.quorum_lost(k)) {
          health_->run_script(vs.quorum_down, c.global.script_user);
          break;
        }
  health_->stop();
  health_.reset();
}

void Daemon::fill_check_stats(ctl::Listing& l) {
  std::lock_guard lock(check_mu_);
  for (ctl::ServiceRow& s : l.services)
    for (ctl::DestRow& d : s.dests)
      for (const auto& [ref, stats] : check_stats_)
        if (ref.addr == d.spec.addr && (ref.port == 0 || ref.port == d.spec.port) &&
            ref.service.fwmark == s.spec.key.fwmark && ref.service.vip == s.spec.key.vip &&
            ref.service.port == s.spec.key.port)
          d.checks = stats;
}

}  // namespace gale::app
