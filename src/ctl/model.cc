// ctl::Model: ipvsadm's operations on the desired state. Each operation works on a copy
// of the effective config, checks it with the same whole-config checks as the file
// (validate.cc's check_virtual_servers: one fact, one place) after ipvsadm's own
// refusals, and swaps it in only when everything passed.
#include "ctl/model.h"

#include <algorithm>
#include <string>
#include <utility>

#include "ctl/json_fields.h"
#include "ctl/parse_blocks.h"
#include "ctl/parse_util.h"

namespace gale::ctl {

namespace {

// Runtime objects are "written" here: their check messages drop the location prefix.
constexpr const char* kRuntimeFile = "(runtime)";

std::string service_name(const ServiceKey& k) {
  const std::string proto = k.proto == 17 ? "udp" : "tcp";
  if (k.fwmark) return "fwmark " + std::to_string(k.fwmark);
  std::string addr = detail::ip_text(k.vip);
  if (k.vip.is_v6()) addr = "[" + addr + "]";
  return proto + " " + addr + ":" + std::to_string(k.port);
}

std::string dest_name(const net::IpAddr& a, uint16_t port) {
  std::string addr = detail::ip_text(a);
  if (a.is_v6()) addr = "[" + addr + "]";
  return port ? addr + ":" + std::to_string(port) : addr;
}

// Firewall-mark services match by mark (and family), any protocol.
bool same_service(const ServiceKey& a, const ServiceKey& b) {
  if (a.fwmark || b.fwmark) return a.fwmark == b.fwmark;
  return a == b;
}

// The port a real server receives on: the written one, else the service's.
uint16_t effective_port(const ServiceKey& svc, uint16_t written) {
  return written ? written : svc.port;
}

std::string strip_runtime(std::string message) {
  const std::string prefix = std::string(kRuntimeFile) + ":0:0: ";
  if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
  return message;
}

VirtualServerConf to_conf(const ServiceSpec& s) {
  VirtualServerConf vs{.where = {.file = kRuntimeFile}, .origin = Origin::runtime};
  if (s.key.fwmark) {
    vs.kind = VsKind::fwmark;
    vs.fwmark = s.key.fwmark;
    vs.fwmark_family = s.family;
  } else {
    vs.vip = s.key.vip;
    vs.port = s.key.port;
  }
  vs.proto = s.key.proto ? s.key.proto : 6;
  vs.sched = s.sched;
  vs.sched_flags = s.flags;
  vs.persistence_timeout_s = s.persistence_s;
  vs.persistence_prefix = s.persistence_prefix;
  // ipvsadm -a without -g/-i/-m gatewaying; a runtime dest always carries its mode.
  vs.mode = s.default_mode.value_or(lb::FwdMode::dr);
  return vs;
}

// --proxy-protocol and --toa as the config keeps them (written "at" the runtime).
ClientAddrConf client_addr_of(const DestSpec& d) {
  const Location at{.file = kRuntimeFile};
  return {.proxy = d.proxy, .toa = d.toa, .proxy_at = at, .toa_at = at};
}

RealServerConf to_conf(const DestSpec& d) {
  RealServerConf rc{.where = {.file = kRuntimeFile},
                    .origin = Origin::runtime,
                    .addr = d.addr,
                    .port = d.port,
                    .weight = d.weight,
                    .uthreshold = d.uthreshold,
                    .lthreshold = d.lthreshold,
                    .mode = d.mode};
  if (d.mode == lb::FwdMode::tun) rc.encap = d.encap;
  rc.client_addr = client_addr_of(d);
  return rc;
}

// ipvsadm's and IPVS's refusals of a service, before the whole-config checks.
Expected<void> check_spec(const ServiceSpec& s) {
  if (!s.key.fwmark && s.key.vip.family == net::Family::none)
    return fail("a service is a VIP and port (-t/-u) or a firewall mark (-f)");
  if (!s.key.fwmark && s.key.proto != 6 && s.key.proto != 17)
    return fail("protocol " + std::to_string(s.key.proto) + ": tcp or udp");
  const bool sh = s.sched == lb::SchedKind::sh, mh = s.sched == lb::SchedKind::mh;
  if ((s.flags.sh_port || s.flags.sh_fallback) && !sh)
    return fail("sh-port and sh-fallback apply to the sh scheduler only");
  if ((s.flags.mh_port || s.flags.mh_fallback) && !mh)
    return fail("mh-port and mh-fallback apply to the mh scheduler only");
  if (s.one_packet) {
    if (s.key.proto != 17 || s.key.fwmark)
      return fail("one-packet scheduling (-o) is for UDP services only");
    return fail("one-packet scheduling (-o) is not implemented by gale");
  }
  const net::Family fam = s.key.fwmark ? s.family : s.key.vip.family;
  if (s.persistence_prefix > (fam == net::Family::v6 ? 128 : 32))
    return fail("netmask /" + std::to_string(s.persistence_prefix) +
                " is longer than an address of the service's family");
  return {};
}

// ipvsadm's and IPVS's refusals of a real server of service `key` (family `fam`,
// protocol `proto`: a fwmark key's is not the service's).
Expected<void> check_dest(const DestSpec& d, const ServiceKey& key, net::Family fam,
                          uint8_t proto) {
  if (d.addr.family == net::Family::none) return fail("a real server needs an address (-r)");
  if (d.weight > 65535)
    return fail("weight " + std::to_string(d.weight) + ": IPVS takes 0 to 65535");
  if (d.lthreshold && d.uthreshold && d.lthreshold > d.uthreshold)
    return fail("lower threshold " + std::to_string(d.lthreshold) +
                " is above the upper threshold " + std::to_string(d.uthreshold));
  const bool tunnel_opts = d.encap || d.tun_port || d.tun_csum != DestSpec::TunCsum::none;
  if (tunnel_opts && d.mode != lb::FwdMode::tun)
    return fail("tunnel options (--tun-type, --tun-port, --tun-*csum) need tunnelling (-i)");
  const bool gue = d.encap == lb::TunEncap::gue;
  if (gue && !d.tun_port) return fail("GUE tunnelling needs the port to send to (--tun-port)");
  if (!gue && (d.tun_port || d.tun_csum != DestSpec::TunCsum::none))
    return fail("--tun-port and the checksum options apply to --tun-type gue only");
  // What is asked for explicitly; the service's default is the whole-config check's.
  const bool proxy_on = d.proxy && *d.proxy != lb::ProxyProto::none;
  if ((proxy_on || d.toa.value_or(false)) && d.mode != lb::FwdMode::fullnat)
    return fail(
        "--proxy-protocol and --toa need FullNAT forwarding (--fullnat): DR, TUN and "
        "NAT servers see the client's address already");
  if (d.toa.value_or(false) && proto != 6) return fail("--toa needs a TCP service (-t)");
  if (d.proxy == lb::ProxyProto::v1 && proto != 6)
    return fail("--proxy-protocol v1 needs a TCP service: v1 has no UDP form (use v2)");
  // IPVS (ip_vs_ctl.c) accepts a real server of the other family only when tunnelling;
  // gale's FullNAT also serves an IPv6 VIP from IPv4 servers (NAT64, docs/modes.md).
  const bool nat64 =
      d.mode == lb::FwdMode::fullnat && !key.fwmark && fam == net::Family::v6 && d.addr.is_v4();
  if (fam != net::Family::none && d.addr.family != fam && d.mode != lb::FwdMode::tun && !nat64)
    return fail("real server " + dest_name(d.addr, d.port) + " is not in the family of " +
                service_name(key) + ": only tunnelling (-i) mixes families" +
                (fam == net::Family::v6 && d.addr.is_v4() && !key.fwmark
                     ? " (and FullNAT, --fullnat, an IPv6 service with IPv4 servers: NAT64)"
                     : ""));
  return {};
}

// The family of a service: its VIP's, a runtime fwmark service's, or its servers'.
net::Family family_of(const VirtualServerConf& vs) {
  if (vs.kind == VsKind::addr) return vs.vip.family;
  if (vs.fwmark_family != net::Family::none) return vs.fwmark_family;
  for (const RealServerConf& rc : vs.real_servers)
    if (rc.mode.value_or(vs.mode) != lb::FwdMode::tun) return rc.addr.family;
  return vs.real_servers.empty() ? net::Family::v4 : vs.real_servers.front().addr.family;
}

}  // namespace

// ---- lookups -------------------------------------------------------------------------

namespace detail {

// Index of the virtual server standing for `key` (a group: one of its members), or -1.
int find_service(const Config& c, const ServiceKey& key) {
  for (size_t i = 0; i < c.virtual_servers.size(); ++i)
    for (const ServiceKey& k : service_keys(c.virtual_servers[i], c))
      if (same_service(k, key)) return static_cast<int>(i);
  return -1;
}

// Index in vs.real_servers of the server at addr:port (0: the service's port), or -1.
int find_dest(const VirtualServerConf& vs, const ServiceKey& key, const net::IpAddr& addr,
              uint16_t port) {
  for (size_t i = 0; i < vs.real_servers.size(); ++i) {
    const RealServerConf& rc = vs.real_servers[i];
    if (rc.addr != addr) continue;
    if (key.fwmark ? rc.port == port : effective_port(key, rc.port) == effective_port(key, port))
      return static_cast<int>(i);
  }
  return -1;
}

}  // namespace detail

using detail::find_dest;
using detail::find_service;

namespace {

// The virtual server of `key` for an edit: it exists and is no group member.
Expected<int> editable(const Config& c, const ServiceKey& key) {
  const int i = find_service(c, key);
  if (i < 0) return fail("no service " + service_name(key));
  const VirtualServerConf& vs = c.virtual_servers[static_cast<size_t>(i)];
  if (vs.kind == VsKind::group)
    return fail(service_name(key) + " is a member of virtual_server_group \"" + vs.group +
                "\": the group is one unit, change it in the config file");
  return i;
}

}  // namespace

Expected<void> Model::commit(Config next) {
  if (auto ok = detail::check_virtual_servers(next); !ok)
    return fail(strip_runtime(ok.error().message));
  effective_ = std::move(next);
  // Verdicts on servers that are gone go with them.
  std::erase_if(health_, [&](const auto& entry) {
    const int i = find_service(effective_, entry.first.service);
    if (i < 0) return true;
    const VirtualServerConf& vs = effective_.virtual_servers[static_cast<size_t>(i)];
    return find_dest(vs, entry.first.service, entry.first.addr, entry.first.port) < 0;
  });
  update_quorum();
  ++version_;
  return {};
}

void Model::update_quorum() {
  std::set<ServiceKey> lost;
  for (const VirtualServerConf& vs : effective_.virtual_servers) {
    for (const ServiceKey& key : service_keys(vs, effective_)) {
      uint64_t sum = 0;
      for (const RealServerConf& rc : vs.real_servers) {
        const auto it = health_.find({.service = key, .addr = rc.addr, .port = rc.port});
        if (it == health_.end())
          sum += rc.weight;
        else if (it->second.up)
          sum += it->second.weight.value_or(rc.weight);
      }
      const bool was_lost = quorum_lost_.contains(key);
      // Lost below quorum - hysteresis; regained at quorum + hysteresis (no underflow).
      const bool now_lost =
          was_lost ? sum < uint64_t{vs.quorum} + vs.hysteresis : sum + vs.hysteresis < vs.quorum;
      if (now_lost) lost.insert(key);
      if (now_lost != was_lost)
        quorum_changes_.push_back({.service = key,
                                   .up = !now_lost,
                                   .script = now_lost ? vs.quorum_down : vs.quorum_up,
                                   .weight = sum,
                                   .quorum = vs.quorum});
    }
  }
  quorum_lost_ = std::move(lost);
}

std::vector<Model::QuorumChange> Model::take_quorum_changes() {
  return std::exchange(quorum_changes_, {});
}

QuorumView Model::quorum_view() const {
  return [lost = quorum_lost_](const ServiceKey& key) { return lost.contains(key); };
}

Expected<std::vector<std::string>> Model::load(Config file) {
  std::vector<std::string> notes;
  Config next = std::move(file);
  for (const VirtualServerConf& vs : effective_.virtual_servers) {
    const std::vector<ServiceKey> keys = service_keys(vs, effective_);
    if (keys.empty()) continue;
    const ServiceKey& key = keys.front();  // runtime objects live in addr/fwmark services
    if (vs.origin == Origin::runtime) {
      if (find_service(next, key) >= 0) {
        notes.push_back("runtime service " + service_name(key) + " is now the config file's");
        continue;
      }
      next.virtual_servers.push_back(vs);
      continue;
    }
    for (const RealServerConf& rc : vs.real_servers) {
      if (rc.origin != Origin::runtime) continue;
      const std::string name =
          "runtime real server " + dest_name(rc.addr, rc.port) + " of " + service_name(key);
      const int i = find_service(next, key);
      if (i < 0) {
        notes.push_back(name + " is dropped: the config file no longer has its service");
        continue;
      }
      VirtualServerConf& into = next.virtual_servers[static_cast<size_t>(i)];
      if (into.kind == VsKind::group) {
        notes.push_back(name + " is dropped: its service is now a virtual_server_group member");
      } else if (find_dest(into, key, rc.addr, rc.port) >= 0) {
        notes.push_back(name + " is now the config file's");
      } else {
        into.real_servers.push_back(rc);
      }
    }
  }
  if (auto ok = detail::check_virtual_servers(next); !ok)
    return fail("with the runtime services and real servers kept: " +
                strip_runtime(ok.error().message) + " (delete them, or reload again)");
  GALE_CTL_TRY(commit(std::move(next)));
  return notes;
}

Expected<void> Model::add_service(const ServiceSpec& s) {
  GALE_CTL_TRY(check_spec(s));
  if (find_service(effective_, s.key) >= 0)
    return fail("service " + service_name(s.key) + " already exists");
  Config next = effective_;
  next.virtual_servers.push_back(to_conf(s));
  return commit(std::move(next));
}

Expected<void> Model::edit_service(const ServiceSpec& s) {
  GALE_CTL_TRY(check_spec(s));
  auto i = editable(effective_, s.key);
  if (!i) return fail(i.error().message);
  Config next = effective_;
  VirtualServerConf& vs = next.virtual_servers[static_cast<size_t>(*i)];
  // -E changes the scheduling of the service; its real servers and, for a file's
  // service, its checkers and quorum stay.
  vs.sched = s.sched;
  vs.sched_flags = s.flags;
  vs.persistence_timeout_s = s.persistence_s;
  vs.persistence_prefix = s.persistence_prefix;
  if (s.default_mode) vs.mode = *s.default_mode;
  if (vs.kind == VsKind::fwmark && vs.origin == Origin::runtime) vs.fwmark_family = s.family;
  return commit(std::move(next));
}

Expected<void> Model::delete_service(const ServiceKey& key) {
  auto i = editable(effective_, key);
  if (!i) return fail(i.error().message);
  Config next = effective_;
  next.virtual_servers.erase(next.virtual_servers.begin() + *i);
  return commit(std::move(next));
}

Expected<void> Model::clear() {
  Config next = effective_;
  next.virtual_servers.clear();
  return commit(std::move(next));
}

Expected<void> Model::add_dest(const ServiceKey& key, const DestSpec& d) {
  auto i = editable(effective_, key);
  if (!i) return fail(i.error().message);
  const VirtualServerConf& vs = effective_.virtual_servers[static_cast<size_t>(*i)];
  GALE_CTL_TRY(check_dest(d, key, family_of(vs), vs.proto));
  if (find_dest(vs, key, d.addr, d.port) >= 0)
    return fail("real server " + dest_name(d.addr, effective_port(key, d.port)) + " of " +
                service_name(key) + " already exists");
  Config next = effective_;
  next.virtual_servers[static_cast<size_t>(*i)].real_servers.push_back(to_conf(d));
  return commit(std::move(next));
}

Expected<void> Model::edit_dest(const ServiceKey& key, const DestSpec& d) {
  auto i = editable(effective_, key);
  if (!i) return fail(i.error().message);
  const VirtualServerConf& vs = effective_.virtual_servers[static_cast<size_t>(*i)];
  GALE_CTL_TRY(check_dest(d, key, family_of(vs), vs.proto));
  const int r = find_dest(vs, key, d.addr, d.port);
  if (r < 0)
    return fail("no real server " + dest_name(d.addr, effective_port(key, d.port)) + " in " +
                service_name(key));
  Config next = effective_;
  RealServerConf& rc = next.virtual_servers[static_cast<size_t>(*i)].real_servers[r];
  // -e sets what ipvsadm's -e sets; the file's checkers, notify scripts and
  // inhibit_on_failure of the server stay.
  rc.weight = d.weight;
  rc.uthreshold = d.uthreshold;
  rc.lthreshold = d.lthreshold;
  rc.mode = d.mode;
  rc.encap = d.mode == lb::FwdMode::tun ? d.encap : std::nullopt;
  // As ipvsadm's -e resets what it does not say: not given, the service's.
  rc.client_addr = client_addr_of(d);
  return commit(std::move(next));
}

Expected<void> Model::delete_dest(const ServiceKey& key, const net::IpAddr& addr, uint16_t port) {
  auto i = editable(effective_, key);
  if (!i) return fail(i.error().message);
  const VirtualServerConf& vs = effective_.virtual_servers[static_cast<size_t>(*i)];
  const int r = find_dest(vs, key, addr, port);
  if (r < 0)
    return fail("no real server " + dest_name(addr, effective_port(key, port)) + " in " +
                service_name(key));
  Config next = effective_;
  auto& rss = next.virtual_servers[static_cast<size_t>(*i)].real_servers;
  rss.erase(rss.begin() + r);
  return commit(std::move(next));
}

Expected<void> Model::set_health(const RealServerRef& rs, const HealthState& state) {
  const int i = find_service(effective_, rs.service);
  if (i < 0) return fail("no service " + service_name(rs.service));
  const VirtualServerConf& vs = effective_.virtual_servers[static_cast<size_t>(i)];
  const int r = find_dest(vs, rs.service, rs.addr, rs.port);
  if (r < 0)
    return fail("no real server " + dest_name(rs.addr, effective_port(rs.service, rs.port)) +
                " in " + service_name(rs.service));
  // Keyed as the builder asks (service_keys' key: one member of a group is one
  // dataplane service; a fwmark service's protocol is its own), with the written port.
  ServiceKey canonical = rs.service;
  for (const ServiceKey& k : service_keys(vs, effective_))
    if (same_service(k, rs.service)) canonical = k;
  const RealServerRef ref{
      .service = canonical, .addr = rs.addr, .port = vs.real_servers[static_cast<size_t>(r)].port};
  const auto it = health_.find(ref);
  const HealthState before = it == health_.end() ? HealthState{} : it->second;
  if (before.up == state.up && before.weight == state.weight && before.reason == state.reason)
    return {};
  if (state.up && !state.weight)
    health_.erase(ref);
  else
    health_[ref] = state;
  update_quorum();
  ++version_;
  return {};
}

Expected<void> Model::set_timeouts(uint32_t tcp, uint32_t tcpfin, uint32_t udp) {
  lb::Timeouts& t = effective_.gale.timeouts;
  if ((!tcp || tcp == t.tcp) && (!tcpfin || tcpfin == t.tcpfin) && (!udp || udp == t.udp))
    return {};
  if (tcp) t.tcp = tcp;
  if (tcpfin) t.tcpfin = tcpfin;
  if (udp) t.udp = udp;
  ++version_;
  return {};
}

HealthView Model::health_view() const {
  // A copy: the view outlives later changes of the model (galed builds from it once).
  return [health = health_](const ServiceKey& key, const RealServerConf& rc) -> DestHealth {
    const auto it = health.find({.service = key, .addr = rc.addr, .port = rc.port});
    if (it == health.end()) return {};
    return {it->second.up, it->second.weight};
  };
}

}  // namespace gale::ctl
