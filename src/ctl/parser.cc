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

const char* to_string(Origin o) {
  return o == Origin::runtime ? "runtime" : "config";
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
    case CheckKind::smtp:
      return "SMTP_CHECK";
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

Expected<void> parse_sync_daemon(const Statement& x, GlobalDefs& g) {
  constexpr std::string_view kUsage =
      "lvs_sync_daemon IFNAME VRRP_INSTANCE [id N] [maxlen N] [port N] [ttl N] [group IP]";
  GALE_CTL_TRY(detail::want_args(x, 2, 12, kUsage));
  LvsSyncDaemon d{
      .where = location(x.words[0]), .interface = x.words[1].text, .instance = x.words[2].text};
  for (size_t i = 3; i < x.words.size(); i += 2) {
    const Word& key = x.words[i];
    if (i + 1 >= x.words.size())
      return detail::error_at(key,
                              "`" + key.text + "` needs a value (" + std::string(kUsage) + ")");
    const Word& v = x.words[i + 1];
    if (key.text == "id") {
      auto n = detail::number(v, "lvs_sync_daemon id", 0, 255);
      if (!n) return fail(n.error().message);
      d.syncid = static_cast<uint8_t>(*n);
    } else if (key.text == "maxlen") {
      // One record of either family must fit, and a datagram stays a UDP datagram.
      auto n = detail::number(v, "lvs_sync_daemon maxlen", kSyncMinMaxlen, 65507);
      if (!n) return fail(n.error().message);
      d.maxlen = static_cast<uint16_t>(*n);
    } else if (key.text == "port") {
      auto n = detail::port(v, "lvs_sync_daemon port");
      if (!n) return fail(n.error().message);
      d.port = *n;
    } else if (key.text == "ttl") {
      auto n = detail::number(v, "lvs_sync_daemon ttl", 1, 255);
      if (!n) return fail(n.error().message);
      d.ttl = static_cast<uint8_t>(*n);
    } else if (key.text == "group") {
      auto a = detail::address(v, "lvs_sync_daemon group");
      if (!a) return fail(a.error().message);
      // Which family: the instance's (validate.cc checks they agree).
      const bool multicast = a->is_v4() ? (a->b[0] & 0xf0) == 0xe0 : a->b[0] == 0xff;
      if (!multicast)
        return detail::error_at(
            v, "lvs_sync_daemon group must be a multicast address (224.0.0.0/4 or ff00::/8)");
      d.group = *a;
      d.group_where = location(v);
    } else {
      constexpr std::string_view kKeys[] = {"id", "maxlen", "port", "ttl", "group"};
      const std::string hint = detail::did_you_mean(key.text, kKeys);
      return detail::error_at(key, "unknown lvs_sync_daemon option \"" + key.text + "\"" +
                                       (hint.empty() ? " (id, maxlen, port, ttl, group)" : hint));
    }
  }
  g.lvs_sync_daemon = d;
  return {};
}

// notify_fifo PATH [USER [GROUP]] and notify_fifo_script CMD (and their vrrp_ forms).
detail::Handler fifo_path(NotifyFifo& f) {
  return [&f](const Statement& x) -> Expected<void> {
    GALE_CTL_TRY(detail::want_args(x, 1, 3, x.keyword() + " PATH [USER [GROUP]]"));
    if (!f.path.empty())
      return detail::error_at(x.words[1],
                              x.keyword() + " is already set (at " + to_string(f.where) + ")");
    f.path = x.words[1].text;
    f.owner = detail::rest_of(x, 2);
    f.where = location(x.words[1]);
    return {};
  };
}

detail::Handler fifo_script(NotifyFifo& f) {
  return [&f](const Statement& x) -> Expected<void> {
    GALE_CTL_TRY(detail::want_args(x, 1, 64, x.keyword() + " \"CMD\""));
    f.script = detail::rest_of(x, 1);
    return {};
  };
}

Expected<void> parse_global_defs(const Statement& s, Config& c) {
  GALE_CTL_TRY(detail::want_block(s, 0, 0, "global_defs { router_id NAME }"));
  GlobalDefs& g = c.global;
  // vrrp_mcast_group4/6 GROUP: keepalived's checks (IPv6: link-local scope is only
  // advised there, so any multicast address).
  const auto mcast_group = [](net::Family f, std::optional<net::IpAddr>& out) {
    return [f, &out](const Statement& x) -> Expected<void> {
      GALE_CTL_TRY(detail::want_args(x, 1, 1, x.keyword() + " GROUP"));
      auto a = detail::vrrp_group_address(x.words[1], x.keyword(), f, false);
      if (!a) return Expected<void>(fail(a.error().message));
      out = *a;
      return Expected<void>();
    };
  };
  const auto rttime = [&g](const Statement& x) -> Expected<void> {
    return detail::set_number(x, g.vrrp_rlimit_rttime_us, x.keyword() + " MICROSECONDS", 1,
                              100000000);
  };
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
         g.script_user_at = location(x.words[1]);
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
      {"vrrp_mcast_group4", mcast_group(net::Family::v4, g.vrrp_mcast_group4)},
      {"vrrp_mcast_group6", mcast_group(net::Family::v6, g.vrrp_mcast_group6)},
      {"vrrp_rt_priority",
       [&](const Statement& x) -> Expected<void> {
         return detail::set_number(x, g.vrrp_rt_priority, "vrrp_rt_priority 1-99", 1, 99);
       }},
      {"vrrp_priority",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(detail::want_args(x, 1, 1, "vrrp_priority -20..19"));
         auto v = detail::signed_number(x.words[1], "vrrp_priority", -20, 19);
         if (!v) return Expected<void>(fail(v.error().message));
         g.vrrp_priority = static_cast<int>(*v);
         return Expected<void>();
       }},
      {"vrrp_rlimit_rttime", rttime},
      {"vrrp_rlimit_rtime", rttime},  // keepalived's older spelling, one handler there too
      {"vrrp_cpu_affinity",
       [&](const Statement& x) -> Expected<void> {
         // CPU ids, space-separated, as keepalived reads them.
         GALE_CTL_TRY(detail::want_args(x, 1, 1024, "vrrp_cpu_affinity CPU ..."));
         g.vrrp_cpu_affinity.clear();
         for (size_t i = 1; i < x.words.size(); ++i) {
           auto cpu = detail::number(x.words[i], "vrrp_cpu_affinity", 0, 1023);
           if (!cpu) return Expected<void>(fail(cpu.error().message));
           g.vrrp_cpu_affinity.push_back(static_cast<int>(*cpu));
         }
         return Expected<void>();
       }},
      {"vrrp_down_timer_adverts",
       [&](const Statement& x) -> Expected<void> {
         return detail::set_number(x, g.vrrp_down_timer_adverts, "vrrp_down_timer_adverts 1-100", 1,
                                   100);
       }},
      {"vrrp_garp_interval",
       [&](const Statement& x) -> Expected<void> {
         return detail::set_duration(x, g.vrrp_garp_interval_ms, "vrrp_garp_interval SECONDS", 60);
       }},
      {"vrrp_gna_interval",
       [&](const Statement& x) -> Expected<void> {
         return detail::set_duration(x, g.vrrp_gna_interval_ms, "vrrp_gna_interval SECONDS", 60);
       }},
      {"vmac_prefix",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(detail::want_args(x, 1, 1, "vmac_prefix PREFIX"));
         // PREFIX.255 must be an interface name (at most 15 characters).
         if (x.words[1].text.size() > 11 ||
             x.words[1].text.find_first_of("/: ") != std::string::npos)
           return Expected<void>(detail::error_at(x.words[1],
                                                  "vmac_prefix: at most 11 characters, no "
                                                  "'/', ':' or space (PREFIX.VRID names an "
                                                  "interface)"));
         g.vmac_prefix = x.words[1].text;
         return Expected<void>();
       }},
      {"lvs_sync_daemon",
       [&](const Statement& x) -> Expected<void> { return parse_sync_daemon(x, g); }},
      {"notify_fifo", fifo_path(g.notify_fifo)},
      {"notify_fifo_script", fifo_script(g.notify_fifo)},
      {"vrrp_notify_fifo", fifo_path(g.vrrp_notify_fifo)},
      {"vrrp_notify_fifo_script", fifo_script(g.vrrp_notify_fifo)},
      {"fifo_write_vrrp_states_on_reload",
       [&](const Statement& x) -> Expected<void> {
         return detail::set_flag(x, g.fifo_write_vrrp_states_on_reload);
       }},

      {"lvs_timeouts",
       [&](const Statement& x) -> Expected<void> {
         return detail::parse_timeouts(x, c.gale.timeouts);
       }},
  };
  std::vector<Rule> all(std::begin(rules), std::end(rules));
  for (Rule& r : detail::garp_rules("vrrp_", g.vrrp_garp))
    all.push_back(std::move(r));
  return detail::dispatch(s.block, "global_defs", all);
}

Expected<Config> parse_top(const std::vector<Statement>& top, const std::string& main_file,
                           const ParseOptions& options) {
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
      {"track_file",
       [&](const Statement& x) -> Expected<void> { return detail::parse_track_file(x, c); }},
      {"vrrp_track_file",
       [&](const Statement& x) -> Expected<void> { return detail::parse_track_file(x, c); }},
      {"vrrp_track_process",
       [&](const Statement& x) -> Expected<void> { return detail::parse_track_process(x, c); }},
      {"vrrp_instance",
       [&](const Statement& x) -> Expected<void> { return detail::parse_vrrp_instance(x, c); }},
      {"vrrp_sync_group",
       [&](const Statement& x) -> Expected<void> { return detail::parse_vrrp_sync_group(x, c); }},
      {"gale", [&](const Statement& x) -> Expected<void> { return detail::parse_gale(x, c); }},
  };
  GALE_CTL_TRY(detail::dispatch(top, "the top level", rules));
  if (!c.has_gale_block) GALE_CTL_TRY(detail::derive_gale_defaults(c, options.link_of, main_file));
  std::vector<Warning> found;
  GALE_CTL_TRY(detail::validate(c, main_file, found));
  c.warnings = detail::unacted_directives(top);
  c.warnings.insert(c.warnings.end(), found.begin(), found.end());
  for (const VrrpInstance& vi : c.vrrp_instances) {
    c.warnings.insert(c.warnings.end(), vi.ignored.begin(), vi.ignored.end());
    for (const auto* list : {&vi.vips, &vi.excluded_vips})
      for (const VirtualIp& v : *list)
        c.warnings.insert(c.warnings.end(), v.unapplied.begin(), v.unapplied.end());
  }
  for (const VrrpInstance& vi : c.vrrp_instances)
    for (const VirtualRoute& r : vi.virtual_routes)
      c.warnings.insert(c.warnings.end(), r.unapplied.begin(), r.unapplied.end());
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
                                            int depth, LineContext& lines) {
  auto text = read_file(path, context);
  if (!text) return fail(text.error().message);
  auto name = std::make_shared<const std::string>(path);
  const IncludeReader reader = [&path, &lines](const Statement& inc,
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
      auto sub = parse_file(f, where(pat) + ": in include: ", d + 1, lines);
      if (!sub) return fail(sub.error().message);
      for (Statement& s : *sub)
        out.push_back(std::move(s));
    }
    return out;
  };
  return parse_statements(*text, name, reader, depth, &lines);
}

LineContext line_context(const ParseOptions& options) {
  return LineContext{.config_id = options.config_id ? *options.config_id : default_config_id()};
}

}  // namespace

Expected<Config> parse_config(std::string_view text, std::string_view file_name,
                              const ParseOptions& options) {
  auto name = std::make_shared<const std::string>(file_name);
  LineContext lines = line_context(options);
  auto top = parse_statements(text, name, IncludeReader{}, 0, &lines);
  if (!top) return fail(top.error().message);
  return parse_top(*top, *name, options);
}

Expected<Config> load_config(const std::string& path, const ParseOptions& options) {
  LineContext lines = line_context(options);
  auto top = parse_file(path, "", 0, lines);
  if (!top) return fail(top.error().message);
  return parse_top(*top, path, options);
}

}  // namespace gale::ctl
