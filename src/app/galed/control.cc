// The control socket's operations (ctl::ControlApi) as galed performs them: each says
// what happened, and a failure leaves the running config and snapshot as they were.
#include "app/galed/daemon.h"
#include "ctl/config_check.h"
#include "ctl/parser.h"
#include "ctl/reload_check.h"
#include "ctl/stats.h"
#include "io/dataplane.h"

namespace gale::app {

Expected<uint64_t> Daemon::reload() {
  auto refuse = [](const std::string& why) -> Expected<uint64_t> {
    log("reload failed, keeping the running config: " + why);
    return fail(why);
  };
  auto cfg = ctl::load_config(opts_.config_path, opts_.parse);
  if (!cfg) return refuse(cfg.error().message);
  // A derived config keeps the backend start fell back to.
  if (cfg->gale.io_fallback && config_.gale.io_fallback) cfg->gale.io = config_.gale.io;
  if (opts_.control_socket) cfg->gale.control_socket = *opts_.control_socket;
  const ctl::ReloadContext ctx{
      .workers = workers_,
      .next_workers = ctl::resolve_workers(*cfg, opts_.workers.value_or(0)),
      .live_fullnat_flows = live_fullnat_flows()};
  if (auto r = ctl::check_reload(config_, *cfg, ctx); !r) return refuse(r.error().message);
  if (auto r = ctl::check_workers(*cfg, workers_); !r) return refuse(r.error().message);
  Config old = std::move(config_);
  config_ = std::move(*cfg);
  std::vector<std::string> said = std::move(unreachable_);
  unreachable_.clear();  // a reload says every problem again
  if (auto r = rebuild(true); !r) {
    config_ = std::move(old);
    unreachable_ = std::move(said);
    return refuse(r.error().message);
  }
  for (const auto& w : config_.warnings)
    log(ctl::to_string(w));
  log("reloaded " + opts_.config_path);
  return generation_;
}

Expected<uint64_t> Daemon::set_health(const ctl::HealthChange& change) {
  const auto entry = std::make_tuple(change.service, change.rs, change.rs_port);
  const bool was_down = down_.contains(entry);
  if (change.healthy)
    down_.erase(entry);
  else
    down_.insert(entry);
  if (auto r = rebuild(false); !r) {
    if (was_down)
      down_.insert(entry);
    else
      down_.erase(entry);
    return fail(r.error().message);
  }
  return generation_;
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

}  // namespace gale::app
