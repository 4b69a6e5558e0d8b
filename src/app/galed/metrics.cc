// galed's metrics endpoint: what one scrape renders, and where it listens. A scrape is
// served on the control loop's thread: it reads the workers' report boards (no lock on
// their side) and renders (ctl/prometheus.h).
#include "app/galed/daemon.h"
#include "ctl/prometheus.h"
#include "ctl/stats.h"
#include "io/dataplane.h"

#ifndef GALE_VERSION
#define GALE_VERSION "unknown"
#endif

namespace gale::app {

std::string Daemon::metrics_text() {
  const ctl::Stats stats = ctl::aggregate(dataplane_->reports(), ids_, generation_);
  const ctl::MetricsInfo info{.flow_capacity = uint64_t{config().gale.flows} + config().gale.flows6,
                              .version = GALE_VERSION,
                              .vrrp = vrrp()};
  const ctl::Listing l = listing();  // weights, connection gauges, health, reloads
  return ctl::render_prometheus(stats, &l, info) + sync_metrics() + fifo_metrics();
}

Expected<void> Daemon::listen_metrics() {
  const ctl::Endpoint& want = config().gale.metrics_listen;
  if (metrics_ && want.addr == metrics_at_.addr && want.port == metrics_at_.port) return {};
  auto l = ctl::MetricsListener::open(want, [this] { return metrics_text(); });
  if (!l) {
    metrics_at_ = want;  // said once, not every loop turn
    return fail(l.error().message);
  }
  metrics_.emplace(std::move(*l));
  metrics_at_ = want;
  return {};
}

}  // namespace gale::app
