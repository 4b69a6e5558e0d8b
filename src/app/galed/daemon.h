// galed's control plane: loads the config, builds and publishes snapshots, starts the
// dataplane on the configured interfaces, keeps neighbours resolved, serves the control
// socket, reloads on SIGHUP (a bad config leaves the running one in place) and shuts
// down cleanly on SIGTERM (workers stopped, XDP programs detached, filters removed).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "base/expected.h"
#include "base/qsbr.h"
#include "ctl/config.h"
#include "ctl/control_commands.h"
#include "ctl/listing.h"
#include "ctl/metrics_listener.h"
#include "ctl/model.h"
#include "ctl/parser.h"
#include "ctl/rate_estimator.h"
#include "ctl/snapshot_builder.h"
#include "ha/notify_fifo.h"
#include "host/neighbour_retry.h"
#include "host/rtnetlink.h"
#include "io/link_io.h"
#include "lb/snapshot.h"

namespace gale::health {
class Engine;
}  // namespace gale::health

namespace gale::ha {
class Engine;
struct EngineInstance;
struct EngineConfig;
class ConnSync;
struct ConnSyncConfig;
struct StateChange;
}  // namespace gale::ha

namespace gale::io {
class Dataplane;
class XdpProgram;
}  // namespace gale::io

namespace gale::app {

using ctl::Config;
using ctl::HostView;
using ctl::RealServerIds;
using ctl::ServiceKey;
using host::Link;
using host::Neighbour;
using host::Rtnetlink;

// "galed: MSG" on stderr (the unit's journal).
void log(const std::string& msg);

// What the running VRRP was started from (vrrp.cc): a reload that changes it says that
// the change waits for a restart.
std::string vrrp_fingerprint(const ctl::Config& c);

// The track_files and vrrp_track_processes `vi` tracks (its own and its sync group's)
// added to `e`, the files and processes themselves to `ec` (vrrp_track.cc).
void add_file_and_process_tracks(const ctl::Config& c, const ctl::VrrpInstance& vi,
                                 ha::EngineInstance& e, ha::EngineConfig& ec);
// Their part of vrrp_fingerprint, and the notify FIFOs', through `add`.
void track_fingerprint(const ctl::Config& c, const std::function<void(const std::string&)>& add);

struct DaemonOptions {
  std::string config_path;
  std::optional<std::string> control_socket;  // overrides the config's
  std::optional<uint32_t> workers;            // overrides the config's
  ctl::ParseOptions parse;                    // config id (-i), host routes (no gale block)
  bool log_detail = false;                    // -D: log what was derived from the config
};

class Daemon : public ctl::ControlApi {
 public:
  explicit Daemon(DaemonOptions opts);
  ~Daemon() override;
  // Runs until SIGTERM or SIGINT. Returns the process exit code.
  int run();

  // ctl::ControlApi (control.cc): what the control socket's commands do.
  Expected<uint64_t> reload() override;
  Expected<uint64_t> change(const ctl::ModelChange& change) override;
  const ctl::Model& model() const override { return model_; }
  nlohmann::json stats() override;
  ctl::Listing listing() override;
  Expected<ctl::ConnListing> conns(uint64_t limit) override;
  Expected<void> zero(const std::optional<ServiceKey>& service) override;
  std::vector<ctl::VrrpRow> vrrp() override;  // vrrp.cc
  // ipvsadm --start-daemon / --stop-daemon / -L --daemon (sync.cc).
  Expected<void> start_daemon(ctl::SyncRole role, const ctl::SyncDaemonConf& conf) override;
  Expected<void> stop_daemon(ctl::SyncRole role) override;
  std::vector<ctl::SyncDaemonRow> daemons() override;
  // The config running now: the file's as changed at runtime, plus runtime services.
  const Config& config() const { return model_.effective(); }

  // A health checker's verdict, from any thread: queued, applied on the daemon's loop
  // (Model::set_health, then one rebuild for everything queued).
  void post_health(ctl::RealServerRef rs, ctl::HealthState state);
  // Logs the quorum changes of the last model changes and runs their quorum_up /
  // quorum_down scripts (on the health engine's thread, which reaps them).
  void quorum_events();

 private:
  Expected<void> start();
  // Applies the verdicts post_health queued (the loop calls it when health_fd_ fires).
  void apply_posted_health();
  // Samples the rate estimators of every service and real server (the loop: every 2 s).
  void estimate_rates();
  // The listing without rates, reload counts or the table size (counters less what
  // -Z zeroed).
  ctl::Listing counted_listing();
  void subtract_zeroed(ctl::Listing& l) const;
  // Builds a snapshot from config_ and the host (rebuild.cc) and, when it forwards
  // differently from the running one (or `force`), publishes it transactionally:
  // steering widened to old + new, publish, wait until every worker has left the old
  // snapshot, steering narrowed to new. A failure before the publish changes nothing.
  Expected<void> rebuild(bool force);
  // Makes the XDP maps / AF_PACKET filter say exactly `owned` on every interface.
  Expected<void> steer(const std::vector<lb::Endpoint>& owned);
  // Waits (bounded) until no worker can still hold a snapshot older than the current.
  bool wait_quiescent();
  HostView host_view();
  // Asks the kernel to resolve `addr` on link `link` now, then with doubling intervals
  // while it stays unresolved (resolver.cc).
  void resolve_later(const net::IpAddr& addr, uint16_t link);
  // Every loop turn: retries due resolutions, takes the reply path's on-link misses, and
  // rebuilds when the neighbour table changed.
  void resolve_missing();
  // Frees the ids of removed real servers once no worker tracks a flow to them.
  void release_drained();
  // FullNAT connections the workers track now (what a fullnat_ports change would move).
  uint64_t live_fullnat_flows() const;
  // The health checkers (health.cc): started with the config, told of reloads; their
  // verdicts go through post_health().
  void start_health();
  void stop_health();
  // VRRP (vrrp.cc, vrrp_track.cc): every vrrp_instance on ha::Engine's thread; changes are logged
  // and run the notify scripts.
  Expected<void> start_vrrp();
  void stop_vrrp();
  void vrrp_changed(const ha::StateChange& change);
  void open_vrrp_fifos(const ctl::Config& c);
  // fifo_write_vrrp_states_on_reload: every group's and instance's state as it is now.
  void vrrp_states_to_fifos();
  std::string fifo_metrics() const;
  // Connection sync (sync.cc): lvs_sync_daemon's thread, and galectl --start-daemon's.
  // start_sync waits for a peer's bulk copy before VRRP may start; before a MASTER
  // announces, settle_sync has the workers apply what arrived.
  Expected<void> start_sync();
  Expected<void> run_sync(const ha::ConnSyncConfig& cfg);
  void stop_sync();
  void settle_sync(const std::string& instance);
  std::string sync_metrics() const;
  // The checkers' counts into a listing's real servers.
  void fill_check_stats(ctl::Listing& l);
  // Says which services cannot serve anyone, when that changes.
  void report_unreachable(const std::vector<std::string>& now);
  // One scrape of the metrics endpoint (metrics.cc).
  std::string metrics_text();
  // Listens on config().gale.metrics_listen when it is not what metrics_ listens on (at
  // start, and after a reload that moved it; a failure then keeps the old listener).
  Expected<void> listen_metrics();

  DaemonOptions opts_;
  ctl::Model model_;
  std::optional<Rtnetlink> nl_;
  std::vector<Neighbour> neighbours_;  // usable ones, as last read
  std::vector<Link> links_;
  RealServerIds ids_;
  uint64_t generation_ = 0;
  uint32_t workers_ = 1;
  std::unique_ptr<Qsbr<lb::Snapshot>> snaps_;
  std::shared_ptr<lb::NeighbourMisses> misses_ = std::make_shared<lb::NeighbourMisses>();
  std::vector<std::unique_ptr<io::XdpProgram>> programs_;
  std::unique_ptr<io::Dataplane> dataplane_;
  bool owned_filter_installed_ = false;
  std::vector<lb::Endpoint> owned_;  // what steering says now
  // post_health's queue, and the eventfd that wakes the loop for it.
  std::mutex posted_mu_;
  std::vector<std::pair<ctl::RealServerRef, ctl::HealthState>> posted_;
  int health_fd_ = -1;
  // IPVS's 2 s rate estimators, per service and per real server of the model.
  std::map<ServiceKey, ctl::RateEstimator> service_rates_;
  std::map<ctl::RealServerRef, ctl::RateEstimator> dest_rates_;
  // What the counters said when -Z zeroed them.
  std::map<ServiceKey, ctl::Counters> zeroed_services_;
  std::map<ctl::RealServerRef, ctl::Counters> zeroed_dests_;
  uint64_t reloads_ok_ = 0;
  uint64_t reloads_failed_ = 0;
  // Ids of removed real servers whose flows may remain, and since when.
  std::map<uint16_t, std::chrono::steady_clock::time_point> draining_;
  // The same for FullNAT local addresses removed from the config, by local address id.
  std::map<uint8_t, std::chrono::steady_clock::time_point> laddr_draining_;
  host::NeighbourRetry resolving_;        // addresses being resolved, with their back-off
  std::vector<std::string> unreachable_;  // as last reported
  std::optional<ctl::MetricsListener> metrics_;
  ctl::Endpoint metrics_at_;  // the address last asked for (so a failure is said once)
  // Health checkers (health.cc): the engine, and what its checks did so far per real
  // server (written on the engine's thread, read by listing()).
  std::unique_ptr<health::Engine> health_;
  // global_defs notify_fifo and vrrp_notify_fifo: opened before the engine starts,
  // written on its thread, closed after it stops (declared first: they outlive it).
  std::vector<ha::NotifyFifo> vrrp_fifos_;
  std::unique_ptr<ha::Engine> vrrp_;
  // The sync thread, and the ipvsadm roles it serves. sync_mu_ guards sync_ between the
  // daemon's loop (start, stop, metrics) and the VRRP thread (settle_sync).
  mutable std::mutex sync_mu_;
  std::unique_ptr<ha::ConnSync> sync_;
  ctl::SyncDaemons sync_daemons_;
  // Each instance's and sync group's notify scripts as galed started them (the engine's
  // thread reads them; a reload does not change the running VRRP).
  struct VrrpNotify {
    std::string name, master, backup, fault, stop, notify;
    bool group = false;
    std::vector<std::string> members;  // a group's instances
  };
  std::vector<VrrpNotify> vrrp_notify_;
  std::string vrrp_script_user_;
  // The dataplane follows mastership (vrrp.cc): the vrrp_instances MASTER here; the
  // others' VIPs are standby in the snapshot (host_view). The VRRP thread changes the
  // set and asks the loop for a rebuild (vrrp_rebuild_, through health_fd_), and before
  // it announces a VIP it waits until a rebuild pass has run (vrrp_passes_ moved on).
  std::mutex vrrp_mu_;
  std::set<std::string> vrrp_masters_;
  std::atomic<bool> vrrp_rebuild_{false};
  std::atomic<uint64_t> vrrp_passes_{0};
  // Marks `instance` MASTER or not and has the loop rebuild; MASTER waits for the pass.
  void vrrp_steer(const std::string& instance, bool master);
  // What host_view() says of VRRP: the VIPs of the instances not MASTER here.
  std::vector<net::IpAddr> standby_vips();
  std::vector<net::MacAddr> macs_steered_;  // what the XDP programs' `macs` say
  std::mutex check_mu_;
  std::map<ctl::RealServerRef, ctl::CheckStats> check_stats_;
};

}  // namespace gale::app
