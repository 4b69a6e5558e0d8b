// The gale { } block: the dataplane settings keepalived never had.
#include "ctl/names.h"
#include "ctl/parse_blocks.h"
#include "ctl/parse_util.h"

namespace gale::ctl::detail {

namespace {

constexpr Choice<IoBackend> kIo[] = {{"af_xdp", IoBackend::af_xdp},
                                     {"af_packet", IoBackend::af_packet}};
constexpr Choice<uint8_t> kProtocols[] = {{"tcp", 6}, {"udp", 17}};

// LO-HI (or one port), each 1-65535.
Expected<FwmarkMatch::Ports> port_range(const Word& w, std::string_view what) {
  const size_t dash = w.text.find('-');
  Word lo = w, hi = w;
  lo.text = w.text.substr(0, dash);
  if (dash != std::string::npos) {
    hi.text = w.text.substr(dash + 1);
    hi.col += static_cast<uint32_t>(dash) + 1;
  }
  auto l = port(lo, what);
  if (!l) return fail(l.error().message);
  auto h = port(hi, what);
  if (!h) return fail(h.error().message);
  if (*h < *l) return error_at(w, std::string(what) + " \"" + w.text + "\" ends before it starts");
  return FwmarkMatch::Ports{.lo = *l, .hi = *h};
}

// match [tcp|udp] PREFIX [ports 80,443,8000-8080]
Expected<void> parse_match(const Statement& s, uint32_t mark, std::vector<FwmarkMatch>& out) {
  const std::string_view usage = "match [tcp|udp] PREFIX [ports 80,443,8000-8080]";
  GALE_CTL_TRY(want_args(s, 1, 4, usage));
  FwmarkMatch m{.where = location(s.head()), .fwmark = mark};
  size_t i = 1;
  if (s.words[i].text == "tcp" || s.words[i].text == "udp") {
    m.proto = s.words[i].text == "tcp" ? 6 : 17;
    ++i;
  } else if (s.words[i].text.find_first_of(".:") == std::string::npos) {
    auto p = choose<uint8_t>(s.words[i], "match protocol", kProtocols);
    return fail(p.error().message);
  }
  if (i >= s.words.size())
    return error_at(s.head(), "match needs a prefix (" + std::string(usage) + ")");
  auto p = prefix(s.words[i], "match prefix", true, true);
  if (!p) return fail(p.error().message);
  m.net = p->addr;
  m.prefix_len = p->len;
  ++i;
  if (i < s.words.size()) {
    if (s.words[i].text != "ports")
      return error_at(s.words[i],
                      "unexpected \"" + s.words[i].text + "\" (" + std::string(usage) + ")");
    if (i + 1 >= s.words.size())
      return error_at(s.words[i], "ports needs a list (ports 80,443,8000-8080)");
    const Word& list = s.words[i + 1];
    if (i + 2 < s.words.size())
      return error_at(s.words[i + 2],
                      "unexpected \"" + s.words[i + 2].text + "\" after the port list");
    size_t start = 0;
    while (start <= list.text.size()) {
      size_t comma = list.text.find(',', start);
      if (comma == std::string::npos) comma = list.text.size();
      Word item = list;
      item.text = list.text.substr(start, comma - start);
      item.col = list.col + static_cast<uint32_t>(start);
      auto r = port_range(item, "port");
      if (!r) return fail(r.error().message);
      m.ports.push_back(*r);
      start = comma + 1;
    }
  }
  out.push_back(std::move(m));
  return {};
}

Expected<void> parse_fwmark(const Statement& s, GaleConf& g) {
  GALE_CTL_TRY(want_block(s, 1, 1, "fwmark N { match [tcp|udp] PREFIX [ports LIST] }"));
  auto mark = number(s.words[1], "fwmark", 1, 0xffffffffu);
  if (!mark) return fail(mark.error().message);
  for (const FwmarkMatch& m : g.fwmarks)
    if (m.fwmark == *mark)
      return error_at(s.words[1], "duplicate gale fwmark " + s.words[1].text + " (first at " +
                                      to_string(m.where) + "); put every match in one block");
  const size_t before = g.fwmarks.size();
  const Rule rules[] = {{"match", [&](const Statement& x) -> Expected<void> {
                           return parse_match(x, static_cast<uint32_t>(*mark), g.fwmarks);
                         }}};
  GALE_CTL_TRY(dispatch(s.block, "fwmark", rules));
  if (g.fwmarks.size() == before)
    return error_at(s.head(), "fwmark " + s.words[1].text + " needs at least one match line");
  return {};
}

}  // namespace

Expected<void> parse_timeouts(const Statement& s, lb::Timeouts& t) {
  const std::string usage = s.keyword() + " tcp SECONDS tcpfin SECONDS udp SECONDS";
  GALE_CTL_TRY(want_args(s, 2, 6, usage));
  if (s.words.size() % 2 == 0)
    return error_at(s.words.back(),
                    "\"" + s.words.back().text + "\" needs a value (" + usage + ")");
  for (size_t i = 1; i + 1 < s.words.size(); i += 2) {
    const Word& k = s.words[i];
    uint32_t* field = k.text == "tcp"      ? &t.tcp
                      : k.text == "tcpfin" ? &t.tcpfin
                      : k.text == "udp"    ? &t.udp
                                           : nullptr;
    if (!field) {
      constexpr std::string_view known[] = {"tcp", "tcpfin", "udp"};
      return error_at(k, "unknown timeout \"" + k.text + "\"" + did_you_mean(k.text, known) + " (" +
                             usage + ")");
    }
    auto v = number(s.words[i + 1], k.text + " timeout", 1, 31536000);
    if (!v) return fail(v.error().message);
    *field = static_cast<uint32_t>(*v);
  }
  return {};
}

Expected<void> parse_gale(const Statement& s, Config& c) {
  GALE_CTL_TRY(want_block(s, 0, 0, "gale { interfaces eth0 ... }"));
  if (c.has_gale_block)
    return error_at(s.head(), "a second gale block (the first is at " + to_string(c.gale.where) +
                                  "); merge them");
  c.has_gale_block = true;
  GaleConf& g = c.gale;
  g.where = location(s.head());
  const Rule rules[] = {
      {"interfaces",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 64, "interfaces IFNAME [IFNAME ...]"));
         g.interfaces.clear();
         for (size_t i = 1; i < x.words.size(); ++i) {
           for (const std::string& other : g.interfaces)
             if (other == x.words[i].text)
               return Expected<void>(
                   error_at(x.words[i], "interface \"" + other + "\" listed twice"));
           if (x.words[i].text.size() > 15)
             return Expected<void>(
                 error_at(x.words[i], "interface name \"" + x.words[i].text +
                                          "\" is longer than 15 characters (IFNAMSIZ)"));
           g.interfaces.push_back(x.words[i].text);
         }
         return Expected<void>();
       }},
      {"workers",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, g.workers, "workers N", 0, 1024);
       }},
      {"io",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "io af_xdp|af_packet"));
         auto v = choose<IoBackend>(x.words[1], "io", kIo);
         if (!v) return Expected<void>(fail(v.error().message));
         g.io = *v;
         return Expected<void>();
       }},
      {"flows",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, g.flows, "flows N", 1024, 1u << 28);
       }},
      {"flows6",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, g.flows6, "flows6 N", 1024, 1u << 28);
       }},
      {"fullnat_local_addresses",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 255, "fullnat_local_addresses ADDRESS ..."));
         g.fullnat_local_addresses.clear();
         for (size_t i = 1; i < x.words.size(); ++i) {
           auto a = address(x.words[i], "FullNAT local address");
           if (!a) return Expected<void>(fail(a.error().message));
           g.fullnat_local_addresses.push_back(*a);
         }
         return Expected<void>();
       }},
      {"fullnat_ports",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "fullnat_ports LO-HI"));
         auto r = port_range(x.words[1], "fullnat_ports");
         if (!r) return Expected<void>(fail(r.error().message));
         g.fullnat_port_lo = r->lo;
         g.fullnat_port_hi = r->hi;
         return Expected<void>();
       }},
      {"tunnel_source",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "tunnel_source IPV4"));
         auto a = net::parse_ipv4(x.words[1].text);
         if (!a)
           return Expected<void>(error_at(x.words[1], "bad tunnel_source \"" + x.words[1].text +
                                                          "\" (an IPv4 address; tunnel_source6 "
                                                          "for IPv6)"));
         g.tunnel_source = *a;
         return Expected<void>();
       }},
      {"tunnel_source6",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "tunnel_source6 IPV6"));
         auto a = net::parse_ipv6(x.words[1].text);
         if (!a)
           return Expected<void>(error_at(
               x.words[1], "bad tunnel_source6 \"" + x.words[1].text + "\" (an IPv6 address)"));
         g.tunnel_source6 = *a;
         return Expected<void>();
       }},
      {"tunnel_source_spread_bits",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, g.tunnel_source_spread_bits, "tunnel_source_spread_bits 0-16", 0, 16);
       }},
      {"tunnel_encap",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "tunnel_encap ipip|gue|vxlan"));
         auto e = choose<lb::TunEncap>(x.words[1], "tunnel_encap", encap_choices());
         if (!e) return Expected<void>(fail(e.error().message));
         g.tunnel_encap = *e;
         return Expected<void>();
       }},
      {"gue_port",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, g.gue_port, "gue_port PORT", 1, 65535);
       }},
      {"vxlan_vni",
       [&](const Statement& x) -> Expected<void> {
         return set_number(x, g.vxlan_vni, "vxlan_vni N", 0, 0xffffff);
       }},
      {"timeout",
       [&](const Statement& x) -> Expected<void> { return parse_timeouts(x, g.timeouts); }},
      {"maglev_size",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(set_number(x, g.maglev_size, "maglev_size PRIME", 7, 1u << 24));
         if (!lb::is_prime(g.maglev_size))
           return Expected<void>(error_at(x.words[1], "maglev_size " + x.words[1].text +
                                                          " is not prime (try 65537 or 655373)"));
         return Expected<void>();
       }},
      {"control_socket",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "control_socket PATH"));
         if (x.words[1].text.size() > 107 || x.words[1].text.front() != '/')
           return Expected<void>(error_at(
               x.words[1], "control_socket must be an absolute path of at most 107 characters"));
         g.control_socket = x.words[1].text;
         return Expected<void>();
       }},
      {"control_socket_group",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "control_socket_group GROUP"));
         g.control_socket_group = x.words[1].text;
         return Expected<void>();
       }},
      {"expire_nodest_conn",
       [&](const Statement& x) -> Expected<void> { return set_flag(x, g.expire_nodest_conn); }},
      {"metrics_listen",
       [&](const Statement& x) -> Expected<void> {
         GALE_CTL_TRY(want_args(x, 1, 1, "metrics_listen ADDRESS:PORT"));
         const Word& w = x.words[1];
         const size_t colon = w.text.rfind(':');
         const auto bad = [&] {
           return Expected<void>(error_at(w, "bad metrics_listen \"" + w.text +
                                                 "\" (ADDRESS:PORT like 127.0.0.1:9469 or "
                                                 "[::1]:9469)"));
         };
         if (colon == std::string::npos) return bad();
         std::string host = w.text.substr(0, colon);
         if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
           host = host.substr(1, host.size() - 2);
         else if (host.find(':') != std::string::npos)
           return bad();
         const auto a = net::parse_ip(host);
         if (!a) return bad();
         Word pw = w;
         pw.text = w.text.substr(colon + 1);
         pw.col += static_cast<uint32_t>(colon) + 1;
         auto p = port(pw, "metrics_listen port");
         if (!p) return Expected<void>(fail(p.error().message));
         g.metrics_listen = Endpoint{.addr = *a, .port = *p};
         return Expected<void>();
       }},
      {"fwmark", [&](const Statement& x) -> Expected<void> { return parse_fwmark(x, g); }},
  };
  constexpr std::string_view unsupported[] = {"bgp", "announce", "dpdk", "sync"};
  return dispatch(s.block, "gale", rules, unsupported);
}

}  // namespace gale::ctl::detail
