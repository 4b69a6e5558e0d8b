#include "app/galed/daemon.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <thread>

#include "ctl/control_socket.h"
#include "ctl/parser.h"
#include "io/af_packet_io.h"
#include "io/af_xdp_io.h"
#include "io/dataplane.h"
#include "io/netdev.h"
#include "io/owned.h"
#include "io/owned_filter.h"
#include "io/xdp_program.h"
#include "lb/drop.h"
#include "lb/local_ports.h"

namespace gale::app {

using ctl::ControlSocket;
using ctl::HealthView;
using ctl::IoBackend;
using ctl::load_config;
using ctl::RealServerConf;
using ctl::RealServerKey;
using host::next_hop_mac;
using host::trigger_resolution;

namespace {

void log(const std::string& msg) {
  std::fprintf(stderr, "galed: %s\n", msg.c_str());
  std::fflush(stderr);
}

std::string text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}

// What a snapshot depends on beyond the config: the MACs it would carry. Two builds with
// the same fingerprint publish the same snapshot, so the second is skipped.
std::string fingerprint(const lb::Snapshot& s) {
  std::ostringstream o;
  for (const auto& p : s.links)
    o << net::to_text(p.mac).view() << net::to_text(p.gateway_mac).view();
  for (const auto& rs : s.real_servers)
    o << text(rs.addr) << rs.port << net::to_text(rs.mac).view() << rs.live << rs.out_link;
  for (const auto& svc : s.services)
    for (const auto& d : svc.dests)
      o << d.weight << ',';
  return o.str();
}

}  // namespace

Daemon::Daemon(DaemonOptions opts) : opts_(std::move(opts)) {}

Daemon::~Daemon() {
  dataplane_.reset();  // workers first: they use the programs' sockets and the snapshots
  programs_.clear();   // detaches the XDP programs
  if (owned_filter_installed_)
    for (const auto& ifname : config_.gale.interfaces)
      (void)io::remove_owned_filter(ifname);
}

HostView Daemon::host_view() {
  HostView h;
  h.workers = static_cast<uint16_t>(workers_);
  for (const Link& l : links_) {
    h.link_macs.push_back(l.mac);
    h.mtus.push_back(static_cast<uint16_t>(l.mtu ? l.mtu : 1500));
  }
  // Replies to clients go to the default route's next hop (the first interface faces
  // the clients).
  net::MacAddr gw;
  auto route = nl_->default_route(net::Family::v4);
  if (route && *route && (*route)->gateway) {
    const net::IpAddr hop = *(*route)->gateway;
    bool found = false;
    for (const Neighbour& n : neighbours_) {
      if (n.usable && n.addr == hop && n.ifindex == (*route)->ifindex) {
        gw = n.mac;
        found = true;
      }
    }
    if (!found) {
      gateway_missing_ = true;
      for (const Link& l : links_)
        if (l.ifindex == (*route)->ifindex) trigger_resolution(hop, l.name);
    } else {
      gateway_missing_ = false;
    }
  }
  h.gateway_macs.assign(links_.size(), gw);
  h.neighbour = [this](const net::IpAddr& addr, uint16_t port) -> std::optional<net::MacAddr> {
    int oif = 0;
    auto mac = next_hop_mac(*nl_, neighbours_, addr, &oif);
    if (mac && port < links_.size() && oif == links_[port].ifindex) return mac;
    return std::nullopt;
  };
  return h;
}

Expected<void> Daemon::rebuild(bool force) {
  if (auto n = nl_->neighbours()) neighbours_ = std::move(*n);
  HealthView health = [this](const ServiceKey& svc, const RealServerConf& rs) {
    return !down_.contains({svc, rs.addr, rs.port});
  };
  auto built = build_snapshot(config_, host_view(), ids_, health);
  if (!built) return fail(built.error().message);
  missing_ = std::move(built->missing_neighbours);
  for (const auto& m : missing_)
    if (m.out_link < links_.size()) trigger_resolution(m.addr, links_[m.out_link].name);
  const std::string fp = fingerprint(built->snapshot);
  if (!force && fp == last_build_) return {};
  last_build_ = fp;
  auto snap = std::make_unique<lb::Snapshot>(std::move(built->snapshot));
  snap->generation = ++generation_;
  const auto owned = io::owned_endpoints(*snap);
  for (auto& prog : programs_) {
    if (auto r = prog->set_owned(owned); !r) return fail(r.error().message);
  }
  if (config_.gale.io == IoBackend::af_packet) {
    for (const auto& ifname : config_.gale.interfaces)
      if (auto r = io::install_owned_filter(ifname, owned); !r) return fail(r.error().message);
    owned_filter_installed_ = true;
  }
  std::map<uint16_t, std::chrono::steady_clock::time_point> draining;
  for (size_t id = 0; id < snap->real_servers.size(); ++id) {
    const auto i = static_cast<uint16_t>(id);
    if (snap->real_servers[id].live || !ids_.key_of(i)) continue;
    auto old = draining_.find(i);
    draining[i] = old != draining_.end() ? old->second : std::chrono::steady_clock::now();
  }
  draining_ = std::move(draining);
  std::map<uint8_t, std::chrono::steady_clock::time_point> laddr_draining;
  for (size_t id = 0; id < snap->fullnat.laddrs.size(); ++id) {
    if (snap->fullnat.is_live(id) || snap->fullnat.laddrs[id].family == net::Family::none) continue;
    auto old = laddr_draining_.find(static_cast<uint8_t>(id));
    laddr_draining[static_cast<uint8_t>(id)] =
        old != laddr_draining_.end() ? old->second : std::chrono::steady_clock::now();
  }
  laddr_draining_ = std::move(laddr_draining);
  snaps_->publish(std::move(snap));
  log("published snapshot " + std::to_string(generation_) + " (" +
      std::to_string(config_.virtual_servers.size()) + " virtual servers, " +
      std::to_string(missing_.size()) + " neighbours unresolved)");
  return {};
}

void Daemon::reload() {
  auto cfg = load_config(opts_.config_path);
  if (!cfg) {
    log("reload failed, keeping the running config: " + cfg.error().message);
    return;
  }
  if (cfg->gale.interfaces != config_.gale.interfaces || cfg->gale.io != config_.gale.io) {
    log("reload failed, keeping the running config: interfaces and io need a restart");
    return;
  }
  // A new fullnat_ports range would move live connections' local ports to other workers.
  if (dataplane_) {
    uint64_t fullnat_flows = 0;
    for (const auto& r : dataplane_->reports())
      for (uint32_t n : r.laddr_flows)
        fullnat_flows += n;
    if (auto r = lb::check_fullnat_ports_change(
            {.port_lo = config_.gale.fullnat_port_lo, .port_hi = config_.gale.fullnat_port_hi},
            {.port_lo = cfg->gale.fullnat_port_lo, .port_hi = cfg->gale.fullnat_port_hi},
            fullnat_flows);
        !r) {
      log("reload failed, keeping the running config: " + r.error().message);
      return;
    }
  }
  Config old = std::move(config_);
  config_ = std::move(*cfg);
  if (auto r = rebuild(true); !r) {
    log("reload failed, keeping the running config: " + r.error().message);
    config_ = std::move(old);
    return;
  }
  log("reloaded " + opts_.config_path);
}

void Daemon::release_drained() {
  if ((draining_.empty() && laddr_draining_.empty()) || !dataplane_) return;
  const auto reports = dataplane_->reports();
  bool released = false;
  // A worker may still be on the previous snapshot for a batch: give the reports (50 ms)
  // well over that time before trusting a zero.
  const auto settled = std::chrono::steady_clock::now() - std::chrono::seconds(2);
  for (const auto& [id, since] : draining_) {
    if (since > settled) continue;
    uint64_t flows = 0;
    for (const auto& r : reports)
      if (id < r.rs.size()) flows += r.rs[id].flows;
    if (flows == 0) {
      ids_.release(id);
      released = true;
    }
  }
  for (const auto& [id, since] : laddr_draining_) {
    if (since > settled) continue;
    uint64_t flows = 0;
    for (const auto& r : reports)
      if (id < r.laddr_flows.size()) flows += r.laddr_flows[id];
    if (flows == 0) {
      ids_.local_addrs.release(id);
      released = true;
    }
  }
  if (!released) return;
  if (auto r = rebuild(true); !r) log("rebuild: " + r.error().message);
}

void Daemon::resolve_missing() {
  if (missing_.empty() && !gateway_missing_) return;
  if (auto r = rebuild(false); !r) log("rebuild: " + r.error().message);
}

nlohmann::json Daemon::stats() const {
  nlohmann::json j;
  const auto reports = dataplane_->reports();
  uint64_t rx = 0, tx = 0, kernel = 0, flows = 0;
  std::map<std::string, uint64_t> drops;
  std::map<uint16_t, lb::RsCounters> rs;
  nlohmann::json workers = nlohmann::json::array();
  for (const auto& r : reports) {
    rx += r.counters.rx;
    tx += r.counters.tx;
    kernel += r.counters.to_kernel;
    flows += r.flows;
    for (int d = 0; d < lb::kDropCount; ++d)
      if (r.counters.drops[d])
        drops[lb::to_string(static_cast<lb::Drop>(d))] += r.counters.drops[d];
    for (size_t id = 0; id < r.rs.size(); ++id) {
      auto& c = rs[static_cast<uint16_t>(id)];
      c.conns += r.rs[id].conns;
      c.flows += r.rs[id].flows;
      c.in_pkts += r.rs[id].in_pkts;
      c.out_pkts += r.rs[id].out_pkts;
      c.in_bytes += r.rs[id].in_bytes;
      c.out_bytes += r.rs[id].out_bytes;
    }
    workers.push_back({{"rx", r.counters.rx},
                       {"tx", r.counters.tx},
                       {"flows", r.flows},
                       {"flows_created", r.counters.flows_created},
                       {"handed_off", r.counters.handed_off},
                       {"handoff_in", r.handoff_in},
                       {"io_rx", r.io.rx},
                       {"io_tx", r.io.tx},
                       {"io_tx_dropped", r.io.tx_dropped}});
  }
  nlohmann::json servers = nlohmann::json::array();
  for (const auto& [id, c] : rs) {
    const RealServerKey* key = ids_.key_of(id);
    if (!key) continue;
    servers.push_back({{"id", id},
                       {"vip", text(key->service.vip)},
                       {"vport", key->service.port},
                       {"addr", text(key->addr)},
                       {"port", key->port},
                       {"conns", c.conns},
                       {"flows", c.flows},
                       {"in_pkts", c.in_pkts},
                       {"out_pkts", c.out_pkts},
                       {"in_bytes", c.in_bytes},
                       {"out_bytes", c.out_bytes}});
  }
  j = {{"ok", true},     {"generation", generation_}, {"rx", rx},
       {"tx", tx},       {"to_kernel", kernel},       {"flows", flows},
       {"drops", drops}, {"workers", workers},        {"real_servers", servers}};
  return j;
}

nlohmann::json Daemon::handle(const nlohmann::json& req) {
  const std::string cmd = req.value("cmd", "");
  if (cmd == "stats") return stats();
  if (cmd == "reload") {
    reload();
    return {{"ok", true}, {"generation", generation_}};
  }
  if (cmd == "set_health") {
    // {"cmd":"set_health","vip":"10.99.2.100","vport":80,"proto":"tcp","rs":"10.99.2.11",
    //  "rs_port":80,"healthy":false}: takes a real server out by hand, or back in.
    auto vip = net::parse_ip(req.value("vip", ""));
    auto rs = net::parse_ip(req.value("rs", ""));
    if (!vip || !rs) return {{"ok", false}, {"error", "vip and rs must be IP addresses"}};
    const std::string proto = req.value("proto", "tcp");
    ServiceKey key{.vip = *vip,
                   .port = req.value<uint16_t>("vport", 0),
                   .proto = static_cast<uint8_t>(proto == "udp" ? 17 : 6)};
    const auto entry = std::make_tuple(key, *rs, req.value<uint16_t>("rs_port", 0));
    if (req.value("healthy", true))
      down_.erase(entry);
    else
      down_.insert(entry);
    if (auto r = rebuild(false); !r) return {{"ok", false}, {"error", r.error().message}};
    return {{"ok", true}, {"generation", generation_}};
  }
  return {{"ok", false}, {"error", "unknown cmd \"" + cmd + "\" (stats, reload, set_health)"}};
}

Expected<void> Daemon::start() {
  auto cfg = load_config(opts_.config_path);
  if (!cfg) return fail(cfg.error().message);
  config_ = std::move(*cfg);
  if (opts_.control_socket) config_.gale.control_socket = *opts_.control_socket;
  workers_ = opts_.workers ? *opts_.workers : config_.gale.workers;
  if (workers_ == 0) workers_ = std::max(1u, std::thread::hardware_concurrency());

  auto nl = Rtnetlink::open();
  if (!nl) return fail(nl.error().message);
  nl_.emplace(std::move(*nl));
  for (const auto& ifname : config_.gale.interfaces) {
    auto l = nl_->link(ifname);
    if (!l) return fail(l.error().message);
    links_.push_back(*l);
  }
  snaps_ = std::make_unique<Qsbr<lb::Snapshot>>(workers_);
  if (config_.gale.io == IoBackend::af_xdp) {
    for (const auto& ifname : config_.gale.interfaces) {
      try {
        programs_.push_back(std::make_unique<io::XdpProgram>(
            io::XdpProgramConfig{.ifname = ifname, .enable_all_queues = true}));
      } catch (const std::exception& e) {
        return fail(e.what());
      }
      log(ifname + ": XDP program attached (" + io::to_string(programs_.back()->mode()) + ")");
    }
  }
  if (auto r = rebuild(true); !r) return fail(r.error().message);

  io::DataplaneConfig dc{
      .worker = {.flows_v4 = config_.gale.flows, .flows_v6 = config_.gale.flows6},
      .workers = static_cast<uint16_t>(workers_)};
  // Flow-table and ownership hash seeds nobody outside can aim collisions at (the Maglev
  // cluster_seed stays the same on every node).
  uint64_t seeds[2];
  if (getrandom(seeds, sizeof seeds, 0) != sizeof seeds) return fail("getrandom: no entropy");
  dc.worker.seed = seeds[0];
  dc.worker.ownership_seed = seeds[1];
  // One worker per core, pinned: worker i on the i-th CPU this process may use.
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &allowed)) dc.cpus.push_back(cpu);
  std::vector<io::XdpProgram*> progs;
  for (auto& p : programs_)
    progs.push_back(p.get());
  const auto interfaces = config_.gale.interfaces;
  const bool xdp = config_.gale.io == IoBackend::af_xdp;
  const uint32_t n = workers_;
  const uint16_t fanout = static_cast<uint16_t>(getpid() & 0xffff);
  dataplane_ =
      std::make_unique<io::Dataplane>(dc, *snaps_, [=](uint16_t id) -> std::unique_ptr<io::LinkIo> {
        if (xdp) {
          io::AfXdpConfig xc{.programs = progs};
          // Worker i serves queues i, i + n, ... of every interface.
          for (uint16_t link = 0; link < interfaces.size(); ++link) {
            const uint32_t queues = io::interface_queues(interfaces[link]).active;
            for (uint32_t q = id; q < queues; q += n)
              xc.queues.push_back({link, q});
          }
          return std::make_unique<io::AfXdpIo>(xc);
        }
        return std::make_unique<io::AfPacketIo>(io::AfPacketConfig{
            .interfaces = interfaces, .fanout_group = n > 1 ? fanout : uint16_t{0}});
      });
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!dataplane_->started() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // bounded start-up wait
  if (!dataplane_->error().empty()) return fail(dataplane_->error());
  log(std::to_string(workers_) + " workers on " + std::to_string(interfaces.size()) +
      " interfaces (" + to_string(config_.gale.io) + ")");
  return {};
}

int Daemon::run() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);  // before any thread starts
  const int sfd = signalfd(-1, &mask, SFD_CLOEXEC);

  if (auto r = start(); !r) {
    log(r.error().message);
    close(sfd);
    return 1;
  }
  auto sock = ControlSocket::open(config_.gale.control_socket,
                                  [this](const nlohmann::json& req) { return handle(req); });
  if (!sock) {
    log(sock.error().message);
    close(sfd);
    return 1;
  }
  log("ready; control socket " + config_.gale.control_socket);

  bool running = true;
  auto last_refresh = std::chrono::steady_clock::now();
  while (running) {
    std::vector<pollfd> fds{{sfd, POLLIN, 0}};
    for (int fd : sock->fds())
      fds.push_back({fd, POLLIN, 0});
    poll(fds.data(), fds.size(), 200);
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGHUP) {
          reload();
        } else {
          log("stopping");
          running = false;
        }
      }
    }
    sock->serve();
    resolve_missing();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refresh > std::chrono::seconds(5)) {  // MACs can change: look again
      last_refresh = now;
      if (auto r = rebuild(false); !r) log("rebuild: " + r.error().message);
      release_drained();
    }
    snaps_->reclaim();
  }
  dataplane_->stop();
  close(sfd);
  return 0;
}

}  // namespace gale::app
