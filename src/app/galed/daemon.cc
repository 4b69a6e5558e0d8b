// galed start-up, the event loop and shutdown. The rest of Daemon: rebuild.cc (snapshots
// and steering), resolver.cc (neighbours), control.cc (the control socket's operations).
#include "app/galed/daemon.h"
#include "ha/conn_sync.h"
#include "ha/engine.h"
#include "health/engine.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "ctl/config_check.h"
#include "ctl/control_socket.h"
#include "ctl/parser.h"
#include "io/af_packet_io.h"
#include "io/af_xdp_io.h"
#include "io/dataplane.h"
#include "io/netdev.h"
#include "io/owned_filter.h"
#include "io/xdp_program.h"

namespace gale::app {

using ctl::ControlSocket;
using ctl::IoBackend;
using ctl::load_config;

void log(const std::string& msg) {
  std::fprintf(stderr, "galed: %s\n", msg.c_str());
  std::fflush(stderr);
}

Daemon::Daemon(DaemonOptions opts) : opts_(std::move(opts)) {}

Daemon::~Daemon() {
  // VRRP first: its thread's last callbacks (notify lines, mastership) use the members
  // below and health_fd_.
  stop_vrrp();
  if (health_fd_ >= 0) close(health_fd_);
  sync_.reset();       // its thread gives to and takes from the workers
  dataplane_.reset();  // workers first: they use the programs' sockets and the snapshots
  programs_.clear();   // detaches the XDP programs
  if (owned_filter_installed_)
    for (const auto& ifname : config().gale.interfaces)
      (void)io::remove_owned_filter(ifname);
}

Expected<void> Daemon::start() {
  auto cfg = load_config(opts_.config_path, opts_.parse);
  if (!cfg) return fail(cfg.error().message);
  for (const auto& w : cfg->warnings)
    log(ctl::to_string(w));
  if (!cfg->derived.empty() && !opts_.log_detail)
    log("no gale { } block: " + std::to_string(cfg->derived.size()) +
        " settings derived from the config (galed -t or -D shows them)");
  if (opts_.log_detail)
    for (const auto& d : cfg->derived)
      log("derived: " + d);
  if (opts_.control_socket) cfg->gale.control_socket = *opts_.control_socket;
  workers_ = ctl::resolve_workers(*cfg, opts_.workers.value_or(0));
  if (auto r = ctl::check_workers(*cfg, workers_); !r) return fail(r.error().message);
  health_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (health_fd_ < 0) return fail(std::string("eventfd: ") + std::strerror(errno));

  auto nl = Rtnetlink::open();
  if (!nl) return fail(nl.error().message);
  nl_.emplace(std::move(*nl));
  for (const auto& ifname : cfg->gale.interfaces) {
    auto l = nl_->link(ifname);
    if (!l) return fail(l.error().message);
    links_.push_back(*l);
  }
  if (cfg->gale.io == IoBackend::af_xdp) {
    for (const auto& ifname : cfg->gale.interfaces) {
      try {
        programs_.push_back(std::make_unique<io::XdpProgram>(
            io::XdpProgramConfig{.ifname = ifname, .enable_all_queues = true}));
      } catch (const std::exception& e) {
        if (!cfg->gale.io_fallback) return fail(e.what());
        // A derived config (no gale block) runs wherever it can: AF_PACKET everywhere.
        log(ifname + ": XDP cannot attach (" + e.what() + "); using AF_PACKET");
        programs_.clear();
        cfg->gale.io = IoBackend::af_packet;
        break;
      }
      log(ifname + ": XDP program attached (" + io::to_string(programs_.back()->mode()) + ")");
    }
  }
  if (cfg->gale.io == IoBackend::af_xdp) {
    // Each AF_XDP worker reads queues of its own (worker i: queues i, i + n, ...): a
    // worker beyond the smallest interface's queue count would have none to read.
    uint32_t fewest = workers_;
    std::string which;
    for (const auto& p : programs_) {
      const uint32_t q = io::interface_queues(p->ifname()).active;
      if (q < fewest) {
        fewest = q;
        which = p->ifname();
      }
    }
    if (fewest < workers_) {
      log("warning: " + which + " has " + std::to_string(fewest) + " active queue(s): " +
          std::to_string(fewest) + " AF_XDP worker(s), not " + std::to_string(workers_) +
          " (ethtool -l " + which + " shows its queues, ethtool -L sets them)");
      workers_ = fewest;
    }
  }
  // The model takes the config once the backend is known (a derived config may have
  // fallen back to AF_PACKET above).
  if (auto r = model_.load(std::move(*cfg)); !r) return fail(r.error().message);
  snaps_ = std::make_unique<Qsbr<lb::Snapshot>>(workers_);
  if (auto r = rebuild(true); !r) return fail(r.error().message);

  io::DataplaneConfig dc{
      .worker = {.flows_v4 = config().gale.flows, .flows_v6 = config().gale.flows6},
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
  const auto interfaces = config().gale.interfaces;
  const bool xdp = config().gale.io == IoBackend::af_xdp;
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
      " interfaces (" + to_string(config().gale.io) + ")");
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
  auto sock = ControlSocket::open(
      config().gale.control_socket, config().gale.control_socket_group,
      [this](const nlohmann::json& req) { return ctl::handle_request(*this, req); });
  if (!sock) {
    log(sock.error().message);
    close(sfd);
    return 1;
  }
  if (auto r = listen_metrics(); !r) {
    log(r.error().message);
    close(sfd);
    return 1;
  }
  log("ready; control socket " + config().gale.control_socket + ", metrics on port " +
      std::to_string(metrics_->port()));
  start_health();
  if (auto r = start_sync(); !r) {
    log(r.error().message);
    stop_health();
    dataplane_->stop();
    close(sfd);
    return 1;
  }
  // A node that claims mastership must be able to forward: its real servers' and
  // gateways' MACs resolved (a node whose link just came back has lost them), bounded as
  // keepalived's vrrp_startup_delay would be.
  if (!config().vrrp_instances.empty()) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    resolve_missing();
    while (!resolving_.empty() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the kernel resolves
      resolve_missing();
    }
    if (!resolving_.empty()) log("vrrp: starting with neighbours still unresolved (waited 2 s)");
  }
  if (auto r = start_vrrp(); !r) {
    log(r.error().message);
    stop_sync();
    stop_health();
    dataplane_->stop();
    close(sfd);
    return 1;
  }

  bool running = true;
  auto last_refresh = std::chrono::steady_clock::now();
  auto last_estimate = last_refresh;
  while (running) {
    std::vector<pollfd> fds{{sfd, POLLIN, 0}, {health_fd_, POLLIN, 0}};
    for (int fd : sock->fds())
      fds.push_back({fd, POLLIN, 0});
    for (const pollfd& p : metrics_->pollfds())
      fds.push_back(p);
    poll(fds.data(), fds.size(), 200);
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGHUP) {
          (void)reload();  // logs its outcome
        } else {
          log("stopping");
          running = false;
        }
      }
    }
    if (fds[1].revents & POLLIN) apply_posted_health();
    sock->serve();
    metrics_->serve();
    if (auto r = listen_metrics(); !r) log(r.error().message + " (still on the old address)");
    resolve_missing();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_estimate >= std::chrono::seconds(ctl::RateEstimator::kIntervalS)) {
      last_estimate += std::chrono::seconds(ctl::RateEstimator::kIntervalS);
      if (now - last_estimate > std::chrono::seconds(1)) last_estimate = now;  // fell behind
      estimate_rates();
    }
    if (now - last_refresh > std::chrono::seconds(5)) {  // MACs can change: look again
      last_refresh = now;
      if (auto r = rebuild(false); !r) log("rebuild: " + r.error().message);
      release_drained();
    }
    snaps_->reclaim();
  }
  stop_vrrp();
  stop_sync();
  stop_health();
  dataplane_->stop();
  close(sfd);
  return 0;
}

}  // namespace gale::app
