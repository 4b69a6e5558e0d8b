// The config model: what a keepalived.conf-dialect file says, as plain aggregates.
// parse_config() (ctl/parser.h) fills it and validates it; build_snapshot()
// (ctl/snapshot_builder.h) turns it into the dataplane's lb::Snapshot. Health checkers
// and VRRP are parsed and stored here; acting on them is the job of health/ and ha/.
// Durations are kept in milliseconds because keepalived accepts fractions (advert_int 0.5).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "host/route_set.h"
#include "lb/conn_state.h"
#include "lb/maglev.h"
#include "lb/scheduler.h"
#include "lb/snapshot.h"
#include "net/addr.h"

namespace gale::ctl {

// Where a directive was written: reported by checks that run after parsing.
struct Location {
  std::string file;
  uint32_t line = 0;
  uint32_t col = 0;
};
// "file:line:col"
std::string to_string(const Location& at);

// A directive gale reads and stores but does not act on yet, and what gale does instead:
// `galed -t` prints these, galed logs them at start and on reload.
struct Warning {
  Location where;
  std::string message;
};
// "file:line:col: warning: message"
std::string to_string(const Warning& w);

// Where a service or real server came from: the config file, or a runtime command
// (galectl); ctl/model.h says how the two combine on reload.
enum class Origin : uint8_t { config, runtime };
const char* to_string(Origin o);  // "config", "runtime"

// An address and a port (sorry_server, metrics_listen).
struct Endpoint {
  net::IpAddr addr;
  uint16_t port = 0;
};

// ---- health checkers (stored; health/ runs them) -------------------------------------

enum class CheckKind : uint8_t { tcp, http, ssl, misc, udp, dns, smtp };
const char* to_string(CheckKind k);  // keepalived's block name: "TCP_CHECK", ...

// A range of acceptable HTTP status codes (status_code 200-299).
struct StatusRange {
  uint16_t lo = 0;
  uint16_t hi = 0;
};

// One url { } of HTTP_GET / SSL_GET.
struct CheckUrl {
  std::string path;
  std::vector<StatusRange> status;  // empty: keepalived's default, any 2xx
  std::string digest;               // MD5 of the body, hex; empty: not checked
  std::string virtualhost;          // Host header for this url
};

// One checker block inside a real_server.
// retry, delay_before_retry, warmup, connect_timeout and alpha as written in a checker,
// a real_server or a virtual_server: the checker's own value wins, then its real
// server's, then its service's, then keepalived's default (resolved once the
// virtual_server is parsed, so the order of lines does not matter, as in keepalived).
// inhibit_on_failure likewise: a real server's own, else its service's.
struct CheckDefaults {
  std::optional<uint32_t> connect_timeout_ms;
  std::optional<uint32_t> retry;
  std::optional<uint32_t> delay_before_retry_ms;
  std::optional<uint32_t> warmup_ms;
  std::optional<bool> alpha;
  std::optional<bool> inhibit_on_failure;
};

struct HealthCheck {
  CheckKind kind = CheckKind::tcp;
  Location where;
  CheckDefaults written;  // what the checker block itself said (see CheckDefaults)
  uint32_t connect_timeout_ms = 5000;
  uint16_t connect_port = 0;  // 0: the real server's port
  std::optional<net::IpAddr> connect_ip;
  std::optional<net::IpAddr> bindto;
  uint16_t bind_port = 0;
  std::string bind_if;  // SO_BINDTODEVICE
  uint32_t fwmark = 0;  // SO_MARK on the checker's socket
  bool alpha = false;   // the checker starts failed until it succeeds once
  uint32_t retry = 1;   // attempts before the server is marked down (nb_get_retry)
  uint32_t delay_before_retry_ms = 1000;
  std::optional<uint32_t> delay_loop_ms;  // overrides the virtual server's
  uint32_t warmup_ms = 0;
  // HTTP_GET, SSL_GET
  std::vector<CheckUrl> urls;
  std::string virtualhost;
  bool enable_sni = false;
  std::string http_protocol = "1.0";  // "1.0", "1.0C" (Connection: close), "1.1"
  // MISC_CHECK
  std::string misc_path;  // the command line, as written
  uint32_t misc_timeout_ms = 0;
  bool misc_dynamic = false;  // exit code 2..255 sets weight = code - 2
  std::string user;           // "USER [GROUP]" the script runs as; empty: script_user
  Location user_at;
  // UDP_CHECK
  std::string payload;
  bool require_reply = false;
  uint32_t min_reply_length = 0;
  uint32_t max_reply_length = 0;  // 0: no limit
  // DNS_CHECK
  std::string dns_type = "SOA";
  std::string dns_name = ".";
  // SMTP_CHECK
  std::string helo_name;  // "": the host name
};

// ---- virtual servers --------------------------------------------------------------------

// gale's FullNAT client-address options (docs/modes.md) as written in a virtual_server
// (the default of its real servers) or a real_server (its own, which wins). Not written:
// the service's, else off.
struct ClientAddrConf {
  std::optional<lb::ProxyProto> proxy;  // proxy_protocol v1|v2|none
  std::optional<bool> toa;              // toa [on|off]
  Location proxy_at;                    // where each was written, for validation
  Location toa_at;
};

// real_server IP [PORT] { ... }
struct RealServerConf {
  Location where;
  Origin origin = Origin::config;
  net::IpAddr addr;
  uint16_t port = 0;  // 0: not written (fwmark services, DR/TUN)
  uint32_t weight = 1;
  bool inhibit_on_failure = false;        // unhealthy: weight 0 (quiesce) instead of removal
  CheckDefaults defaults;                 // written here, for its checkers (CheckDefaults)
  uint32_t uthreshold = 0;                // IPVS -x: 0 = no limit
  uint32_t lthreshold = 0;                // IPVS -y
  std::optional<lb::FwdMode> mode;        // lb_kind inside real_server; else the service's
  std::optional<lb::TunEncap> encap;      // tunnel_encap; else gale { tunnel_encap }
  ClientAddrConf client_addr;             // proxy_protocol, toa; else the service's
  std::optional<uint32_t> delay_loop_ms;  // overrides the virtual server's
  std::string notify_up;
  std::string notify_down;
  std::string virtualhost;  // Host of its HTTP checkers, unless a checker or url says
  std::vector<HealthCheck> checks;
};

enum class VsKind : uint8_t { addr, fwmark, group };

// virtual_server IP PORT | fwmark N | group NAME { ... }
struct VirtualServerConf {
  Location where;
  Origin origin = Origin::config;
  VsKind kind = VsKind::addr;
  net::IpAddr vip;      // addr
  uint16_t port = 0;    // addr
  uint32_t fwmark = 0;  // fwmark
  std::string group;    // group: a virtual_server_group's name
  uint8_t proto = 6;    // protocol TCP | UDP
  uint32_t delay_loop_ms = 60000;
  lb::SchedKind sched = lb::SchedKind::wlc;  // lb_algo / lvs_sched
  lb::FwdMode mode = lb::FwdMode::nat;       // lb_kind / lvs_method (keepalived: NAT)
  lb::SchedFlags sched_flags;                // sh-port sh-fallback mh-port mh-fallback
  uint32_t persistence_timeout_s = 0;
  uint8_t persistence_prefix = 0;  // persistence_granularity as a prefix length; 0: whole
  uint32_t quorum = 1;
  uint32_t hysteresis = 0;
  std::string quorum_up;
  std::string quorum_down;
  bool alpha = false;                    // servers start down until their first check succeeds
  bool omega = false;                    // run notify_down / quorum_down on removal
  std::optional<Endpoint> sorry_server;  // port 0: the VIP's
  Location sorry_where;
  bool sorry_server_inhibit = false;             // in the pool at weight 0 while unused
  std::optional<lb::FwdMode> sorry_server_mode;  // sorry_server_lvs_method; else the service's
  std::string virtualhost;                       // default Host of HTTP_GET checkers
  ClientAddrConf client_addr;                    // its real servers' default
  CheckDefaults defaults;  // written here, for its real servers' checkers (CheckDefaults)
  std::vector<RealServerConf> real_servers;
  // A firewall-mark service's address family when a runtime command said it (-6);
  // none: the family of its real servers (keepalived's way).
  net::Family fwmark_family = net::Family::none;
};

// What a real server of `vs` is sent of the client's address (FullNAT): its own
// proxy_protocol and toa, else the service's, else none. Validation, the snapshot and the
// listings all take it from here.
struct ClientAddr {
  lb::ProxyProto proxy = lb::ProxyProto::none;
  bool toa = false;
  Location proxy_at;  // where the effective proxy_protocol / toa was written
  Location toa_at;
};
ClientAddr client_addr(const RealServerConf& rs, const VirtualServerConf& vs);

// One member of a virtual_server_group: IP PORT (an IPv4 range A.B.C.D-E expands into
// one entry per address) or fwmark N.
struct GroupEntry {
  Location where;
  net::IpAddr vip;
  uint16_t port = 0;
  uint32_t fwmark = 0;  // != 0: a firewall-mark member
};

struct VirtualServerGroup {
  Location where;
  std::string name;
  std::vector<GroupEntry> entries;
};

// ---- VRRP (stored; ha/ runs it) -----------------------------------------------------

struct VrrpScript {
  Location where;
  std::string name;
  std::string script;
  uint32_t interval_ms = 1000;
  uint32_t timeout_ms = 0;  // 0: the interval
  int32_t weight = 0;       // -253..253: added while it succeeds (> 0) or fails (< 0); 0: FAULT
  bool reverse = false;     // `weight W reverse`: the adjustment (or the FAULT) the other way
  uint32_t rise = 1;
  uint32_t fall = 1;
  std::string user;        // "USER [GROUP]"; "": global_defs' script_user
  bool init_fail = false;  // failed until it succeeds `rise` times (else: its first result)
};

// virtual_ipaddress entry: ADDR[/LEN] [dev IF] [label L]
struct VirtualIp {
  net::IpAddr addr;
  uint8_t prefix_len = 0;  // 0: not written (/32, /128)
  std::string dev;         // "": the instance's interface
  std::string label;
  std::vector<Warning> unapplied;  // ip-address(8) options read past (brd, scope, ...)
};

// One virtual_routes line (ip-route(8)'s words, as keepalived reads them): added when
// the instance becomes MASTER, removed when it leaves.
struct VirtualRoute {
  Location where;
  host::RouteSpec route;           // dev "" and no via: the instance's interface
  std::vector<Warning> unapplied;  // ip-route(8) options read past (mtu, realms, ...)
};

// track_script NAME [weight N [reverse|noreverse]]
struct TrackScript {
  std::string name;
  std::optional<int32_t> weight;  // overrides the script's
  std::optional<bool> reverse;    // overrides the script's
};

// A track_file or track_process line: NAME [weight N [reverse|noreverse]].
struct TrackRef {
  Location where;
  std::string name;
  std::optional<int32_t> weight;  // overrides the tracked object's
  std::optional<bool> reverse;    // overrides the tracked object's
};

// track_file NAME { file PATH; weight W [reverse]; init_file [VALUE] [overwrite] } (its
// old name: vrrp_track_file): an integer in a file, times the weight, moves the priority.
struct TrackFile {
  Location where;
  std::string name;
  std::string path;
  int32_t weight = 1;  // -254..254; 0: a non-zero value is FAULT
  bool reverse = false;
  std::optional<int32_t> init_value;  // init_file: written at start if the file is missing
  bool init_overwrite = false;        // init_file ... overwrite: written even if it exists
};

// How vrrp_track_process compares a process's arguments (keepalived's param_match).
enum class ProcessParamMatch : uint8_t { none, exact, partial, initial };

// vrrp_track_process NAME { process NAME [ARGS]; param_match [initial|partial]; weight W
// [reverse]; quorum N; quorum_max N; fork_delay S; terminate_delay S; delay S;
// full_command }: up while quorum <= the number of matching processes <= quorum_max.
struct TrackProcess {
  Location where;
  std::string name;
  std::string process;              // comm (15 characters), or argv[0] with full_command
  std::vector<std::string> params;  // process NAME ARGS...: its arguments
  ProcessParamMatch param_match = ProcessParamMatch::none;
  bool full_command = false;  // argv[0] (also implied by ARGS and param_match)
  int32_t weight = 0;         // 0: losing the quorum is FAULT
  bool reverse = false;
  uint32_t quorum = 1;
  uint32_t quorum_max = UINT32_MAX;
  uint32_t fork_delay_ms = 0;       // before gaining the quorum counts
  uint32_t terminate_delay_ms = 0;  // before losing it counts
};

// track_interface IFNAME [weight N [reverse]]: the link's operational state.
struct TrackInterface {
  std::string name;
  int32_t weight = 0;  // 0: down is FAULT
  bool reverse = false;
};

enum class VrrpState : uint8_t { backup, master };
enum class VrrpAuth : uint8_t { none, pass, ah };

// Gratuitous ARPs on becoming MASTER (keepalived's garp_master_*): `repeat` at once,
// `repeat` again `delay_s` later (0: not again), then `refresh_repeat` every `refresh_s`
// while MASTER (0: never). Unset: the global_defs vrrp_garp_master_* value, else 5, 5,
// 0 and 1.
struct GarpTimers {
  std::optional<uint32_t> delay_s, repeat, refresh_s, refresh_repeat;
  // garp_lower_prio_delay / _repeat: a MASTER that hears a lower priority re-announces.
  std::optional<uint32_t> lower_delay_s, lower_repeat;
};

struct VrrpInstance {
  Location where;
  std::string name;
  VrrpState state = VrrpState::backup;
  std::string interface;
  uint8_t virtual_router_id = 0;  // required, 1-255
  uint8_t priority = 100;
  uint32_t advert_int_ms = 1000;
  uint8_t version = 2;  // as keepalived decides it: IPv6 is always 3
  // keepalived's rule: the first of a virtual_ipaddress entry, unicast_src_ip (or
  // mcast_src_ip), unicast_peer or native_ipv6 decides; none of them: IPv4.
  net::Family family = net::Family::v4;
  bool nopreempt = false;
  uint32_t preempt_delay_s = 0;
  VrrpAuth auth_type = VrrpAuth::none;
  std::string auth_pass;
  std::vector<VirtualIp> vips;           // virtual_ipaddress
  std::vector<VirtualIp> excluded_vips;  // virtual_ipaddress_excluded
  std::vector<VirtualRoute> virtual_routes;
  std::vector<TrackScript> track_scripts;
  std::vector<TrackInterface> track_interfaces;
  std::vector<TrackRef> track_files;      // track_file { NAME ... }
  std::vector<TrackRef> track_processes;  // track_process { NAME ... }
  bool dont_track_primary = false;        // else `interface` is tracked as weight 0
  // use_vmac [NAME] (docs/ha.md "use_vmac"): the VIPs on a macvlan of `interface` with
  // the VRRP MAC, NAME or vmac_ifname()'s; vmac_xmit_base: adverts out of `interface`.
  bool use_vmac = false;
  std::string vmac_name;  // as written ("": global_defs' vmac_prefix "." VRID)
  Location vmac_at;
  bool vmac_xmit_base = false;
  Location vmac_xmit_base_at;
  std::optional<net::IpAddr> unicast_src_ip;
  std::vector<net::IpAddr> unicast_peers;
  // down_timer_adverts N: adverts a BACKUP misses before it takes over (else
  // global_defs' vrrp_down_timer_adverts, else 3).
  std::optional<uint8_t> down_timer_adverts;
  // mcast_dst_ip: the adverts' group, else global_defs' vrrp_mcast_group4/6 (vrrp_group()).
  std::optional<net::IpAddr> mcast_dst_ip;
  std::string notify_master, notify_backup, notify_fault, notify_stop, notify;
  GarpTimers garp;
  std::vector<Warning> ignored;  // what keepalived ignores too (another family, a version)
};

struct VrrpSyncGroup {
  Location where;
  std::string name;
  std::vector<std::string> instances;  // group { ... }
  std::string notify_master, notify_backup, notify_fault, notify;
  std::vector<TrackRef> track_files;  // tracked by every member
  std::vector<TrackRef> track_processes;
  // Tracked by every member too, weight 0 (a failure is the group's FAULT), as keepalived
  // tracks a sync group's scripts and interfaces.
  std::vector<TrackScript> track_scripts;
  std::vector<TrackInterface> track_interfaces;
};

// ---- global_defs and the gale block ---------------------------------------------------

// The smallest datagram gale's sync sends: its header and one IPv6 record (IPVS likewise
// raises a smaller sync_maxlen to what one message needs).
inline constexpr uint16_t kSyncMinMaxlen = 124;

// global_defs lvs_sync_daemon IFNAME VRRP_INSTANCE [id N] [maxlen N] [port N] [ttl N]
// [group IP]: connection sync between gale nodes (docs/ha.md "Connection sync").
struct LvsSyncDaemon {
  Location where;
  std::string interface;
  std::string instance;           // the vrrp_instance: unicast_peer, and its VRID as id
  std::optional<uint8_t> syncid;  // not written: the instance's virtual_router_id
  uint16_t maxlen = 1472;         // a datagram's UDP payload
  uint16_t port = 8848;           // IPVS's
  uint8_t ttl = 1;
  // Multicast group; not written: IPVS's 224.0.0.81 (SyncDaemonConf's default), which
  // suits an IPv4 instance only: an IPv6 instance without unicast peers needs one.
  std::optional<net::IpAddr> group;
  Location group_where;
};

// global_defs notify_fifo PATH [USER [GROUP]] and notify_fifo_script CMD (and the vrrp_
// and lvs_ ones): a FIFO galed creates if missing and writes a line to per state change.
struct NotifyFifo {
  Location where;
  std::string path;    // "": none
  std::string owner;   // "USER [GROUP]" of a FIFO galed creates ("": galed's)
  std::string script;  // run once at start with the FIFO's path as its last argument
};

struct GlobalDefs {
  std::string router_id;
  NotifyFifo notify_fifo;       // VRRP's lines (and, in keepalived, the checkers')
  NotifyFifo vrrp_notify_fifo;  // VRRP's lines
  // A reload writes every group's and instance's state to the FIFOs (galed's reload never
  // changes them; keepalived's writes those a reload left unchanged).
  bool fifo_write_vrrp_states_on_reload = false;
  std::optional<LvsSyncDaemon> lvs_sync_daemon;
  GarpTimers vrrp_garp;     // vrrp_garp_master_*: the instances' defaults
  std::string script_user;  // "USER [GROUP]" every script runs as (ctl/script_user.h)
  Location script_user_at;
  bool enable_script_security = false;
  uint8_t vrrp_version = 2;          // default of vrrp_instance's `version`
  std::string vmac_prefix = "vrrp";  // use_vmac without a NAME: PREFIX.VRID
  // The VRRP groups (RFC 5798's 224.0.0.18 and ff02::12 unless set).
  std::optional<net::IpAddr> vrrp_mcast_group4, vrrp_mcast_group6;
  // At most one gratuitous ARP (unsolicited NA) per this long on an interface (0: no
  // pacing).
  uint32_t vrrp_garp_interval_ms = 0, vrrp_gna_interval_ms = 0;
  uint8_t vrrp_down_timer_adverts = 3;  // vrrp_instance's down_timer_adverts default
  // The VRRP thread's scheduling (keepalived's for its VRRP process): SCHED_RR priority
  // (0: none), nice, CPUs, RLIMIT_RTTIME in microseconds.
  uint8_t vrrp_rt_priority = 0;
  std::optional<int> vrrp_priority;
  std::vector<int> vrrp_cpu_affinity;
  uint32_t vrrp_rlimit_rttime_us = 10000;
};

enum class IoBackend : uint8_t { af_xdp, af_packet };
const char* to_string(IoBackend b);

// gale { fwmark N { match [tcp|udp] PREFIX [ports LIST] } }: which packets carry mark N.
struct FwmarkMatch {
  Location where;
  uint32_t fwmark = 0;
  std::optional<uint8_t> proto;  // not written: the virtual_server fwmark's protocol
  net::IpAddr net;
  uint8_t prefix_len = 0;
  struct Ports {
    uint16_t lo = 0;
    uint16_t hi = 65535;
  };
  std::vector<Ports> ports;  // empty: all ports
};

// What keepalived never had: the dataplane's own settings.
struct GaleConf {
  Location where;
  std::vector<std::string> interfaces;  // the first faces clients
  uint32_t workers = 0;                 // 0: one per online core
  IoBackend io = IoBackend::af_xdp;
  uint32_t flows = 1000000;  // tracked IPv4 connections per worker
  uint32_t flows6 = 262144;  // tracked IPv6 connections per worker
  std::vector<net::IpAddr> fullnat_local_addresses;
  uint16_t fullnat_port_lo = 1024;
  uint16_t fullnat_port_hi = 65535;
  std::optional<net::Ipv4Addr> tunnel_source;
  std::optional<net::Ipv6Addr> tunnel_source6;
  uint8_t tunnel_source_spread_bits = 0;
  lb::TunEncap tunnel_encap = lb::TunEncap::ipip;
  uint16_t gue_port = 6080;
  uint32_t vxlan_vni = 1;
  lb::Timeouts timeouts;
  uint32_t maglev_size = lb::kDefaultMaglevSize;
  std::string control_socket = "/run/gale/gale.sock";
  // Who besides root may use the control socket (mode 0660, this group); none: root only.
  std::string control_socket_group;
  // IPVS's expire_nodest_conn: a packet of a connection whose real server left the pool
  // (removed, or failed its health check without inhibit_on_failure) ends the connection
  // and is scheduled afresh, instead of the connection draining to the old server.
  bool expire_nodest_conn = false;
  Endpoint metrics_listen{.addr = net::Ipv4Addr{0x7f000001}, .port = 9469};
  std::vector<FwmarkMatch> fwmarks;
  // Derived (no gale block): AF_XDP where it attaches, AF_PACKET on the other interfaces.
  bool io_fallback = false;
};

// The interface the host's route towards an address leaves by, if any.
using LinkOf = std::function<std::optional<std::string>(const net::IpAddr&)>;

struct Config {
  GlobalDefs global;
  bool has_gale_block = false;
  GaleConf gale;
  std::vector<VirtualServerConf> virtual_servers;
  std::vector<VirtualServerGroup> groups;
  std::vector<VrrpScript> vrrp_scripts;
  std::vector<TrackFile> track_files;
  std::vector<TrackProcess> track_processes;
  std::vector<VrrpInstance> vrrp_instances;
  std::vector<VrrpSyncGroup> vrrp_sync_groups;
  std::vector<Warning> warnings;  // in the order the directives are written
  // Without a gale block: what was derived and why, one line each (galed -t prints them).
  std::vector<std::string> derived;
};

// The group an instance's multicast adverts go to: mcast_dst_ip, else its family's
// vrrp_mcast_group4/6, else 224.0.0.18 / ff02::12.
net::IpAddr vrrp_group(const Config& c, const VrrpInstance& vi);

// The macvlan of an instance with use_vmac: its NAME, else vmac_prefix "." VRID.
std::string vmac_ifname(const Config& c, const VrrpInstance& vi);

// The sync group `instance` belongs to, if any.
const VrrpSyncGroup* sync_group_of(const Config& c, std::string_view instance);

// What a tracked script does to an instance, as keepalived resolves it: track_script's
// weight and reverse, else the vrrp_script's; weight 0 in a sync group (its members'
// priorities must move together, so only FAULT is left to a script there).
struct TrackWeight {
  int32_t weight = 0;
  bool reverse = false;
};
TrackWeight track_weight(const Config& c, const VrrpInstance& vi, const TrackScript& t);

// Everything of one kind an instance tracks, resolved as keepalived resolves it: its own
// lines, then its sync group's (the same object twice: the group's weight, unless the
// instance's is 0). `index` is into Config::track_files or Config::track_processes.
struct ResolvedTrack {
  size_t index = 0;
  int32_t weight = 0;
  bool reverse = false;
};
// track_file: in a sync group (of its own lines) or at priority 255, weight 1 (the
// default) becomes 0 and another weight drops the line (keepalived's vrrp.c).
std::vector<ResolvedTrack> resolved_track_files(const Config& c, const VrrpInstance& vi);
std::vector<ResolvedTrack> resolved_track_processes(const Config& c, const VrrpInstance& vi);

}  // namespace gale::ctl
