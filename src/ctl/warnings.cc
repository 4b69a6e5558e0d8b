// The one table of keepalived keywords gale accepts without acting on them. keepalived
// 2.2.7 accepts every keyword below (tests/keepalived/keywords.txt lists them all, by
// block); so does gale, with one warning each saying what gale does instead, so that
// "configuration OK" never hides that part of a config is inert. dispatch() accepts a
// keyword of this table that has no parser of its own (its value is not read); the
// keywords gale parses and stores for a feature still to come are rows here too.
//
// To act on a keyword: remove it from its row (a row whose list empties goes).
// A warned block covers its contents: one warning for a vrrp_sync_group, not one per line.
#include <algorithm>
#include <string_view>

#include "ctl/parse_blocks.h"
#include "ctl/parse_util.h"

namespace gale::ctl::detail {

namespace {

struct Unacted {
  std::string_view blocks;    // enclosing blocks' keywords, space-separated ("" top level)
  std::string_view keywords;  // space-separated
  std::string_view instead;   // what gale does instead ("is ..." reads as a clause)
};

constexpr std::string_view kCheckers =
    "TCP_CHECK HTTP_GET SSL_GET MISC_CHECK UDP_CHECK DNS_CHECK SMTP_CHECK host";
constexpr std::string_view kVrrpSetting = "is not acted on yet by gale's VRRP (docs/ha.md)";
constexpr std::string_view kNoEmail = "is unused: gale sends no e-mail; state changes are logged";
constexpr std::string_view kNoSnmp =
    "is unused: gale has no SNMP or D-Bus agent; read state and counters on the control socket";
constexpr std::string_view kProcess =
    "is unused: galed is one process whose priority, CPUs and limits come from its service "
    "manager (systemd unit), not from the config";
constexpr std::string_view kNetlinkBufs = "is unused: galed sizes its own netlink buffers";
constexpr std::string_view kLvsFifo =
    "is unused: gale writes no checker lines (RS/VS UP/DOWN) to a FIFO; notify_fifo gets "
    "VRRP's lines only, and real server state changes are logged";
constexpr std::string_view kReload =
    "is unused: on reload (SIGHUP or the control socket) galed checks the new config itself "
    "and keeps the running one if it is refused";
constexpr std::string_view kFirewall =
    "is unused: gale adds no iptables/nftables rules (its dataplane answers for the VIPs)";
constexpr std::string_view kFlush =
    "is unused: gale's tables are its own (no kernel IPVS table): they start empty and go "
    "with galed";

constexpr Unacted kUnacted[] = {
    // Health checking: what the checkers (health/) do not do.
    {"real_server", "PING_CHECK FILE_CHECK BFD_CHECK",
     "is not run: gale has no such checker yet; the real server's other checkers decide its "
     "state (with none, it counts as up)"},
    {kCheckers, "log_all_failures",
     "is unused: every failure is counted (galectl -L --stats shows checks and failures) and "
     "state changes are logged"},
    {"HTTP_GET SSL_GET", "fast_recovery",
     "is not applied: a server marked down is checked again after delay_loop, as without it"},
    {"url", "regex regex_no_match regex_options regex_min_offset regex_max_offset regex_stack",
     "is not applied: an HTTP check matches the status code and digest only"},
    {"", "SSL",
     "is not applied: SSL_GET connects without a client certificate and does not verify the "
     "server's"},
    {"global_defs", "checker_log_all_failures",
     "is unused: every failure is counted and state changes are logged"},
    {"global_defs", "rs_init_notifies", "is unused: no notify script is run"},
    // Service options gale does not have.
    {"virtual_server", "ip_family",
     "is unused: gale takes a service's family from its addresses (a fwmark service's from "
     "gale { fwmark N { match ... } })"},
    {"virtual_server", "hashed", "is unused: gale's services need no IPVS hash flag"},
    {"virtual_server", "ops",
     "is not applied: every packet of a flow goes to the same real server (no one-packet "
     "scheduling)"},
    {"virtual_server", "flag-1 flag-2 flag-3",
     "is not applied: write sh-fallback, sh-port (or mh-fallback, mh-port) instead"},
    {"virtual_server", "persistence_engine",
     "is not applied: persistence is by client address only"},
    {"virtual_server", "ha_suspend weight", kVrrpSetting},
    // Notifications.
    {"global_defs",
     "notification_email notification_email_from smtp_server smtp_helo_name "
     "smtp_connect_timeout smtp_alert smtp_alert_vrrp smtp_alert_checker no_email_faults "
     "no_checker_emails",
     kNoEmail},
    {"virtual_server real_server vrrp_instance vrrp_sync_group", "smtp_alert", kNoEmail},
    {"global_defs",
     "snmp_socket enable_traps enable_snmp_vrrp enable_snmp_keepalived enable_snmp_rfc "
     "enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_checker enable_dbus dbus_service_name",
     kNoSnmp},
    {"virtual_server real_server", "snmp_name", kNoSnmp},
    {"global_defs", "lvs_notify_fifo lvs_notify_fifo_script", kLvsFifo},
    // The process and its environment.
    {"global_defs", "router_id", "is unused: gale sends no notifications that name the node"},
    {"global_defs", "enable_script_security",
     "is not enforced: gale runs scripts as script_user without checking who may write them"},
    {"global_defs", "startup_script startup_script_timeout shutdown_script shutdown_script_timeout",
     "is not run: galed runs no startup or shutdown script"},
    {"global_defs",
     "process_names process_name vrrp_process_name checker_process_name lvs_process_name "
     "bfd_process_name vrrp_no_swap checker_priority checker_no_swap "
     "checker_rt_priority checker_cpu_affinity checker_rlimit_rttime checker_rlimit_rtime "
     "bfd_priority bfd_no_swap bfd_rt_priority bfd_cpu_affinity bfd_rlimit_rttime "
     "bfd_rlimit_rtime max_auto_priority min_auto_priority_delay umask",
     kProcess},
    {"global_defs",
     "vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs "
     "vrrp_netlink_monitor_rcv_bufs_force process_monitor_rcv_bufs "
     "process_monitor_rcv_bufs_force lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force "
     "lvs_netlink_monitor_rcv_bufs lvs_netlink_monitor_rcv_bufs_force",
     kNetlinkBufs},
    {"global_defs",
     "reload_check_config reload_time_file reload_repeat reload_file include_check "
     "config_save_dir tmp_config_directory data_use_instance",
     kReload},
    {"global_defs", "random_seed", "is unused: galed seeds its own generators"},
    {"global_defs", "lvs_flush lvs_flush_on_stop lvs_flush_onstop", kFlush},
    {"global_defs",
     "vrrp_iptables vrrp_ipsets nftables nftables_priority nftables_ifindex nftables_ipvs "
     "nftables_ipvs_priority nftables_ipvs_start_fwmark nftables_counters",
     kFirewall},
    {"", "net_namespace net_namespace_ipvs namespace_with_ipsets",
     "is unused: galed runs in the network namespace it starts in (use ip netns exec)"},
    {"", "use_pid_dir", "is unused: galed writes a pid file only when given -p PIDFILE"},
    {"", "instance", "is unused: each galed reads the config it is given with -f"},
    {"", "child_wait_time", "is unused: galed has no child processes to wait for"},
    {"", "static_ipaddress static_routes static_rules",
     "is not applied: gale adds no static addresses, routes or rules (configure them with the "
     "system's network tools)"},
    {"", "bfd_instance", "is not run: gale runs no BFD sessions"},
    // VRRP (the HA issue).
    {"", "track_group",
     "is not tracked: gale's VRRP tracks vrrp_scripts, interfaces, track_files and "
     "vrrp_track_processes"},
    {"", "garp_group linkbeat_use_polling linkbeat_interfaces interface_up_down_delays",
     kVrrpSetting},
    {"global_defs",
     "dynamic_interfaces default_interface disable_local_igmp "
     "vrrp_min_garp vrrp_garp_extra_if vrrp_vmac_garp_intvl vrrp_lower_prio_no_advert "
     "vrrp_higher_prio_send_advert vrrp_check_unicast_src vrrp_skip_check_adv_addr vrrp_strict "
     "vrrp_notify_priority_changes vrrp_rx_bufs_policy vrrp_rx_bufs_multiplier "
     "vrrp_startup_delay log_unknown_vrids vmac_addr_prefix",
     kVrrpSetting},
    {"vrrp_instance",
     "use_vmac_addr use_ipvlan unicast_fault_no_peer check_unicast_src "
     "old_unicast_checksum vrf "
     "track_bfd track_src_ip unicast_ttl promote_secondaries "
     "linkbeat_use_polling virtual_rules accept no_accept skip_check_adv_addr "
     "strict_mode preempt debug notify_deleted notify_master_rx_lower_pri "
     "notify_priority_changes lvs_sync_daemon_interface "
     "garp_extra_if vmac_garp_intvl "
     "lower_prio_no_advert higher_prio_send_advert kernel_rx_buf_size",
     kVrrpSetting},
    {"vrrp_sync_group",
     "track_bfd notify_stop "
     "global_tracking sync_group_tracking_weight notify_priority_changes",
     kVrrpSetting},
};

// Whether `word` is one of the space-separated words of `list`.
bool listed(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    const size_t sp = list.find(' ');
    if (list.substr(0, sp) == word) return true;
    if (sp == std::string_view::npos) break;
    list.remove_prefix(sp + 1);
  }
  return false;
}

const Unacted* find_row(std::string_view block, std::string_view keyword) {
  for (const Unacted& u : kUnacted)
    if ((block.empty() ? u.blocks.empty() : listed(u.blocks, block)) && listed(u.keywords, keyword))
      return &u;
  return nullptr;
}

void walk(const std::vector<Statement>& block, std::string_view parent, std::vector<Warning>& out) {
  for (const Statement& s : block) {
    if (const Unacted* u = find_row(parent, s.keyword())) {
      // A sentence of its own, or a clause after the directive's name.
      const bool clause = u->instead.starts_with("is ");
      out.push_back({.where = location(s.head()),
                     .message = s.keyword() + (clause ? " " : ": ") + std::string(u->instead)});
      continue;  // the directives inside an inert block are covered by its warning
    }
    if (s.has_block) walk(s.block, s.keyword(), out);
  }
}

}  // namespace

bool warned_keyword(std::string_view block, std::string_view keyword) {
  return find_row(block, keyword) != nullptr;
}

void add_warned_keywords(std::string_view block, std::vector<std::string_view>& out) {
  for (const Unacted& u : kUnacted) {
    if (block.empty() ? !u.blocks.empty() : !listed(u.blocks, block)) continue;
    std::string_view list = u.keywords;
    while (!list.empty()) {
      const size_t sp = list.find(' ');
      out.push_back(list.substr(0, sp));
      if (sp == std::string_view::npos) break;
      list.remove_prefix(sp + 1);
    }
  }
}

std::vector<Warning> unacted_directives(const std::vector<Statement>& top) {
  std::vector<Warning> out;
  walk(top, "", out);
  return out;
}

}  // namespace gale::ctl::detail
