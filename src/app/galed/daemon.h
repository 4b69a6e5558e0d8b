// galed's control plane: loads the config, builds and publishes snapshots, starts the
// dataplane on the configured interfaces, keeps neighbours resolved, serves the control
// socket, reloads on SIGHUP (a bad config leaves the running one in place) and shuts
// down cleanly on SIGTERM (workers stopped, XDP programs detached, filters removed).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "base/expected.h"
#include "base/qsbr.h"
#include "ctl/config.h"
#include "ctl/snapshot_builder.h"
#include "host/rtnetlink.h"
#include "lb/snapshot.h"

namespace gale::io {
class Dataplane;
class XdpProgram;
}  // namespace gale::io

namespace gale::app {

using ctl::Config;
using ctl::HostView;
using ctl::MissingNeighbour;
using ctl::RealServerIds;
using ctl::ServiceKey;
using host::Link;
using host::Neighbour;
using host::Rtnetlink;

struct DaemonOptions {
  std::string config_path;
  std::optional<std::string> control_socket;  // overrides the config's
  std::optional<uint32_t> workers;            // overrides the config's
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions opts);
  ~Daemon();
  // Runs until SIGTERM or SIGINT. Returns the process exit code.
  int run();

 private:
  Expected<void> start();
  // Builds a snapshot from config_ and the host; publishes it when it differs.
  Expected<void> rebuild(bool force);
  void reload();
  void resolve_missing();
  nlohmann::json handle(const nlohmann::json& request);
  nlohmann::json stats() const;
  HostView host_view();

  DaemonOptions opts_;
  Config config_;
  std::optional<Rtnetlink> nl_;
  std::vector<Neighbour> neighbours_;
  std::vector<Link> links_;
  RealServerIds ids_;
  std::vector<MissingNeighbour> missing_;
  bool gateway_missing_ = false;  // the default gateway's MAC is not known yet
  uint64_t generation_ = 0;
  uint32_t workers_ = 1;
  std::unique_ptr<Qsbr<lb::Snapshot>> snaps_;
  std::vector<std::unique_ptr<io::XdpProgram>> programs_;
  std::unique_ptr<io::Dataplane> dataplane_;
  bool owned_filter_installed_ = false;
  // Real servers taken out by hand (galectl / control socket): service key, addr, port.
  std::set<std::tuple<ServiceKey, net::IpAddr, uint16_t>> down_;
  std::string last_build_;  // what the running snapshot was built from (to skip no-ops)
  // Ids of removed real servers whose flows may remain, and since when.
  std::map<uint16_t, std::chrono::steady_clock::time_point> draining_;
  // The same for FullNAT local addresses removed from the config, by local address id.
  std::map<uint8_t, std::chrono::steady_clock::time_point> laddr_draining_;
  // Frees the ids of removed real servers once no worker tracks a flow to them.
  void release_drained();
};

}  // namespace gale::app
