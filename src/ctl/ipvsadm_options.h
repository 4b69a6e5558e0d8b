// ipvsadm 1.31's option tables (ipvsadm.c): which option goes with which command, and
// which tunnel option with which tunnel type. Internal to ipvsadm_cli.cc; one table
// each, as ipvsadm keeps them, so a check is a lookup and its message names the option
// and command as ipvsadm does.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/expected.h"
#include "ctl/ipvsadm_cli.h"

namespace gale::ctl::ipvsadm::detail {

// ipvsadm's OPTC_* numbering: bit i of an option set is option i.
enum Opt : uint8_t {
  numeric,
  connection,
  service,
  scheduler,
  persistent,
  netmask,
  server,
  forward,
  weight,
  uthreshold,
  lthreshold,
  mcast,
  timeout,
  daemon,
  stats,
  rate,
  thresholds,
  persistentconn,
  nosort,
  syncid,
  exact,
  onepacket,
  pe,
  sched_flags,
  mcast_group,
  mcast_port,
  mcast_ttl,
  sync_maxlen,
  tun_info,
  tun_type,
  tun_port,
  tun_nocsum,
  tun_csum,
  tun_remcsum,
  // gale's own, after ipvsadm's: --proxy-protocol, --toa / --no-toa (with -a and -e).
  proxy_protocol,
  toa,
  kNumOpts
};

inline constexpr std::array<const char*, kNumOpts> kOptNames{"numeric",
                                                             "connection",
                                                             "service-address",
                                                             "scheduler",
                                                             "persistent",
                                                             "netmask",
                                                             "real-server",
                                                             "forwarding-method",
                                                             "weight",
                                                             "u-threshold",
                                                             "l-threshold",
                                                             "mcast-interface",
                                                             "timeout",
                                                             "daemon",
                                                             "stats",
                                                             "rate",
                                                             "thresholds",
                                                             "persistent-conn",
                                                             "nosort",
                                                             "syncid",
                                                             "exact",
                                                             "ops",
                                                             "pe",
                                                             "sched-flags",
                                                             "mcast-group",
                                                             "mcast-port",
                                                             "mcast-ttl",
                                                             "sync-maxlen",
                                                             "tun-info",
                                                             "tun-type",
                                                             "tun-port",
                                                             "tun-nocsum",
                                                             "tun-csum",
                                                             "tun-remcsum",
                                                             "proxy-protocol",
                                                             "toa"};

// ipvsadm's cmdnames, indexed by its CMD_* - 1 (add-service .. zero).
inline constexpr std::array<const char*, 14> kCmdNames{
    "add-service", "edit-service",  "delete-service", "flush", "list",
    "add-server",  "delete-server", "edit-server",    "set",   "start-daemon",
    "stop-daemon", "restore",       "save",           "zero"};

// commands_v_options: '+' compulsory, 'x' illegal, '1' exclusive, ' ' optional. Rows in
// kCmdNames order, columns in Opt order (the last two: gale's own).
inline constexpr std::array<const char*, 14> kCommandsVOptions{
    "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxxx",  // add-service
    "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxxx",  // edit-service
    "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // delete-service
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // flush
    " 11xxxxxxxxx11       xxxxxxx xxxxxxx",  // list
    "xx+xxx+    xxxxxxxxxxxxxxxxxx       ",  // add-server
    "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // delete-server
    "xx+xxx+    xxxxxxxxxxxxxxxxxx       ",  // edit-server
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // set
    "xxxxxxxxxxx xxxxxxx xxxx    xxxxxxxx",  // start-daemon
    "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxxxx",  // stop-daemon
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // restore
    " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // save
    "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  // zero
};

// tunnel_types_v_options: rows ipip, gue, gre; columns tun-port, tun-nocsum, tun-csum,
// tun-remcsum.
inline constexpr std::array<const char*, 3> kTunNames{"ipip", "gue", "gre"};
inline constexpr std::array<Opt, 4> kTunOpts{tun_port, tun_nocsum, tun_csum, tun_remcsum};
inline constexpr std::array<const char*, 3> kTunTypesVOptions{"xxxx", "+111", "x11x"};

// The checks after the option walk (ipvsadm_check.cc), in ipvsadm's order: -b against
// the scheduler, the command/option table, -A/-E's and -a/-e's rules, the list
// conflicts; then what gale itself cannot do. Fills in what the options imply (the
// scheduler, -b's flags, -M as a prefix, a DR/TUN server's port, the tunnel type).
struct Walked {
  uint64_t options = 0;  // bit i: Opt i given
  int tun_type = 0;      // index in kTunNames
  std::string sched_name, sched_flags;
  uint32_t mask4 = 0xffffffffu;  // -M for an IPv4 service
  int mask6 = 128;               // -M for an IPv6 service
};
gale::Result<void, Refusal> check_invocation(Invocation& inv, const Walked& w);

}  // namespace gale::ctl::ipvsadm::detail
