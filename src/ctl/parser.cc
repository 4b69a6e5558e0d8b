// Entry points, includes, the top level and global_defs; the blocks are in parse_*.cc.
#include "ctl/parser.h"

#include <glob.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "ctl/parse_blocks.h"
#include "ctl/parse_util.h"

namespace gale::ctl {

std::string to_string(const Location& at) {
  return at.file + ":" + std::to_string(at.line) + ":" + std::to_string(at.col);
}

std::string to_string(const Warning& w) {
  return to_string(w.where) + ": warning: " + w.message;
}

const char* to_string(CheckKind k) {
  switch (k) {
    case CheckKind::tcp:
      return "TCP_CHECK";
    case CheckKind::http:
      return "HTTP_GET";
    case CheckKind::ssl:
      return "SSL_GET";
    case CheckKind::misc:
      return "MISC_CHECK";
    case CheckKind::udp:
      return "UDP_CHECK";
    case CheckKind::dns:
      return "DNS_CHECK";
  }
  return "?";
}

const char* to_string(IoBackend b) {
  return b == IoBackend::af_xdp ? "af_xdp" : "af_packet";
}

namespace {

using detail::Rule;

Expected<void> parse_global_defs(const Statement& s, Config& c) {
  GALE_CTL_TRY(detail::want_block(s, 0, 0, "global_defs { router_id NAME }"));
  GlobalDefs& g = c.global;
  const Rule rules[] = {
      {"router_id",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(detail::want_args(x, 1, 1, "router_id NAME"));
         g.router_id = x.words[1].text;
         return Expected<void>();
       }},
      {"script_user",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(detail::want_args(x, 1, 2, "script_user USER [GROUP]"));
         g.script_user = detail::rest_of(x, 1);
         return Expected<void>();
       }},
      {"enable_script_security",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(detail::want_flag(x));
         g.enable_script_security = true;
         return Expected<void>();
       }},
      {"vrrp_version",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(detail::want_args(x, 1, 1, "vrrp_version 2|3"));
         auto v = detail::number(x.words[1], "vrrp_version", 2, 3);
         if (!v) return Expected<void>(fail(v.error().message));
         g.vrrp_version = static_cast<uint8_t>(*v);
         return Expected<void>();
       }},
      {"lvs_timeouts",
       [&](const Statement& x) -> Expected<void> {
         return detail::parse_timeouts(x, c.gale.timeouts);
       }},
  };
  constexpr std::string_view unsupported[] = {"notification_email",
                                              "notification_email_from",
                                              "smtp_server",
                                              "smtp_connect_timeout",
                                              "smtp_helo_name",
                                              "smtp_alert",
                                              "smtp_alert_vrrp",
                                              "smtp_alert_checker",
                                              "vrrp_skip_check_adv_addr",
                                              "vrrp_strict",
                                              "vrrp_garp_interval",
                                              "vrrp_gna_interval",
                                              "vrrp_mcast_group4",
                                              "vrrp_mcast_group6",
                                              "lvs_sync_daemon",
                                              "lvs_flush",
                                              "lvs_id",
                                              "vrrp_iptables",
                                              "vrrp_ipsets",
                                              "dynamic_interfaces",
                                              "vrrp_priority",
                                              "checker_priority",
                                              "bfd_priority",
                                              "max_auto_priority",
                                              "vrrp_no_swap",
                                              "checker_no_swap",
                                              "vrrp_garp_master_delay",
                                              "vrrp_garp_master_repeat",
                                              "vrrp_garp_master_refresh",
                                              "vrrp_garp_lower_prio_delay",
                                              "vrrp_garp_lower_prio_repeat",
                                              "vrrp_lower_prio_no_advert",
                                              "vrrp_higher_prio_send_advert",
                                              "enable_traps",
                                              "enable_snmp_vrrp",
                                              "enable_snmp_checker",
                                              "enable_snmp_rfc",
                                              "snmp_socket",
                                              "vrrp_check_unicast_src",
                                              "vrrp_rx_bufs_policy",
                                              "nftables",
                                              "default_interface",
                                              "vrrp_startup_delay",
                                              "notify_fifo",
                                              "vrrp_notify_fifo",
                                              "lvs_notify_fifo",
                                              "process_names",
                                              "vrrp_min_garp",
                                              "lvs_flush_onstop",
                                              "vrrp_netlink_cmd_rcv_bufs",
                                              "vrrp_netlink_monitor_rcv_bufs",
                                              "linkbeat_use_polling",
                                              "vrrp_track_process"};
  return detail::dispatch(s.block, "global_defs", rules, unsupported);
}

Expected<Config> parse_top(const std::vector<Statement>& top, const std::string& main_file) {
  Config c;
  const Rule rules[] = {
      {"global_defs",
       [&](const Statement& x) -> Expected<void> { return parse_global_defs(x, c); }},
      {"virtual_server",
       [&](const Statement& x) -> Expected<void> { return detail::parse_virtual_server(x, c); }},
      {"virtual_server_group",
       [&](const Statement& x) -> Expected<void> {
         return detail::parse_virtual_server_group(x, c);
       }},
      {"vrrp_script",
       [&](const Statement& x) -> Expected<void> { return detail::parse_vrrp_script(x, c); }},
      {"vrrp_instance",
       [&](const Statement& x) -> Expected<void> { return detail::parse_vrrp_instance(x, c); }},
      {"vrrp_sync_group",
       [&](const Statement& x) -> Expected<void> { return detail::parse_vrrp_sync_group(x, c); }},
      {"gale", [&](const Statement& x) -> Expected<void> { return detail::parse_gale(x, c); }},
  };
  constexpr std::string_view unsupported[] = {
      "static_ipaddress", "static_routes",   "static_rules", "vrrp_track_process",
      "vrrp_track_file",  "track_file",      "garp_group",   "linkbeat_interfaces",
      "net_namespace",    "instance",        "use_pid_dir",  "bfd_instance",
      "vrrp_track_bfd",   "include_optional"};
  GALE_CTL_TRY(detail::dispatch(top, "the top level", rules, unsupported));
  GALE_CTL_TRY(detail::validate(c, main_file));
  c.warnings = detail::unacted_directives(top);
  return c;
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

Expected<std::string> read_file(const std::string& path, const std::string& context) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(context + "cannot read \"" + path + "\": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(context + "cannot read \"" + path + "\"");
  return ss.str();
}

// Parses one file, expanding its includes recursively.
Expected<std::vector<Statement>> parse_file(const std::string& path, const std::string& context,
                                            int depth) {
  auto text = read_file(path, context);
  if (!text) return fail(text.error().message);
  auto name = std::make_shared<const std::string>(path);
  const IncludeReader reader = [&path](const Statement& inc,
                                       int d) -> Expected<std::vector<Statement>> {
    const Word& pat = inc.words[1];
    if (d + 1 > kMaxIncludeDepth)
      return detail::error_at(inc.head(), "includes nest deeper than " +
                                              std::to_string(kMaxIncludeDepth) +
                                              " (does a file include itself?)");
    const std::string pattern = pat.text.starts_with('/') ? pat.text : dir_of(path) + pat.text;
    glob_t g{};
    const int rc = glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
    std::vector<std::string> files;
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i)
      files.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    if (rc == GLOB_NOMATCH && pattern.find_first_of("*?[") == std::string::npos)
      return detail::error_at(
          pat, "include \"" + pat.text + "\": no such file (looked for \"" + pattern + "\")");
    if (rc != 0 && rc != GLOB_NOMATCH)
      return detail::error_at(pat, "include \"" + pat.text + "\": cannot read the directory");
    std::vector<Statement> out;
    for (const std::string& f : files) {
      auto sub = parse_file(f, where(pat) + ": in include: ", d + 1);
      if (!sub) return fail(sub.error().message);
      for (Statement& s : *sub)
        out.push_back(std::move(s));
    }
    return out;
  };
  return parse_statements(*text, name, reader, depth);
}

}  // namespace

Expected<Config> parse_config(std::string_view text, std::string_view file_name) {
  auto name = std::make_shared<const std::string>(file_name);
  auto top = parse_statements(text, name, IncludeReader{}, 0);
  if (!top) return fail(top.error().message);
  return parse_top(*top, *name);
}

Expected<Config> load_config(const std::string& path) {
  auto top = parse_file(path, "", 0);
  if (!top) return fail(top.error().message);
  return parse_top(*top, path);
}

}  // namespace gale::ctl
