// galed: the gale daemon of an LB node. Argument parsing and wiring only; the work is
// in ctl::Daemon (control plane) and io::Dataplane (workers).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "ctl/daemon.h"
#include "ctl/parser.h"

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
  CLI11_PARSE(app, argc, argv);

  if (check_only) {
    auto cfg = gale::ctl::load_config(config);
    if (!cfg) {
      std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
      return 1;
    }
    std::printf("%s: configuration OK (%zu virtual servers)\n", config.c_str(),
                cfg->virtual_servers.size());
    return 0;
  }
  gale::ctl::DaemonOptions opts{.config_path = config};
  if (!control_socket.empty()) opts.control_socket = control_socket;
  if (workers) opts.workers = workers;
  gale::ctl::Daemon daemon(opts);
  return daemon.run();
}
