// virtual_server, virtual_server_group, real_server and the health checker blocks.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "ctl/names.h"
#include "ctl/parse_blocks.h"
#include "ctl/parse_util.h"

namespace gale::ctl::detail {

namespace {

constexpr Choice<uint8_t> kProtocols[] = {{"TCP", 6}, {"UDP", 17}};

// keepalived accepts DR/dr, TCP/tcp.
Word upper(const Word& w) {
  Word u = w;
  for (char& ch : u.text)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return u;
}

Expected<void> one_word(const Statement& s, std::string& out, std::string_view usage) {
  GALE_CTL_TRY(want_args(s, 1, 1, usage));
  out = s.words[1].text;
  return {};
}

Expected<void> command(const Statement& s, std::string& out, std::string_view usage) {
  GALE_CTL_TRY(want_args(s, 1, 64, usage));
  out = rest_of(s, 1);
  return {};
}

using detail::set_duration;  // the plain one, overloaded here for optional fields
Expected<void> set_duration(const Statement& s, std::optional<uint32_t>& out,
                            std::string_view usage, uint32_t max_s) {
  uint32_t v = 0;
  GALE_CTL_TRY(set_duration(s, v, usage, max_s));
  out = v;
  return {};
}

using detail::set_flag;  // the bool one (parse_util), beside this overload
Expected<void> set_flag(const Statement& s, std::optional<bool>& out) {
  bool v = false;
  GALE_CTL_TRY(set_flag(s, v));
  out = v;
  return {};
}
Expected<void> set_count(const Statement& s, std::optional<uint32_t>& out, std::string_view usage) {
  uint32_t v = 0;
  GALE_CTL_TRY(set_number(s, v, usage, 0, 1000));
  out = v;
  return {};
}

// The keywords a checker, a real_server and a virtual_server share: the checkers'
// defaults (CheckDefaults).
void add_default_rules(std::vector<Rule>& rules, CheckDefaults& d) {
  rules.push_back({"connect_timeout", [&d](const Statement& x) -> Expected<void> {
                     return set_duration(x, d.connect_timeout_ms, "connect_timeout SECONDS", 3600);
                   }});
  rules.push_back({"retry", [&d](const Statement& x) -> Expected<void> {
                     return set_count(x, d.retry, "retry N");
                   }});
  rules.push_back({"delay_before_retry", [&d](const Statement& x) -> Expected<void> {
                     return set_duration(x, d.delay_before_retry_ms, "delay_before_retry SECONDS",
                                         3600);
                   }});
  rules.push_back({"warmup", [&d](const Statement& x) -> Expected<void> {
                     return set_duration(x, d.warmup_ms, "warmup SECONDS", 86400);
                   }});
  rules.push_back(
      {"alpha", [&d](const Statement& x) -> Expected<void> { return set_flag(x, d.alpha); }});
}

// The keywords a virtual_server and a real_server share: gale's FullNAT client-address
// options (ClientAddrConf). Whether they may apply is validation's question: it knows
// the real server's effective mode and the service's protocol.
void add_client_addr_rules(std::vector<Rule>& rules, ClientAddrConf& ca) {
  rules.push_back({"proxy_protocol", [&ca](const Statement& x) -> Expected<void> {
                     GALE_CTL_TRY(want_args(x, 1, 1, "proxy_protocol v1|v2|none"));
                     auto p = choose<lb::ProxyProto>(x.words[1], x.keyword(), proxy_choices());
                     if (!p) return Expected<void>(fail(p.error().message));
                     ca.proxy = *p;
                     ca.proxy_at = location(x.head());
                     return Expected<void>();
                   }});
  rules.push_back({"toa", [&ca](const Statement& x) -> Expected<void> {
                     ca.toa_at = location(x.head());
                     return set_flag(x, ca.toa);
                   }});
}

// The written defaults into every checker of the service (see CheckDefaults).
void resolve_defaults(VirtualServerConf& vs) {
  vs.alpha = vs.defaults.alpha.value_or(false);
  for (RealServerConf& rs : vs.real_servers) {
    rs.inhibit_on_failure =
        rs.defaults.inhibit_on_failure.value_or(vs.defaults.inhibit_on_failure.value_or(false));
    for (HealthCheck& hc : rs.checks) {
      const auto pick = [&](auto member, auto& out) {
        if (auto v = hc.written.*member; v)
          out = *v;
        else if (auto r = rs.defaults.*member; r)
          out = *r;
        else if (auto w = vs.defaults.*member; w)
          out = *w;
      };
      pick(&CheckDefaults::connect_timeout_ms, hc.connect_timeout_ms);
      pick(&CheckDefaults::retry, hc.retry);
      pick(&CheckDefaults::delay_before_retry_ms, hc.delay_before_retry_ms);
      pick(&CheckDefaults::warmup_ms, hc.warmup_ms);
      pick(&CheckDefaults::alpha, hc.alpha);
    }
  }
}

Expected<void> set_address(const Statement& s, std::optional<net::IpAddr>& out,
                           std::string_view usage) {
  GALE_CTL_TRY(want_args(s, 1, 1, usage));
  auto a = address(s.words[1], s.keyword());
  if (!a) return fail(a.error().message);
  out = *a;
  return {};
}

Expected<void> parse_status_word(const Word& w, std::vector<StatusRange>& out);

// status_code 200 | 200-299 | 200,301-302
Expected<void> parse_status(const Statement& s, std::vector<StatusRange>& out) {
  // keepalived also takes the list as several words: status_code 200-299 400-499 503
  GALE_CTL_TRY(want_args(s, 1, 64, "status_code 200 or 200-299 or 200,301-302"));
  for (size_t i = 1; i < s.words.size(); ++i)
    GALE_CTL_TRY(parse_status_word(s.words[i], out));
  return {};
}

Expected<void> parse_status_word(const Word& w, std::vector<StatusRange>& out) {
  size_t start = 0;
  while (start <= w.text.size()) {
    size_t comma = w.text.find(',', start);
    if (comma == std::string::npos) comma = w.text.size();
    const std::string item = w.text.substr(start, comma - start);
    Word lo = w, hi = w;
    const size_t dash = item.find('-');
    lo.text = item.substr(0, dash);
    hi.text = dash == std::string::npos ? lo.text : item.substr(dash + 1);
    auto l = number(lo, "status_code", 100, 599);
    if (!l) return fail(l.error().message);
    auto h = number(hi, "status_code", 100, 599);
    if (!h) return fail(h.error().message);
    if (*h < *l) return error_at(w, "status_code range \"" + item + "\" ends before it starts");
    out.push_back({static_cast<uint16_t>(*l), static_cast<uint16_t>(*h)});
    start = comma + 1;
  }
  return {};
}

Expected<void> parse_url(const Statement& s, std::vector<CheckUrl>& urls) {
  GALE_CTL_TRY(want_block(s, 0, 0, "url { path /; status_code 200 }"));
  CheckUrl u;
  const Rule rules[] = {
      {"path",
       [&](const Statement& x) -> Expected<void> { return one_word(x, u.path, "path /health"); }},
      {"status_code",
       [&](const Statement& x) -> Expected<void> { return parse_status(x, u.status); }},
      {"digest",
       [&](const Statement& x) -> Expected<void> {
         return one_word(x, u.digest, "digest MD5HEX");
       }},
      {"virtualhost",
       [&](const Statement& x) -> Expected<void> {
         return one_word(x, u.virtualhost, "virtualhost NAME");
       }},
  };
  GALE_CTL_TRY(dispatch(s.block, "url", rules));
  if (u.path.empty()) return error_at(s.head(), "url needs a path (path /health)");
  urls.push_back(std::move(u));
  return {};
}

// What every checker block (and an SMTP_CHECK's host block) says: where and how to
// connect, and when.
std::vector<Rule> common_check_rules(HealthCheck& hc) {
  std::vector<Rule> rules = {
      {"connect_port",
       [&hc](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "connect_port PORT"));
         auto p = port(x.words[1], "connect_port");
         if (!p) return Expected<void>(fail(p.error().message));
         hc.connect_port = *p;
         return Expected<void>();
       }},
      {"connect_ip",
       [&hc](const Statement& x) -> Expected<void> {
         return set_address(x, hc.connect_ip, "connect_ip ADDRESS");
       }},
      {"bindto",
       [&hc](const Statement& x) -> Expected<void> {
         return set_address(x, hc.bindto, "bindto ADDRESS");
       }},
      {"bind_port",
       [&hc](const Statement& x) -> Expected<void> {
         return set_number(x, hc.bind_port, "bind_port PORT", 1, 65535);
       }},
      {"bind_if",
       [&hc](const Statement& x) -> Expected<void> {
         return one_word(x, hc.bind_if, "bind_if INTERFACE");
       }},
      {"fwmark",
       [&hc](const Statement& x) -> Expected<void> {
         return set_number(x, hc.fwmark, "fwmark N", 0, 0xffffffffu);
       }},
      {"nb_get_retry",
       [&hc](const Statement& x) -> Expected<void> {
         return set_count(x, hc.written.retry, "nb_get_retry N");
       }},
      {"delay_loop",
       [&hc](const Statement& x) -> Expected<void> {
         return set_duration(x, hc.delay_loop_ms, "delay_loop SECONDS", 86400);
       }},
  };
  add_default_rules(rules, hc.written);
  return rules;
}

Expected<void> parse_check(const Statement& s, CheckKind kind, RealServerConf& rs) {
  GALE_CTL_TRY(want_block(s, 0, 0, std::string(to_string(kind)) + " { ... }"));
  HealthCheck hc{.kind = kind, .where = location(s.head())};
  std::vector<Rule> rules = common_check_rules(hc);
  std::vector<const Statement*> hosts;
  if (kind == CheckKind::http || kind == CheckKind::ssl) {
    rules.push_back(
        {"url", [&](const Statement& x) -> Expected<void> { return parse_url(x, hc.urls); }});
    rules.push_back({"virtualhost", [&](const Statement& x) -> Expected<void> {
                       return one_word(x, hc.virtualhost, "virtualhost NAME");
                     }});
    rules.push_back({"enable_sni", [&](const Statement& x) -> Expected<void> {
                       return set_flag(x, hc.enable_sni);
                     }});
    rules.push_back({"http_protocol", [&](const Statement& x) -> Expected<void> {
                       GALE_CTL_TRY(one_word(x, hc.http_protocol, "http_protocol 1.0|1.0C|1.1"));
                       if (hc.http_protocol == "1.0c") hc.http_protocol = "1.0C";
                       if (hc.http_protocol != "1.0" && hc.http_protocol != "1.0C" &&
                           hc.http_protocol != "1.1")
                         return error_at(x.words[1], "http_protocol is 1.0, 1.0C or 1.1, not \"" +
                                                         hc.http_protocol + "\"");
                       return Expected<void>();
                     }});
  } else if (kind == CheckKind::misc) {
    rules.push_back({"misc_path", [&](const Statement& x) -> Expected<void> {
                       return command(x, hc.misc_path, "misc_path \"/path/to/check args\"");
                     }});
    rules.push_back({"misc_timeout", [&](const Statement& x) -> Expected<void> {
                       return set_duration(x, hc.misc_timeout_ms, "misc_timeout SECONDS", 3600);
                     }});
    rules.push_back({"misc_dynamic", [&](const Statement& x) -> Expected<void> {
                       return set_flag(x, hc.misc_dynamic);
                     }});
    rules.push_back({"user", [&](const Statement& x) -> Expected<void> {
                       GALE_CTL_TRY(want_args(x, 1, 2, "user USER [GROUP]"));
                       hc.user = rest_of(x, 1);
                       hc.user_at = location(x.words[1]);
                       return Expected<void>();
                     }});
  } else if (kind == CheckKind::udp) {
    rules.push_back({"payload", [&](const Statement& x) -> Expected<void> {
                       return one_word(x, hc.payload, "payload HEX");
                     }});
    rules.push_back({"require_reply", [&](const Statement& x) -> Expected<void> {
                       return set_flag(x, hc.require_reply);
                     }});
    rules.push_back({"min_reply_length", [&](const Statement& x) -> Expected<void> {
                       return set_number(x, hc.min_reply_length, "min_reply_length BYTES", 0,
                                         65535);
                     }});
    rules.push_back({"max_reply_length", [&](const Statement& x) -> Expected<void> {
                       return set_number(x, hc.max_reply_length, "max_reply_length BYTES", 0,
                                         65535);
                     }});
  } else if (kind == CheckKind::dns) {
    rules.push_back({"type", [&](const Statement& x) -> Expected<void> {
                       return one_word(x, hc.dns_type, "type A|AAAA|SOA");
                     }});
    rules.push_back({"name", [&](const Statement& x) -> Expected<void> {
                       return one_word(x, hc.dns_name, "name example.com");
                     }});
  } else if (kind == CheckKind::smtp) {
    rules.push_back({"helo_name", [&](const Statement& x) -> Expected<void> {
                       return one_word(x, hc.helo_name, "helo_name NAME");
                     }});
    // keepalived 1.x's form: each host { } is a server to check, with the block's other
    // settings as its defaults; keepalived 2 makes each one a checker of its own, and
    // so does gale (the real server is up while every one of them succeeds).
    rules.push_back({"host", [&](const Statement& x) -> Expected<void> {
                       GALE_CTL_TRY(want_block(x, 0, 0, "host { connect_ip ADDRESS ... }"));
                       hosts.push_back(&x);
                       return Expected<void>();
                     }});
  }
  GALE_CTL_TRY(dispatch(s.block, to_string(kind), rules));
  for (const Statement* h : hosts) {
    HealthCheck one = hc;
    one.where = location(h->head());
    GALE_CTL_TRY(dispatch(h->block, "host", common_check_rules(one)));
    rs.checks.push_back(std::move(one));
  }
  if (!hosts.empty()) return {};
  if ((kind == CheckKind::http || kind == CheckKind::ssl) && hc.urls.empty())
    return error_at(s.head(), std::string(to_string(kind)) +
                                  " needs at least one url { path /; status_code 200 }");
  if (kind == CheckKind::misc && hc.misc_path.empty())
    return error_at(s.head(), "MISC_CHECK needs misc_path");
  rs.checks.push_back(std::move(hc));
  return {};
}

Expected<void> parse_real_server(const Statement& s, VirtualServerConf& vs) {
  if (s.words.size() < 2)
    return error_at(s.head(),
                    "\"real_server\" needs an address (real_server ADDRESS PORT { ... })");
  if (s.words.size() > 3)
    return error_at(s.words[3], "unexpected \"" + s.words[3].text +
                                    "\" after real_server (real_server ADDRESS PORT { ... })");
  RealServerConf rs{.where = location(s.head())};
  auto a = address(s.words[1], "real_server address");
  if (!a) return fail(a.error().message);
  rs.addr = *a;
  if (s.words.size() == 3) {
    auto p = port(s.words[2], "real_server port");
    if (!p) return fail(p.error().message);
    rs.port = *p;
  }
  for (const RealServerConf& other : vs.real_servers)
    if (other.addr == rs.addr && other.port == rs.port)
      return error_at(s.head(), "duplicate real_server " + s.words[1].text +
                                    (rs.port ? " " + s.words[2].text : std::string()) +
                                    " (first at " + to_string(other.where) + ")");
  const auto check = [&](CheckKind k) {
    return [&rs, k](const Statement& x) -> Expected<void> { return parse_check(x, k, rs); };
  };
  const auto rs_mode = [&](const Statement& x) -> Expected<void> {
    GALE_CTL_TRY(want_args(x, 1, 1, "lb_kind DR|NAT|TUN|FULLNAT"));
    auto m = choose<lb::FwdMode>(upper(x.words[1]), x.keyword(), mode_choices());
    if (!m) return Expected<void>(fail(m.error().message));
    rs.mode = *m;
    return Expected<void>();
  };
  std::vector<Rule> rules = {
      {"weight",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, rs.weight, "weight N", 0, 65535);
       }},
      {"inhibit_on_failure",
       [&](const Statement& x) -> Expected<void> {
         return set_flag(x, rs.defaults.inhibit_on_failure);
       }},
      {"uthreshold",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, rs.uthreshold, "uthreshold N", 0, 0xffffffffu);
       }},
      {"lthreshold",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, rs.lthreshold, "lthreshold N", 0, 0xffffffffu);
       }},
      {"lb_kind", rs_mode},
      {"lvs_method", rs_mode},
      {"tunnel_encap",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "tunnel_encap ipip|gue|vxlan"));
         auto e = choose<lb::TunEncap>(x.words[1], "tunnel_encap", encap_choices());
         if (!e) return Expected<void>(fail(e.error().message));
         rs.encap = *e;
         return Expected<void>();
       }},
      {"delay_loop",
       [&](const Statement& x) -> Expected<void> {
         return set_duration(x, rs.delay_loop_ms, "delay_loop SECONDS", 86400);
       }},
      {"notify_up",
       [&](const Statement& x) -> Expected<void> {
         return command(x, rs.notify_up, "notify_up SCRIPT");
       }},
      {"virtualhost",
       [&](const Statement& x) -> Expected<void> {
         return one_word(x, rs.virtualhost, "virtualhost NAME");
       }},
      {"notify_down",
       [&](const Statement& x) -> Expected<void> {
         return command(x, rs.notify_down, "notify_down SCRIPT");
       }},
      {"TCP_CHECK", check(CheckKind::tcp)},
      {"HTTP_GET", check(CheckKind::http)},
      {"SSL_GET", check(CheckKind::ssl)},
      {"MISC_CHECK", check(CheckKind::misc)},
      {"UDP_CHECK", check(CheckKind::udp)},
      {"DNS_CHECK", check(CheckKind::dns)},
      {"SMTP_CHECK", check(CheckKind::smtp)},
  };
  add_default_rules(rules, rs.defaults);
  add_client_addr_rules(rules, rs.client_addr);
  if (s.has_block) GALE_CTL_TRY(dispatch(s.block, "real_server", rules));
  if (rs.lthreshold && rs.uthreshold && rs.lthreshold > rs.uthreshold)
    return error_at(s.head(), "lthreshold " + std::to_string(rs.lthreshold) +
                                  " is above uthreshold " + std::to_string(rs.uthreshold));
  vs.real_servers.push_back(std::move(rs));
  return {};
}

// A dotted IPv4 netmask (255.255.255.0) or a prefix length (24, 64) to a length.
Expected<uint8_t> granularity(const Word& w) {
  if (w.text.find('.') == std::string::npos) {
    auto n = number(w, "persistence_granularity", 1, 128);
    if (!n) return fail(n.error().message);
    return static_cast<uint8_t>(*n);
  }
  const auto mask = net::parse_ipv4(w.text);
  if (!mask)
    return error_at(w, "bad persistence_granularity \"" + w.text +
                           "\" (a netmask like 255.255.255.0, or a prefix length)");
  const uint32_t m = mask->v;
  const uint8_t len = static_cast<uint8_t>(std::countl_one(m));
  if (len == 0 || (len < 32 && (m << len) != 0))
    return error_at(w, "persistence_granularity \"" + w.text +
                           "\" is not a contiguous netmask (like 255.255.255.0)");
  return len;
}

// The addresses of a virtual_server_group entry, as keepalived writes them: one address,
// A.B.C.D-E (last octet), A.B.C.D-A.B.C.E, an IPv6 X::Y-Z (last group, hex), or a CIDR
// (every address in it, IPv4). At most kMaxGroupRange addresses (each is a service).
constexpr uint32_t kMaxGroupRange = 4096;
Expected<std::vector<net::IpAddr>> group_range(const Word& w) {
  std::vector<net::IpAddr> out;
  const size_t slash = w.text.find('/');
  if (slash != std::string::npos) {
    auto p = prefix(w, "virtual_server_group address", false, true);
    if (!p) return fail(p.error().message);
    if (!p->addr.is_v4()) return error_at(w, "CIDR ranges are supported for IPv4 only");
    if (p->len < 20)
      return error_at(w, "/" + std::to_string(p->len) + " spans more than " +
                             std::to_string(kMaxGroupRange) + " addresses (one service each)");
    const uint32_t base = p->addr.v4().v;
    const uint32_t last = p->len == 32 ? base : base | ((1u << (32 - p->len)) - 1);
    for (uint64_t a = base; a <= last; ++a)
      out.push_back(net::Ipv4Addr{static_cast<uint32_t>(a)});
    return out;
  }
  const size_t dash = w.text.find('-');
  Word first = w;
  first.text = w.text.substr(0, dash);
  auto a = address(first, "virtual_server_group address");
  if (!a) return fail(a.error().message);
  if (dash == std::string::npos) return std::vector<net::IpAddr>{*a};
  Word last = w;
  last.text = w.text.substr(dash + 1);
  last.col += static_cast<uint32_t>(dash) + 1;
  if (!a->is_v4()) {
    // keepalived: the last 16-bit group runs up to the hex number after the dash.
    uint32_t end = 0;
    const auto [ptr, ec] =
        std::from_chars(last.text.data(), last.text.data() + last.text.size(), end, 16);
    if (last.text.empty() || ec != std::errc() || ptr != last.text.data() + last.text.size() ||
        end > 0xffff)
      return error_at(last,
                      "range end must be the last group of the address (hex, 0-ffff), "
                      "not \"" +
                          last.text + "\"");
    net::Ipv6Addr v = a->v6();
    const uint32_t from = uint32_t{v.b[14]} << 8 | v.b[15];
    if (end < from) return error_at(w, "range \"" + w.text + "\" ends before it starts");
    for (uint32_t g = from; g <= end; ++g) {
      v.b[14] = static_cast<uint8_t>(g >> 8);
      v.b[15] = static_cast<uint8_t>(g);
      out.push_back(v);
    }
    return out;
  }
  const uint32_t base = a->v4().v;
  uint32_t end = 0;
  if (last.text.find('.') != std::string::npos) {
    auto b = address(last, "range end");
    if (!b) return fail(b.error().message);
    if (!b->is_v4()) return error_at(last, "range end is not an IPv4 address");
    end = b->v4().v;
  } else {
    auto n = number(last, "range end", 0, 255);
    if (!n) return fail(n.error().message);
    end = (base & ~0xffu) | static_cast<uint32_t>(*n);
  }
  if (end < base) return error_at(w, "range \"" + w.text + "\" ends before it starts");
  if (end - base >= kMaxGroupRange)
    return error_at(w, "range \"" + w.text + "\" spans more than " +
                           std::to_string(kMaxGroupRange) + " addresses (one service each)");
  for (uint64_t x = base; x <= end; ++x)
    out.push_back(net::Ipv4Addr{static_cast<uint32_t>(x)});
  return out;
}

}  // namespace

Expected<void> parse_virtual_server(const Statement& s, Config& c) {
  const std::string_view usage =
      "virtual_server ADDRESS PORT { ... }, virtual_server fwmark N { ... } or "
      "virtual_server group NAME { ... }";
  GALE_CTL_TRY(want_block(s, 2, 2, usage));
  VirtualServerConf vs{.where = location(s.head())};
  if (s.words[1].text == "fwmark") {
    vs.kind = VsKind::fwmark;
    auto m = number(s.words[2], "fwmark", 1, 0xffffffffu);
    if (!m) return fail(m.error().message);
    vs.fwmark = static_cast<uint32_t>(*m);
  } else if (s.words[1].text == "group") {
    vs.kind = VsKind::group;
    vs.group = s.words[2].text;
  } else {
    auto a = address(s.words[1], "virtual_server address");
    if (!a) return fail(a.error().message);
    vs.vip = *a;
    auto p = port(s.words[2], "virtual_server port");
    if (!p) return fail(p.error().message);
    vs.port = *p;
  }
  const auto sched = [&](const Statement& x) -> Expected<void> {
    GALE_CTL_TRY(want_args(x, 1, 1, "lb_algo rr|wrr|lc|wlc|sh|dh|mh|..."));
    auto k = choose<lb::SchedKind>(x.words[1], x.keyword(), sched_choices());
    if (!k) return Expected<void>(fail(k.error().message));
    vs.sched = *k;
    return Expected<void>();
  };
  const auto mode = [&](const Statement& x) -> Expected<void> {
    GALE_CTL_TRY(want_args(x, 1, 1, "lb_kind DR|NAT|TUN|FULLNAT"));
    auto m = choose<lb::FwdMode>(upper(x.words[1]), x.keyword(), mode_choices());
    if (!m) return Expected<void>(fail(m.error().message));
    vs.mode = *m;
    return Expected<void>();
  };
  std::vector<Rule> rules = {
      {"delay_loop",
       [&](const Statement& x) -> Expected<void> {
         return set_duration(x, vs.delay_loop_ms, "delay_loop SECONDS", 86400);
       }},
      {"inhibit_on_failure",
       [&](const Statement& x) -> Expected<void> {
         return set_flag(x, vs.defaults.inhibit_on_failure);
       }},
      {"lb_algo", sched},
      {"lvs_sched", sched},
      {"lb_kind", mode},
      {"lvs_method", mode},
      {"protocol",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "protocol TCP|UDP"));
         auto p = choose<uint8_t>(upper(x.words[1]), "protocol", kProtocols);
         if (!p) return Expected<void>(fail(p.error().message));
         vs.proto = *p;
         return Expected<void>();
       }},
      {"persistence_timeout",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 0, 1, "persistence_timeout SECONDS"));
         vs.persistence_timeout_s = 360;  // keepalived's value when none is written
         if (x.words.size() == 1) return Expected<void>();
         return set_number(x, vs.persistence_timeout_s, "persistence_timeout SECONDS", 0, 31536000);
       }},
      {"persistence_granularity",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "persistence_granularity NETMASK"));
         auto g = granularity(x.words[1]);
         if (!g) return Expected<void>(fail(g.error().message));
         vs.persistence_prefix = *g;
         return Expected<void>();
       }},
      {"sh-port",
       [&](const Statement& x) -> Expected<void> { return set_flag(x, vs.sched_flags.sh_port); }},
      {"sh-fallback",
       [&](const Statement& x) -> Expected<void> {
         return set_flag(x, vs.sched_flags.sh_fallback);
       }},
      {"mh-port",
       [&](const Statement& x) -> Expected<void> { return set_flag(x, vs.sched_flags.mh_port); }},
      {"mh-fallback",
       [&](const Statement& x) -> Expected<void> {
         return set_flag(x, vs.sched_flags.mh_fallback);
       }},
      {"quorum",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, vs.quorum, "quorum N", 0, 0xffffffffu);
       }},
      {"hysteresis",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, vs.hysteresis, "hysteresis N", 0, 0xffffffffu);
       }},
      {"quorum_up",
       [&](const Statement& x) -> Expected<void> {
         return command(x, vs.quorum_up, "quorum_up SCRIPT");
       }},
      {"quorum_down",
       [&](const Statement& x) -> Expected<void> {
         return command(x, vs.quorum_down, "quorum_down SCRIPT");
       }},
      {"omega", [&](const Statement& x) -> Expected<void> { return set_flag(x, vs.omega); }},
      {"sorry_server",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 2, "sorry_server ADDRESS [PORT]"));
         auto a = address(x.words[1], "sorry_server address");
         if (!a) return Expected<void>(fail(a.error().message));
         uint16_t p = 0;
         if (x.words.size() == 3) {
           auto w = port(x.words[2], "sorry_server port");
           if (!w) return Expected<void>(fail(w.error().message));
           p = *w;
         }
         vs.sorry_server = Endpoint{.addr = *a, .port = p};
         vs.sorry_where = location(x.head());
         return Expected<void>();
       }},
      {"sorry_server_lvs_method",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "sorry_server_lvs_method DR|NAT|TUN|FULLNAT"));
         auto m = choose<lb::FwdMode>(upper(x.words[1]), x.keyword(), mode_choices());
         if (!m) return Expected<void>(fail(m.error().message));
         vs.sorry_server_mode = *m;
         return Expected<void>();
       }},
      {"sorry_server_inhibit",
       [&](const Statement& x) -> Expected<void> { return set_flag(x, vs.sorry_server_inhibit); }},
      {"virtualhost",
       [&](const Statement& x) -> Expected<void> {
         return one_word(x, vs.virtualhost, "virtualhost NAME");
       }},
      {"real_server",
       [&](const Statement& x) -> Expected<void> { return parse_real_server(x, vs); }},
  };
  add_default_rules(rules, vs.defaults);
  add_client_addr_rules(rules, vs.client_addr);
  GALE_CTL_TRY(dispatch(s.block, "virtual_server", rules));
  resolve_defaults(vs);
  c.virtual_servers.push_back(std::move(vs));
  return {};
}

Expected<void> parse_virtual_server_group(const Statement& s, Config& c) {
  GALE_CTL_TRY(want_block(s, 1, 1, "virtual_server_group NAME { ADDRESS PORT ... }"));
  VirtualServerGroup g{.where = location(s.head()), .name = s.words[1].text};
  for (const VirtualServerGroup& other : c.groups)
    if (other.name == g.name)
      return error_at(s.words[1], "duplicate virtual_server_group \"" + g.name + "\" (first at " +
                                      to_string(other.where) + ")");
  for (const Statement& e : s.block) {
    const std::string_view usage =
        "ADDRESS PORT, A.B.C.D-E PORT, A.B.C.D-A.B.C.E PORT, ADDRESS/LEN PORT or fwmark N";
    if (e.keyword() == "fwmark") {
      // keepalived's optional family word; gale takes the family from gale { fwmark }.
      GALE_CTL_TRY(want_args(e, 1, 2, "fwmark N [inet|inet6]"));
      auto m = number(e.words[1], "fwmark", 1, 0xffffffffu);
      if (!m) return fail(m.error().message);
      if (e.words.size() == 3 && e.words[2].text != "inet" && e.words[2].text != "inet6")
        return error_at(e.words[2], "unknown family \"" + e.words[2].text + "\" (inet or inet6)");
      g.entries.push_back({.where = location(e.head()), .fwmark = static_cast<uint32_t>(*m)});
      continue;
    }
    if (e.has_block) return error_at(e.open, "a virtual_server_group entry takes no block");
    if (e.words.size() != 2)
      return error_at(e.head(), "bad virtual_server_group entry (" + std::string(usage) + ")");
    auto range = group_range(e.words[0]);
    if (!range) return fail(range.error().message);
    auto p = port(e.words[1], "virtual_server_group port");
    if (!p) return fail(p.error().message);
    for (const net::IpAddr& a : *range)
      g.entries.push_back({.where = location(e.head()), .vip = a, .port = *p});
  }
  if (g.entries.empty())
    return error_at(s.head(), "virtual_server_group \"" + g.name + "\" is empty");
  c.groups.push_back(std::move(g));
  return {};
}

}  // namespace gale::ctl::detail
