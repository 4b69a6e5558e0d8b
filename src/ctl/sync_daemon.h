// ipvsadm's connection sync daemons (--start-daemon, --stop-daemon, -L --daemon) over
// gale's connection sync (docs/ha.md "Connection sync"). IPVS runs a master daemon that
// sends and a backup daemon that receives, each with its own settings; gale's one sync
// thread sends and receives whatever the role. So a role here is a record over that one
// thread: the first role started starts it, a second role must name the same settings,
// and the thread stops when no role is left. lvs_sync_daemon's thread counts as both
// roles (it does both). The control socket's start_daemon / stop_daemon / daemons
// commands and galectl share these types; galed keeps one SyncDaemons.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/expected.h"
#include "ctl/config.h"
#include "net/addr.h"

namespace gale::ctl {

enum class SyncRole : uint8_t { master, backup };
const char* to_string(SyncRole r);  // "master", "backup"
std::optional<SyncRole> sync_role_from(std::string_view word);

// One daemon's settings, IPVS's defaults (ipvsadm --start-daemon's options).
struct SyncDaemonConf {
  std::string interface;                          // --mcast-interface
  uint8_t syncid = 0;                             // --syncid
  uint16_t maxlen = 1472;                         // --sync-maxlen: 1500 less IP and UDP
  net::IpAddr group = net::Ipv4Addr{0xe0000051};  // --mcast-group: 224.0.0.81
  uint16_t port = 8848;                           // --mcast-port
  uint8_t ttl = 1;                                // --mcast-ttl
  bool operator==(const SyncDaemonConf&) const = default;
};

// One running role, as -L --daemon lists it.
struct SyncDaemonRow {
  SyncRole role = SyncRole::master;
  SyncDaemonConf conf;
  Origin origin = Origin::runtime;  // config: lvs_sync_daemon's
};

// Which roles run, and the one thread's settings. Pure: galed starts and stops the
// thread as start() and stop() say, and keeps the change only when that worked.
class SyncDaemons {
 public:
  // What the sync thread must do after a change.
  enum class Thread : uint8_t { keep, start, stop };

  // --start-daemon ROLE: refused as IPVS refuses a role that runs ("Daemon has already
  // run"); a role beside a running one must name the same settings (one thread).
  Expected<Thread> start(SyncRole role, SyncDaemonConf conf, Origin origin = Origin::runtime);
  // lvs_sync_daemon: both roles, from the config.
  Expected<Thread> start_both(const SyncDaemonConf& conf);
  // --stop-daemon ROLE: "No daemon is running" when it does not.
  Expected<Thread> stop(SyncRole role);

  bool running() const { return master_ || backup_; }
  const SyncDaemonConf& conf() const { return conf_; }
  // Master first, as ipvsadm lists them.
  std::vector<SyncDaemonRow> rows() const;

 private:
  SyncDaemonConf conf_;
  Origin origin_ = Origin::runtime;
  bool master_ = false;
  bool backup_ = false;
};

// The control socket's shapes: a start_daemon request's "daemon" object, and the rows of
// the daemons answer.
nlohmann::json to_json(SyncRole role, const SyncDaemonConf& conf);
Expected<std::pair<SyncRole, SyncDaemonConf>> sync_daemon_from_json(const nlohmann::json& j);
nlohmann::json to_json(const std::vector<SyncDaemonRow>& rows);
Expected<std::vector<SyncDaemonRow>> sync_daemon_rows_from_json(const nlohmann::json& j);

}  // namespace gale::ctl
