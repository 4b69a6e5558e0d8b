// galed: the gale daemon of an LB node. Argument parsing and wiring only; the work is
// in app::Daemon (the composition root) and io::Dataplane (workers).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>

#include "app/galed/daemon.h"
#include "ctl/config_check.h"
#include "io/decap.h"

namespace {

// The decapsulation role on a real server: until SIGTERM/SIGINT.
int run_decap(const gale::io::DecapConfig& cfg) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  auto d = gale::io::Decapsulator::open(cfg);
  if (!d) {
    std::fprintf(stderr, "galed: %s\n", d.error().message.c_str());
    return 1;
  }
  std::unique_ptr<gale::io::Decapsulator> decap(*d);
  std::fprintf(stderr, "galed: decapsulating IPIP%s on %s into %s\n",
               cfg.gue_port ? (" and GUE:" + std::to_string(cfg.gue_port)).c_str() : "",
               cfg.ifname.c_str(), cfg.tun_name.c_str());
  std::atomic<bool> stop{false};
  std::thread t([&] { decap->run(stop); });
  int sig = 0;
  sigwait(&mask, &sig);
  stop = true;
  t.join();
  const auto& st = decap->stats();
  std::fprintf(stderr, "galed: stopping; %lu frames, %lu decapsulated, %lu malformed\n", st.frames,
               st.decapsulated, st.malformed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"galed: the gale load balancer daemon"};
  std::string config = "/etc/gale/gale.conf";
  bool check_only = false;
  std::string control_socket;
  uint32_t workers = 0;
  app.add_option("-f,--config", config, "configuration file (keepalived.conf dialect)");
  app.add_flag("-t,--test", check_only, "check the configuration and exit");
  app.add_option("--control-socket", control_socket, "override the config's control_socket");
  app.add_option("--workers", workers, "override the config's worker count");
  gale::io::DecapConfig decap;
  app.add_option("--decap", decap.ifname,
                 "run as a TUN-mode real server's decapsulator on this interface");
  app.add_option("--gue-port", decap.gue_port, "with --decap: GUE's UDP port (0: IPIP only)");
  app.add_option("--tun-name", decap.tun_name, "with --decap: the TUN device to create");
  CLI11_PARSE(app, argc, argv);
  if (!decap.ifname.empty()) return run_decap(decap);

  if (check_only) {
    // The whole build galed would do at start, on a synthetic host view.
    auto checked = gale::ctl::check_config(config, workers);
    if (!checked) {
      std::fprintf(stderr, "%s\n", checked.error().message.c_str());
      return 1;
    }
    for (const auto& w : checked->config.warnings)
      std::fprintf(stderr, "%s\n", gale::ctl::to_string(w).c_str());
    std::printf("%s: configuration OK (%zu virtual servers, %zu services, %zu real servers%s)\n",
                config.c_str(), checked->config.virtual_servers.size(), checked->services,
                checked->real_servers,
                checked->config.warnings.empty()
                    ? ""
                    : (", " + std::to_string(checked->config.warnings.size()) +
                       " directives stored but not acted on: see the warnings")
                          .c_str());
    return 0;
  }
  gale::app::DaemonOptions opts{.config_path = config};
  if (!control_socket.empty()) opts.control_socket = control_socket;
  if (workers) opts.workers = workers;
  gale::app::Daemon daemon(opts);
  return daemon.run();
}
