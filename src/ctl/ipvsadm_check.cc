// The checks ipvsadm makes once every option is read (ipvsadm_options.h); -R's input;
// -h and -v.
#include <bit>
#include <string>

#include "ctl/ipvsadm_options.h"
#include "lb/scheduler.h"

namespace gale::ctl::ipvsadm::detail {

namespace {

gale::Unexpected<Refusal> refuse(std::string message, int code = 2) {
  return gale::unexpected(Refusal{.exit_code = code, .message = std::move(message)});
}

bool has(uint64_t options, Opt o) {
  return (options & (1ull << o)) != 0;
}

// ipvsadm's parse_sched_flags: flag-1..3 or the sh/mh names, which must match the
// scheduler (wlc when -s is not given).
gale::Result<lb::SchedFlags, Refusal> sched_flags_of(const std::string& sched,
                                                     const std::string& arg) {
  lb::SchedFlags f;
  size_t i = 0;
  do {
    const size_t comma = arg.find(',', i);
    const std::string flag = arg.substr(i, comma == std::string::npos ? comma : comma - i);
    i = comma == std::string::npos ? arg.size() : comma + 1;
    if (flag.empty() && i < arg.size()) continue;  // strtok skips empty fields
    const bool sh = sched == "sh", mh = sched == "mh";
    bool* slot = nullptr;
    if (flag == "flag-1" && (sh || mh))
      slot = sh ? &f.sh_fallback : &f.mh_fallback;
    else if (flag == "flag-2" && (sh || mh))
      slot = sh ? &f.sh_port : &f.mh_port;
    else if (flag == "flag-1" || flag == "flag-2" || flag == "flag-3")
      return refuse("gale: scheduler flag `" + flag + "' means nothing to " + sched);
    else if (flag == "sh-fallback" || flag == "sh-port") {
      if (!sh) return refuse("incompatible scheduler flag `" + flag + "'");
      slot = flag == "sh-port" ? &f.sh_port : &f.sh_fallback;
    } else if (flag == "mh-fallback" || flag == "mh-port") {
      if (!mh) return refuse("incompatible scheduler flag `" + flag + "'");
      slot = flag == "mh-port" ? &f.mh_port : &f.mh_fallback;
    } else
      return refuse("invalid scheduler flag `" + flag + "'");
    *slot = true;
  } while (i < arg.size());
  return f;
}

// ipvsadm's generic_opt_check over the command/option table.
gale::Result<void, Refusal> check_table(int row, const char* cmd, uint64_t options) {
  int last = -1;
  for (int j = 0; j < kNumOpts; ++j) {
    const char rule = kCommandsVOptions[row][j];
    if (!has(options, Opt(j))) {
      if (rule == '+')
        return refuse("You need to supply the '" + std::string(kOptNames[j]) +
                      "' option for the '" + cmd + "' command");
      continue;
    }
    if (rule == 'x')
      return refuse("Illegal '" + std::string(kOptNames[j]) + "' option with the '" + cmd +
                    "' command");
    if (rule == '1') {
      if (last < 0) {
        last = j;
        continue;
      }
      return refuse("The option '" + std::string(kOptNames[j]) + "' conflicts with the '" +
                    kOptNames[last] + "' option in the '" + cmd + "' command");
    }
  }
  return {};
}

// ipvsadm's tunnel_opt_check over the tunnel-type/option table.
gale::Result<void, Refusal> check_tunnel(int type, uint64_t options) {
  int last = -1;
  for (size_t j = 0; j < kTunOpts.size(); ++j) {
    const Opt k = kTunOpts[j];
    const char rule = kTunTypesVOptions[type][j];
    const std::string name = kOptNames[k], tun = kTunNames[type];
    if (!has(options, k)) {
      if (rule == '+')
        return refuse("You need to supply the '" + name + "' option for the '" + tun +
                      "' tunnel type");
      continue;
    }
    if (rule == 'x')
      return refuse("Illegal '" + name + "' option with the '" + tun + "' tunnel type");
    if (rule == '1') {
      if (last < 0) {
        last = k;
        continue;
      }
      return refuse("The option '" + name + "' conflicts with the '" + kOptNames[last] +
                    "' option in the '" + tun + "' tunnel type");
    }
  }
  return {};
}

int table_row(Command c) {
  switch (c) {
    case Command::add_service:
      return 0;
    case Command::edit_service:
      return 1;
    case Command::delete_service:
      return 2;
    case Command::clear:
      return 3;
    case Command::list:
      return 4;
    case Command::add_dest:
      return 5;
    case Command::delete_dest:
    case Command::set_health:
      return 6;  // gale's --set-health names a server as -d does
    case Command::edit_dest:
      return 7;
    case Command::set_timeout:
      return 8;
    case Command::start_daemon:
      return 9;
    case Command::stop_daemon:
      return 10;
    case Command::restore:
      return 11;
    case Command::save:
      return 12;
    case Command::zero:
      return 13;
    default:
      return -1;
  }
}

}  // namespace

gale::Result<void, Refusal> check_invocation(Invocation& inv, const Walked& w) {
  ServiceSpec& svc = inv.service;
  DestSpec& dest = inv.dest;
  const std::string sched = w.sched_name.empty() ? "wlc" : w.sched_name;
  if (!w.sched_flags.empty()) {  // ipvsadm ignores an empty -b
    auto f = sched_flags_of(sched, w.sched_flags);
    if (!f) return gale::unexpected(f.error());
    svc.flags = *f;
  }
  const int row = table_row(inv.command);
  if (row >= 0) {
    const char* name = inv.command == Command::set_health ? "set-health" : kCmdNames[row];
    if (auto r = check_table(row, name, w.options); !r) return r;
  }
  const Command c = inv.command;
  // gale's --vrrp takes no ipvsadm option (-o json and --socket are not table options).
  if (c == Command::vrrp && w.options != 0)
    for (int j = 0; j < kNumOpts; ++j)
      if (has(w.options, Opt(j)))
        return refuse("Illegal '" + std::string(kOptNames[j]) + "' option with the 'vrrp' command");
  if (c == Command::add_service || c == Command::edit_service) {
    if (!svc.key.fwmark && !svc.key.port && !svc.persistence_s)
      return refuse("Zero port specified for non-persistent service");
    if (svc.one_packet && !svc.key.fwmark && svc.key.proto != 17)
      return refuse("One-Packet Scheduling is only for UDP virtual services");
    const auto kind = lb::sched_from_name(sched);
    if (!kind) return refuse("Scheduler or persistence engine not found", 255);
    svc.sched = *kind;
    if (svc.family == net::Family::v6) {
      svc.persistence_prefix = w.mask6 == 128 ? 0 : uint8_t(w.mask6);
    } else {
      const int ones = std::countl_one(w.mask4);
      if (ones < 32 && (w.mask4 << ones) != 0)
        return refuse("gale: persistent netmask must be contiguous (as 255.255.255.0)");
      svc.persistence_prefix = ones == 32 ? 0 : uint8_t(ones);
    }
  }
  if (c == Command::add_dest || c == Command::edit_dest) {
    const bool tunnel = dest.mode == lb::FwdMode::tun;
    // A DR or TUN server listens on the service's port (IPVS cannot map it).
    if (!svc.key.fwmark && (tunnel || dest.mode == lb::FwdMode::dr)) dest.port = svc.key.port;
    // gale's FullNAT translates an IPv6 service to IPv4 servers (NAT64); not the reverse.
    const bool nat64 = dest.mode == lb::FwdMode::fullnat && !svc.key.fwmark &&
                       svc.family == net::Family::v6 && dest.addr.is_v4();
    if (dest.addr.family != svc.family && !tunnel && !nat64)
      return refuse("Different address family is allowed only for tunneling servers");
    const uint64_t tun_opts = (1ull << tun_type) | (1ull << tun_port) | (1ull << tun_nocsum) |
                              (1ull << tun_csum) | (1ull << tun_remcsum);
    if ((w.options & tun_opts) && !tunnel)
      return refuse("Tunnel options conflict with forward method");
    if (auto r = check_tunnel(w.tun_type, w.options); !r) return r;
    if (has(w.options, tun_type)) {
      if (w.tun_type == 2) return refuse("gale: --tun-type gre is not supported (ipip, gue)");
      dest.encap = w.tun_type == 1 ? lb::TunEncap::gue : lb::TunEncap::ipip;
    }
    // gale's FullNAT options, as ipvsadm refuses tunnel options: what turns one on needs
    // --fullnat; a fwmark service's protocol is galed's to check (-f says none).
    const bool proxy_on = dest.proxy && *dest.proxy != lb::ProxyProto::none;
    const bool toa_on = dest.toa.value_or(false);
    if ((proxy_on || toa_on) && dest.mode != lb::FwdMode::fullnat)
      return refuse(
          "Client address options conflict with forward method (--proxy-protocol and "
          "--toa need --fullnat)");
    const bool udp = !svc.key.fwmark && svc.key.proto == 17;
    if (toa_on && udp) return refuse("TOA is only for TCP virtual services");
    if (dest.proxy == lb::ProxyProto::v1 && udp)
      return refuse("PROXY protocol v1 is only for TCP virtual services (v2 has a UDP form)");
  }
  if (c == Command::list) {
    const bool conn_like =
        has(w.options, connection) || has(w.options, timeout) || has(w.options, daemon);
    const bool numbers =
        has(w.options, stats) || has(w.options, rate) || has(w.options, thresholds);
    if ((conn_like && numbers) ||
        ((has(w.options, timeout) || has(w.options, daemon)) && has(w.options, persistentconn)))
      return refuse("options conflicts in the list command");
  }
  if (c == Command::save) inv.format.rule = true;
  // ipvsadm's DEF_MCAST_IFN when --mcast-interface is not given.
  if (c == Command::start_daemon && inv.sync.interface.empty()) inv.sync.interface = "eth0";
  return {};
}

}  // namespace gale::ctl::ipvsadm::detail

namespace gale::ctl::ipvsadm {

namespace {
gale::Unexpected<Refusal> refuse(std::string message) {
  return gale::unexpected(Refusal{.exit_code = 2, .message = std::move(message)});
}
}  // namespace

gale::Result<std::vector<Invocation>, Refusal> parse_restore(std::string_view text,
                                                             const Resolver& names,
                                                             std::string_view program) {
  std::vector<Invocation> out;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    std::vector<std::string> words;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r')
        ++j;
      if (j > i) {
        std::string w(line.substr(i, j - i));
        if (words.empty() && w[0] == '#') break;  // a comment line
        if (w != "ipvsadm" && w != "galectl") words.push_back(std::move(w));
      }
      i = j;
    }
    if (words.empty()) continue;
    auto inv = parse(words, names, program);
    if (!inv) {
      Refusal r = inv.error();
      r.message = "line " + std::to_string(line_no) + ": " + r.message;
      return gale::unexpected(r);
    }
    if (inv->command == Command::restore || inv->command == Command::list ||
        inv->command == Command::save || inv->command == Command::help ||
        inv->command == Command::version)
      return refuse("line " + std::to_string(line_no) +
                    ": -R takes commands that change the "
                    "table (-A -E -D -C -a -e -d -Z --set)");
    out.push_back(std::move(*inv));
  }
  return out;
}

std::string version_line() {
  return "galectl: ipvsadm v1.31 2019/12/24 syntax, for gale (IPVS v1.2.1 listings)\n";
}

std::string usage(std::string_view program) {
  const std::string p(program);
  std::string u = version_line() + "Usage:\n";
  for (const char* form :
       {" -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [-b sched-flags]",
        " -D virtual-service", " -C", " -R", " -S [-n]",
        " -a|e virtual-service -r server-address [options]",
        " -d virtual-service -r server-address", " -L|l [virtual-service] [options]",
        " -Z [virtual-service]", " --set tcp tcpfin udp",
        " --start-daemon {master|backup} [daemon-options]", " --stop-daemon {master|backup}",
        " --set-health up|down virtual-service -r server-address", " --vrrp [-o json]", " -h"})
    u += "  " + p + form + "\n";
  u += "\nCommands and options are ipvsadm 1.31's (see ipvsadm(8)); -h lists gale's additions:\n"
       "  --fullnat                           FullNAT forwarding (with -a/-e)\n"
       "  --proxy-protocol v1|v2|none         FullNAT: a PROXY protocol header to the\n"
       "                                      server (with -a/-e; v1: TCP only)\n"
       "  --toa, --no-toa                     FullNAT TCP: the client's address in a TOA\n"
       "                                      option (with -a/-e)\n"
       "  --set-health up|down                mark a real server up or down by hand\n"
       "  --vrrp                              the VRRP instances: state, priority\n"
       "                                      (effective/configured), VIPs\n"
       "  --socket PATH                       galed's control socket (default\n"
       "                                      $GALE_SOCKET or /run/gale/gale.sock)\n"
       "  -o json                             print a listing as JSON\n"
       "Not supported: --pe, --sctp-service, --tun-type gre.\n";
  return u;
}

}  // namespace gale::ctl::ipvsadm
