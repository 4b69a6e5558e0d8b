// ipvsadm 1.31's command line (ipvsadm_cli.h). The order of the checks is ipvsadm's
// process_options(): each option as it comes (popt), then --set's values, leftover
// words, -b against the scheduler, the command/option table, then -A/-E and -a/-e's own
// rules. The first refusal wins, as ipvsadm exits at its first fail().
#include "ctl/ipvsadm_cli.h"

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>

#include "ctl/ipvsadm_argv.h"
#include "ctl/ipvsadm_options.h"

namespace gale::ctl::ipvsadm {

namespace {

using namespace detail;

constexpr uint32_t kMaxTimeout = 86400 * 31;  // ipvsadm's MAX_TIMEOUT
constexpr uint32_t kPersistentTimeout = 360;  // libipvs' IPVS_SVC_PERSISTENT_TIMEOUT
constexpr size_t kIfNameMax = 15;             // ipvsadm keeps IP_VS_IFNAME_MAXLEN - 1 bytes

gale::Unexpected<Refusal> refuse(std::string message, int code = 2) {
  return gale::unexpected(Refusal{.exit_code = code, .message = std::move(message)});
}

// ipvsadm's string_to_number: a whole decimal number within [min, max], else -1.
int64_t to_number(const std::string& s, int64_t min, int64_t max) {
  if (s.empty()) return -1;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || v < min || v > max) return -1;
  return v;
}

bool all_digits(const std::string& s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// ipvsadm's parse_service: [v6]:port, bare v6, v4[:port] or host[:port]; a port by
// number or service name. Returns whether a port was written, or nothing when invalid.
struct AddrPort {
  net::IpAddr addr;
  std::optional<uint16_t> port;
};
std::optional<AddrPort> parse_addr_port(std::string buf, uint8_t proto, const Resolver& names) {
  if (all_digits(buf)) return std::nullopt;
  std::optional<std::string> port_text;
  if (buf[0] == '[') {
    const size_t close = buf.find(']');
    if (close == std::string::npos || close + 1 >= buf.size() || buf[close + 1] != ':')
      return std::nullopt;
    port_text = buf.substr(close + 2);
    buf = buf.substr(1, close - 1);
  }
  AddrPort out;
  if (auto v6 = net::parse_ipv6(buf)) {
    out.addr = *v6;
  } else {
    if (const size_t colon = buf.rfind(':'); colon != std::string::npos) {
      port_text = buf.substr(colon + 1);
      buf.resize(colon);
    }
    if (auto v4 = net::parse_ipv4(buf))
      out.addr = *v4;
    else if (auto h = names.host_addr ? names.host_addr(buf) : std::nullopt; h && h->is_v4())
      out.addr = *h;
    else
      return std::nullopt;
  }
  if (port_text) {
    if (const int64_t n = to_number(*port_text, 0, 65535); n >= 0)
      out.port = uint16_t(n);
    else if (auto p = names.service_port ? names.service_port(*port_text, proto) : std::nullopt)
      out.port = *p;
    else
      return std::nullopt;
  }
  return out;
}

Command command_of(int tag) {
  switch (tag) {
    case tag_A:
      return Command::add_service;
    case tag_E:
      return Command::edit_service;
    case tag_D:
      return Command::delete_service;
    case tag_C:
      return Command::clear;
    case tag_L:
      return Command::list;
    case tag_Z:
      return Command::zero;
    case tag_a:
      return Command::add_dest;
    case tag_e:
      return Command::edit_dest;
    case tag_d:
      return Command::delete_dest;
    case tag_set:
      return Command::set_timeout;
    case tag_h:
      return Command::help;
    case tag_v:
      return Command::version;
    case tag_R:
      return Command::restore;
    case tag_S:
      return Command::save;
    case tag_start_daemon:
      return Command::start_daemon;
    case tag_stop_daemon:
      return Command::stop_daemon;
    case tag_set_health:
      return Command::set_health;
    case tag_vrrp:
      return Command::vrrp;
    default:
      return Command::none;
  }
}

}  // namespace

gale::Result<Invocation, Refusal> parse(const std::vector<std::string>& args, const Resolver& names,
                                        std::string_view program) {
  const std::string tryhelp = "Try `" + std::string(program) + " -h' or '" + std::string(program) +
                              " --help' for more information.";
  Invocation inv;
  if (args.empty()) {  // ipvsadm alone lists the table
    inv.command = Command::list;
    return inv;
  }
  OptionReader reader(args);
  Token t = reader.next();
  if (t.tag <= 0 || command_of(t.tag) == Command::none) return refuse(tryhelp, 255);
  inv.command = command_of(t.tag);
  if (inv.command == Command::start_daemon || inv.command == Command::stop_daemon) {
    const auto role = sync_role_from(*t.arg);
    if (!role)
      return refuse(inv.command == Command::start_daemon
                        ? "illegal start-daemon parameter specified"
                        : "illegal start_daemon specified");
    inv.sync_role = *role;
  }
  if (inv.command == Command::set_health) {
    if (*t.arg != "up" && *t.arg != "down")
      return refuse("--set-health: \"" + *t.arg + "\" is not up or down");
    inv.healthy = *t.arg == "up";
  }
  if (inv.command == Command::help || inv.command == Command::version) return inv;

  Walked walked;
  uint64_t& options = walked.options;
  int& tun_type = walked.tun_type;
  std::string& sched_name = walked.sched_name;
  std::string& sched_flags = walked.sched_flags;
  uint32_t& mask4 = walked.mask4;
  int& mask6 = walked.mask6;
  std::optional<AddrPort> rs;
  auto set = [&options](Opt o) -> gale::Result<void, Refusal> {
    if (options & (1ull << o))
      return refuse("multiple '" + std::string(kOptNames[o]) + "' options specified");
    options |= 1ull << o;
    return {};
  };
#define GALE_SET(o)                                              \
  do {                                                           \
    if (auto r = set(o); !r) return gale::unexpected(r.error()); \
  } while (0)
  ServiceSpec& svc = inv.service;
  DestSpec& dest = inv.dest;
  while ((t = reader.next()).tag > 0) {
    const std::string arg = t.arg.value_or("");
    switch (t.tag) {
      case tag_t:
      case tag_u:
      case tag_sctp: {
        GALE_SET(service);
        if (t.tag == tag_sctp) return refuse("gale: SCTP services are not supported");
        svc.key.proto = t.tag == tag_t ? 6 : 17;
        const auto ap = parse_addr_port(arg, svc.key.proto, names);
        if (!ap) return refuse("illegal virtual server address[:port] specified");
        svc.key.vip = ap->addr;
        svc.key.port = ap->port.value_or(0);
        svc.family = ap->addr.family;
        if (ap->addr.is_v6()) mask6 = 128;
        inv.has_service = true;
        break;
      }
      case tag_f: {
        GALE_SET(service);
        const int64_t mark = to_number(arg, 1, UINT32_MAX);
        if (mark < 0) return refuse("invalid fwmark value `" + arg + "' specified");
        svc.key.fwmark = uint32_t(mark);
        svc.key.proto = 6;  // ipvsadm's "sane value, even though it is not used"
        svc.family = net::Family::v4;
        inv.has_service = true;
        break;
      }
      case tag_s:
        GALE_SET(scheduler);
        sched_name = arg;
        break;
      case tag_p:
        GALE_SET(persistent);
        if (!t.arg) {
          svc.persistence_s = kPersistentTimeout;
        } else {
          const int64_t v = to_number(arg, 1, kMaxTimeout);
          if (v < 0) return refuse("invalid timeout value `" + arg + "' specified");
          svc.persistence_s = uint32_t(v);
        }
        break;
      case tag_M:
        GALE_SET(netmask);
        if (svc.family != net::Family::v6) {
          const auto m = net::parse_ipv4(arg);
          if (!m) return refuse("illegal virtual server persistent mask specified");
          mask4 = m->v;
        } else {
          mask6 = std::atoi(arg.c_str());
          if (mask6 < 1 || mask6 > 128) return refuse("illegal ipv6 netmask specified");
        }
        break;
      case tag_r: {
        GALE_SET(server);
        rs = parse_addr_port(arg, svc.key.proto, names);
        if (!rs) return refuse("illegal real server address[:port] specified");
        dest.addr = rs->addr;
        // ipvsadm copies the service's port (as parsed so far) when -r has none.
        dest.port = rs->port.value_or(svc.key.port);
        inv.has_dest = true;
        break;
      }
      case tag_i:
      case tag_g:
      case tag_m:
      case tag_fullnat:
        GALE_SET(forward);
        dest.mode = t.tag == tag_i   ? lb::FwdMode::tun
                    : t.tag == tag_g ? lb::FwdMode::dr
                    : t.tag == tag_m ? lb::FwdMode::nat
                                     : lb::FwdMode::fullnat;
        break;
      case tag_w: {
        GALE_SET(weight);
        const int64_t v = to_number(arg, 0, 65535);
        if (v < 0) return refuse("illegal weight specified");
        dest.weight = uint32_t(v);
        break;
      }
      case tag_x:
      case tag_y: {
        GALE_SET(t.tag == tag_x ? uthreshold : lthreshold);
        const int64_t v = to_number(arg, 0, INT_MAX);
        if (v < 0)
          return refuse(t.tag == tag_x ? "illegal u_threshold specified"
                                       : "illegal l_threshold specified");
        (t.tag == tag_x ? dest.uthreshold : dest.lthreshold) = uint32_t(v);
        break;
      }
      case tag_c:
        GALE_SET(connection);
        inv.connections = true;
        break;
      case tag_n:
        GALE_SET(numeric);
        inv.format.numeric = true;
        break;
      case tag_mcast_if:
        GALE_SET(mcast);
        inv.sync.interface = arg.substr(0, kIfNameMax);
        break;
      case tag_syncid: {
        GALE_SET(syncid);
        const int64_t v = to_number(arg, 0, 255);
        if (v < 0) return refuse("illegal syncid specified");
        inv.sync.syncid = uint8_t(v);
        break;
      }
      case tag_timeout:
        GALE_SET(timeout);
        inv.timeouts = true;
        break;
      case tag_daemon:
        GALE_SET(daemon);
        inv.daemon = true;
        break;
      case tag_stats:
        GALE_SET(stats);
        inv.format.stats = true;
        break;
      case tag_rate:
        GALE_SET(rate);
        inv.format.rate = true;
        break;
      case tag_thresholds:
        GALE_SET(thresholds);
        inv.format.thresholds = true;
        break;
      case tag_pconn:
        GALE_SET(persistentconn);
        inv.format.persistent_conn = true;
        break;
      case tag_nosort:
        GALE_SET(nosort);
        inv.format.nosort = true;
        break;
      case tag_sort:
        break;  // the default; a no-op kept for compatibility
      case tag_X:
        GALE_SET(exact);
        inv.format.exact = true;
        break;
      case tag_6:
        if (!svc.key.fwmark) return refuse("-6 used before -f\n");
        svc.family = net::Family::v6;
        mask6 = 128;
        break;
      case tag_o:
        // gale: `-o json` asks for JSON; ipvsadm's -o (--ops) takes no argument.
        GALE_SET(onepacket);
        svc.one_packet = true;
        break;
      case tag_pe:
        GALE_SET(pe);
        return refuse("gale: no persistence engine (--pe " + arg + ")");
      case tag_b:
        GALE_SET(Opt::sched_flags);
        sched_flags = arg;
        break;
      case tag_mcast_group: {
        GALE_SET(mcast_group);
        // ipvsadm: a word with ':' is IPv6, else IPv4; either must be multicast.
        if (arg.find(':') != std::string::npos) {
          const auto a = net::parse_ipv6(arg);
          if (!a || a->b[0] != 0xff) return refuse("invalid IPv6 mcast-group `" + arg + "'");
          inv.sync.group = *a;
          break;
        }
        const auto a = net::parse_ipv4(arg);
        if (!a || (a->v >> 28) != 0xe) return refuse("invalid IPv4 mcast-group `" + arg + "'");
        inv.sync.group = *a;
        break;
      }
      case tag_mcast_port: {
        GALE_SET(mcast_port);
        const int64_t v = to_number(arg, 1, 65535);
        if (v < 0) return refuse("illegal mcast-port specified");
        inv.sync.port = uint16_t(v);
        break;
      }
      case tag_mcast_ttl: {
        GALE_SET(mcast_ttl);
        const int64_t v = to_number(arg, 1, 255);
        if (v < 0) return refuse("illegal mcast-ttl specified");
        inv.sync.ttl = uint8_t(v);
        break;
      }
      case tag_sync_maxlen: {
        GALE_SET(sync_maxlen);
        const int64_t v = to_number(arg, 1, 65535 - 20 - 8);
        if (v < 0) return refuse("illegal sync-maxlen specified");
        inv.sync.maxlen = uint16_t(v);
        break;
      }
      case tag_tun_info:
        GALE_SET(tun_info);
        inv.format.tun_info = true;
        break;
      case tag_tun_type:
        GALE_SET(Opt::tun_type);
        if (arg == "ipip")
          tun_type = 0;
        else if (arg == "gue")
          tun_type = 1;
        else if (arg == "gre")
          tun_type = 2;
        else
          return refuse("illegal tunnel type specified");
        break;
      case tag_tun_port: {
        GALE_SET(tun_port);
        const int64_t v = to_number(arg, 1, 65535);
        if (v < 0) return refuse("illegal tunnel port specified");
        dest.tun_port = uint16_t(v);
        break;
      }
      case tag_tun_nocsum:
        GALE_SET(tun_nocsum);
        break;
      case tag_tun_csum:
        GALE_SET(tun_csum);
        dest.tun_csum = DestSpec::TunCsum::csum;
        break;
      case tag_tun_remcsum:
        GALE_SET(tun_remcsum);
        dest.tun_csum = DestSpec::TunCsum::remcsum;
        break;
      case tag_proxy_protocol:
        GALE_SET(Opt::proxy_protocol);
        if (arg == "v1")
          dest.proxy = lb::ProxyProto::v1;
        else if (arg == "v2")
          dest.proxy = lb::ProxyProto::v2;
        else if (arg == "none")
          dest.proxy = lb::ProxyProto::none;
        else
          return refuse("illegal proxy-protocol `" + arg + "' specified (v1, v2 or none)");
        break;
      case tag_toa:
      case tag_no_toa:
        GALE_SET(Opt::toa);
        dest.toa = t.tag == tag_toa;
        break;
      case tag_socket:
        inv.socket = arg;
        break;
      default:
        return refuse("invalid option `" + t.written + "'");
    }
  }
#undef GALE_SET
  if (t.tag == -1) return refuse(t.written + ": unknown option", 255);
  if (t.tag == -2) return refuse(t.written + ": missing argument", 255);

  std::vector<std::string> rest = reader.leftovers();
  // gale: `-o json` -- ipvsadm's -o takes no argument, so a "json" word after it is free.
  if (options & (1ull << onepacket)) {
    for (auto it = rest.begin(); it != rest.end(); ++it) {
      if (*it != "json") continue;
      rest.erase(it);
      options &= ~(1ull << onepacket);
      svc.one_packet = false;
      inv.json = true;
      break;
    }
  }
  size_t next_word = 0;
  if (inv.command == Command::set_timeout) {
    if (rest.size() < 3) return refuse("--set option requires 3 timeout values");
    uint32_t* out[3] = {&inv.tcp_timeout, &inv.tcpfin_timeout, &inv.udp_timeout};
    for (int k = 0; k < 3; ++k) {
      const int64_t v = to_number(rest[k], 0, kMaxTimeout);
      if (v < 0) return refuse("invalid timeout value `" + rest[k] + "' specified");
      *out[k] = uint32_t(v);
    }
    next_word = 3;
  }
  if (next_word < rest.size()) return refuse("unexpected argument " + rest[next_word]);
  if (auto r = detail::check_invocation(inv, walked); !r) return gale::unexpected(r.error());
  return inv;
}

}  // namespace gale::ctl::ipvsadm
