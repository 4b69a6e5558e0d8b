// A config without a gale { } block (a plain keepalived.conf) gets the dataplane
// settings from what it says: the interfaces from the VRRP instances' `interface`s,
// then the interfaces the routes towards the VIPs and real servers leave by (asked of
// the host through ParseOptions::link_of, when galed runs); one worker per CPU (the
// default); AF_XDP, falling back to AF_PACKET where XDP cannot attach. Each derived
// setting is noted for `galed -t`.
#include <algorithm>

#include "ctl/parse_blocks.h"
#include "ctl/parse_util.h"

namespace gale::ctl::detail {

namespace {

std::string text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}

}  // namespace

Expected<void> derive_gale_defaults(Config& c, const LinkOf& link_of,
                                    const std::string& main_file) {
  GaleConf& g = c.gale;
  g.where = Location{.file = main_file, .line = 1, .col = 1};
  std::vector<std::string>& why = c.derived;
  const auto add = [&](const std::string& ifname, const std::string& reason) {
    if (ifname.empty() || ifname == "lo") return;
    if (std::find(g.interfaces.begin(), g.interfaces.end(), ifname) != g.interfaces.end()) return;
    g.interfaces.push_back(ifname);
    why.push_back("interfaces += " + ifname + " (" + reason + ")");
  };
  for (const VrrpInstance& v : c.vrrp_instances)
    add(v.interface, "vrrp_instance " + v.name + " at " + to_string(v.where));
  if (link_of) {
    const auto route = [&](const net::IpAddr& a, const std::string& what) {
      if (auto link = link_of(a)) add(*link, "the route towards " + what + " " + text(a));
    };
    for (const VirtualServerConf& vs : c.virtual_servers) {
      if (vs.kind == VsKind::addr) route(vs.vip, "VIP");
      for (const RealServerConf& rs : vs.real_servers)
        route(rs.addr, "real server");
    }
    for (const VirtualServerGroup& grp : c.groups)
      for (const GroupEntry& e : grp.entries)
        if (!e.fwmark) route(e.vip, "VIP");
  }
  if (g.interfaces.empty())
    return fail(main_file +
                ": no gale { } block and no interface to derive one from (no vrrp_instance "
                "names an interface" +
                std::string(link_of ? ", and no route towards a VIP or real server leaves by "
                                      "one other than lo"
                                    : "") +
                "): write gale { interfaces IFNAME ... } (the first faces clients)");
  g.io_fallback = true;
  why.push_back("io af_xdp, af_packet where XDP cannot attach");
  why.push_back("workers: one per CPU");
  return {};
}

}  // namespace gale::ctl::detail
