// galed's side of connection sync (docs/ha.md "Connection sync"): global_defs
// lvs_sync_daemon, or galectl --start-daemon, runs ha::ConnSync over the dataplane; the
// ipvsadm roles (master, backup) it serves are ctl::SyncDaemons' records. At start the
// node asks its peers for a bulk copy and VRRP starts only once it is in (or no peer
// answered), so a node never claims mastership with an empty flow table; before a
// MASTER adds and announces its VIPs, the workers apply what the old master sent last.
#include "app/galed/daemon.h"
#include "ha/conn_sync.h"
#include "io/dataplane.h"

namespace gale::app {

namespace {

// How long start-up waits for a bulk copy: until the peers fall silent for kBulkIdleMs
// (a peer that answers streams without pause), at most kBulkMaxMs.
constexpr int kBulkIdleMs = 500;
constexpr int kBulkMaxMs = 10000;
// How long a takeover may wait for the workers to apply what arrived.
constexpr int kSettleMs = 100;

// gale's sync thread's settings from ipvsadm's.
ha::ConnSyncConfig conn_sync_config(const ctl::SyncDaemonConf& d) {
  return {.ifname = d.interface,
          .group = d.group,
          .port = d.port,
          .ttl = d.ttl,
          .syncid = d.syncid,
          .maxlen = d.maxlen};
}

}  // namespace

// lvs_sync_daemon: both ipvsadm roles (the thread sends and receives), multicast or the
// instance's unicast peers; start-up then waits for a peer's bulk copy.
Expected<void> Daemon::start_sync() {
  const ctl::Config& c = config();
  if (!c.global.lvs_sync_daemon) return {};
  const ctl::LvsSyncDaemon& d = *c.global.lvs_sync_daemon;
  ctl::SyncDaemonConf conf{
      .interface = d.interface, .maxlen = d.maxlen, .port = d.port, .ttl = d.ttl};
  if (d.group) conf.group = *d.group;
  std::vector<net::IpAddr> peers;
  for (const ctl::VrrpInstance& vi : c.vrrp_instances) {
    if (vi.name != d.instance) continue;
    conf.syncid = d.syncid.value_or(vi.virtual_router_id);
    peers = vi.unicast_peers;  // a unicast instance syncs to the same peers
  }
  ctl::SyncDaemons next = sync_daemons_;
  auto t = next.start_both(conf);
  if (!t) return fail(to_string(d.where) + ": " + t.error().message);
  ha::ConnSyncConfig sc = conn_sync_config(next.conf());
  sc.peers = std::move(peers);
  if (auto r = run_sync(sc); !r) return fail(to_string(d.where) + ": " + r.error().message);
  sync_daemons_ = std::move(next);
  // The VRRP thread has not started: sync_ is this thread's alone.
  const bool copied = sync_->wait_bulk(kBulkIdleMs, kBulkMaxMs);
  (void)dataplane_->applied(1000);
  const ha::ConnSyncCounters n = sync_->counters();
  log(copied ? "sync: bulk copy in: " + std::to_string(n.records_received) + " connection(s)"
             : "sync: no peer sent a bulk copy (" + std::to_string(n.records_received) +
                   " connection(s) heard); starting without");
  return {};
}

// Starts the thread; it asks the peers for a bulk copy, which arrives in the background.
Expected<void> Daemon::run_sync(const ha::ConnSyncConfig& sc) {
  std::lock_guard lock(sync_mu_);
  if (sync_ && sync_->running()) return fail("the sync daemon is already running");
  auto sync = std::make_unique<ha::ConnSync>(*dataplane_);
  if (auto r = sync->start(sc); !r) return fail(r.error().message);
  sync_ = std::move(sync);
  const std::string how = sc.peers.empty()
                              ? "multicast " + std::string(net::to_text(sc.group).view())
                              : std::to_string(sc.peers.size()) + " unicast peer(s)";
  log("sync: on " + sc.ifname + ", " + how + " port " + std::to_string(sc.port) + ", syncid " +
      std::to_string(sc.syncid));
  return {};
}

void Daemon::stop_sync() {
  std::lock_guard lock(sync_mu_);
  if (!sync_) return;
  sync_->stop();
  sync_.reset();
  log("sync: stopped");
}

// ipvsadm --start-daemon: the first role starts the thread, a second one joins it.
Expected<void> Daemon::start_daemon(ctl::SyncRole role, const ctl::SyncDaemonConf& conf) {
  ctl::SyncDaemons next = sync_daemons_;
  auto t = next.start(role, conf);
  if (!t) return fail(t.error().message);
  if (*t == ctl::SyncDaemons::Thread::start)
    if (auto r = run_sync(conn_sync_config(next.conf())); !r) return r;
  sync_daemons_ = std::move(next);
  log(std::string("sync: ") + ctl::to_string(role) + " sync daemon started (mcast=" +
      conf.interface + ", syncid=" + std::to_string(conf.syncid) + ")");
  return {};
}

// ipvsadm --stop-daemon: the thread stops with the last role.
Expected<void> Daemon::stop_daemon(ctl::SyncRole role) {
  ctl::SyncDaemons next = sync_daemons_;
  auto t = next.stop(role);
  if (!t) return fail(t.error().message);
  if (*t == ctl::SyncDaemons::Thread::stop) stop_sync();
  sync_daemons_ = std::move(next);
  log(std::string("sync: ") + ctl::to_string(role) + " sync daemon stopped");
  return {};
}

std::vector<ctl::SyncDaemonRow> Daemon::daemons() {
  return sync_daemons_.rows();
}

// On the VRRP engine's thread, before the VIPs are added and announced.
void Daemon::settle_sync(const std::string& instance) {
  std::lock_guard lock(sync_mu_);
  if (!sync_ || !sync_->running()) return;
  const bool done = sync_->settle(kSettleMs);
  const ha::ConnSyncCounters n = sync_->counters();
  log("sync: (" + instance + ") " + std::to_string(n.records_received) +
      " connection event(s) heard, " + (done ? "all in the workers" : "not all applied in time") +
      ", before the VIPs are announced");
}

// The sync daemon's counters, in Prometheus' text format (appended to a scrape).
std::string Daemon::sync_metrics() const {
  std::lock_guard lock(sync_mu_);
  if (!sync_ || !sync_->running()) return "";
  const ha::ConnSyncCounters c = sync_->counters();
  const struct {
    const char* name;
    const char* help;
    uint64_t value;
  } rows[] = {
      {"gale_sync_datagrams_sent_total", "Connection sync datagrams sent.", c.datagrams_sent},
      {"gale_sync_records_sent_total", "Connection events sent to peers.", c.records_sent},
      {"gale_sync_send_errors_total", "Connection sync datagrams the kernel refused.",
       c.send_errors},
      {"gale_sync_datagrams_received_total", "Connection sync datagrams received from peers.",
       c.datagrams_received},
      {"gale_sync_records_received_total", "Connection events received from peers.",
       c.records_received},
      {"gale_sync_malformed_total", "Received sync datagrams the codec refused.", c.malformed},
      {"gale_sync_other_syncid_total", "Received sync datagrams of another syncid.",
       c.other_syncid},
      {"gale_sync_sequence_gaps_total", "Sync datagrams peers sent that never arrived.",
       c.seq_gaps},
      {"gale_sync_given_lost_total", "Received events a worker's inbound ring had no room for.",
       c.given_lost},
      {"gale_sync_bulk_requests_total", "Bulk copies sent to peers that asked.", c.bulk_requests},
      {"gale_sync_bulk_records_total", "Connections sent in bulk copies.", c.bulk_records},
  };
  std::string out;
  for (const auto& r : rows) {
    out += std::string("# HELP ") + r.name + " " + r.help + "\n# TYPE " + r.name + " counter\n" +
           r.name + " " + std::to_string(r.value) + "\n";
  }
  return out;
}

}  // namespace gale::app
