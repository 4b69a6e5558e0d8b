// galed's side of VRRP: the config's vrrp_instances mapped onto ha::Engine (its own
// thread, which adds and removes the VIPs and sends the gratuitous ARPs or unsolicited
// NAs); each state change is logged and runs keepalived's notify scripts (an instance's
// or its sync group's) (on the health engine's thread, which reaps them). The dataplane
// follows mastership: the services of an instance's VIPs are standby (not steered,
// their frames the kernel's) until the instance is MASTER; a new MASTER has them
// steered, and the synced flows settled in the workers, before its VIPs are added and
// announced.
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <thread>

#include "app/galed/daemon.h"
#include "ha/engine.h"
#include "health/engine.h"

namespace gale::app {

namespace {

// The adverts' source, as keepalived picks it: the first IPv4 address of `ifname`, or
// its first IPv6 link-local address (RFC 5798 section 5.1.2.1).
std::optional<net::IpAddr> advert_source(const std::string& ifname, net::Family f) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<net::IpAddr> out;
  for (ifaddrs* i = list; i && !out; i = i->ifa_next) {
    if (!i->ifa_addr || ifname != i->ifa_name) continue;
    if (f == net::Family::v4 && i->ifa_addr->sa_family == AF_INET)
      out =
          net::Ipv4Addr{ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr)};
    const auto* sa6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
    if (f == net::Family::v6 && i->ifa_addr->sa_family == AF_INET6 &&
        IN6_IS_ADDR_LINKLOCAL(&sa6->sin6_addr)) {
      net::Ipv6Addr a;
      std::memcpy(a.b.data(), sa6->sin6_addr.s6_addr, 16);
      out = a;
    }
  }
  freeifaddrs(list);
  return out;
}

Expected<ha::EngineInstance> engine_instance(const ctl::Config& c, const ctl::VrrpInstance& vi) {
  const ctl::GarpTimers& defaults = c.global.vrrp_garp;
  ha::EngineInstance e;
  // use_vmac: the VIPs (and routes) without a device go on the macvlan, and the adverts
  // out of it too unless vmac_xmit_base.
  const std::string vip_dev = vi.use_vmac ? ctl::vmac_ifname(c, vi) : vi.interface;
  // The instance's garp_master_*, else global_defs' vrrp_garp_master_*, else keepalived's.
  const auto garp = [&](const std::optional<uint32_t> ctl::GarpTimers::*f, uint32_t dflt) {
    return (vi.garp.*f).value_or((defaults.*f).value_or(dflt));
  };
  e.garp_repeat = static_cast<int>(garp(&ctl::GarpTimers::repeat, 5));
  e.garp_master_delay = ha::Micros{garp(&ctl::GarpTimers::delay_s, 5)} * 1000000;
  e.garp_refresh = ha::Micros{garp(&ctl::GarpTimers::refresh_s, 0)} * 1000000;
  e.garp_refresh_repeat = static_cast<int>(garp(&ctl::GarpTimers::refresh_repeat, 1));
  // keepalived: the lower-priority round defaults to global_defs' master round.
  e.garp_lower_repeat = static_cast<int>(
      vi.garp.lower_repeat.value_or(defaults.lower_repeat.value_or(defaults.repeat.value_or(5))));
  e.garp_lower_delay = ha::Micros{vi.garp.lower_delay_s.value_or(
                           defaults.lower_delay_s.value_or(defaults.delay_s.value_or(5)))} *
                       1000000;
  for (const auto* list : {&vi.vips, &vi.excluded_vips})
    for (const ctl::VirtualIp& v : *list) {
      const uint8_t host_len = v.addr.is_v6() ? 128 : 32;
      e.vips.push_back({.addr = v.addr,
                        .prefix_len = v.prefix_len ? v.prefix_len : host_len,
                        .dev = v.dev.empty() ? vip_dev : v.dev,
                        .label = v.label});
    }
  for (const ctl::VirtualRoute& vr : vi.virtual_routes) {
    host::RouteSpec r = vr.route;
    // No device and no gateway: the instance's interface (keepalived's default_interface).
    if (r.dev.empty() && !r.via && r.type == host::RouteType::unicast) r.dev = vip_dev;
    e.routes.push_back(std::move(r));
  }
  const auto src = vi.unicast_src_ip ? vi.unicast_src_ip : advert_source(vi.interface, vi.family);
  if (!src)
    return fail(vi.family == net::Family::v6
                    ? "no IPv6 link-local address on " + vi.interface + " to advertise from"
                    : "no IPv4 address on " + vi.interface + " to advertise from");
  std::vector<net::IpAddr> advertised;
  for (const ctl::VirtualIp& v : vi.vips)
    advertised.push_back(v.addr);
  e.vrrp = {.name = vi.name,
            .vrid = vi.virtual_router_id,
            .machine = {.version = vi.version,
                        .priority = vi.priority,
                        .advert_interval = ha::Micros{vi.advert_int_ms} * 1000,
                        .down_timer_adverts =
                            vi.down_timer_adverts.value_or(c.global.vrrp_down_timer_adverts),
                        .preempt = !vi.nopreempt,
                        .preempt_delay = ha::Micros{vi.preempt_delay_s} * 1000000,
                        .start_master = vi.state == ctl::VrrpState::master,
                        .primary = *src},
            .socket = {.ifname = vi.vmac_xmit_base ? vi.interface : vip_dev,
                       .src = *src,
                       .unicast_peers = vi.unicast_peers,
                       .group = ctl::vrrp_group(c, vi)},
            .vips = advertised,
            .auth = vi.auth_type == ctl::VrrpAuth::pass ? ha::VrrpAuth::pass : ha::VrrpAuth::none,
            .auth_pass = vi.auth_pass};
  if (vi.use_vmac)
    e.vmac = ha::VmacConfig{
        .name = vip_dev,
        .parent = vi.interface,
        .vrid = vi.virtual_router_id,
        .family = vi.family,
        .link_local = vi.family == net::Family::v6 ? src : std::nullopt,
    };
  return e;
}

// The vrrp_scripts the instances track (keepalived runs no other), their tracks, and
// the sync groups, as indices into the engine's lists.
Expected<ha::EngineConfig> engine_config(const ctl::Config& c) {
  ha::EngineConfig ec;
  ec.sched = {.rt_priority = c.global.vrrp_rt_priority,
              .nice = c.global.vrrp_priority,
              .cpus = c.global.vrrp_cpu_affinity,
              .rlimit_rttime_us = c.global.vrrp_rlimit_rttime_us};
  ec.pacing = {.garp_interval = ha::Micros{c.global.vrrp_garp_interval_ms} * 1000,
               .gna_interval = ha::Micros{c.global.vrrp_gna_interval_ms} * 1000};
  std::map<std::string, size_t> script_at;
  for (const ctl::VrrpInstance& vi : c.vrrp_instances) {
    auto e = engine_instance(c, vi);
    if (!e)
      return fail(to_string(vi.where) + ": vrrp_instance " + vi.name + ": " + e.error().message);
    // Its own tracks, then its sync group's (every member tracks those, weight 0).
    const ctl::VrrpSyncGroup* group = ctl::sync_group_of(c, vi.name);
    std::vector<ctl::TrackScript> scripts = vi.track_scripts;
    std::vector<ctl::TrackInterface> interfaces = vi.track_interfaces;
    if (group) {
      scripts.insert(scripts.end(), group->track_scripts.begin(), group->track_scripts.end());
      for (ctl::TrackInterface t : group->track_interfaces) {
        t.weight = 0;
        interfaces.push_back(t);
      }
    }
    for (const ctl::TrackScript& t : scripts) {
      const auto s = std::find_if(c.vrrp_scripts.begin(), c.vrrp_scripts.end(),
                                  [&](const ctl::VrrpScript& x) { return x.name == t.name; });
      if (s == c.vrrp_scripts.end())
        return fail("vrrp_instance " + vi.name + ": no vrrp_script " + t.name);
      auto [at, added] = script_at.emplace(s->name, ec.scripts.size());
      if (added)
        ec.scripts.push_back({.name = s->name,
                              .command = s->script,
                              .user = s->user.empty() ? c.global.script_user : s->user,
                              .interval = ha::Micros{s->interval_ms} * 1000,
                              .timeout = ha::Micros{s->timeout_ms} * 1000,
                              .rise = s->rise,
                              .fall = s->fall,
                              .init_fail = s->init_fail});
      const ctl::TrackWeight w = ctl::track_weight(c, vi, t);
      e->tracks.push_back({.script = at->second, .weight = w.weight, .reverse = w.reverse});
    }
    // keepalived tracks the instance's own interface (weight 0) unless dont_track_primary.
    if (!vi.dont_track_primary) e->tracks.push_back({.ifname = vi.interface});
    for (const ctl::TrackInterface& t : interfaces)
      e->tracks.push_back({.ifname = t.name, .weight = t.weight, .reverse = t.reverse});
    add_file_and_process_tracks(c, vi, *e, ec);
    ec.instances.push_back(std::move(*e));
  }
  for (const ctl::VrrpSyncGroup& g : c.vrrp_sync_groups) {
    ha::EngineSyncGroup eg{.name = g.name};
    for (const std::string& n : g.instances)
      for (size_t i = 0; i < c.vrrp_instances.size(); ++i)
        if (c.vrrp_instances[i].name == n) eg.members.push_back(i);
    ec.groups.push_back(std::move(eg));
  }
  return ec;
}

}  // namespace

std::string vrrp_fingerprint(const ctl::Config& c) {
  std::string f = c.global.script_user;
  const auto add = [&f](const std::string& x) {
    f += '\x1f';
    f += x;
  };
  add(std::to_string(c.global.vrrp_garp_interval_ms) + " " +
      std::to_string(c.global.vrrp_gna_interval_ms) + " " +
      std::to_string(c.global.vrrp_down_timer_adverts) + " " +
      std::to_string(c.global.vrrp_rt_priority) + " " +
      std::to_string(c.global.vrrp_priority.value_or(99)) + " " +
      std::to_string(c.global.vrrp_rlimit_rttime_us));
  for (int cpu : c.global.vrrp_cpu_affinity)
    add(std::to_string(cpu));
  for (const ctl::VrrpInstance& vi : c.vrrp_instances) {
    for (const std::string* x : {&vi.name, &vi.interface, &vi.auth_pass, &vi.notify_master,
                                 &vi.notify_backup, &vi.notify_fault, &vi.notify_stop, &vi.notify})
      add(*x);
    for (const uint64_t n :
         {uint64_t{vi.virtual_router_id}, uint64_t{vi.priority}, uint64_t{vi.advert_int_ms},
          uint64_t{vi.version}, uint64_t{vi.nopreempt}, uint64_t{vi.preempt_delay_s},
          uint64_t(vi.auth_type), uint64_t(vi.state), uint64_t{vi.dont_track_primary},
          uint64_t(vi.family), uint64_t{vi.down_timer_adverts.value_or(0)}})
      add(std::to_string(n));
    for (const auto* list : {&vi.vips, &vi.excluded_vips})
      for (const ctl::VirtualIp& v : *list)
        add(std::string(net::to_text(v.addr).view()) + "/" + std::to_string(v.prefix_len) + " " +
            v.dev + " " + v.label);
    add(vi.unicast_src_ip ? std::string(net::to_text(*vi.unicast_src_ip).view()) : "");
    add(std::string(net::to_text(ctl::vrrp_group(c, vi)).view()));
    add(vi.use_vmac ? ctl::vmac_ifname(c, vi) + (vi.vmac_xmit_base ? " xmit_base" : "") : "");
    for (const ctl::VirtualRoute& r : vi.virtual_routes)
      add(host::to_text(r.route) + " proto " + std::to_string(r.route.protocol) + " scope " +
          (r.route.scope ? std::to_string(*r.route.scope) : "-"));
    for (const net::IpAddr& p : vi.unicast_peers)
      add(std::string(net::to_text(p).view()));
    for (const ctl::TrackScript& t : vi.track_scripts) {
      const ctl::TrackWeight w = ctl::track_weight(c, vi, t);
      add(t.name + " " + std::to_string(w.weight) + (w.reverse ? " reverse" : ""));
    }
    for (const ctl::TrackInterface& t : vi.track_interfaces)
      add(t.name + " " + std::to_string(t.weight) + (t.reverse ? " reverse" : ""));
    for (const ctl::GarpTimers* g : {&vi.garp, &c.global.vrrp_garp})
      for (const auto& v : {g->delay_s, g->repeat, g->refresh_s, g->refresh_repeat,
                            g->lower_delay_s, g->lower_repeat})
        add(v ? std::to_string(*v) : "-");
  }
  for (const ctl::VrrpScript& s : c.vrrp_scripts)
    add(s.name + " " + s.script + " " + s.user + " " + std::to_string(s.interval_ms) + " " +
        std::to_string(s.timeout_ms) + " " + std::to_string(s.rise) + " " + std::to_string(s.fall) +
        " " + std::to_string(s.init_fail));
  track_fingerprint(c, add);
  for (const ctl::VrrpSyncGroup& g : c.vrrp_sync_groups) {
    for (const std::string* x :
         {&g.name, &g.notify_master, &g.notify_backup, &g.notify_fault, &g.notify})
      add(*x);
    for (const std::string& n : g.instances)
      add(n);
    for (const ctl::TrackScript& t : g.track_scripts)
      add("script " + t.name + (t.reverse.value_or(false) ? " reverse" : ""));
    for (const ctl::TrackInterface& t : g.track_interfaces)
      add("interface " + t.name + (t.reverse ? " reverse" : ""));
  }
  return f;
}

Expected<void> Daemon::start_vrrp() {
  const ctl::Config& c = config();
  if (c.vrrp_instances.empty()) return {};
  auto ec = engine_config(c);
  if (!ec) return fail(ec.error().message);
  // What the engine's thread reads on a change: a copy, never the reloadable config.
  for (const ctl::VrrpInstance& vi : c.vrrp_instances)
    vrrp_notify_.push_back({.name = vi.name,
                            .master = vi.notify_master,
                            .backup = vi.notify_backup,
                            .fault = vi.notify_fault,
                            .stop = vi.notify_stop,
                            .notify = vi.notify});
  for (const ctl::VrrpSyncGroup& g : c.vrrp_sync_groups)
    vrrp_notify_.push_back({.name = g.name,
                            .master = g.notify_master,
                            .backup = g.notify_backup,
                            .fault = g.notify_fault,
                            .notify = g.notify,
                            .group = true,
                            .members = g.instances});
  vrrp_script_user_ = c.global.script_user;
  open_vrrp_fifos(c);
  vrrp_ = std::make_unique<ha::Engine>([this](const ha::StateChange& ch) { vrrp_changed(ch); },
                                       [](const std::string& line) { log("vrrp: " + line); },
                                       [this](const std::string& name) {
                                         settle_sync(name);
                                         vrrp_steer(name, true);
                                       });
  if (auto r = vrrp_->start(std::move(*ec)); !r) return fail("vrrp: " + r.error().message);
  log("vrrp: " + std::to_string(c.vrrp_instances.size()) + " instance(s) running");
  return {};
}

std::vector<net::IpAddr> Daemon::standby_vips() {
  std::vector<net::IpAddr> out;
  std::lock_guard lock(vrrp_mu_);
  for (const ctl::VrrpInstance& vi : config().vrrp_instances) {
    if (vrrp_masters_.contains(vi.name)) continue;
    for (const auto* list : {&vi.vips, &vi.excluded_vips})
      for (const ctl::VirtualIp& v : *list)
        out.push_back(v.addr);
  }
  return out;
}

// On the VRRP engine's thread: before a MASTER announces (master), after one has left.
void Daemon::vrrp_steer(const std::string& instance, bool master) {
  {
    std::lock_guard lock(vrrp_mu_);
    if (master ? !vrrp_masters_.insert(instance).second : vrrp_masters_.erase(instance) == 0)
      return;
  }
  const uint64_t before = vrrp_passes_.load();
  vrrp_rebuild_ = true;
  const uint64_t one = 1;
  (void)!write(health_fd_, &one, sizeof one);
  if (!master) return;
  // The loop turns every 200 ms at worst and is woken now; a publish takes milliseconds.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (vrrp_passes_.load() == before && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  if (vrrp_passes_.load() == before)
    log("vrrp: (" + instance + ") the dataplane did not take its VIPs within 500 ms");
}

// On the VRRP engine's thread.
void Daemon::vrrp_changed(const ha::StateChange& ch) {
  if (!ch.error.empty()) log("vrrp: " + ch.name + ": " + ch.error);
  if (!ch.group && ch.state != ha::VrrpState::master) vrrp_steer(ch.name, false);
  // keepalived's words: INIT is how a stopped instance ends, STOP to its scripts.
  const std::string state = ch.state == ha::VrrpState::init ? "STOP" : ha::to_string(ch.state);
  log(std::string("vrrp: ") + (ch.group ? "sync group " : "") + "(" + ch.name + ") Entering " +
      state + " STATE");
  for (ha::NotifyFifo& f : vrrp_fifos_)
    if (!f.write(ha::fifo_line(ch.group, ch.name, ch.state, ch.priority)) &&
        (f.dropped() == 1 || f.dropped() % 100 == 0))
      log("vrrp: notify fifo " + f.path() +
          " is full (no reader?): " + std::to_string(f.dropped()) + " line(s) dropped so far");
  if (!health_) return;
  for (const VrrpNotify& n : vrrp_notify_) {
    if (n.name != ch.name || n.group != ch.group) continue;
    const std::string& specific = ch.state == ha::VrrpState::master   ? n.master
                                  : ch.state == ha::VrrpState::backup ? n.backup
                                  : ch.state == ha::VrrpState::fault  ? n.fault
                                                                      : n.stop;
    if (!specific.empty()) health_->run_script(specific, vrrp_script_user_);
    // notify: "INSTANCE"|"GROUP" NAME STATE PRIORITY, as keepalived calls it.
    if (!n.notify.empty())
      health_->run_script(n.notify + (ch.group ? " GROUP \"" : " INSTANCE \"") + ch.name + "\" " +
                              state + " " + std::to_string(ch.priority),
                          vrrp_script_user_);
  }
}

std::vector<ctl::VrrpRow> Daemon::vrrp() {
  std::vector<ctl::VrrpRow> rows;
  if (!vrrp_) return rows;
  for (const ha::InstanceStatus& s : vrrp_->status())
    rows.push_back({.instance = s.name,
                    .state = ha::to_string(s.state),
                    .priority = s.priority,
                    .configured_priority = s.configured_priority,
                    .transitions = s.counters.transitions,
                    .vips = s.vips});
  return rows;
}

void Daemon::stop_vrrp() {
  if (!vrrp_) return;
  vrrp_->stop();  // priority 0 from every MASTER, VIPs removed, notify_stop queued
  vrrp_.reset();
  vrrp_fifos_.clear();  // after the engine's last lines (STOP)
}

}  // namespace gale::app
