// The VRRP engine: every vrrp_instance on one thread of its own (so that a busy daemon
// loop or a slow rebuild never delays an advertisement), each instance's VIPs added or
// removed and announced on that thread the moment its state changes; its tracking
// (vrrp_scripts run in the background, links watched through rtnetlink) and its sync
// group applied there too; tracked files (inotify) and processes (ha/track_watch.h) as
// well. The owner hears of each change through a callback (on the
// engine's thread: post it on).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ha/announce.h"
#include "ha/track_watch.h"
#include "ha/vip.h"
#include "ha/vmac.h"
#include "ha/vrrp_instance.h"
#include "ha/vrrp_script.h"
#include "host/route_set.h"
#include "host/thread_sched.h"

namespace gale::ha {

// One thing an instance tracks: a script, a file or a process (an index into
// EngineConfig's scripts, files or processes), or a link.
struct EngineTrack {
  std::optional<size_t> script;
  std::optional<size_t> file;
  std::optional<size_t> process;
  std::string ifname;  // when none of those
  int32_t weight = 0;  // 0: FAULT while down (a file: while non-zero)
  bool reverse = false;
};

// A vrrp_track_process: what it counts and its quorum.
struct EngineProcess {
  std::string name;
  ProcessMatch match;
  uint32_t quorum = 1;
  uint32_t quorum_max = UINT32_MAX;
  Micros fork_delay = 0;
  Micros terminate_delay = 0;
};

struct EngineInstance {
  VrrpInstanceConfig vrrp;
  std::vector<Vip> vips;                // virtual_ipaddress and _excluded, added as MASTER
  std::vector<host::RouteSpec> routes;  // virtual_routes: added after the VIPs as MASTER
  int garp_repeat = 5;                  // gratuitous ARPs (IPv6: NAs) per VIP as MASTER
  Micros garp_master_delay = 5000000;   // and again this long after (0: not again)
  Micros garp_refresh = 0;              // then every this long while MASTER (0: never)
  int garp_refresh_repeat = 1;          // that many each time
  // garp_lower_prio_repeat / _delay: a MASTER that hears a lower priority sends this many
  // per VIP at once (0: none) and again this long after (0: not again).
  int garp_lower_repeat = 5;
  Micros garp_lower_delay = 5000000;
  std::vector<EngineTrack> tracks;
  std::optional<VmacConfig> vmac;  // use_vmac: made before the socket opens, deleted last
};

struct EngineSyncGroup {
  std::string name;
  std::vector<size_t> members;  // indices into EngineConfig::instances
};

struct EngineConfig {
  std::vector<EngineInstance> instances;
  AnnouncePacing pacing;    // vrrp_garp_interval, vrrp_gna_interval
  host::ThreadSched sched;  // the VRRP thread's: vrrp_rt_priority, vrrp_priority, ...
  std::vector<VrrpScriptConfig> scripts;
  std::vector<WatchedFile> files;
  std::vector<EngineProcess> processes;
  std::vector<EngineSyncGroup> groups;
};

struct InstanceStatus {
  std::string name;
  VrrpState state = VrrpState::init;
  uint8_t priority = 0;             // effective: what it advertises
  uint8_t configured_priority = 0;  // `priority`
  std::vector<net::IpAddr> vips;    // advertised
  VrrpCounters counters;
};

// A state change, of an instance or of a sync group (its notify scripts).
struct StateChange {
  std::string name;
  bool group = false;
  VrrpState state = VrrpState::init;
  uint8_t priority = 0;  // the instance's effective priority (groups: 0)
  std::string error;     // from the VIP, ARP or NA work ("" when all went well)
};

class Engine {
 public:
  // Both called on the engine thread.
  using OnChange = std::function<void(const StateChange&)>;
  using OnLog = std::function<void(const std::string&)>;  // tracking's news, one line each

  // Called on the engine thread when an instance is about to become MASTER, before its
  // VIPs are added and announced (connection sync settles there: ha/conn_sync.h).
  using BeforeMaster = std::function<void(const std::string&)>;

  explicit Engine(OnChange on_change, OnLog on_log = {}, BeforeMaster before_master = {});
  ~Engine();  // stops (priority 0 for every MASTER, VIPs removed)

  // Opens every instance's socket and starts the thread; an error names the instance.
  Expected<void> start(EngineConfig config);
  void stop();
  std::vector<InstanceStatus> status() const;

 private:
  struct Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace gale::ha
