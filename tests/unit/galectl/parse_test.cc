// ipvsadm 1.31's command line: defaults and refusals. Every expected message and exit
// status is ipvsadm.c's (fail(2, ...), tryhelp_exit(-1) = 255, popt's "unknown option" and
// "missing argument" = 255, a kernel error = 255); defaults from its process_options()
// (-w 1, -g, wlc, -p alone 360 s: libipvs' IPVS_SVC_PERSISTENT_TIMEOUT). Every refused
// line here was also run through ipvsadm 1.31 itself (built from Debian's source against
// a stand-in libipvs, as this kernel has no ip_vs): same message, same exit status, except
// the lines marked gale (what gale cannot do).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "ctl/ipvsadm_cli.h"
#include "ctl/ipvsadm_request.h"

namespace gale::ctl::ipvsadm {
namespace {

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

Invocation ok(const std::string& line, const Resolver& r = {}) {
  auto inv = parse(words(line), r);
  EXPECT_TRUE(inv.has_value()) << line << ": " << (inv ? "" : inv.error().message);
  return inv.value_or(Invocation{});
}

// The message and exit status of a refused line.
std::pair<int, std::string> refused(const std::string& line) {
  auto inv = parse(words(line));
  EXPECT_FALSE(inv.has_value()) << line;
  if (inv) return {0, ""};
  return {inv.error().exit_code, inv.error().message};
}

using R = std::pair<int, std::string>;

TEST(Parse, AddServiceDefaults) {
  const Invocation inv = ok("-A -t 10.0.0.1:80");
  EXPECT_EQ(inv.command, Command::add_service);
  EXPECT_EQ(inv.service.key.vip, *net::parse_ip("10.0.0.1"));
  EXPECT_EQ(inv.service.key.port, 80);
  EXPECT_EQ(inv.service.key.proto, 6);
  EXPECT_EQ(inv.service.sched, lb::SchedKind::wlc);
  EXPECT_EQ(inv.service.persistence_s, 0u);
  EXPECT_EQ(inv.service.persistence_prefix, 0);
}

TEST(Parse, PersistentAloneIs360Seconds) {
  EXPECT_EQ(ok("-A -t 10.0.0.1:80 -p").service.persistence_s, 360u);
  EXPECT_EQ(ok("-A -t 10.0.0.1:80 -p -s rr").service.persistence_s, 360u);
  const Invocation inv = ok("-A -t 10.0.0.1:80 -p 600 -M 255.255.255.0");
  EXPECT_EQ(inv.service.persistence_s, 600u);
  EXPECT_EQ(inv.service.persistence_prefix, 24);
  EXPECT_EQ(ok("-A -t 10.0.0.1:80 -p600").service.persistence_s, 600u);
  EXPECT_EQ(ok("-A -t 10.0.0.1:0 -p").service.key.port, 0);  // port 0 needs -p
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -p 0"), R(2, "invalid timeout value `0' specified"));
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -p 2678401"),
            R(2, "invalid timeout value `2678401' specified"));  // > 31 days
}

TEST(Parse, BundledAndLongOptions) {
  const Invocation l = ok("-Ln");
  EXPECT_EQ(l.command, Command::list);
  EXPECT_TRUE(l.format.numeric);
  const Invocation a =
      ok("--add-service --udp-service=[2001:db8::1]:53 --scheduler sh "
         "--sched-flags sh-port,sh-fallback");
  EXPECT_EQ(a.service.key.proto, 17);
  EXPECT_EQ(a.service.family, net::Family::v6);
  EXPECT_EQ(a.service.sched, lb::SchedKind::sh);
  EXPECT_TRUE(a.service.flags.sh_port && a.service.flags.sh_fallback);
  EXPECT_EQ(ok("-At10.0.0.1:80").service.key.port, 80);
  EXPECT_TRUE(ok("").command == Command::list);  // ipvsadm alone lists
}

TEST(Parse, ServiceNamesThroughTheResolver) {
  Resolver r{.host_addr = [](std::string_view h) -> std::optional<net::IpAddr> {
               if (h == "www") return *net::parse_ip("192.0.2.7");
               return std::nullopt;
             },
             .service_port = [](std::string_view s, uint8_t proto) -> std::optional<uint16_t> {
               if (s == "http" && proto == 6) return 80;
               return std::nullopt;
             }};
  const Invocation inv = ok("-A -t www:http", r);
  EXPECT_EQ(inv.service.key.vip, *net::parse_ip("192.0.2.7"));
  EXPECT_EQ(inv.service.key.port, 80);
  EXPECT_FALSE(parse(words("-A -u www:http"), r).has_value());  // no udp "http" here
}

TEST(Parse, AddServerDefaults) {
  const Invocation inv = ok("-a -t 10.0.0.1:80 -r 10.0.0.2");
  EXPECT_EQ(inv.command, Command::add_dest);
  EXPECT_EQ(inv.dest.addr, *net::parse_ip("10.0.0.2"));
  EXPECT_EQ(inv.dest.port, 80);  // the service's
  EXPECT_EQ(inv.dest.mode, lb::FwdMode::dr);
  EXPECT_EQ(inv.dest.weight, 1u);
  const Invocation nat = ok("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 5 -x 100 -y 10");
  EXPECT_EQ(nat.dest.port, 8080);
  EXPECT_EQ(nat.dest.mode, lb::FwdMode::nat);
  EXPECT_EQ(nat.dest.weight, 5u);
  EXPECT_EQ(nat.dest.uthreshold, 100u);
  EXPECT_EQ(nat.dest.lthreshold, 10u);
  // DR and TUN servers take the service's port whatever -r says.
  EXPECT_EQ(ok("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -g").dest.port, 80);
  EXPECT_EQ(ok("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -i").dest.port, 80);
  EXPECT_EQ(ok("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat").dest.mode, lb::FwdMode::fullnat);
  EXPECT_EQ(ok("-a -t 10.0.0.1:80 -r 10.0.0.2 -w 0").dest.weight, 0u);
  EXPECT_EQ(ok("-a -t 10.0.0.1:80 -r 10.0.0.2 -w 65535").dest.weight, 65535u);
  // An edit sends the whole server, as ipvsadm: -w left out is weight 1 again.
  EXPECT_EQ(ok("-e -t 10.0.0.1:80 -r 10.0.0.2").dest.weight, 1u);
}

TEST(Parse, Tunnels) {
  const Invocation gue =
      ok("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080 --tun-csum");
  EXPECT_EQ(gue.dest.encap, lb::TunEncap::gue);
  EXPECT_EQ(gue.dest.tun_port, 6080);
  EXPECT_EQ(gue.dest.tun_csum, DestSpec::TunCsum::csum);
  EXPECT_EQ(ok("-a -t [2001:db8::1]:80 -r 10.0.0.2 -i").dest.addr.family, net::Family::v4);
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue"),
            R(2, "You need to supply the 'tun-port' option for the 'gue' tunnel type"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-port 6080"),
            R(2, "Illegal 'tun-port' option with the 'ipip' tunnel type"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 1 --tun-csum "
                    "--tun-remcsum"),
            R(2,
              "The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' "
              "tunnel type"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -g --tun-type gue --tun-port 6080"),
            R(2, "Tunnel options conflict with forward method"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 --tun-type ipip"),  // -g by default
            R(2, "Tunnel options conflict with forward method"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type vxlan"),
            R(2, "illegal tunnel type specified"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 0"),
            R(2, "illegal tunnel port specified"));
  EXPECT_EQ(refused("-a -t [2001:db8::1]:80 -r 10.0.0.2 -m"),
            R(2, "Different address family is allowed only for tunneling servers"));
  // gale: FullNAT serves an IPv6 service from IPv4 servers (NAT64), not the reverse.
  EXPECT_EQ(ok("-a -t [2001:db8::1]:80 -r 10.0.0.2:8080 --fullnat").dest.addr,
            *net::parse_ip("10.0.0.2"));
  EXPECT_EQ(refused("-a -t [2001:db8::1]:80 -r 10.0.0.2 -g"),
            R(2, "Different address family is allowed only for tunneling servers"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r [2001:db8::2]:8080 --fullnat"),
            R(2, "Different address family is allowed only for tunneling servers"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gre").second,
            "gale: --tun-type gre is not supported (ipip, gue)");
}

TEST(Parse, WeightsAndThresholdsOutOfRange) {
  for (const char* w : {"65536", "-1", "abc", "1x", ""})
    EXPECT_EQ(refused(std::string("-a -t 10.0.0.1:80 -r 10.0.0.2 -w ") + w).second,
              *w ? "illegal weight specified" : "-w: missing argument");
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -x 2147483648"),
            R(2, "illegal u_threshold specified"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -y -5"), R(2, "illegal l_threshold specified"));
}

TEST(Parse, SchedulerFlags) {
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -s rr -b sh-port"),
            R(2, "incompatible scheduler flag `sh-port'"));
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -b mh-fallback"),  // wlc by default
            R(2, "incompatible scheduler flag `mh-fallback'"));
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -s sh -b sh-port,bogus"),
            R(2, "invalid scheduler flag `bogus'"));
  const Invocation mh = ok("-A -t 10.0.0.1:80 -s mh -b flag-1,mh-port");
  EXPECT_TRUE(mh.service.flags.mh_fallback && mh.service.flags.mh_port);
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -s wrrr"),
            R(255, "Scheduler or persistence engine not found"));
}

TEST(Parse, ServiceRules) {
  EXPECT_EQ(refused("-A -t 10.0.0.1:0"), R(2, "Zero port specified for non-persistent service"));
  EXPECT_EQ(refused("-A -t 10.0.0.1"), R(2, "Zero port specified for non-persistent service"));
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -o"),
            R(2, "One-Packet Scheduling is only for UDP virtual services"));
  EXPECT_TRUE(ok("-A -u 10.0.0.1:53 -o").service.one_packet);
  EXPECT_EQ(refused("-A -t 80"), R(2, "illegal virtual server address[:port] specified"));
  EXPECT_EQ(refused("-A -t 10.0.0.1:99999"),
            R(2, "illegal virtual server address[:port] specified"));
  EXPECT_EQ(refused("-A -t [2001:db8::1]80"),
            R(2, "illegal virtual server address[:port] specified"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r nowhere"),
            R(2, "illegal real server address[:port] specified"));
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -p -M 255.0.255.0").second,
            "gale: persistent netmask must be contiguous (as 255.255.255.0)");
  EXPECT_EQ(refused("-A -t [2001:db8::1]:80 -p -M 129"), R(2, "illegal ipv6 netmask specified"));
  EXPECT_EQ(ok("-A -t [2001:db8::1]:80 -p -M 64").service.persistence_prefix, 64);
}

TEST(Parse, Fwmark) {
  const Invocation inv = ok("-A -f 7 -6 -s rr");
  EXPECT_EQ(inv.service.key.fwmark, 7u);
  EXPECT_EQ(inv.service.family, net::Family::v6);
  EXPECT_EQ(refused("-A -6 -f 7"), R(2, "-6 used before -f\n"));
  EXPECT_EQ(refused("-A -f 0"), R(2, "invalid fwmark value `0' specified"));
  EXPECT_EQ(refused("-A -f x"), R(2, "invalid fwmark value `x' specified"));
  EXPECT_EQ(ok("-a -f 7 -r 10.0.0.2").dest.port, 0);
}

TEST(Parse, CommandsAndOptionTable) {
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -D"), R(2, "invalid option `-D'"));  // two commands
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 --delete-service"),
            R(2, "invalid option `--delete-service'"));
  EXPECT_EQ(refused("-t 10.0.0.1:80 -A"),
            R(255, "Try `galectl -h' or 'galectl --help' for more information."));
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -t 10.0.0.1:81"),
            R(2, "multiple 'service-address' options specified"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -g -m"),
            R(2, "multiple 'forwarding-method' options specified"));
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 -r 10.0.0.2"),
            R(2, "Illegal 'real-server' option with the 'add-service' command"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80"),
            R(2, "You need to supply the 'real-server' option for the 'add-server' command"));
  EXPECT_EQ(refused("-A"),
            R(2, "You need to supply the 'service-address' option for the 'add-service' command"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 -s rr"),
            R(2, "Illegal 'scheduler' option with the 'add-server' command"));
  EXPECT_EQ(refused("-S --stats"), R(2, "Illegal 'stats' option with the 'save' command"));
  EXPECT_EQ(refused("-C -n"), R(2, "Illegal 'numeric' option with the 'flush' command"));
  EXPECT_EQ(refused("-A -t"), R(255, "-t: missing argument"));
  EXPECT_EQ(refused("-L --bogus"), R(255, "--bogus: unknown option"));
  EXPECT_EQ(refused("-L extra"), R(2, "unexpected argument extra"));
}

TEST(Parse, ListOptions) {
  const Invocation c = ok("-L -n -c");
  EXPECT_TRUE(c.connections);
  EXPECT_EQ(refused("-L -c --stats"), R(2, "options conflicts in the list command"));
  EXPECT_EQ(refused("-L --timeout --persistent-conn"),
            R(2, "options conflicts in the list command"));
  EXPECT_EQ(refused("-L -c --timeout"),
            R(2,
              "The option 'timeout' conflicts with the 'connection' option in the 'list' "
              "command"));
  EXPECT_EQ(refused("-L -t 10.0.0.1:80 -c"),
            R(2,
              "The option 'service-address' conflicts with the 'connection' option in the "
              "'list' command"));
  const Invocation s = ok("-L -n --stats --exact --nosort --sort");
  EXPECT_TRUE(s.format.stats && s.format.exact && s.format.nosort);
  EXPECT_TRUE(ok("-L -n -o json").json);
  EXPECT_TRUE(ok("-L --timeout").timeouts);
  EXPECT_TRUE(ok("-S -n").format.rule);
}

TEST(Parse, SetZeroClear) {
  const Invocation t = ok("--set 900 120 300");
  EXPECT_EQ(t.tcp_timeout, 900u);
  EXPECT_EQ(t.tcpfin_timeout, 120u);
  EXPECT_EQ(t.udp_timeout, 300u);
  EXPECT_EQ(refused("--set 900 120"), R(2, "--set option requires 3 timeout values"));
  EXPECT_EQ(refused("--set 900 120 x"), R(2, "invalid timeout value `x' specified"));
  EXPECT_EQ(refused("--set 1 2 3 4"), R(2, "unexpected argument 4"));
  EXPECT_EQ(ok("-Z").command, Command::zero);
  EXPECT_TRUE(ok("-Z -t 10.0.0.1:80").has_service);
  EXPECT_EQ(ok("-C").command, Command::clear);
}

TEST(Parse, GalesOwnOptions) {
  const Invocation h = ok("--set-health down -t 10.0.0.1:80 -r 10.0.0.2:80");
  EXPECT_EQ(h.command, Command::set_health);
  EXPECT_FALSE(h.healthy);
  EXPECT_EQ(refused("--set-health maybe -t 10.0.0.1:80 -r 10.0.0.2"),
            R(2, "--set-health: \"maybe\" is not up or down"));
  EXPECT_EQ(refused("--set-health up -t 10.0.0.1:80"),
            R(2, "You need to supply the 'real-server' option for the 'set-health' command"));
  EXPECT_EQ(ok("-L -n --socket /tmp/x.sock").socket, "/tmp/x.sock");
}

// --start-daemon / --stop-daemon: ipvsadm's defaults (DEF_MCAST_IFN eth0; IPVS's syncid
// 0, 224.0.0.81, 8848, ttl 1), its value ranges and messages, its option table.
TEST(Parse, SyncDaemons) {
  const Invocation m = ok("--start-daemon master");
  EXPECT_EQ(m.command, Command::start_daemon);
  EXPECT_EQ(m.sync_role, SyncRole::master);
  EXPECT_EQ(m.sync, SyncDaemonConf{.interface = "eth0"});
  const Invocation b =
      ok("--start-daemon backup --mcast-interface eth1 --syncid 7 --sync-maxlen 1400 "
         "--mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 4");
  EXPECT_EQ(b.sync_role, SyncRole::backup);
  EXPECT_EQ(b.sync, (SyncDaemonConf{.interface = "eth1",
                                    .syncid = 7,
                                    .maxlen = 1400,
                                    .group = net::Ipv4Addr{0xef010203},
                                    .port = 9000,
                                    .ttl = 4}));
  EXPECT_EQ(ok("--start-daemon=master --mcast-interface=bond0").sync.interface, "bond0");
  // ipvsadm(8): an IPv6 group too (a word with ':').
  EXPECT_EQ(ok("--start-daemon master --mcast-group ff02::81").sync.group,
            *net::parse_ip("ff02::81"));
  const Invocation s = ok("--stop-daemon backup");
  EXPECT_EQ(s.command, Command::stop_daemon);
  EXPECT_EQ(s.sync_role, SyncRole::backup);
  EXPECT_EQ(ok("--stop-daemon master --syncid 3").command, Command::stop_daemon);

  EXPECT_EQ(refused("--start-daemon sideways"), R(2, "illegal start-daemon parameter specified"));
  EXPECT_EQ(refused("--stop-daemon sideways"), R(2, "illegal start_daemon specified"));
  EXPECT_EQ(refused("--start-daemon master --syncid 256"), R(2, "illegal syncid specified"));
  EXPECT_EQ(refused("--start-daemon master --mcast-port 0"), R(2, "illegal mcast-port specified"));
  EXPECT_EQ(refused("--start-daemon master --mcast-ttl 256"), R(2, "illegal mcast-ttl specified"));
  EXPECT_EQ(refused("--start-daemon master --sync-maxlen 65508"),
            R(2, "illegal sync-maxlen specified"));
  EXPECT_EQ(refused("--start-daemon master --mcast-group 10.0.0.1"),
            R(2, "invalid IPv4 mcast-group `10.0.0.1'"));
  EXPECT_EQ(refused("--start-daemon master --mcast-group 2001:db8::1"),
            R(2, "invalid IPv6 mcast-group `2001:db8::1'"));
  EXPECT_EQ(refused("--start-daemon master --syncid 1 --syncid 2"),
            R(2, "multiple 'syncid' options specified"));
  EXPECT_EQ(refused("--start-daemon master -n"),
            R(2, "Illegal 'numeric' option with the 'start-daemon' command"));
  EXPECT_EQ(refused("--stop-daemon master --mcast-interface eth0"),
            R(2, "Illegal 'mcast-interface' option with the 'stop-daemon' command"));
  // popt's error on the command itself: ipvsadm's tryhelp_exit.
  EXPECT_EQ(refused("--start-daemon"),
            R(255, "Try `galectl -h' or 'galectl --help' for more information."));
  // -L --daemon
  const Invocation l = ok("-L -n --daemon");
  EXPECT_EQ(l.command, Command::list);
  EXPECT_TRUE(l.daemon);
  EXPECT_EQ(refused("-L --daemon --stats"), R(2, "options conflicts in the list command"));
  EXPECT_EQ(
      refused("-L --daemon -c"),
      R(2, "The option 'daemon' conflicts with the 'connection' option in the 'list' command"));
}

TEST(Parse, VrrpTakesOnlyJsonAndSocket) {
  EXPECT_EQ(ok("--vrrp").command, Command::vrrp);
  EXPECT_TRUE(ok("--vrrp -o json").json);
  EXPECT_EQ(ok("--vrrp --socket /tmp/x.sock").socket, "/tmp/x.sock");
  EXPECT_EQ(refused("--vrrp -n"), R(2, "Illegal 'numeric' option with the 'vrrp' command"));
  EXPECT_EQ(request_for(ok("--vrrp")), nlohmann::json({{"cmd", "vrrp"}}));
}

TEST(Parse, RestoreReadsSaveOutput) {
  const auto cmds = parse_restore(
      "-A -t 10.0.0.1:80 -s rr\n"
      "\n"
      "# a comment\n"
      "ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 3\r\n"
      "  -a\t-t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1");
  ASSERT_TRUE(cmds.has_value()) << cmds.error().message;
  ASSERT_EQ(cmds->size(), 3u);
  EXPECT_EQ((*cmds)[0].service.sched, lb::SchedKind::rr);
  EXPECT_EQ((*cmds)[1].dest.weight, 3u);
  EXPECT_EQ((*cmds)[2].dest.addr, *net::parse_ip("10.0.0.3"));
  const auto bad = parse_restore("-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2 -w 70000\n");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "line 2: illegal weight specified");
  EXPECT_FALSE(parse_restore("-L -n\n").has_value());
}

}  // namespace
}  // namespace gale::ctl::ipvsadm
