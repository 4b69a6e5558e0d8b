// Building and publishing snapshots: what the host says (links, routes, neighbours) and
// the config become a candidate snapshot; a candidate that forwards differently from
// the running one is published transactionally (steering widened, publish, quiescence,
// steering narrowed), so no frame of an old or a new endpoint is ever left unsteered.
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "app/galed/daemon.h"
#include "ha/vmac.h"
#include "io/dataplane.h"
#include "io/owned.h"
#include "io/owned_filter.h"
#include "io/xdp_program.h"

namespace gale::app {

namespace {

auto key_of(const lb::Endpoint& e) {
  return std::tie(e.kind, e.addr, e.prefix_len, e.port_lo, e.port_hi, e.proto);
}

// What `next` owns plus what `running` owned; where both name one endpoint, next's entry
// is kept (stable sort, first of equals).
std::vector<lb::Endpoint> union_of(const std::vector<lb::Endpoint>& running,
                                   const std::vector<lb::Endpoint>& next) {
  std::vector<lb::Endpoint> out = next;
  out.insert(out.end(), running.begin(), running.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& x, const auto& y) { return key_of(x) < key_of(y); });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const auto& x, const auto& y) { return key_of(x) == key_of(y); }),
            out.end());
  return out;
}

using Clock = std::chrono::steady_clock;

// The ids draining now, each with the time it began to: kept from `before` when the id
// was already draining, else `now`.
template <typename Id>
std::map<Id, Clock::time_point> draining_since(const std::vector<Id>& ids,
                                               const std::map<Id, Clock::time_point>& before,
                                               Clock::time_point now) {
  std::map<Id, Clock::time_point> out;
  for (Id id : ids) {
    auto old = before.find(id);
    out[id] = old != before.end() ? old->second : now;
  }
  return out;
}

// The ids that have drained since before `settled`: no worker reports a flow on them
// (`flows_of(report, id)`).
template <typename Id, typename FlowsOf>
std::vector<Id> drained(const std::map<Id, Clock::time_point>& draining, Clock::time_point settled,
                        const std::vector<io::WorkerReport>& reports, FlowsOf flows_of) {
  std::vector<Id> out;
  for (const auto& [id, since] : draining) {
    if (since > settled) continue;
    uint64_t flows = 0;
    for (const auto& r : reports)
      flows += flows_of(r, id);
    if (flows == 0) out.push_back(id);
  }
  return out;
}

}  // namespace

HostView Daemon::host_view() {
  HostView h;
  h.workers = static_cast<uint16_t>(workers_);
  for (const Link& l : links_) {
    h.link_macs.push_back(l.mac);
    h.mtus.push_back(static_cast<uint16_t>(l.mtu ? l.mtu : 1500));
  }
  const auto link_of = [this](int ifindex) -> std::optional<uint16_t> {
    for (size_t i = 0; i < links_.size(); ++i)
      if (links_[i].ifindex == ifindex) return static_cast<uint16_t>(i);
    return std::nullopt;
  };
  // Routes toward clients: those of the main table that leave by a dataplane interface.
  for (const net::Family family : {net::Family::v4, net::Family::v6}) {
    auto routes = nl_->routes(family);
    if (!routes) {
      log("routes: " + routes.error().message);
      continue;
    }
    for (const host::Route& r : *routes) {
      const auto link = link_of(r.ifindex);
      if (!link) continue;
      lb::Route out{.prefix = r.dst, .len = r.dst_len, .link = *link, .on_link = !r.gateway};
      if (r.gateway) {
        bool found = false;
        for (const Neighbour& n : neighbours_)
          if (n.addr == *r.gateway && n.ifindex == r.ifindex) {
            out.mac = n.mac;
            found = true;
          }
        if (!found) resolve_later(*r.gateway, *link);
      }
      (family == net::Family::v4 ? h.routes.v4 : h.routes.v6).push_back(out);
    }
  }
  // On-link clients' MACs: the neighbours inside an on-link route of their interface.
  for (const Neighbour& n : neighbours_) {
    const auto link = link_of(n.ifindex);
    if (!link) continue;
    bool on_link = false;
    for (const lb::Route& r : n.addr.is_v4() ? h.routes.v4 : h.routes.v6)
      on_link |= r.on_link && r.link == *link && lb::in_prefix(n.addr, r.prefix, r.len);
    if (on_link) h.routes.neighbours.push_back({.addr = n.addr, .link = *link, .mac = n.mac});
  }
  // The node's own addresses (health checks of NAT servers are connections of its own).
  if (ifaddrs* all = nullptr; getifaddrs(&all) == 0) {
    for (const ifaddrs* i = all; i; i = i->ifa_next) {
      if (!i->ifa_addr) continue;
      net::IpAddr a;
      if (i->ifa_addr->sa_family == AF_INET) {
        a.family = net::Family::v4;
        std::memcpy(a.b.data(), &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
      } else if (i->ifa_addr->sa_family == AF_INET6) {
        a.family = net::Family::v6;
        std::memcpy(a.b.data(), &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
      } else {
        continue;
      }
      if (std::find(h.host_addrs.begin(), h.host_addrs.end(), a) == h.host_addrs.end())
        h.host_addrs.push_back(a);
    }
    freeifaddrs(all);
  }
  std::sort(h.host_addrs.begin(), h.host_addrs.end());
  for (const Link& l : links_)
    if (!l.mac.is_zero()) h.accept_macs.push_back(l.mac);
  // use_vmac: the VIPs' MAC is the virtual router's (a standby service still passes).
  for (const ctl::VrrpInstance& vi : config().vrrp_instances)
    if (vi.use_vmac) h.accept_macs.push_back(ha::vrrp_mac(vi.virtual_router_id, vi.family));
  h.standby_vips = standby_vips();
  h.neighbour = [this](const net::IpAddr& addr, uint16_t link) -> std::optional<net::MacAddr> {
    int oif = 0;
    auto mac = host::next_hop_mac(*nl_, neighbours_, addr, &oif);
    if (mac && link < links_.size() && oif == links_[link].ifindex) return mac;
    return std::nullopt;
  };
  return h;
}

Expected<void> Daemon::steer(const std::vector<lb::Endpoint>& owned) {
  for (auto& prog : programs_)
    if (auto r = prog->set_owned(owned); !r) return fail(r.error().message);
  if (config().gale.io == ctl::IoBackend::af_packet) {
    for (const auto& ifname : config().gale.interfaces)
      if (auto r = io::install_owned_filter(ifname, owned); !r) return fail(r.error().message);
    owned_filter_installed_ = true;
  }
  return {};
}

bool Daemon::wait_quiescent() {
  // Workers announce a quiescent state after every batch, and every millisecond when
  // idle; a second is far beyond any batch.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (snaps_->reclaim() > 0) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

Expected<void> Daemon::rebuild(bool force) {
  if (auto n = nl_->neighbours()) {
    neighbours_.clear();
    for (const Neighbour& x : *n)
      if (x.usable) neighbours_.push_back(x);
  }
  quorum_events();
  const ctl::HealthView health = model_.health_view();
  RealServerIds next = ids_;
  const lb::Snapshot* running = force ? nullptr : snaps_->read();
  auto built = build_snapshot(config(), host_view(), next, health, running, model_.quorum_view());
  if (!built) return fail(built.error().message);
  for (const auto& m : built->missing_neighbours)
    resolve_later(m.addr, m.out_link);
  if (built->unchanged) return {};

  auto snap = std::make_unique<lb::Snapshot>(std::move(built->snapshot));
  snap->generation = generation_ + 1;
  snap->neighbour_misses = misses_;
  const std::vector<lb::Endpoint> owned = io::owned_endpoints(*snap);
  if (snap->accept_macs != macs_steered_) {
    for (auto& prog : programs_)
      if (auto r = prog->set_macs(snap->accept_macs); !r) return fail(r.error().message);
    macs_steered_ = snap->accept_macs;
  }
  // Add-new: steer what either snapshot owns while workers may be on either.
  if (auto r = steer(union_of(owned_, owned)); !r) {
    (void)steer(owned_);  // back to what the running snapshot needs
    return fail("steering: " + r.error().message);
  }
  // FullNAT local addresses removed from the config drain as real servers do.
  std::vector<uint8_t> removed_laddrs;
  for (size_t id = 0; id < snap->fullnat.laddrs.size(); ++id)
    if (!snap->fullnat.is_live(id) && snap->fullnat.laddrs[id].family != net::Family::none)
      removed_laddrs.push_back(static_cast<uint8_t>(id));
  const auto now = Clock::now();
  laddr_draining_ = draining_since(removed_laddrs, laddr_draining_, now);
  snaps_->publish(std::move(snap));
  generation_ += 1;
  ids_ = std::move(next);
  draining_ = draining_since(built->removed, draining_, now);
  // Remove-old, once no worker can be on the old snapshot.
  if (!dataplane_ || wait_quiescent()) {
    if (auto r = steer(owned); !r)
      log("steering: " + r.error().message + " (the previous endpoints stay steered)");
    else
      owned_ = owned;
  } else {
    owned_ = union_of(owned_, owned);  // narrowed by the next publish
    log("a worker did not pass a quiescent state within 1 s: old endpoints stay steered");
  }
  log("published snapshot " + std::to_string(generation_) + " (" +
      std::to_string(config().virtual_servers.size()) + " virtual servers, " +
      std::to_string(built->missing_neighbours.size()) + " neighbours unresolved)");
  report_unreachable(built->unreachable);
  return {};
}

void Daemon::report_unreachable(const std::vector<std::string>& now) {
  for (const std::string& s : now)
    if (std::find(unreachable_.begin(), unreachable_.end(), s) == unreachable_.end())
      log("WARNING: " + s);
  for (const std::string& s : unreachable_)
    if (std::find(now.begin(), now.end(), s) == now.end()) log("resolved: " + s);
  unreachable_ = now;
}

void Daemon::release_drained() {
  if ((draining_.empty() && laddr_draining_.empty()) || !dataplane_) return;
  const auto reports = dataplane_->reports();
  // A worker may still be on the previous snapshot for a batch: give the reports (50 ms)
  // well over that time before trusting a zero.
  const auto settled = Clock::now() - std::chrono::seconds(2);
  const auto servers = drained(
      draining_, settled, reports,
      [](const io::WorkerReport& r, uint16_t id) { return id < r.rs.size() ? r.rs[id].flows : 0; });
  const auto laddrs =
      drained(laddr_draining_, settled, reports, [](const io::WorkerReport& r, uint8_t id) {
        return id < r.laddr_flows.size() ? uint64_t{r.laddr_flows[id]} : 0;
      });
  for (uint16_t id : servers)
    ids_.release(id);
  for (uint8_t id : laddrs)
    ids_.local_addrs.release(id);
  if (servers.empty() && laddrs.empty()) return;
  if (auto r = rebuild(true); !r) log("rebuild: " + r.error().message);
}

}  // namespace gale::app
