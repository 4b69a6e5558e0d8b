// Golden parse of a realistic keepalived.conf with a gale block, and includes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctl/parser.h"

namespace gale::ctl {
namespace {

const std::string kData = GALE_CTL_TEST_DATA;

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

TEST(Parser, GoldenKeepalivedConf) {
  auto r = load_config(kData + "/keepalived.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const Config& c = *r;

  EXPECT_EQ(c.global.router_id, "LB01");
  EXPECT_TRUE(c.global.enable_script_security);
  EXPECT_EQ(c.global.script_user, "nobody");

  ASSERT_EQ(c.vrrp_scripts.size(), 1u);
  const VrrpScript& sc = c.vrrp_scripts[0];
  EXPECT_EQ(sc.name, "chk_galed");
  EXPECT_EQ(sc.script, "/usr/bin/pgrep -x galed");
  EXPECT_EQ(sc.interval_ms, 2000u);
  EXPECT_EQ(sc.weight, -20);
  EXPECT_EQ(sc.fall, 2u);
  EXPECT_EQ(sc.rise, 3u);

  ASSERT_EQ(c.vrrp_instances.size(), 1u);
  const VrrpInstance& vi = c.vrrp_instances[0];
  EXPECT_EQ(vi.name, "VI_1");
  EXPECT_EQ(vi.state, VrrpState::master);
  EXPECT_EQ(vi.interface, "eth0");
  EXPECT_EQ(vi.virtual_router_id, 51);
  EXPECT_EQ(vi.priority, 150);
  EXPECT_EQ(vi.advert_int_ms, 1000u);
  EXPECT_EQ(vi.version, 2);
  EXPECT_EQ(vi.auth_type, VrrpAuth::pass);
  EXPECT_EQ(vi.auth_pass, "s3cret");
  ASSERT_EQ(vi.vips.size(), 2u);
  EXPECT_EQ(vi.vips[0].addr, ip("192.0.2.10"));
  EXPECT_EQ(vi.vips[0].prefix_len, 24);
  EXPECT_EQ(vi.vips[0].dev, "eth0");
  EXPECT_EQ(vi.vips[1].label, "eth0:web");
  EXPECT_EQ(vi.unicast_src_ip, ip("198.51.100.2"));
  ASSERT_EQ(vi.unicast_peers.size(), 1u);
  EXPECT_EQ(vi.unicast_peers[0], ip("198.51.100.3"));
  ASSERT_EQ(vi.track_scripts.size(), 1u);
  EXPECT_EQ(vi.track_scripts[0].name, "chk_galed");
  EXPECT_FALSE(vi.track_scripts[0].weight.has_value());
  EXPECT_EQ(vi.notify_master, "/etc/gale/notify.sh master");
  EXPECT_EQ(vi.where.line, 17u);
  EXPECT_EQ(vi.where.col, 1u);

  ASSERT_EQ(c.virtual_servers.size(), 4u);
  const VirtualServerConf& web = c.virtual_servers[0];
  EXPECT_EQ(web.kind, VsKind::addr);
  EXPECT_EQ(web.vip, ip("192.0.2.10"));
  EXPECT_EQ(web.port, 80);
  EXPECT_EQ(web.delay_loop_ms, 6000u);
  EXPECT_EQ(web.sched, lb::SchedKind::wrr);
  EXPECT_EQ(web.mode, lb::FwdMode::dr);
  EXPECT_EQ(web.proto, 6);
  EXPECT_EQ(web.persistence_timeout_s, 300u);
  EXPECT_EQ(web.persistence_prefix, 24);
  ASSERT_EQ(web.real_servers.size(), 2u);
  const RealServerConf& r1 = web.real_servers[0];
  EXPECT_EQ(r1.addr, ip("10.1.0.11"));
  EXPECT_EQ(r1.port, 80);
  EXPECT_EQ(r1.weight, 3u);
  EXPECT_TRUE(r1.inhibit_on_failure);
  ASSERT_EQ(r1.checks.size(), 1u);
  const HealthCheck& hg = r1.checks[0];
  EXPECT_EQ(hg.kind, CheckKind::http);
  ASSERT_EQ(hg.urls.size(), 2u);
  EXPECT_EQ(hg.urls[0].path, "/healthz");
  ASSERT_EQ(hg.urls[0].status.size(), 1u);
  EXPECT_EQ(hg.urls[0].status[0].lo, 200);
  EXPECT_EQ(hg.urls[0].status[0].hi, 299);
  EXPECT_EQ(hg.urls[1].digest, "9b3a0c85a887a256d6939da88aabd8cd");
  EXPECT_EQ(hg.connect_timeout_ms, 3000u);
  EXPECT_EQ(hg.retry, 3u);
  EXPECT_EQ(hg.delay_before_retry_ms, 2000u);
  const RealServerConf& r2 = web.real_servers[1];
  EXPECT_EQ(r2.uthreshold, 10000u);
  EXPECT_EQ(r2.lthreshold, 8000u);
  ASSERT_EQ(r2.checks.size(), 1u);
  EXPECT_EQ(r2.checks[0].kind, CheckKind::tcp);
  EXPECT_EQ(r2.checks[0].connect_port, 80);
  EXPECT_EQ(r2.checks[0].connect_timeout_ms, 2500u);

  const VirtualServerConf& tls = c.virtual_servers[1];
  EXPECT_EQ(tls.sched, lb::SchedKind::mh);
  EXPECT_TRUE(tls.sched_flags.mh_port);
  EXPECT_TRUE(tls.sched_flags.mh_fallback);
  EXPECT_FALSE(tls.sched_flags.sh_port);
  EXPECT_EQ(tls.mode, lb::FwdMode::nat);
  EXPECT_EQ(tls.quorum, 2u);
  EXPECT_EQ(tls.hysteresis, 1u);
  EXPECT_TRUE(tls.alpha);
  ASSERT_TRUE(tls.sorry_server.has_value());
  EXPECT_EQ(tls.sorry_server->addr, ip("10.1.0.99"));
  EXPECT_EQ(tls.sorry_server->port, 8443);
  EXPECT_EQ(tls.real_servers[0].checks[0].kind, CheckKind::ssl);
  const HealthCheck& misc = tls.real_servers[1].checks[0];
  EXPECT_EQ(misc.kind, CheckKind::misc);
  EXPECT_EQ(misc.misc_path, "/usr/local/bin/check_tls 10.1.0.22");
  EXPECT_EQ(misc.misc_timeout_ms, 5000u);
  EXPECT_TRUE(misc.misc_dynamic);

  const VirtualServerConf& dns = c.virtual_servers[2];
  EXPECT_EQ(dns.proto, 17);
  EXPECT_EQ(dns.sched, lb::SchedKind::sh);
  EXPECT_TRUE(dns.sched_flags.sh_port);
  EXPECT_EQ(dns.real_servers[0].weight, 1u);
  EXPECT_EQ(dns.real_servers[0].checks[0].dns_type, "A");
  EXPECT_EQ(dns.real_servers[0].checks[0].dns_name, "example.com");

  const VirtualServerConf& fw = c.virtual_servers[3];
  EXPECT_EQ(fw.kind, VsKind::fwmark);
  EXPECT_EQ(fw.fwmark, 7u);
  EXPECT_EQ(fw.mode, lb::FwdMode::tun);
  EXPECT_EQ(fw.real_servers[0].port, 0);
  EXPECT_EQ(fw.real_servers[0].encap, lb::TunEncap::gue);

  const GaleConf& g = c.gale;
  EXPECT_TRUE(c.has_gale_block);
  EXPECT_EQ(g.interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(g.workers, 2u);
  EXPECT_EQ(g.io, IoBackend::af_xdp);
  EXPECT_EQ(g.flows, 2000000u);
  EXPECT_EQ(g.flows6, 100000u);
  EXPECT_EQ(g.fullnat_local_addresses, (std::vector<net::IpAddr>{ip("10.2.0.1"), ip("10.2.0.2")}));
  EXPECT_EQ(g.fullnat_port_lo, 2048);
  EXPECT_EQ(g.fullnat_port_hi, 60000);
  EXPECT_EQ(g.tunnel_source->v, 0x0a030001u);
  EXPECT_EQ(g.tunnel_source_spread_bits, 8);
  EXPECT_EQ(g.gue_port, 6081);
  EXPECT_EQ(g.timeouts.tcp, 600u);
  EXPECT_EQ(g.timeouts.tcpfin, 60u);
  EXPECT_EQ(g.timeouts.udp, 120u);
  EXPECT_EQ(g.maglev_size, 655373u);
  EXPECT_EQ(g.control_socket, "/run/gale/ctl.sock");
  EXPECT_EQ(g.metrics_listen.addr, ip("::1"));
  EXPECT_EQ(g.metrics_listen.port, 9500);
  ASSERT_EQ(g.fwmarks.size(), 1u);
  EXPECT_EQ(g.fwmarks[0].fwmark, 7u);
  EXPECT_EQ(g.fwmarks[0].proto, 6);
  EXPECT_EQ(g.fwmarks[0].net, ip("198.51.100.0"));
  EXPECT_EQ(g.fwmarks[0].prefix_len, 24);
  ASSERT_EQ(g.fwmarks[0].ports.size(), 3u);
  EXPECT_EQ(g.fwmarks[0].ports[2].lo, 8000);
  EXPECT_EQ(g.fwmarks[0].ports[2].hi, 8080);
}

// keepalived reads mcast_src_ip as unicast_src_ip (one handler in vrrp_parser.c): the
// adverts' source address, multicast or not.
TEST(Parser, McastSrcIpIsTheAdvertsSource) {
  auto r = parse_config(
      "gale { interfaces eth0 }\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n"
      " mcast_src_ip 198.51.100.9\n virtual_ipaddress {\n  192.0.2.10\n }\n}\n",
      "m.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->vrrp_instances.at(0).unicast_src_ip, ip("198.51.100.9"));
  EXPECT_TRUE(r->vrrp_instances.at(0).unicast_peers.empty());
  EXPECT_TRUE(r->warnings.empty()) << r->warnings.front().message;
}

// virtual_routes: ip-route(8)'s words as keepalived.conf(5) shows them; options gale
// does not set are read past with a warning naming them.
TEST(Parser, VirtualRoutes) {
  auto r = parse_config(
      "gale { interfaces eth0 }\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n"
      " virtual_routes {\n"
      "  src 192.168.100.1 to 192.168.109.0/24 via 192.168.200.254 dev eth1\n"
      "  192.168.111.0/24 dev eth2 no_track\n"
      "  blackhole 192.168.114.0/24\n"
      "  0.0.0.0/0 gw 192.168.0.1 table 100 metric 5 protocol boot mtu 1400\n"
      "  2001:db8:5::/48 via 2001:db8::1 table main onlink scope global\n"
      " }\n}\n",
      "r.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& routes = r->vrrp_instances.at(0).virtual_routes;
  ASSERT_EQ(routes.size(), 5u);
  const host::RouteSpec& a = routes[0].route;
  EXPECT_EQ(a.src, ip("192.168.100.1"));
  EXPECT_EQ(a.dst, ip("192.168.109.0"));
  EXPECT_EQ(a.dst_len, 24);
  EXPECT_EQ(a.via, ip("192.168.200.254"));
  EXPECT_EQ(a.dev, "eth1");
  EXPECT_EQ(a.table, 254u);
  EXPECT_EQ(a.protocol, 4);  // static, unless written
  EXPECT_EQ(routes[1].route.dev, "eth2");
  EXPECT_FALSE(routes[1].route.via);
  EXPECT_EQ(routes[2].route.type, host::RouteType::blackhole);
  EXPECT_EQ(routes[2].route.dst_len, 24);
  const host::RouteSpec& d = routes[3].route;
  EXPECT_EQ(d.dst_len, 0);
  EXPECT_EQ(d.via, ip("192.168.0.1"));
  EXPECT_EQ(d.table, 100u);
  EXPECT_EQ(d.metric, 5u);
  EXPECT_EQ(d.protocol, 3);
  ASSERT_EQ(routes[3].unapplied.size(), 1u);
  EXPECT_NE(routes[3].unapplied[0].message.find("mtu"), std::string::npos);
  const host::RouteSpec& v6 = routes[4].route;
  EXPECT_EQ(v6.dst, ip("2001:db8:5::"));
  EXPECT_EQ(v6.via, ip("2001:db8::1"));
  EXPECT_TRUE(v6.onlink);
  EXPECT_EQ(v6.scope, 0);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].where.line, 9u);
}

// mcast_src_ip decides the instance's family too, as keepalived's vrrp_srcip_handler.
TEST(Parser, McastSrcIpDecidesTheFamily) {
  auto r = parse_config(
      "gale { interfaces eth0 }\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n"
      " mcast_src_ip fe80::9\n virtual_ipaddress {\n  2001:db8::10\n }\n}\n",
      "m.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->vrrp_instances.at(0).family, net::Family::v6);
  EXPECT_EQ(r->vrrp_instances.at(0).version, 3);
  EXPECT_TRUE(r->warnings.empty()) << r->warnings.front().message;
}

// keepalived.conf(5): a vrrp_sync_group's track_script and track_interface are tracked
// by every member; without sync_group_tracking_weight their weights count as 0 (warned).
TEST(Parser, SyncGroupTracking) {
  auto r = parse_config(
      "gale { interfaces eth0 }\nvrrp_script chk {\n script /bin/true\n}\n"  // 1-4
      "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n"        // 5-8
      "vrrp_sync_group G {\n group {\n  A\n }\n"                             // 9-12
      " track_script {\n  chk weight 5\n }\n track_interface {\n  eth1\n }\n}\n",
      "g.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const VrrpSyncGroup& g = r->vrrp_sync_groups.at(0);
  ASSERT_EQ(g.track_scripts.size(), 1u);
  EXPECT_EQ(g.track_scripts[0].name, "chk");
  ASSERT_EQ(g.track_interfaces.size(), 1u);
  EXPECT_EQ(g.track_interfaces[0].name, "eth1");
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].where.line, 9u);
  EXPECT_NE(r->warnings[0].message.find("count as 0"), std::string::npos);

  auto bad = parse_config(
      "gale { interfaces eth0 }\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n"
      "vrrp_sync_group G {\n group {\n  A\n }\n track_script {\n  chx\n }\n}\n",
      "b.conf");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message,
            "b.conf:6:1: vrrp_sync_group \"G\" tracks \"chx\": no vrrp_script of that name");
}

TEST(Parser, Defaults) {
  auto r = parse_config("gale { interfaces eth0 }\nvirtual_server 192.0.2.1 80 {\n}\n", "d.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const VirtualServerConf& vs = r->virtual_servers[0];
  EXPECT_EQ(vs.sched, lb::SchedKind::wlc);
  EXPECT_EQ(vs.mode, lb::FwdMode::nat);
  EXPECT_EQ(vs.proto, 6);
  EXPECT_EQ(vs.delay_loop_ms, 60000u);
  EXPECT_EQ(r->gale.timeouts.tcp, 900u);
  EXPECT_EQ(r->gale.maglev_size, 65537u);
  EXPECT_EQ(r->gale.metrics_listen.port, 9469);
}

TEST(Parser, CommentsQuotesAndAllmanBraces) {
  auto r = parse_config(
      "# comment\n! also a comment\ngale\n{\n  interfaces eth0 # trailing\n}\n"
      "vrrp_script s { script \"/bin/echo \\\"hi\\\" # not a comment\" }\n",
      "q.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->gale.interfaces, std::vector<std::string>{"eth0"});
  EXPECT_EQ(r->vrrp_scripts[0].script, "/bin/echo \"hi\" # not a comment");
}

// use_vmac as keepalived names the macvlan: NAME, else vmac_prefix (default "vrrp")
// "." VRID; vmac_xmit_base without use_vmac warns.
TEST(Parser, UseVmac) {
  auto r = parse_config(
      "gale { interfaces eth0 }\n"
      "vrrp_instance A {\n  interface eth0\n  virtual_router_id 51\n  use_vmac\n}\n"
      "vrrp_instance B {\n  interface eth0\n  virtual_router_id 52\n  use_vmac vr52\n"
      "  vmac_xmit_base\n}\n"
      "vrrp_instance C {\n  interface eth0\n  virtual_router_id 53\n  vmac_xmit_base\n}\n",
      "t.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& v = r->vrrp_instances;
  EXPECT_TRUE(v[0].use_vmac);
  EXPECT_EQ(vmac_ifname(*r, v[0]), "vrrp.51");
  EXPECT_FALSE(v[0].vmac_xmit_base);
  EXPECT_EQ(vmac_ifname(*r, v[1]), "vr52");
  EXPECT_TRUE(v[1].vmac_xmit_base);
  EXPECT_FALSE(v[2].use_vmac);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(to_string(r->warnings[0]),
            "t.conf:16:3: warning: vmac_xmit_base without use_vmac does nothing (as keepalived)");

  auto p = parse_config(
      "global_defs {\n  vmac_prefix lb\n}\n"
      "gale { interfaces eth0 }\n"
      "vrrp_instance A {\n  interface eth0\n  virtual_router_id 7\n  use_vmac\n}\n",
      "t.conf");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(vmac_ifname(*p, p->vrrp_instances[0]), "lb.7");
}

// The adverts' group: mcast_dst_ip, else vrrp_mcast_group4/6, else RFC 5798's; the
// gratuitous ARP / NA pacing in milliseconds.
TEST(Parser, VrrpGroupsAndAnnouncePacing) {
  auto r = parse_config(
      "global_defs {\n  vrrp_mcast_group4 224.0.0.77\n  vrrp_mcast_group6 ff02::77\n"
      "  vrrp_garp_interval 0.05\n  vrrp_gna_interval 2\n}\n"
      "gale { interfaces eth0 }\n"
      "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n}\n"
      "vrrp_instance B {\n  interface eth0\n  virtual_router_id 2\n"
      "  mcast_dst_ip 239.1.2.3\n}\n"
      "vrrp_instance C {\n  interface eth0\n  virtual_router_id 3\n  virtual_ipaddress {\n"
      "    2001:db8::1\n  }\n}\n",
      "t.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& v = r->vrrp_instances;
  EXPECT_EQ(vrrp_group(*r, v[0]), *net::parse_ip("224.0.0.77"));
  EXPECT_EQ(vrrp_group(*r, v[1]), *net::parse_ip("239.1.2.3"));
  EXPECT_EQ(vrrp_group(*r, v[2]), *net::parse_ip("ff02::77"));
  EXPECT_EQ(r->global.vrrp_garp_interval_ms, 50u);
  EXPECT_EQ(r->global.vrrp_gna_interval_ms, 2000u);
  EXPECT_EQ(r->global.vrrp_down_timer_adverts, 3u);  // keepalived's default
  EXPECT_EQ(r->global.vrrp_rt_priority, 0u);
  EXPECT_EQ(r->global.vrrp_rlimit_rttime_us, 10000u);
  EXPECT_FALSE(v[0].down_timer_adverts);
  auto d = parse_config(
      "gale { interfaces eth0 }\n"
      "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n}\n"
      "vrrp_instance B {\n  interface eth0\n  virtual_router_id 2\n  mcast_dst_ip ff02::99\n"
      "}\n",
      "t.conf");
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(vrrp_group(*d, d->vrrp_instances[0]), *net::parse_ip("224.0.0.18"));
  // mcast_dst_ip decides the family when nothing else did, as keepalived's handler does.
  EXPECT_EQ(d->vrrp_instances[1].family, net::Family::v6);
  EXPECT_EQ(vrrp_group(*d, d->vrrp_instances[1]), *net::parse_ip("ff02::99"));
}

// The VRRP thread's scheduling, keepalived's global_defs for its VRRP process.
TEST(Parser, VrrpScheduling) {
  auto r = parse_config(
      "global_defs {\n  vrrp_rt_priority 30\n  vrrp_priority -10\n  vrrp_cpu_affinity 1 3\n"
      "  vrrp_rlimit_rtime 5000\n}\ngale { interfaces eth0 }\n",
      "t.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->global.vrrp_rt_priority, 30u);
  EXPECT_EQ(r->global.vrrp_priority, -10);
  EXPECT_EQ(r->global.vrrp_cpu_affinity, (std::vector<int>{1, 3}));
  EXPECT_EQ(r->global.vrrp_rlimit_rttime_us, 5000u);
  EXPECT_TRUE(r->warnings.empty());
}

TEST(Parser, VrrpTrackingAndSyncGroups) {
  auto r = parse_config(
      "gale { interfaces eth0 }\n"
      "vrrp_script chk {\n  script \"/bin/test -e /tmp/x\"\n  interval 0.5\n  timeout 2\n"
      "  weight -20 reverse\n  rise 3\n  fall 2\n  user nobody nogroup\n  init_fail\n}\n"
      "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  dont_track_primary\n"
      "  track_script {\n    chk\n    chk weight 30 noreverse\n  }\n"
      "  track_interface {\n    eth1\n    eth2 weight -10 reverse\n  }\n}\n"
      "vrrp_instance B {\n  interface eth0\n  virtual_router_id 2\n  track_script {\n"
      "    chk weight 30\n  }\n}\n"
      "vrrp_sync_group G {\n  group {\n    B\n  }\n  notify_master \"/bin/true m\"\n}\n",
      "t.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const VrrpScript& s = r->vrrp_scripts[0];
  EXPECT_EQ(s.interval_ms, 500u);
  EXPECT_EQ(s.timeout_ms, 2000u);
  EXPECT_EQ(s.weight, -20);
  EXPECT_TRUE(s.reverse);
  EXPECT_EQ(s.rise, 3u);
  EXPECT_EQ(s.fall, 2u);
  EXPECT_EQ(s.user, "nobody nogroup");
  EXPECT_TRUE(s.init_fail);
  const VrrpInstance& a = r->vrrp_instances[0];
  EXPECT_TRUE(a.dont_track_primary);
  ASSERT_EQ(a.track_scripts.size(), 2u);
  EXPECT_FALSE(a.track_scripts[0].weight);
  EXPECT_EQ(a.track_scripts[1].weight, 30);
  EXPECT_EQ(a.track_scripts[1].reverse, false);
  ASSERT_EQ(a.track_interfaces.size(), 2u);
  EXPECT_EQ(a.track_interfaces[0].name, "eth1");
  EXPECT_EQ(a.track_interfaces[0].weight, 0);
  EXPECT_EQ(a.track_interfaces[1].weight, -10);
  EXPECT_TRUE(a.track_interfaces[1].reverse);
  // The script's weight and reverse unless track_script says; 0 in a sync group.
  const TrackWeight w0 = track_weight(*r, a, a.track_scripts[0]);
  EXPECT_EQ(w0.weight, -20);
  EXPECT_TRUE(w0.reverse);
  const TrackWeight w1 = track_weight(*r, a, a.track_scripts[1]);
  EXPECT_EQ(w1.weight, 30);
  EXPECT_FALSE(w1.reverse);
  const VrrpInstance& b = r->vrrp_instances[1];
  EXPECT_EQ(track_weight(*r, b, b.track_scripts[0]).weight, 0);
  ASSERT_EQ(r->vrrp_sync_groups.size(), 1u);
  EXPECT_EQ(r->vrrp_sync_groups[0].notify_master, "/bin/true m");
  // keepalived's warning for B's weight; none of the keywords above is "not acted on".
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(to_string(r->warnings[0]),
            "t.conf:25:1: warning: vrrp_instance \"B\" is in a vrrp_sync_group: its track_script "
            "weights count as 0 (a failing script is FAULT), as keepalived");
}

// track_file, vrrp_track_process and the notify FIFOs: keepalived's forms and defaults,
// and how an instance's lines resolve (its own, its sync group's, keepalived's weight
// rules for files in a group).
TEST(Parser, TrackFilesProcessesAndFifos) {
  auto r = parse_config(
      "gale { interfaces eth0 }\n"
      "global_defs {\n  notify_fifo /run/k.fifo nobody\n  notify_fifo_script \"/bin/cat\"\n"
      "  vrrp_notify_fifo /run/v.fifo\n  fifo_write_vrrp_states_on_reload\n}\n"
      "track_file ready {\n  file /tmp/ready\n  weight -10 reverse\n  init_file 3 overwrite\n}\n"
      "vrrp_track_file old {\n  file /tmp/old\n}\n"
      "vrrp_track_process web {\n  process /usr/sbin/nginx -g daemon\n  param_match partial\n"
      "  weight 20\n  quorum 2\n  quorum_max 4\n  delay 0.5\n  terminate_delay 2\n}\n"
      "vrrp_track_process none {\n  process sleeper\n  quorum_max 0\n}\n"
      "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n"
      "  track_file {\n    ready\n    old weight 5 noreverse\n  }\n"
      "  track_process {\n    web weight -30\n  }\n}\n"
      "vrrp_instance B {\n  interface eth0\n  virtual_router_id 2\n"
      "  track_file {\n    old\n    ready weight 7\n  }\n}\n"
      "vrrp_sync_group G {\n  group {\n    B\n  }\n  track_process {\n    none\n  }\n"
      "  track_file {\n    ready weight 9\n  }\n}\n",
      "t.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->global.notify_fifo.path, "/run/k.fifo");
  EXPECT_EQ(r->global.notify_fifo.owner, "nobody");
  EXPECT_EQ(r->global.notify_fifo.script, "/bin/cat");
  EXPECT_EQ(r->global.vrrp_notify_fifo.path, "/run/v.fifo");
  EXPECT_TRUE(r->global.fifo_write_vrrp_states_on_reload);
  ASSERT_EQ(r->track_files.size(), 2u);
  const TrackFile& f = r->track_files[0];
  EXPECT_EQ(f.path, "/tmp/ready");
  EXPECT_EQ(f.weight, -10);
  EXPECT_TRUE(f.reverse);
  EXPECT_EQ(f.init_value, 3);
  EXPECT_TRUE(f.init_overwrite);
  EXPECT_EQ(r->track_files[1].weight, 1);  // keepalived's default
  ASSERT_EQ(r->track_processes.size(), 2u);
  const TrackProcess& p = r->track_processes[0];
  EXPECT_EQ(p.process, "/usr/sbin/nginx");
  EXPECT_EQ(p.params, (std::vector<std::string>{"-g", "daemon"}));
  EXPECT_EQ(p.param_match, ProcessParamMatch::partial);
  EXPECT_TRUE(p.full_command);
  EXPECT_EQ(p.weight, 20);
  EXPECT_EQ(p.quorum, 2u);
  EXPECT_EQ(p.quorum_max, 4u);
  EXPECT_EQ(p.fork_delay_ms, 500u);
  EXPECT_EQ(p.terminate_delay_ms, 2000u);
  const TrackProcess& none = r->track_processes[1];
  EXPECT_EQ(none.quorum, 0u);  // quorum_max 0 alone: "no such process running"
  EXPECT_EQ(none.quorum_max, 0u);
  EXPECT_FALSE(none.full_command);
  EXPECT_EQ(none.weight, 0);
  const VrrpInstance& a = r->vrrp_instances[0];
  const auto af = resolved_track_files(*r, a);
  ASSERT_EQ(af.size(), 2u);
  EXPECT_EQ(af[0].index, 0u);
  EXPECT_EQ(af[0].weight, -10);
  EXPECT_TRUE(af[0].reverse);
  EXPECT_EQ(af[1].index, 1u);
  EXPECT_EQ(af[1].weight, 5);
  EXPECT_FALSE(af[1].reverse);
  const auto ap = resolved_track_processes(*r, a);
  ASSERT_EQ(ap.size(), 1u);
  EXPECT_EQ(ap[0].weight, -30);
  // B is in G: its own "old" (weight 1) counts as 0, its "ready weight 7" is dropped,
  // and G's "ready weight 9" applies; G's process too.
  const VrrpInstance& b = r->vrrp_instances[1];
  const auto bf = resolved_track_files(*r, b);
  ASSERT_EQ(bf.size(), 2u);
  EXPECT_EQ(bf[0].index, 1u);
  EXPECT_EQ(bf[0].weight, 0);
  EXPECT_EQ(bf[1].index, 0u);
  EXPECT_EQ(bf[1].weight, 9);
  const auto bp = resolved_track_processes(*r, b);
  ASSERT_EQ(bp.size(), 1u);
  EXPECT_EQ(bp[0].index, 1u);
  // keepalived's two complaints about B's lines, and nothing else.
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_EQ(to_string(r->warnings[0]),
            "t.conf:44:5: warning: vrrp_instance \"B\" tracks file \"old\" with weight 0, not "
            "1: it is in a vrrp_sync_group (keepalived likewise; write weight 0)");
  EXPECT_EQ(to_string(r->warnings[1]),
            "t.conf:45:5: warning: vrrp_instance \"B\" ignores track_file \"ready\" (weight 7): "
            "it is in a vrrp_sync_group, as keepalived");
}

// keepalived's warning for the address owner covers a weighted track_process too.
TEST(Parser, OwnerWithAWeightedTrackProcessWarns) {
  auto r = parse_config(
      "gale { interfaces eth0 }\n"
      "vrrp_track_process p {\n  process nginx\n  weight 10\n}\n"
      "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  priority 255\n"
      "  track_process {\n    p\n  }\n}\n",
      "t.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(to_string(r->warnings[0]),
            "t.conf:6:1: warning: vrrp_instance \"A\" has priority 255 (the address owner): "
            "tracking weights do not change it (only weight 0, FAULT, applies)");
}

// keepalived's family rules: the first VIP (or unicast_src_ip, unicast_peer,
// native_ipv6) decides; IPv6 is VRRP v3 whatever vrrp_version says; what disagrees is
// ignored with a warning, as keepalived ignores it with a config error.
TEST(Parser, VrrpFamilyAsKeepalivedDecidesIt) {
  auto r = parse_config(
      "gale { interfaces eth0 }\n"
      "global_defs {\n  vrrp_version 2\n}\n"
      "vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 1\n"
      "  virtual_ipaddress {\n    fe80::1:1\n    2001:db8::10/64\n    192.0.2.1\n  }\n"
      "  virtual_ipaddress_excluded {\n    192.0.2.2\n  }\n  version 2\n}\n"
      "vrrp_instance V4 {\n  interface eth0\n  virtual_router_id 1\n"
      "  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n"
      "vrrp_instance U6 {\n  interface eth0\n  virtual_router_id 2\n"
      "  unicast_src_ip 2001:db8::1\n  unicast_peer {\n    10.0.0.2\n    2001:db8::2\n  }\n"
      "  virtual_ipaddress {\n    2001:db8::20\n  }\n}\n"
      "vrrp_instance N6 {\n  interface eth0\n  virtual_router_id 3\n  version 2\n"
      "  native_ipv6\n  virtual_ipaddress {\n    2001:db8::30 label x\n  }\n}\n"
      "vrrp_instance E6 {\n  interface eth0\n  virtual_router_id 4\n  version 2\n"
      "  virtual_ipaddress {\n    2001:db8::40\n  }\n}\n",
      "f.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& vs = r->vrrp_instances;
  ASSERT_EQ(vs.size(), 5u);
  EXPECT_EQ(vs[0].family, net::Family::v6);
  EXPECT_EQ(vs[0].version, 3);       // not vrrp_version's 2
  ASSERT_EQ(vs[0].vips.size(), 2u);  // 192.0.2.1 ignored
  EXPECT_EQ(vs[0].vips[1].prefix_len, 64);
  ASSERT_EQ(vs[0].excluded_vips.size(), 1u);  // the other family is welcome there
  EXPECT_EQ(vs[1].family, net::Family::v4);   // same VRID as V6: another family, allowed
  EXPECT_EQ(vs[1].version, 2);
  EXPECT_EQ(vs[2].family, net::Family::v6);
  ASSERT_EQ(vs[2].unicast_peers.size(), 1u);
  EXPECT_EQ(vs[2].unicast_peers[0], ip("2001:db8::2"));
  EXPECT_EQ(vs[3].family, net::Family::v6);
  EXPECT_EQ(vs[3].version, 3);
  EXPECT_TRUE(vs[3].vips[0].label.empty());
  EXPECT_EQ(vs[4].version, 3);
  std::vector<std::string> w;
  for (const Warning& x : r->warnings)
    w.push_back(to_string(x));
  const std::vector<std::string> want = {
      "f.conf:11:5: warning: vrrp_instance \"V6\": virtual_ipaddress 192.0.2.1 is IPv4 but the "
      "instance is IPv6 (decided by virtual_ipaddress fe80::1:1 at f.conf:9:5): ignored, as "
      "keepalived does; an address of the other family belongs in virtual_ipaddress_excluded",
      "f.conf:16:11: warning: vrrp_instance \"V6\": version 2 conflicts with IPv6 (VRRP version "
      "3 only): ignored, as keepalived does",
      "f.conf:30:5: warning: vrrp_instance \"U6\": unicast_peer 10.0.0.2 is IPv4 but the "
      "instance is IPv6 (decided by unicast_src_ip 2001:db8::1 at f.conf:28:18): ignored, as "
      "keepalived does",
      "f.conf:43:5: warning: label is IPv4's: not applied to IPv6 address 2001:db8::30 "
      "(keepalived ignores it too)",
      "f.conf:49:11: warning: vrrp_instance \"E6\": version 2 written before the addresses made "
      "the instance IPv6; gale runs VRRP version 3 (keepalived does so with vrrp_strict; "
      "without it keepalived sends a version 2 over IPv6 that no RFC defines): write version 3 "
      "on both peers",
  };
  EXPECT_EQ(w, want);
}

TEST(Parser, SyncDaemonAndGarpTimers) {
  auto r = parse_config(
      "gale { interfaces eth0 }\n"
      "global_defs {\n  lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400 port 9000 ttl 2 group "
      "239.1.2.3\n  vrrp_garp_master_delay 10\n  vrrp_garp_master_refresh 60\n"
      "  vrrp_garp_lower_prio_repeat 4\n}\n"
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n"
      "  garp_master_delay 0\n  garp_master_repeat 3\n  garp_master_refresh_repeat 2\n"
      "  garp_lower_prio_delay 7\n  garp_lower_prio_repeat 0\n}\n",
      "s.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_TRUE(r->global.lvs_sync_daemon);
  const LvsSyncDaemon& d = *r->global.lvs_sync_daemon;
  EXPECT_EQ(d.interface, "eth1");
  EXPECT_EQ(d.instance, "VI_1");
  EXPECT_EQ(d.syncid, std::optional<uint8_t>(7));
  EXPECT_EQ(d.maxlen, 1400);
  EXPECT_EQ(d.port, 9000);
  EXPECT_EQ(d.ttl, 2);
  EXPECT_EQ(d.group, std::optional(*net::parse_ip("239.1.2.3")));
  EXPECT_EQ(r->global.vrrp_garp.delay_s, std::optional<uint32_t>(10));
  EXPECT_EQ(r->global.vrrp_garp.refresh_s, std::optional<uint32_t>(60));
  const GarpTimers& g = r->vrrp_instances[0].garp;
  EXPECT_EQ(g.delay_s, std::optional<uint32_t>(0));
  EXPECT_EQ(g.repeat, std::optional<uint32_t>(3));
  EXPECT_FALSE(g.refresh_s);
  EXPECT_EQ(g.refresh_repeat, std::optional<uint32_t>(2));
  EXPECT_EQ(g.lower_delay_s, std::optional<uint32_t>(7));
  EXPECT_EQ(g.lower_repeat, std::optional<uint32_t>(0));
  EXPECT_EQ(r->global.vrrp_garp.lower_repeat, std::optional<uint32_t>(4));
  EXPECT_TRUE(r->warnings.empty()) << to_string(r->warnings[0]);

  // IPVS's defaults when only the interface and instance are given.
  auto plain = parse_config(
      "gale { interfaces eth0 }\nglobal_defs {\n  lvs_sync_daemon eth0 VI_1\n}\n"
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n}\n",
      "p.conf");
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  const LvsSyncDaemon& p = *plain->global.lvs_sync_daemon;
  EXPECT_FALSE(p.syncid);  // the instance's virtual_router_id, when galed starts it
  EXPECT_EQ(p.port, 8848);
  EXPECT_FALSE(p.group);  // SyncDaemonConf's: IPVS's 224.0.0.81
  EXPECT_EQ(p.ttl, 1);
}

// Connection sync over IPv6: an IPv6 instance with unicast peers syncs to them (no
// group needed), one that multicasts names an IPv6 group.
TEST(Parser, SyncDaemonOfAnIpv6Instance) {
  const std::string instance =
      "vrrp_instance VI_6 {\n  interface eth0\n  virtual_router_id 51\n"
      "  virtual_ipaddress {\n    2001:db8::100\n  }\n";
  auto unicast = parse_config(
      "gale { interfaces eth0 }\nglobal_defs {\n  lvs_sync_daemon eth0 "
      "VI_6\n}\n" +
          instance +
          "  unicast_src_ip 2001:db8::3\n  unicast_peer {\n"
          "    2001:db8::4\n  }\n}\n",
      "u.conf");
  ASSERT_TRUE(unicast.has_value()) << unicast.error().message;
  EXPECT_FALSE(unicast->global.lvs_sync_daemon->group);
  auto multicast = parse_config(
      "gale { interfaces eth0 }\nglobal_defs {\n  lvs_sync_daemon eth0 VI_6 group ff02::81\n}\n" +
          instance + "}\n",
      "m.conf");
  ASSERT_TRUE(multicast.has_value()) << multicast.error().message;
  EXPECT_EQ(multicast->global.lvs_sync_daemon->group, std::optional(*net::parse_ip("ff02::81")));
}

TEST(Parser, GroupsExpandRanges) {
  auto r = parse_config(
      "gale { interfaces eth0 }\n"
      "virtual_server_group web {\n  192.0.2.1-3 80\n  2001:db8::1 80\n}\n"
      "virtual_server group web {\n  lb_kind DR\n  real_server 10.0.0.1 80\n}\n",
      "g.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->groups.size(), 1u);
  ASSERT_EQ(r->groups[0].entries.size(), 4u);
  EXPECT_EQ(r->groups[0].entries[2].vip, ip("192.0.2.3"));
  EXPECT_EQ(r->groups[0].entries[3].vip, ip("2001:db8::1"));
  EXPECT_EQ(r->virtual_servers[0].kind, VsKind::group);
  EXPECT_EQ(r->virtual_servers[0].group, "web");
}

TEST(Parser, IncludeRelativeToIncludingFile) {
  auto r = load_config(kData + "/include_main.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->virtual_servers.size(), 2u);
  EXPECT_EQ(r->virtual_servers[0].port, 80);  // 10-web.conf sorts first
  EXPECT_EQ(r->virtual_servers[1].port, 53);
  EXPECT_EQ(r->virtual_servers[1].where.file, kData + "/conf.d/20-dns.conf");
  EXPECT_EQ(r->virtual_servers[1].where.line, 1u);
}

TEST(Parser, IncludeErrors) {
  auto loop = load_config(kData + "/include_loop.conf");
  ASSERT_FALSE(loop.has_value());
  EXPECT_EQ(loop.error().message,
            kData +
                "/include_loop.conf:1:1: includes nest deeper than 8 (does a file include "
                "itself?)");
  auto missing = load_config(kData + "/include_missing.conf");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message, kData +
                                         "/include_missing.conf:2:13: include \"nothere.conf\": "
                                         "no such file (looked for \"" +
                                         kData + "/nothere.conf\")");
  auto bad = load_config(kData + "/include_bad.conf");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, kData +
                                     "/bad/broken.conf:2:13: unknown lb_algo \"wrrr\" (did "
                                     "you mean \"wrr\"?)");
  auto none = load_config(kData + "/does-not-exist.conf");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().message,
            "cannot read \"" + kData + "/does-not-exist.conf\": No such file or directory");
  auto text = parse_config("include x.conf\n", "t.conf");
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().message,
            "t.conf:1:1: include is only supported when the config is loaded from a file");
}

TEST(Parser, DocsExampleParses) {
  auto r = load_config(std::string(GALE_SOURCE_DIR) + "/docs/examples/gale.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->virtual_servers.empty());
}

// keepalived 2.x: retry, delay_before_retry, warmup, connect_timeout and alpha written in
// a virtual_server or a real_server are defaults for the checkers below that do not write
// their own, whatever the order of the lines; inhibit_on_failure in a virtual_server is
// the default of its real servers. keepalived's boolean word after a flag is accepted.
TEST(Parser, CheckerDefaultsFromTheRealServerAndTheService) {
  auto r = parse_config(
      "gale { interfaces eth0 }\n"
      "virtual_server 192.0.2.1 80 {\n"
      "  real_server 10.0.0.1 80 {\n"
      "    connect_timeout 2\n"
      "    TCP_CHECK {\n    }\n"
      "  }\n"
      "  real_server 10.0.0.2 80 {\n"
      "    inhibit_on_failure no\n"
      "    TCP_CHECK {\n      retry 7\n      alpha false\n    }\n"
      "  }\n"
      "  retry 2\n"
      "  connect_timeout 4\n"
      "  warmup 1.5\n"
      "  alpha\n"
      "  inhibit_on_failure\n"
      "}\n",
      "d.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const VirtualServerConf& vs = r->virtual_servers.at(0);
  EXPECT_TRUE(vs.alpha);
  const RealServerConf& a = vs.real_servers.at(0);
  const RealServerConf& b = vs.real_servers.at(1);
  EXPECT_TRUE(a.inhibit_on_failure);
  EXPECT_FALSE(b.inhibit_on_failure);
  const HealthCheck& ca = a.checks.at(0);
  EXPECT_EQ(ca.connect_timeout_ms, 2000u);  // the real server's
  EXPECT_EQ(ca.retry, 2u);                  // the service's
  EXPECT_EQ(ca.warmup_ms, 1500u);
  EXPECT_EQ(ca.delay_before_retry_ms, 1000u);  // keepalived's default
  EXPECT_TRUE(ca.alpha);
  const HealthCheck& cb = b.checks.at(0);
  EXPECT_EQ(cb.connect_timeout_ms, 4000u);
  EXPECT_EQ(cb.retry, 7u);  // its own
  EXPECT_FALSE(cb.alpha);
}

// SMTP_CHECK's host blocks (keepalived 1.x's form): each is a checker of its own, with
// the block's other settings as defaults.
TEST(Parser, SmtpCheckHostsAreCheckersOfTheirOwn) {
  auto r = parse_config(
      "gale { interfaces eth0 }\n"
      "virtual_server 192.0.2.1 25 {\n"
      "  real_server 10.0.0.1 25 {\n"
      "    SMTP_CHECK {\n"
      "      connect_timeout 9\n"
      "      helo_name mx.example.com\n"
      "      host {\n        connect_ip 10.0.0.5\n        connect_port 2525\n"
      "        bind_if eth1\n      }\n"
      "      host {\n        connect_ip 10.0.0.6\n        fwmark 7\n      }\n"
      "    }\n"
      "  }\n"
      "}\n",
      "d.conf");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const std::vector<HealthCheck>& checks = r->virtual_servers.at(0).real_servers.at(0).checks;
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].connect_ip, ip("10.0.0.5"));
  EXPECT_EQ(checks[0].connect_port, 2525);
  EXPECT_EQ(checks[0].bind_if, "eth1");
  EXPECT_EQ(checks[1].connect_ip, ip("10.0.0.6"));
  EXPECT_EQ(checks[1].connect_port, 0);
  EXPECT_EQ(checks[1].fwmark, 7u);
  for (const HealthCheck& h : checks) {
    EXPECT_EQ(h.kind, CheckKind::smtp);
    EXPECT_EQ(h.connect_timeout_ms, 9000u);
    EXPECT_EQ(h.helo_name, "mx.example.com");
  }
}

}  // namespace
}  // namespace gale::ctl
