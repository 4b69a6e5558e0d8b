// Neighbour resolution with back-off: galed asks the kernel to resolve what a snapshot
// lacks (real servers, gateways, on-link clients the reply path met), first at once, then
// at doubling intervals up to 30 s while it stays unresolved; it rebuilds only when the
// kernel's neighbour table has changed, never on a timer of its own.
#include <algorithm>

#include "app/galed/daemon.h"

namespace gale::app {

namespace {

bool same_table(const std::vector<Neighbour>& a, const std::vector<Neighbour>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].addr != b[i].addr || a[i].mac != b[i].mac || a[i].ifindex != b[i].ifindex)
      return false;
  return true;
}

}  // namespace

void Daemon::resolve_later(const net::IpAddr& addr, uint16_t link) {
  if (link >= links_.size()) return;
  if (resolving_.add({addr, link}, std::chrono::steady_clock::now()))
    host::trigger_resolution(addr, links_[link].name);
}

void Daemon::resolve_missing() {
  // On-link clients the reply path found no MAC for (addresses outside an on-link
  // route are torn writes or stale: ignored).
  if (const lb::Snapshot* snap = snaps_->read()) {
    for (const net::IpAddr& a : misses_->take()) {
      const lb::Route* r = snap->routes.find(a);
      if (r && r->on_link) resolve_later(a, r->link);
    }
  }
  if (resolving_.empty()) return;
  for (const auto& [addr, link] : resolving_.due(std::chrono::steady_clock::now()))
    host::trigger_resolution(addr, links_[link].name);
  // One dump of the neighbour table; a rebuild only when it changed.
  auto n = nl_->neighbours();
  if (!n) return;
  std::vector<Neighbour> usable;
  for (const Neighbour& x : *n)
    if (x.usable) usable.push_back(x);
  if (same_table(usable, neighbours_)) return;
  // What is now resolved leaves the schedule; the rebuild puts back what is not.
  resolving_.drop_if([&](const net::IpAddr& a) {
    return std::any_of(usable.begin(), usable.end(),
                       [&](const Neighbour& x) { return x.addr == a; });
  });
  if (auto r = rebuild(false); !r) log("rebuild: " + r.error().message);
}

}  // namespace gale::app
