#include "ha/vmac.h"

#include <dirent.h>
#include <net/if.h>

#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "ha/vip.h"
#include "host/links.h"
#include "host/sysctl.h"

namespace gale::ha {

namespace {

// Kernel settings changed for the macvlans, shared by every one that needs them: set by
// the first, put back (as they were) by the last.
struct Held {
  int users = 0;
  std::vector<std::pair<std::string, unsigned>> before;  // in the order they were set
};
std::mutex held_mu;
std::map<std::string, Held> held;  // by "if " and the parent's name, and "rp_filter"

// Sets `path` to `value`, remembering what it was in `h`.
void set_remembered(Held& h, const std::string& path, unsigned value) {
  const auto old = host::read_sysctl(path);
  if (!old || *old == value) return;
  if (host::write_sysctl(path, value)) h.before.emplace_back(path, *old);
}

// conf/all/rp_filter is a floor under every interface's: to let the macvlans have 0,
// raise default and every interface to all's value (nothing filters differently), then
// lower all to 0 (keepalived's way).
void clear_rp_filter(Held& h) {
  const auto all = host::read_sysctl("net/ipv4/conf/all/rp_filter");
  if (!all || *all == 0) return;
  DIR* d = opendir("/proc/sys/net/ipv4/conf");
  std::vector<std::string> names{"default"};
  for (dirent* e = d ? readdir(d) : nullptr; e; e = readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != ".." && n != "all" && n != "default") names.push_back(n);
  }
  if (d) closedir(d);
  for (const std::string& n : names) {
    const std::string path = "net/ipv4/conf/" + n + "/rp_filter";
    if (const auto v = host::read_sysctl(path); v && *v < *all) set_remembered(h, path, *all);
  }
  set_remembered(h, "net/ipv4/conf/all/rp_filter", 0);
}

void hold(const std::string& key, const std::string& parent) {
  std::lock_guard lock(held_mu);
  Held& h = held[key];
  if (h.users++ > 0) return;
  if (key == "rp_filter") {
    clear_rp_filter(h);
  } else {
    set_remembered(h, "net/ipv4/conf/" + parent + "/arp_ignore", 1);
    set_remembered(h, "net/ipv4/conf/" + parent + "/arp_filter", 1);
    // Its own ARP requests name its own address, never a VIP (which would point the
    // asked neighbour's entry for the VIP at the parent's MAC): more than keepalived does.
    set_remembered(h, "net/ipv4/conf/" + parent + "/arp_announce", 2);
  }
}

void release(const std::string& key) {
  std::lock_guard lock(held_mu);
  auto it = held.find(key);
  if (it == held.end() || --it->second.users > 0) return;
  for (auto b = it->second.before.rbegin(); b != it->second.before.rend(); ++b)
    (void)host::write_sysctl(b->first, b->second);
  held.erase(it);
}

}  // namespace

net::MacAddr vrrp_mac(uint8_t vrid, net::Family family) {
  const uint8_t kind = family == net::Family::v6 ? 0x02 : 0x01;
  return net::MacAddr{{0x00, 0x00, 0x5e, 0x00, kind, vrid}};
}

Expected<Vmac> Vmac::create(const VmacConfig& c) {
  auto nl = host::Rtnetlink::open();
  if (!nl) return fail("use_vmac: " + nl.error().message);
  auto parent = nl->link(c.parent);
  if (!parent) return fail("use_vmac: " + parent.error().message);
  if (if_nametoindex(c.name.c_str()) != 0) {
    // Left by a galed (or keepalived) that did not stop cleanly: made again, as ours.
    auto old = nl->link(c.name);
    if (!old || old->kind != "macvlan")
      return fail("use_vmac: interface " + c.name +
                  " exists and is not a macvlan; name the VMAC with use_vmac NAME");
    if (auto r = host::delete_link(*nl, old->ifindex, c.name); !r) return fail(r.error().message);
  }
  if (auto r = host::add_macvlan(*nl, c.name, parent->ifindex, vrrp_mac(c.vrid, c.family)); !r)
    return fail("use_vmac: " + r.error().message);
  Vmac v(c.name, c.parent);  // from here on, deleted again if anything fails
  const int ifindex = static_cast<int>(if_nametoindex(c.name.c_str()));
  const std::string v4conf = "net/ipv4/conf/" + c.name + "/";
  const std::string v6conf = "net/ipv6/conf/" + c.name + "/";
  std::vector<std::pair<std::string, unsigned>> settings{{v4conf + "arp_ignore", 1}};
  if (c.family == net::Family::v4) {
    v.holds_ = true;
    hold("if " + c.parent, c.parent);
    hold("rp_filter", "");
    settings.insert(settings.end(), {{v4conf + "accept_local", 1}, {v4conf + "rp_filter", 0}});
    // No IPv6 on it: no link-local address, no DAD or router solicitation from the MAC.
    if (host::read_sysctl(v6conf + "disable_ipv6"))
      settings.push_back({v6conf + "disable_ipv6", 1});
  } else {
    settings.push_back({v6conf + "addr_gen_mode", 1});  // IN6_ADDR_GEN_MODE_NONE
  }
  for (const auto& [path, value] : settings)
    if (auto r = host::write_sysctl(path, value); !r) return fail("use_vmac: " + r.error().message);
  if (auto r = host::set_link_up(*nl, ifindex, c.name); !r)
    return fail("use_vmac: " + r.error().message);
  if (c.family == net::Family::v6 && c.link_local)
    if (auto r = add_vip({.addr = *c.link_local, .prefix_len = 64, .dev = c.name}); !r)
      return fail("use_vmac: the adverts' source: " + r.error().message);
  return v;
}

Vmac::~Vmac() {
  if (name_.empty()) return;
  if (auto nl = host::Rtnetlink::open())
    if (const unsigned ifindex = if_nametoindex(name_.c_str()); ifindex != 0)
      (void)host::delete_link(*nl, static_cast<int>(ifindex), name_);
  if (holds_) {
    release("if " + parent_);
    release("rp_filter");
  }
}

}  // namespace gale::ha
