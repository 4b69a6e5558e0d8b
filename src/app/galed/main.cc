// galed: the gale daemon of an LB node. Argument parsing and wiring only; the work is
// in app::Daemon (the composition root) and io::Dataplane (workers).
#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "app/galed/daemon.h"
#include "ctl/config_check.h"
#include "ctl/parser.h"
#include "host/rtnetlink.h"
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

// -p PIDFILE: written once galed has read its arguments, removed when it exits.
class PidFile {
 public:
  explicit PidFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    std::FILE* f = std::fopen(path_.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "galed: cannot write the pid file %s: %s\n", path_.c_str(),
                   std::strerror(errno));
      path_.clear();
      return;
    }
    std::fprintf(f, "%d\n", static_cast<int>(getpid()));
    std::fclose(f);
  }
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  ~PidFile() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  bool failed(const std::string& wanted) const { return !wanted.empty() && path_.empty(); }

 private:
  std::string path_;
};

// What the host's route towards an address leaves by (`ip route get`), for a config
// without a gale block.
std::optional<std::string> route_link(gale::host::Rtnetlink& nl, const gale::net::IpAddr& a) {
  auto hop = nl.route_to(a);
  if (!hop) return std::nullopt;
  char name[IF_NAMESIZE] = {};
  if (!if_indextoname(static_cast<unsigned>(hop->ifindex), name)) return std::nullopt;
  return std::string(name);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"galed: the gale load balancer daemon"};
  std::string config = "/etc/gale/gale.conf";
  bool check_only = false;
  std::string control_socket;
  uint32_t workers = 0;
  std::string config_id;
  std::string pid_file;
  bool log_detail = false;
  app.add_option("-f,--config,--use-file", config, "configuration file (keepalived.conf dialect)");
  app.add_flag("-t,--test,--config-test", check_only, "check the configuration and exit");
  // keepalived's flags, so its systemd units and scripts keep working.
  bool foreground = false, console = false;  // what galed does anyway
  app.add_flag("-n,--dont-fork", foreground, "stay in the foreground (galed always does)");
  app.add_flag("-l,--log-console", console, "log to the console (galed logs to stderr always)");
  app.add_flag("-D,--log-detail", log_detail, "log details: the settings derived from the config");
  app.add_option("-p,--pid", pid_file, "write galed's pid to this file (removed at exit)");
  app.add_option("-i,--config-id", config_id,
                 "the config id `@ID` lines match (default: the host name up to its first dot)");
  app.add_option("--control-socket", control_socket, "override the config's control_socket");
  app.add_option("--workers", workers, "override the config's worker count");
  gale::io::DecapConfig decap;
  app.add_option("--decap", decap.ifname,
                 "run as a TUN-mode real server's decapsulator on this interface");
  app.add_option("--gue-port", decap.gue_port, "with --decap: GUE's UDP port (0: IPIP only)");
  app.add_option("--tun-name", decap.tun_name, "with --decap: the TUN device to create");
  CLI11_PARSE(app, argc, argv);
  if (!decap.ifname.empty()) return run_decap(decap);

  gale::ctl::ParseOptions parse;
  if (!config_id.empty()) parse.config_id = config_id;
  std::optional<gale::host::Rtnetlink> nl;
  if (auto r = gale::host::Rtnetlink::open()) nl.emplace(std::move(*r));
  if (nl) parse.link_of = [&nl](const gale::net::IpAddr& a) { return route_link(*nl, a); };

  if (check_only) {
    // The whole build galed would do at start, on a synthetic host view.
    auto checked = gale::ctl::check_config(config, workers, parse);
    if (!checked) {
      std::fprintf(stderr, "%s\n", checked.error().message.c_str());
      return 1;
    }
    for (const auto& w : checked->config.warnings)
      std::fprintf(stderr, "%s\n", gale::ctl::to_string(w).c_str());
    if (!checked->config.derived.empty()) {
      std::printf("%s: no gale { } block; derived:\n", config.c_str());
      for (const std::string& d : checked->config.derived)
        std::printf("  %s\n", d.c_str());
    }
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
  PidFile pid(pid_file);
  if (pid.failed(pid_file)) return 1;
  gale::app::DaemonOptions opts{.config_path = config, .parse = parse, .log_detail = log_detail};
  if (!control_socket.empty()) opts.control_socket = control_socket;
  if (workers) opts.workers = workers;
  gale::app::Daemon daemon(opts);
  return daemon.run();
}
