// galectl's listings against ipvsadm 1.31's bytes. The expected text was produced by
// applying ipvsadm.c's own printf formats (print_title, print_service_entry,
// print_largenum, list_conn, list_timeout) to the fixture's values with Python's
// %-formatting -- an implementation independent of gale's renderer -- and pasted here.
// Cross-checked once against ipvsadm 1.31 itself (Debian's source, built against a
// stand-in libipvs that serves this fixture, as this kernel has no ip_vs): every text
// below is what it printed, byte for byte.
#include <gtest/gtest.h>

#include <string>

#include "ctl/ipvsadm_render.h"
#include "ctl/vrrp_status.h"

namespace gale::ctl::ipvsadm {
namespace {

constexpr const char* kPlain =
    "IP Virtual Server version 1.2.1 (size=4096)\n"
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
    "TCP  10.0.0.1:80 wlc\n"
    "  -> 10.0.0.2:8080                Masq    3      0          0         \n"
    "  -> 10.0.0.3:80                  Route   1      5          2         \n"
    "UDP  10.0.0.1:53 rr persistent 360 mask 255.255.255.0 ops\n"
    "  -> 10.0.0.2:53                  Route   1      0          0         \n"
    "TCP  [2001:db8::1]:443 mh (mh-port)\n"
    "  -> [2001:db8::10]:443           Route   1      0          0         \n"
    "FWM  7 sh (sh-fallback,sh-port)\n"
    "  -> 10.0.0.9:0                   Tunnel  2      0          0         \n";
constexpr const char* kStats =
    "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
    "  -> RemoteAddress:Port\n"
    "TCP  10.0.0.1:80                        12  123456K 99999999    5000M     123T\n"
    "  -> 10.0.0.2:8080                      12  123456K 99999999    5000M     123T\n";
constexpr const char* kExact =
    "TCP  10.0.0.1:80                        12 123456789 99999999 5000000000 123456789012345\n";
constexpr const char* kRate =
    "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
    "  -> RemoteAddress:Port\n"
    "TCP  10.0.0.1:80                         3       40       38  123456K     5000\n"
    "  -> 10.0.0.2:8080                       3       40       38  123456K     5000\n";
constexpr const char* kThresholds =
    "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n"
    "  -> RemoteAddress:Port\n"
    "  -> 10.0.0.2:8080                100        10         0          0         \n";
constexpr const char* kPconn =
    "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n"
    "  -> RemoteAddress:Port\n"
    "  -> 10.0.0.2:8080                3         0           0          0         \n";
constexpr const char* kTuninfo =
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
    "  -> 10.0.0.9:0                   Tunnel  gue:6080:r+c  2      0          0         \n"
    "  -> 10.0.0.2:8080                Masq    n/a           3      0          0         \n";
constexpr const char* kConns =
    "IPVS connection entries\n"
    "pro expire state       source             virtual            destination\n"
    "TCP 14:59  ESTABLISHED 10.99.1.2:40000    10.0.0.1:80        10.0.0.3:80\n"
    "UDP 00:05  UDP         [2001:db8::5]:5353 [2001:db8::1]:53   [2001:db8::10]:53\n";
constexpr const char* kTruncate =
    "TCP  a-very-long-host-name.exampl wlc\n"
    "  -> a-very-long-host-name.exampl Route   1      0          0         \n";
constexpr const char* kTimeout = "Timeout (tcp tcpfin udp): 900 120 300\n";

net::IpAddr v4(const char* s) {
  return *net::parse_ip(s);
}

ServiceSpec tcp(const char* vip, uint16_t port, lb::SchedKind sched) {
  const net::IpAddr a = v4(vip);
  return {.key = {.vip = a, .port = port, .proto = 6}, .family = a.family, .sched = sched};
}

DestRow dest(const char* addr, uint16_t port, lb::FwdMode mode, uint32_t weight) {
  return {.spec = {.addr = v4(addr), .port = port, .mode = mode, .weight = weight},
          .weight = weight};
}

// Four services, deliberately out of ipvsadm's order (fwmark, family, protocol,
// address, port), and the first one's servers out of address order.
Listing fixture() {
  Listing l{.conn_table_size = 4096};
  ServiceSpec fwm{.key = {.fwmark = 7, .proto = 6}, .sched = lb::SchedKind::sh};
  fwm.flags.sh_fallback = fwm.flags.sh_port = true;
  DestRow tun = dest("10.0.0.9", 0, lb::FwdMode::tun, 2);
  l.services.push_back({.spec = fwm, .dests = {tun}});
  ServiceSpec six = tcp("2001:db8::1", 443, lb::SchedKind::mh);
  six.flags.mh_port = true;
  l.services.push_back({.spec = six, .dests = {dest("2001:db8::10", 0, lb::FwdMode::dr, 1)}});
  ServiceSpec udp = tcp("10.0.0.1", 53, lb::SchedKind::rr);
  udp.key.proto = 17;
  udp.persistence_s = 360;
  udp.persistence_prefix = 24;
  udp.one_packet = true;
  l.services.push_back({.spec = udp, .dests = {dest("10.0.0.2", 53, lb::FwdMode::dr, 1)}});
  DestRow rs3 = dest("10.0.0.3", 0, lb::FwdMode::dr, 1);
  rs3.active = 5;
  rs3.inactive = 2;
  DestRow rs2 = dest("10.0.0.2", 8080, lb::FwdMode::nat, 3);
  rs2.spec.uthreshold = 100;
  rs2.spec.lthreshold = 10;
  l.services.push_back({.spec = tcp("10.0.0.1", 80, lb::SchedKind::wlc), .dests = {rs3, rs2}});
  return l;
}

// Only the TCP 10.0.0.1:80 service, with rs2 alone, for the number formats.
Listing numbers_fixture() {
  Listing l = fixture();
  ServiceRow s = l.services[3];
  s.dests = {s.dests[1]};
  const Counters c{.conns = 12,
                   .in_pkts = 123456789,
                   .out_pkts = 99999999,
                   .in_bytes = 5000000000,
                   .out_bytes = 123456789012345};
  const Rates r{.cps = 3, .inpps = 40, .outpps = 38, .inbps = 123456789, .outbps = 5000};
  s.stats = s.dests[0].stats = c;
  s.rate = s.dests[0].rate = r;
  l.services = {s};
  return l;
}

// A golden text with `line` put after its two title lines.
std::string with_service_line(const char* golden, const char* line) {
  const std::string g = golden;
  const size_t cut = g.find('\n', g.find('\n') + 1) + 1;
  return g.substr(0, cut) + line + g.substr(cut);
}

std::string body(const std::string& s, size_t skip_lines) {
  size_t pos = 0;
  for (size_t i = 0; i < skip_lines; ++i)
    pos = s.find('\n', pos) + 1;
  return s.substr(pos);
}

// galectl --vrrp: a row per instance, its priority as effective/configured.
TEST(Render, VrrpInstances) {
  const std::vector<ctl::VrrpRow> rows = {
      {.instance = "VI_1",
       .state = "MASTER",
       .priority = 50,
       .configured_priority = 150,
       .transitions = 2,
       .vips = {*net::parse_ip("192.0.2.10"), *net::parse_ip("192.0.2.11")}},
      {.instance = "VI_internal", .state = "FAULT", .priority = 100, .configured_priority = 100}};
  EXPECT_EQ(ctl::render_vrrp(rows),
            "Instance    State  Priority VIPs\n"
            "VI_1        MASTER 50/150   192.0.2.10 192.0.2.11\n"
            "VI_internal FAULT  100/100  \n");
  const auto back = ctl::vrrp_rows_from_json(ctl::to_json(rows));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->at(0).vips, rows[0].vips);
  EXPECT_EQ(back->at(0).transitions, 2u);
  EXPECT_EQ(back->at(1).state, "FAULT");
}

// -L --daemon: ipvsadm 1.31's list_daemon prints maxlen, group, port and ttl whenever
// the kernel reports them, as every kernel since 4.3 does (defaults filled in by
// start_sync_thread: 224.0.0.81, 8848, ttl 1, 1500 - 28 for maxlen). Nothing at all when
// no daemon runs.
TEST(Render, SyncDaemons) {
  EXPECT_EQ(render_daemons({}), "");
  const std::vector<SyncDaemonRow> rows = {
      {.role = SyncRole::master, .conf = {.interface = "eth0", .syncid = 1}},
      {.role = SyncRole::backup,
       .conf = {.interface = "eth1",
                .syncid = 255,
                .maxlen = 1400,
                .group = net::Ipv4Addr{0xef000001},
                .port = 9000,
                .ttl = 2},
       .origin = Origin::config}};
  EXPECT_EQ(render_daemons(rows),
            "master sync daemon (mcast=eth0, syncid=1, maxlen=1472, group=224.0.0.81, "
            "port=8848, ttl=1)\n"
            "backup sync daemon (mcast=eth1, syncid=255, maxlen=1400, group=239.0.0.1, "
            "port=9000, ttl=2)\n");
}

TEST(Render, PlainSortedByIpvsadmsOrder) {
  EXPECT_EQ(render_table(fixture(), {.numeric = true}), kPlain);
}

TEST(Render, NoSortKeepsTheModelsOrder) {
  const std::string out = render_table(fixture(), {.numeric = true, .nosort = true});
  EXPECT_LT(out.find("FWM  7"), out.find("TCP  10.0.0.1:80"));
  EXPECT_LT(out.find("10.0.0.3:80 "), out.find("10.0.0.2:8080"));
}

TEST(Render, StatsScaleLargeNumbers) {
  EXPECT_EQ(body(render_table(numbers_fixture(), {.numeric = true, .stats = true}), 1), kStats);
}

TEST(Render, ExactPrintsEveryDigit) {
  const std::string out =
      render_table(numbers_fixture(), {.numeric = true, .stats = true, .exact = true});
  EXPECT_EQ(body(out, 3).substr(0, std::string(kExact).size()), kExact);
}

TEST(Render, Rate) {
  EXPECT_EQ(body(render_table(numbers_fixture(), {.numeric = true, .rate = true}), 1), kRate);
}

TEST(Render, ThresholdsAndPersistentConn) {
  const std::string th = render_table(numbers_fixture(), {.numeric = true, .thresholds = true});
  EXPECT_EQ(body(th, 1), with_service_line(kThresholds, "TCP  10.0.0.1:80 wlc\n")) << th;
  const std::string pc =
      render_table(numbers_fixture(), {.numeric = true, .persistent_conn = true});
  EXPECT_EQ(body(pc, 1), with_service_line(kPconn, "TCP  10.0.0.1:80 wlc\n")) << pc;
}

TEST(Render, TunnelInfo) {
  Listing l = fixture();
  DestRow& tun = l.services[0].dests[0];
  tun.spec.encap = lb::TunEncap::gue;
  tun.spec.tun_port = 6080;
  tun.spec.tun_csum = DestSpec::TunCsum::remcsum;
  l.services[0].dests.push_back(l.services[3].dests[1]);  // a Masq server: n/a
  const std::string out =
      render_service(l, l.services[0].spec, {.numeric = true, .nosort = true, .tun_info = true})
          .value();
  EXPECT_EQ(out, with_service_line(kTuninfo, "FWM  7 sh (sh-fallback,sh-port)\n"));
}

TEST(Render, SaveIsRestoreInput) {
  EXPECT_EQ(render_table(fixture(), {.numeric = true, .rule = true}),
            "-A -t 10.0.0.1:80 -s wlc\n"
            "-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 3\n"
            "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1\n"
            "-A -u 10.0.0.1:53 -s rr -p 360 -M 255.255.255.0 -o\n"
            "-a -u 10.0.0.1:53 -r 10.0.0.2:53 -g -w 1\n"
            "-A -t [2001:db8::1]:443 -s mh -b mh-port\n"
            "-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -g -w 1\n"
            "-A -f 7 -s sh -b sh-fallback,sh-port\n"
            "-a -f 7 -r 10.0.0.9:0 -i -w 2 --tun-type ipip\n");
}

TEST(Render, SaveOfGueAndFullnatAndIpv6Fwmark) {
  Listing l;
  ServiceSpec fwm{.key = {.fwmark = 9, .proto = 6}, .family = net::Family::v6};
  fwm.persistence_s = 60;
  fwm.persistence_prefix = 64;
  DestRow gue = dest("2001:db8::20", 0, lb::FwdMode::tun, 5);
  gue.spec.encap = lb::TunEncap::gue;
  gue.spec.tun_port = 6080;
  DestRow fnat = dest("2001:db8::21", 8080, lb::FwdMode::fullnat, 1);
  l.services.push_back({.spec = fwm, .dests = {gue, fnat}});
  EXPECT_EQ(render_table(l, {.numeric = true, .rule = true}),
            "-A -f 9 -6 -s wlc -p 60 -M 64\n"
            "-a -f 9 -6 -r [2001:db8::20]:0 -i -w 5 --tun-type gue --tun-port 6080 --tun-nocsum\n"
            "-a -f 9 -6 -r [2001:db8::21]:8080 --fullnat -w 1\n");
  EXPECT_EQ(body(render_table(l, {.numeric = true}), 3),
            "FWM  9 IPv6 wlc persistent 60 mask 64\n"
            "  -> [2001:db8::20]:0             Tunnel  5      0          0         \n"
            "  -> [2001:db8::21]:8080          FullNat 1      0          0         \n");
}

TEST(Render, NamesAndTheirTruncation) {
  Listing l;
  l.services.push_back({.spec = tcp("10.1.1.1", 80, lb::SchedKind::wlc),
                        .dests = {dest("10.1.1.2", 0, lb::FwdMode::dr, 1)}});
  NameLookup names{.host_name = [](const net::IpAddr&) -> std::optional<std::string> {
                     return "a-very-long-host-name.example.org";
                   },
                   .service_name = [](uint16_t port, uint8_t proto) -> std::optional<std::string> {
                     if (port == 80 && proto == 6) return "http";
                     return std::nullopt;
                   }};
  EXPECT_EQ(body(render_table(l, {}, names), 3), kTruncate);
  // -n never asks.
  EXPECT_EQ(body(render_table(l, {.numeric = true}, names), 3),
            "TCP  10.1.1.1:80 wlc\n"
            "  -> 10.1.1.2:80                  Route   1      0          0         \n");
  // -S without -n names too, untruncated.
  EXPECT_EQ(render_table(l, {.rule = true}, names),
            "-A -t a-very-long-host-name.example.org:http -s wlc\n"
            "-a -t a-very-long-host-name.example.org:http -r "
            "a-very-long-host-name.example.org:http -g -w 1\n");
}

TEST(Render, OneServiceOrNone) {
  const Listing l = fixture();
  EXPECT_EQ(render_service(l, tcp("10.0.0.1", 53, lb::SchedKind::wlc), {.numeric = true}),
            std::nullopt);  // TCP, not UDP
  ServiceSpec udp = tcp("10.0.0.1", 53, lb::SchedKind::wlc);
  udp.key.proto = 17;
  EXPECT_EQ(render_service(l, udp, {.numeric = true}).value(),
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "UDP  10.0.0.1:53 rr persistent 360 mask 255.255.255.0 ops\n"
            "  -> 10.0.0.2:53                  Route   1      0          0         \n");
}

TEST(Render, Connections) {
  ConnListing c{.total = 2};
  c.conns.push_back({.proto = 6,
                     .state = "ESTABLISHED",
                     .expires_s = 899,
                     .client = v4("10.99.1.2"),
                     .client_port = 40000,
                     .vip = v4("10.0.0.1"),
                     .vport = 80,
                     .rs = v4("10.0.0.3"),
                     .rs_port = 80});
  c.conns.push_back({.proto = 17,
                     .state = "UDP",
                     .expires_s = 5,
                     .client = v4("2001:db8::5"),
                     .client_port = 5353,
                     .vip = v4("2001:db8::1"),
                     .vport = 53,
                     .rs = v4("2001:db8::10"),
                     .rs_port = 53});
  EXPECT_EQ(render_conns(c, {.numeric = true}), kConns);
}

TEST(Render, Timeouts) {
  EXPECT_EQ(render_timeouts(900, 120, 300), kTimeout);
}

TEST(Render, LargeNumberBoundaries) {
  EXPECT_EQ(large_number(99999999, false), " 99999999");
  EXPECT_EQ(large_number(100000000, false), "  100000K");
  EXPECT_EQ(large_number(999999999, false), "  999999K");
  EXPECT_EQ(large_number(1000000000, false), "    1000M");
  EXPECT_EQ(large_number(100000000000000ull, false), "     100T");
  EXPECT_EQ(large_number(0, true), "        0");
  EXPECT_EQ(large_number(123456789, true), " 123456789");
}

}  // namespace
}  // namespace gale::ctl::ipvsadm
