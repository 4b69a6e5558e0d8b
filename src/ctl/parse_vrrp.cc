// vrrp_script, vrrp_instance, vrrp_sync_group: parsed and stored for ha/.
#include <algorithm>
#include <cctype>
#include <functional>
#include <iterator>
#include <optional>
#include <string>

#include "ctl/parse_blocks.h"
#include "ctl/parse_util.h"

namespace gale::ctl::detail {

namespace {

Expected<void> text_value(const Statement& s, std::string& out, std::string_view usage) {
  GALE_CTL_TRY(want_args(s, 1, 64, usage));
  out = rest_of(s, 1);
  return {};
}

// Whether a parsed entry is kept (its address and first word given), and its warnings.
using VipGate = std::function<bool(VirtualIp&, const Word&)>;

// One virtual_ipaddress line: ADDR[/LEN] [dev IF] [label L]
Expected<void> parse_vip(const Statement& e, std::vector<VirtualIp>& out, const VipGate& keep) {
  if (e.has_block) return error_at(e.open, "a virtual_ipaddress entry takes no block");
  auto p = prefix(e.words[0], "virtual_ipaddress", true, false);
  if (!p) return fail(p.error().message);
  VirtualIp v{.addr = p->addr, .prefix_len = p->written_len ? p->len : uint8_t{0}};
  // keepalived's other options (ip-address(8)'s) are read past, each with a warning.
  constexpr std::string_view valued[] = {"dev",   "label", "brd",          "broadcast",
                                         "scope", "peer",  "preferred_lft"};
  constexpr std::string_view flags[] = {
      "home", "-nodad", "nodad", "mngtmpaddr", "noprefixroute", "autojoinmulticast", "no_track"};
  for (size_t i = 1; i < e.words.size(); ++i) {
    const Word& k = e.words[i];
    const auto unapplied = [&] {
      v.unapplied.push_back(
          {.where = location(k),
           .message = "virtual_ipaddress option " + k.text +
                      " is not applied: gale adds the address with the kernel's defaults "
                      "(it reads dev and label)"});
    };
    if (std::find(std::begin(flags), std::end(flags), k.text) != std::end(flags)) {
      unapplied();
      continue;
    }
    if (std::find(std::begin(valued), std::end(valued), k.text) == std::end(valued)) {
      std::vector<std::string_view> known(std::begin(valued), std::end(valued));
      known.insert(known.end(), std::begin(flags), std::end(flags));
      return error_at(
          k, "unknown virtual_ipaddress option \"" + k.text + "\"" + did_you_mean(k.text, known));
    }
    if (i + 1 >= e.words.size())
      return error_at(k, "\"" + k.text + "\" needs a value (ADDRESS/LEN dev IFNAME label NAME)");
    if (k.text == "dev")
      v.dev = e.words[i + 1].text;
    else if (k.text == "label")
      v.label = e.words[i + 1].text;
    else
      unapplied();
    ++i;
  }
  if (v.addr.is_v6() && !v.label.empty()) {
    v.unapplied.push_back({.where = location(e.words[0]),
                           .message = "label is IPv4's: not applied to IPv6 address " +
                                      e.words[0].text + " (keepalived ignores it too)"});
    v.label.clear();
  }
  if (!keep || keep(v, e.words[0])) out.push_back(std::move(v));
  return {};
}

Expected<void> parse_vips(const Statement& s, std::vector<VirtualIp>& out,
                          const VipGate& keep = {}) {
  GALE_CTL_TRY(want_block(s, 0, 0, "virtual_ipaddress { 192.0.2.10/24 dev eth0 }"));
  for (const Statement& e : s.block)
    GALE_CTL_TRY(parse_vip(e, out, keep));
  return {};
}

// One virtual_routes line: [blackhole|unreachable|prohibit|throw] [src ADDR] [to]
// PREFIX|default [via|gw ADDR] [dev IF] [scope S] [table N] [metric N] [protocol P]
// [onlink] -- ip-route(8)'s words; its other options are read past with a warning.
Expected<void> parse_route(const Statement& e, std::vector<VirtualRoute>& out) {
  if (e.has_block) return error_at(e.open, "a virtual_routes entry takes no block");
  VirtualRoute vr{.where = location(e.head())};
  host::RouteSpec& r = vr.route;
  static constexpr Choice<host::RouteType> kTypes[] = {
      {"blackhole", host::RouteType::blackhole},
      {"unreachable", host::RouteType::unreachable},
      {"prohibit", host::RouteType::prohibit},
      {"throw", host::RouteType::throw_}};
  static constexpr Choice<uint8_t> kScopes[] = {{"global", 0}, {"universe", 0}, {"site", 200},
                                                {"link", 253}, {"host", 254},   {"nowhere", 255}};
  static constexpr Choice<uint8_t> kProtocols[] = {
      {"redirect", 1}, {"kernel", 2}, {"boot", 3}, {"static", 4}, {"keepalived", 18}};
  static constexpr Choice<uint32_t> kTables[] = {{"main", 254}, {"local", 255}, {"default", 253}};
  // ip-route(8) options gale does not set: valued, then flags.
  constexpr std::string_view valued[] = {"tos",
                                         "dsfield",
                                         "mtu",
                                         "advmss",
                                         "rtt",
                                         "rttvar",
                                         "reordering",
                                         "window",
                                         "cwnd",
                                         "ssthresh",
                                         "realms",
                                         "rto_min",
                                         "initcwnd",
                                         "initrwnd",
                                         "quickack",
                                         "congctl",
                                         "pref",
                                         "expires",
                                         "fastopen_no_cookie",
                                         "features",
                                         "vrf",
                                         "or",
                                         "hoplimit",
                                         "nexthop",
                                         "track_group"};
  constexpr std::string_view flags[] = {"no_track", "inet",    "inet6", "add",
                                        "append",   "prepend", "lock"};
  const std::string usage =
      "virtual_routes line: [blackhole|unreachable|prohibit] [src ADDR] [to] PREFIX [via ADDR] "
      "[dev IF] [table N] [metric N]";
  bool have_dst = false;
  for (size_t i = 0; i < e.words.size(); ++i) {
    const Word& k = e.words[i];
    const auto value = [&]() -> Expected<const Word*> {
      if (i + 1 >= e.words.size())
        return error_at(k, "\"" + k.text + "\" needs a value (" + usage + ")");
      return &e.words[++i];
    };
    const auto address_of = [&](std::string_view what) -> Expected<net::IpAddr> {
      auto w = value();
      if (!w) return fail(w.error().message);
      return address(**w, what);
    };
    if (i == 0 && choice_of<host::RouteType>(kTypes, k.text)) {
      r.type = *choice_of<host::RouteType>(kTypes, k.text);
    } else if (k.text == "to") {
      continue;
    } else if (k.text == "src") {
      auto a = address_of("route source");
      if (!a) return fail(a.error().message);
      r.src = *a;
    } else if (k.text == "via" || k.text == "gw") {
      auto a = address_of("gateway");
      if (!a) return fail(a.error().message);
      r.via = *a;
    } else if (k.text == "dev" || k.text == "oif") {
      auto w = value();
      if (!w) return fail(w.error().message);
      r.dev = (*w)->text;
    } else if (k.text == "scope") {
      auto w = value();
      if (!w) return fail(w.error().message);
      auto v = choose<uint8_t>(**w, "scope", kScopes);
      if (!v) return fail(v.error().message);
      r.scope = *v;
    } else if (k.text == "table") {
      auto w = value();
      if (!w) return fail(w.error().message);
      if (auto named = choice_of<uint32_t>(kTables, (*w)->text)) {
        r.table = *named;
      } else {
        auto n = number(**w, "table", 1, 0xffffffffu);
        if (!n) return fail(n.error().message);
        r.table = static_cast<uint32_t>(*n);
      }
    } else if (k.text == "metric" || k.text == "priority" || k.text == "preference") {
      auto w = value();
      if (!w) return fail(w.error().message);
      auto n = number(**w, k.text, 0, 0xffffffffu);
      if (!n) return fail(n.error().message);
      r.metric = static_cast<uint32_t>(*n);
    } else if (k.text == "protocol" || k.text == "proto") {
      auto w = value();
      if (!w) return fail(w.error().message);
      if (auto named = choice_of<uint8_t>(kProtocols, (*w)->text)) {
        r.protocol = *named;
      } else {
        auto n = number(**w, "protocol", 0, 255);
        if (!n) return fail(n.error().message);
        r.protocol = static_cast<uint8_t>(*n);
      }
    } else if (k.text == "onlink") {
      r.onlink = true;
    } else if (std::find(std::begin(flags), std::end(flags), k.text) != std::end(flags)) {
      if (k.text != "no_track" && k.text != "inet" && k.text != "inet6")
        vr.unapplied.push_back({.where = location(k),
                                .message = "virtual_routes option " + k.text +
                                           " is not applied: gale adds routes as ip route "
                                           "prepend does"});
    } else if (std::find(std::begin(valued), std::end(valued), k.text) != std::end(valued)) {
      if (!value()) return error_at(k, "\"" + k.text + "\" needs a value");
      vr.unapplied.push_back(
          {.where = location(k),
           .message = "virtual_routes option " + k.text +
                      " is not applied: gale sets the destination, type, gateway, source, "
                      "device, scope, table, metric, protocol and onlink"});
    } else if (!have_dst) {
      if (k.text == "default") {
        r.dst = net::Ipv4Addr{};  // 0.0.0.0/0 (IPv4, as keepalived reads "default")
        r.dst_len = 0;
      } else {
        auto p = prefix(k, "virtual_routes destination", true, true);
        if (!p) return fail(p.error().message);
        r.dst = p->addr;
        r.dst_len = p->len;
      }
      have_dst = true;
    } else {
      std::vector<std::string_view> known = {"src",   "to",    "via",    "gw",       "dev",
                                             "scope", "table", "metric", "protocol", "onlink"};
      known.insert(known.end(), std::begin(valued), std::end(valued));
      return error_at(
          k, "unknown virtual_routes option \"" + k.text + "\"" + did_you_mean(k.text, known));
    }
  }
  if (!have_dst) return error_at(e.head(), "no destination in this " + usage);
  for (const auto* a : {&r.via, &r.src})
    if (*a && (*a)->family != r.dst.family)
      return error_at(e.head(), "virtual_routes: " + std::string(net::to_text(**a).view()) +
                                    " is not of the destination's address family");
  if (r.type != host::RouteType::unicast && r.via)
    return error_at(e.head(),
                    "virtual_routes: a " + std::string(e.head().text) + " route takes no gateway");
  out.push_back(std::move(vr));
  return {};
}

std::string family_name(net::Family f) {
  return f == net::Family::v6 ? "IPv6" : "IPv4";
}

// keepalived's family rules (vrrp_parser.c, vrrp_data.c, vrrp.c's vrrp_complete_instance):
// the first thing of a family decides the instance's; what disagrees later is ignored
// (keepalived reports it and goes on: so does gale, with a warning); IPv6 is VRRP v3.
struct FamilyRules {
  VrrpInstance& vi;
  bool decided = false;
  std::string decided_by;          // "virtual_ipaddress fe80::1 at gale.conf:3:5"
  std::optional<uint8_t> version;  // `version`, or 3 from native_ipv6
  std::optional<Location> version_at;

  // Whether `f` (of `what`, written at `w`) may stand; decides the family if first.
  bool admit(net::Family f, const Word& w, const std::string& what) {
    if (!decided) {
      decided = true;
      vi.family = f;
      decided_by = what + " at " + to_string(location(w));
      return true;
    }
    if (f == vi.family) return true;
    ignore(w, what + " is " + family_name(f) + " but the instance is " + family_name(vi.family) +
                  " (decided by " + decided_by + "): ignored, as keepalived does" +
                  (what.starts_with("virtual_ipaddress ")
                       ? "; an address of the other family belongs in virtual_ipaddress_excluded"
                       : ""));
    return false;
  }
  void ignore(const Word& w, const std::string& why) {
    vi.ignored.push_back(
        {.where = location(w), .message = "vrrp_instance \"" + vi.name + "\": " + why});
  }
  void set_version(const Statement& x, uint8_t v) {
    if ((version && *version != v) || (v == 2 && decided && vi.family == net::Family::v6)) {
      ignore(x.words[1], "version " + std::to_string(v) + " conflicts with " +
                             (version ? "version " + std::to_string(*version)
                                      : std::string("IPv6 (VRRP version 3 only)")) +
                             ": ignored, as keepalived does");
      return;
    }
    version = v;
    version_at = location(x.words[1]);
  }
  // After the block: IPv6 runs v3 whatever vrrp_version says.
  void finish(uint8_t global_version) {
    if (vi.family != net::Family::v6) {
      vi.version = version.value_or(global_version);
      return;
    }
    if (version == 2)
      vi.ignored.push_back(
          {.where = *version_at,
           .message = "vrrp_instance \"" + vi.name +
                      "\": version 2 written before the addresses made the instance IPv6; "
                      "gale runs VRRP version 3 (keepalived does so with vrrp_strict; without it "
                      "keepalived sends a version 2 over IPv6 that no RFC defines): write "
                      "version 3 on both peers"});
    vi.version = 3;
  }
};

// A track_script or track_interface line: NAME [weight W [reverse|noreverse]].
struct TrackedLine {
  std::string name;
  std::optional<int32_t> weight;
  std::optional<bool> reverse;
};

// `limit`: keepalived's bound on the weight (253 for scripts and links, 254 for files and
// processes).
Expected<TrackedLine> tracked_line(const Statement& e, std::string_view block,
                                   int64_t limit = 253) {
  const std::string usage = "expected NAME [weight -" + std::to_string(limit) + ".." +
                            std::to_string(limit) + " [reverse]] in " + std::string(block);
  if (e.has_block) return error_at(e.open, std::string(block) + " entries take no block");
  TrackedLine t{.name = e.keyword()};
  if (e.words.size() == 1) return t;
  if (e.words[1].text != "weight" || e.words.size() < 3 || e.words.size() > 4)
    return error_at(e.words[1], usage);
  auto w = signed_number(e.words[2], "weight", -limit, limit);
  if (!w) return fail(w.error().message);
  t.weight = static_cast<int32_t>(*w);
  if (e.words.size() == 4) {
    const std::string& r = e.words[3].text;
    if (r != "reverse" && r != "noreverse" && r != "no_reverse")
      return error_at(e.words[3], "unknown \"" + r + "\" after the weight (reverse or noreverse)");
    t.reverse = r == "reverse";
  }
  return t;
}

// track_file { NAME [weight W [reverse]] } or track_process { ... }, into `out`.
Expected<void> track_refs(const Statement& x, std::string_view block, std::vector<TrackRef>& out) {
  GALE_CTL_TRY(want_block(x, 0, 0, std::string(block) + " { NAME [weight N [reverse]] }"));
  for (const Statement& e : x.block) {
    auto t = tracked_line(e, block, 254);
    if (!t) return fail(t.error().message);
    out.push_back(
        {.where = location(e.head()), .name = t->name, .weight = t->weight, .reverse = t->reverse});
  }
  return {};
}

}  // namespace

Expected<void> parse_vrrp_script(const Statement& s, Config& c) {
  GALE_CTL_TRY(want_block(s, 1, 1, "vrrp_script NAME { script \"...\" }"));
  VrrpScript vs{.where = location(s.head()), .name = s.words[1].text};
  for (const VrrpScript& o : c.vrrp_scripts)
    if (o.name == vs.name)
      return error_at(s.words[1], "duplicate vrrp_script \"" + vs.name + "\" (first at " +
                                      to_string(o.where) + ")");
  const Rule rules[] = {
      {"script",
       [&](const Statement& x) -> Expected<void> {
         return text_value(x, vs.script, "script \"CMD\"");
       }},
      {"interval",
       [&](const Statement& x) -> Expected<void> {
         return set_duration(x, vs.interval_ms, "interval SECONDS", 86400);
       }},
      {"timeout",
       [&](const Statement& x) -> Expected<void> {
         return set_duration(x, vs.timeout_ms, "timeout SECONDS", 86400);
       }},
      {"weight",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 2, "weight -253..253 [reverse]"));
         auto w = signed_number(x.words[1], "weight", -253, 253);
         if (!w) return Expected<void>(fail(w.error().message));
         vs.weight = static_cast<int32_t>(*w);
         if (x.words.size() == 3) {
           if (x.words[2].text != "reverse")
             return Expected<void>(error_at(x.words[2], "unknown \"" + x.words[2].text +
                                                            "\" after the weight "
                                                            "(weight -253..253 [reverse])"));
           vs.reverse = true;
         }
         return Expected<void>();
       }},
      {"rise",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, vs.rise, "rise N", 1, 1000);
       }},
      {"fall",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, vs.fall, "fall N", 1, 1000);
       }},
      {"user",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 2, "user NAME [GROUP]"));
         vs.user = rest_of(x, 1);
         return Expected<void>();
       }},
      {"init_fail",
       [&](const Statement& x) -> Expected<void> { return set_flag(x, vs.init_fail); }},
  };
  GALE_CTL_TRY(dispatch(s.block, "vrrp_script", rules));
  if (vs.script.empty())
    return error_at(s.head(), "vrrp_script \"" + vs.name + "\" needs a script");
  c.vrrp_scripts.push_back(std::move(vs));
  return {};
}

Expected<void> parse_vrrp_instance(const Statement& s, Config& c) {
  GALE_CTL_TRY(want_block(s, 1, 1, "vrrp_instance NAME { ... }"));
  VrrpInstance vi{.where = location(s.head()), .name = s.words[1].text};
  FamilyRules fam{.vi = vi};
  for (const VrrpInstance& o : c.vrrp_instances)
    if (o.name == vi.name)
      return error_at(s.words[1], "duplicate vrrp_instance \"" + vi.name + "\" (first at " +
                                      to_string(o.where) + ")");
  static constexpr Choice<VrrpState> kStates[] = {{"MASTER", VrrpState::master},
                                                  {"BACKUP", VrrpState::backup}};
  static constexpr Choice<VrrpAuth> kAuths[] = {{"PASS", VrrpAuth::pass}, {"AH", VrrpAuth::ah}};
  const auto notify = [](std::string& out) {
    return [&out](const Statement& x) -> Expected<void> {
      return text_value(x, out, "notify_* SCRIPT");
    };
  };
  // The adverts' source address (unicast_src_ip, or keepalived's older mcast_src_ip).
  // Either decides the instance's family as keepalived's vrrp_srcip_handler does.
  const auto src_ip = [&vi, &fam](const Statement& x) -> Expected<void> {
    GALE_CTL_TRY(want_args(x, 1, 1, x.head().text + " ADDRESS"));
    auto a = address(x.words[1], x.head().text);
    if (!a) return Expected<void>(fail(a.error().message));
    if (fam.admit(a->family, x.words[1], x.head().text + " " + x.words[1].text))
      vi.unicast_src_ip = *a;
    return Expected<void>();
  };
  const Rule rules[] = {
      {"state",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "state MASTER|BACKUP"));
         auto st = choose<VrrpState>(x.words[1], "state", kStates);
         if (!st) return Expected<void>(fail(st.error().message));
         vi.state = *st;
         return Expected<void>();
       }},
      {"interface",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "interface IFNAME"));
         vi.interface = x.words[1].text;
         return Expected<void>();
       }},
      {"virtual_router_id",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, vi.virtual_router_id, "virtual_router_id 1-255", 1, 255);
       }},
      {"priority",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, vi.priority, "priority 1-255", 1, 255);
       }},
      {"advert_int",
       [&](const Statement& x) -> Expected<void> {
         return set_duration(x, vi.advert_int_ms, "advert_int SECONDS", 255);
       }},
      {"version",
       [&](const Statement& x) -> Expected<void> {
         uint8_t v = 0;
         GALE_CTL_TRY(set_number(x, v, "version 2|3", 2, 3));
         fam.set_version(x, v);
         return Expected<void>();
       }},
      {"native_ipv6",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_flag(x));
         if (fam.decided && vi.family == net::Family::v4) {
           fam.ignore(x.words[0], "native_ipv6 with IPv4 addresses (decided by " + fam.decided_by +
                                      "): ignored, as keepalived does");
           return Expected<void>();
         }
         fam.decided = true;
         vi.family = net::Family::v6;
         fam.decided_by = "native_ipv6 at " + to_string(location(x.words[0]));
         fam.version = 3;
         fam.version_at = location(x.words[0]);
         return Expected<void>();
       }},
      {"nopreempt",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_flag(x));
         vi.nopreempt = true;
         return Expected<void>();
       }},
      {"preempt_delay",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, vi.preempt_delay_s, "preempt_delay SECONDS", 0, 1000);
       }},
      {"authentication",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_block(x, 0, 0, "authentication { auth_type PASS; auth_pass SECRET }"));
         const Rule auth[] = {
             {"auth_type",
              [&](const Statement& y) -> Expected<void> {
                GALE_CTL_TRY(want_args(y, 1, 1, "auth_type PASS|AH"));
                auto a = choose<VrrpAuth>(y.words[1], "auth_type", kAuths);
                if (!a) return Expected<void>(fail(a.error().message));
                vi.auth_type = *a;
                return Expected<void>();
              }},
             {"auth_pass",
              [&](const Statement& y) -> Expected<void> {
                GALE_CTL_TRY(want_args(y, 1, 1, "auth_pass SECRET"));
                if (y.words[1].text.size() > 8)
                  return Expected<void>(
                      error_at(y.words[1], "auth_pass is at most 8 characters (VRRP's limit)"));
                vi.auth_pass = y.words[1].text;
                return Expected<void>();
              }},
         };
         return dispatch(x.block, "authentication", auth);
       }},
      {"virtual_ipaddress",
       [&](const Statement& x) -> Expected<void> {
         return parse_vips(x, vi.vips, [&](VirtualIp& v, const Word& w) {
           return fam.admit(v.addr.family, w, "virtual_ipaddress " + w.text);
         });
       }},
      {"virtual_ipaddress_excluded",
       [&](const Statement& x) -> Expected<void> { return parse_vips(x, vi.excluded_vips); }},
      {"track_script",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_block(x, 0, 0, "track_script { NAME [weight N [reverse]] }"));
         for (const Statement& e : x.block) {
           auto t = tracked_line(e, "track_script");
           if (!t) return Expected<void>(fail(t.error().message));
           vi.track_scripts.push_back(
               {.name = t->name, .weight = t->weight, .reverse = t->reverse});
         }
         return Expected<void>();
       }},
      {"track_interface",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_block(x, 0, 0, "track_interface { IFNAME [weight N [reverse]] }"));
         for (const Statement& e : x.block) {
           auto t = tracked_line(e, "track_interface");
           if (!t) return Expected<void>(fail(t.error().message));
           vi.track_interfaces.push_back({.name = t->name,
                                          .weight = t->weight.value_or(0),
                                          .reverse = t->reverse.value_or(false)});
         }
         return Expected<void>();
       }},
      {"track_file",
       [&](const Statement& x) -> Expected<void> {
         return track_refs(x, "track_file", vi.track_files);
       }},
      {"track_process",
       [&](const Statement& x) -> Expected<void> {
         return track_refs(x, "track_process", vi.track_processes);
       }},
      {"dont_track_primary",
       [&](const Statement& x) -> Expected<void> { return set_flag(x, vi.dont_track_primary); }},
      {"use_vmac",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 0, 1, "use_vmac [NAME]"));
         if (x.words.size() == 2) {
           const std::string& n = x.words[1].text;
           if (n.size() > 15 || n == "." || n == ".." ||
               n.find_first_of("/: ") != std::string::npos)
             return Expected<void>(
                 error_at(x.words[1], "use_vmac: \"" + n +
                                          "\" is not an interface name (1 to "
                                          "15 characters, no '/', ':' or space)"));
           vi.vmac_name = n;
         }
         vi.use_vmac = true;
         vi.vmac_at = location(x.head());
         return Expected<void>();
       }},
      {"vmac_xmit_base",
       [&](const Statement& x) -> Expected<void> {
         vi.vmac_xmit_base_at = location(x.head());
         return set_flag(x, vi.vmac_xmit_base);
       }},
      {"down_timer_adverts",
       [&](const Statement& x) -> Expected<void> {
         uint8_t n = 0;
         GALE_CTL_TRY(set_number(x, n, "down_timer_adverts 1-100", 1, 100));
         vi.down_timer_adverts = n;
         return Expected<void>();
       }},
      {"mcast_dst_ip",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "mcast_dst_ip GROUP"));
         auto a = vrrp_group_address(x.words[1], "mcast_dst_ip", std::nullopt, true);
         if (!a) return Expected<void>(fail(a.error().message));
         // Like mcast_src_ip, it decides the family when nothing did (keepalived's rule).
         if (fam.admit(a->family, x.words[1], "mcast_dst_ip " + x.words[1].text))
           vi.mcast_dst_ip = *a;
         return Expected<void>();
       }},
      {"unicast_src_ip", src_ip},
      // keepalived's older name of the same setting (one handler in its parser too).
      {"mcast_src_ip", src_ip},
      {"virtual_routes",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_block(x, 0, 0, "virtual_routes { 192.0.2.0/24 via 10.0.0.1 }"));
         for (const Statement& e : x.block)
           GALE_CTL_TRY(parse_route(e, vi.virtual_routes));
         return Expected<void>();
       }},
      {"unicast_peer",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_block(x, 0, 0, "unicast_peer { ADDRESS }"));
         for (const Statement& e : x.block) {
           if (e.has_block || e.words.size() != 1)
             return Expected<void>(
                 error_at(e.head(), "expected one ADDRESS per line in unicast_peer"));
           auto a = address(e.head(), "unicast_peer");
           if (!a) return Expected<void>(fail(a.error().message));
           if (fam.admit(a->family, e.head(), "unicast_peer " + e.head().text))
             vi.unicast_peers.push_back(*a);
         }
         return Expected<void>();
       }},
      {"notify_master", notify(vi.notify_master)},
      {"notify_backup", notify(vi.notify_backup)},
      {"notify_fault", notify(vi.notify_fault)},
      {"notify_stop", notify(vi.notify_stop)},
      {"notify", notify(vi.notify)},
  };
  std::vector<Rule> all(std::begin(rules), std::end(rules));
  for (Rule& r : garp_rules("", vi.garp))
    all.push_back(std::move(r));
  GALE_CTL_TRY(dispatch(s.block, "vrrp_instance", all));
  fam.finish(c.global.vrrp_version);
  if (vi.interface.empty())
    return error_at(s.head(), "vrrp_instance \"" + vi.name + "\" needs an interface");
  if (vi.virtual_router_id == 0)
    return error_at(s.head(),
                    "vrrp_instance \"" + vi.name + "\" needs a virtual_router_id (1-255)");
  if (vi.version == 2 && vi.advert_int_ms % 1000 != 0)
    return error_at(s.head(), "vrrp_instance \"" + vi.name +
                                  "\": VRRP version 2 adverts whole seconds; use version 3 for "
                                  "an advert_int below one second");
  c.vrrp_instances.push_back(std::move(vi));
  return {};
}

Expected<void> parse_vrrp_sync_group(const Statement& s, Config& c) {
  GALE_CTL_TRY(want_block(s, 1, 1, "vrrp_sync_group NAME { group { INSTANCE ... } }"));
  VrrpSyncGroup g{.where = location(s.head()), .name = s.words[1].text};
  const auto notify = [](std::string& out) {
    return [&out](const Statement& x) -> Expected<void> {
      return text_value(x, out, "notify_* SCRIPT");
    };
  };
  const Rule rules[] = {
      {"group",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_block(x, 0, 0, "group { INSTANCE ... }"));
         for (const Statement& e : x.block) {
           if (e.has_block) return Expected<void>(error_at(e.open, "group entries take no block"));
           for (const Word& w : e.words)
             g.instances.push_back(w.text);
         }
         return Expected<void>();
       }},
      {"notify_master", notify(g.notify_master)},
      {"notify_backup", notify(g.notify_backup)},
      {"notify_fault", notify(g.notify_fault)},
      {"notify", notify(g.notify)},
      {"track_file",
       [&](const Statement& x) -> Expected<void> {
         return track_refs(x, "track_file", g.track_files);
       }},
      {"track_process",
       [&](const Statement& x) -> Expected<void> {
         return track_refs(x, "track_process", g.track_processes);
       }},
      {"track_script",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_block(x, 0, 0, "track_script { NAME }"));
         for (const Statement& e : x.block) {
           auto t = tracked_line(e, "track_script");
           if (!t) return Expected<void>(fail(t.error().message));
           g.track_scripts.push_back({.name = t->name, .weight = t->weight, .reverse = t->reverse});
         }
         return Expected<void>();
       }},
      {"track_interface",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_block(x, 0, 0, "track_interface { IFNAME }"));
         for (const Statement& e : x.block) {
           auto t = tracked_line(e, "track_interface");
           if (!t) return Expected<void>(fail(t.error().message));
           g.track_interfaces.push_back({.name = t->name,
                                         .weight = t->weight.value_or(0),
                                         .reverse = t->reverse.value_or(false)});
         }
         return Expected<void>();
       }},
  };
  GALE_CTL_TRY(dispatch(s.block, "vrrp_sync_group", rules));
  if (g.instances.empty())
    return error_at(s.head(), "vrrp_sync_group \"" + g.name + "\" needs group { INSTANCE ... }");
  c.vrrp_sync_groups.push_back(std::move(g));
  return {};
}

}  // namespace gale::ctl::detail
