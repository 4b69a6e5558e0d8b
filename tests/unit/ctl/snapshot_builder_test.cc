// Config -> lb::Snapshot: what the dataplane gets, and ids that survive reloads.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "ctl/parser.h"
#include "ctl/snapshot_builder.h"
#include "ctl/snapshot_compare.h"
#include "net/ipv4.h"

namespace gale::ctl {
namespace {

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}
net::MacAddr mac(const char* s) {
  return *net::parse_mac(s);
}

Config parse(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return r.has_value() ? *r : Config{};
}

// Two interfaces; real servers 10.1.0.x are known on eth1 (index 1) except 10.1.0.9.
HostView host() {
  return HostView{
      .link_macs = {mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02")},
      .mtus = {1500, 9000},
      // Given out of order: the builder sorts them, longest prefix first.
      .routes =
          {.v4 = {{.prefix = ip("0.0.0.0"), .len = 0, .link = 0, .mac = mac("02:00:00:00:00:fe")},
                  {.prefix = ip("198.51.100.0"), .len = 24, .link = 0, .on_link = true},
                  {.prefix = ip("203.0.113.0"), .len = 24, .link = 7}},
           .neighbours = {{.addr = ip("198.51.100.9"), .link = 0, .mac = mac("02:00:00:00:09:09")},
                          {.addr = ip("198.51.100.3"),
                           .link = 0,
                           .mac = mac("02:00:00:00:09:03")}}},
      .neighbour = [](const net::IpAddr& a, uint16_t port) -> std::optional<net::MacAddr> {
        if (port != 1 || !a.is_v4() || a == ip("10.1.0.9")) return std::nullopt;
        net::MacAddr m = mac("02:00:00:00:02:00");
        m.b[5] = static_cast<uint8_t>(a.v4().v & 0xff);
        return m;
      }};
}

std::string web(const std::string& servers) {
  return "gale {\n  interfaces eth0 eth1\n  fullnat_local_addresses 10.2.0.1\n}\n"
         "virtual_server 192.0.2.10 80 {\n  lb_algo wrr\n  lb_kind DR\n"
         "  persistence_timeout 600\n  persistence_granularity 255.255.255.0\n" +
         servers + "}\n";
}

const std::string kThree =
    "  real_server 10.1.0.1 80 {\n    weight 3\n    uthreshold 100\n    lthreshold 50\n  }\n"
    "  real_server 10.1.0.2 80 {\n    weight 2\n  }\n"
    "  real_server 10.1.0.3 80\n";

TEST(SnapshotBuilder, CarriesServiceAndDestSettings) {
  RealServerIds ids;
  auto b = build_snapshot(parse(web(kThree)), host(), ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  const lb::Snapshot& s = b->snapshot;
  ASSERT_EQ(s.links.size(), 2u);
  EXPECT_EQ(s.links[1].mtu, 9000);
  // Routes over links the config does not have are left out; the rest sorted.
  ASSERT_EQ(s.routes.v4.size(), 2u);
  EXPECT_EQ(s.routes.v4[0].len, 24);
  EXPECT_TRUE(s.routes.v4[0].on_link);
  EXPECT_EQ(s.routes.v4[1].mac, mac("02:00:00:00:00:fe"));
  EXPECT_TRUE(s.links[0].gateway_mac.is_zero());
  ASSERT_EQ(s.routes.neighbours.size(), 2u);
  EXPECT_EQ(s.routes.neighbours[0].addr, ip("198.51.100.3"));
  const net::MacAddr* n = s.routes.neighbour(ip("198.51.100.9"), 0);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(*n, mac("02:00:00:00:09:09"));
  EXPECT_EQ(s.routes.neighbour(ip("198.51.100.9"), 1), nullptr);
  EXPECT_EQ(s.routes.find(ip("198.51.100.77")), &s.routes.v4[0]);
  EXPECT_EQ(s.routes.find(ip("192.0.2.1")), &s.routes.v4[1]);
  EXPECT_EQ(s.routes.find(ip("2001:db8::1")), nullptr);
  EXPECT_TRUE(b->unreachable.empty());
  ASSERT_EQ(s.services.size(), 1u);
  const lb::Service& svc = s.services[0];
  EXPECT_EQ(svc.vip, ip("192.0.2.10"));
  EXPECT_EQ(svc.port, 80);
  EXPECT_EQ(svc.proto, 6);
  EXPECT_EQ(svc.sched, lb::SchedKind::wrr);
  EXPECT_EQ(svc.persistence_s, 600u);
  EXPECT_EQ(svc.persistence_prefix, 24);
  ASSERT_EQ(svc.dests.size(), 3u);
  EXPECT_EQ(svc.dests[0].weight, 3);
  EXPECT_EQ(svc.dests[0].last_weight, 3);
  EXPECT_EQ(svc.dests[0].u_threshold, 100u);
  EXPECT_EQ(svc.dests[0].l_threshold, 50u);
  EXPECT_EQ(svc.dests[2].weight, 1);
  EXPECT_EQ(svc.tables.wrr_max_weight, 3);  // finalize() ran
  EXPECT_EQ(svc.dest_ids, (std::vector<uint16_t>{0, 1, 2}));
  const lb::RealServer& rs = s.real_servers[1];
  EXPECT_EQ(rs.addr, ip("10.1.0.2"));
  EXPECT_EQ(rs.mode, lb::FwdMode::dr);
  EXPECT_EQ(rs.mac, mac("02:00:00:00:02:02"));
  EXPECT_EQ(rs.out_link, 1);
  EXPECT_EQ(rs.mtu, 9000);
  EXPECT_TRUE(rs.live);
  EXPECT_TRUE(b->missing_neighbours.empty());
  EXPECT_EQ(s.service_for(ip("192.0.2.10"), 80, 6), 0);
}

TEST(SnapshotBuilder, UnknownNeighbourBuiltWithZeroMacAndListed) {
  RealServerIds ids;
  auto b = build_snapshot(parse(web("  real_server 10.1.0.1 80\n  real_server 10.1.0.9 80\n")),
                          host(), ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  ASSERT_EQ(b->missing_neighbours.size(), 1u);
  EXPECT_EQ(b->missing_neighbours[0].id, 1);
  EXPECT_EQ(b->missing_neighbours[0].addr, ip("10.1.0.9"));
  EXPECT_EQ(b->missing_neighbours[0].out_link, 1);
  EXPECT_TRUE(b->snapshot.real_servers[1].mac.is_zero());
  EXPECT_FALSE(b->snapshot.real_servers[0].mac.is_zero());
}

TEST(SnapshotBuilder, IdsStableAcrossReloadsAndRemovedServersDrain) {
  RealServerIds ids;
  auto first = build_snapshot(parse(web(kThree)), host(), ids);
  ASSERT_TRUE(first.has_value()) << first.error().message;

  // Reload without 10.1.0.2, and with a new 10.1.0.4 listed first.
  auto second = build_snapshot(
      parse(web("  real_server 10.1.0.4 80\n  real_server 10.1.0.1 80 {\n    weight 3\n  }\n"
                "  real_server 10.1.0.3 80\n")),
      host(), ids);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  const lb::Snapshot& s2 = second->snapshot;
  ASSERT_EQ(s2.real_servers.size(), 4u);
  EXPECT_EQ(s2.services[0].dest_ids, (std::vector<uint16_t>{3, 0, 2}));
  const lb::RealServer& gone = s2.real_servers[1];
  EXPECT_EQ(gone.addr, ip("10.1.0.2"));  // still there for its flows
  EXPECT_FALSE(gone.live);
  EXPECT_EQ(gone.mac, mac("02:00:00:00:02:02"));
  for (const lb::SchedDest& d : s2.services[0].dests)
    EXPECT_NE(d.addr, ip("10.1.0.2"));
  EXPECT_TRUE(s2.real_servers[0].live);
  EXPECT_EQ(s2.real_servers[0].pos, 1u);

  // Added back: its old id, live again.
  auto third = build_snapshot(parse(web(kThree)), host(), ids);
  ASSERT_TRUE(third.has_value()) << third.error().message;
  EXPECT_EQ(third->snapshot.services[0].dest_ids, (std::vector<uint16_t>{0, 1, 2}));
  EXPECT_TRUE(third->snapshot.real_servers[1].live);
  EXPECT_FALSE(third->snapshot.real_servers[3].live);  // 10.1.0.4 now drains

  // Once drained, the id is released and reused.
  ids.release(3);
  auto fourth = build_snapshot(parse(web(kThree + "  real_server 10.1.0.5 80\n")), host(), ids);
  ASSERT_TRUE(fourth.has_value()) << fourth.error().message;
  EXPECT_EQ(fourth->snapshot.services[0].dest_ids, (std::vector<uint16_t>{0, 1, 2, 3}));
  EXPECT_EQ(fourth->snapshot.real_servers[3].addr, ip("10.1.0.5"));
}

// A reload that changes a server's lb_kind: IPVS connections keep the forwarding method
// they began with, so the server's NAT connections must keep their replies recognised
// (by the server's source) while they drain, and new connections take the new mode.
TEST(SnapshotBuilder, ModeChangeDrainsTheOldModesConnections) {
  RealServerIds ids;
  const auto conf = [](const char* kind) {
    return std::string(
               "gale {\n  interfaces eth0 eth1\n  fullnat_local_addresses 10.2.0.1\n}\n"
               "virtual_server 192.0.2.10 80 {\n  lb_algo rr\n  lb_kind ") +
           kind + "\n  real_server 10.1.0.1 8080\n}\n";
  };
  auto nat = build_snapshot(parse(conf("NAT")), host(), ids);
  ASSERT_TRUE(nat.has_value()) << nat.error().message;
  ASSERT_EQ(nat->snapshot.real_servers.size(), 1u);
  auto full = build_snapshot(parse(conf("FULLNAT")), host(), ids);
  ASSERT_TRUE(full.has_value()) << full.error().message;
  const lb::Snapshot& s = full->snapshot;
  ASSERT_EQ(s.real_servers.size(), 2u);
  const lb::RealServer& old = s.real_servers[0];
  EXPECT_EQ(old.mode, lb::FwdMode::nat);
  EXPECT_FALSE(old.live);  // draining
  EXPECT_EQ(full->removed, (std::vector<uint16_t>{0}));
  EXPECT_EQ(s.real_servers[1].mode, lb::FwdMode::fullnat);
  EXPECT_EQ(s.services[0].dest_ids, (std::vector<uint16_t>{1}));
  // The draining NAT server's replies (from 10.1.0.1:8080) are still the dataplane's.
  bool nat_source = false;
  for (const lb::Endpoint& e : s.owned)
    nat_source |= e.kind == lb::EndpointKind::nat_rs && e.addr == ip("10.1.0.1") &&
                  e.port_lo == 8080 && e.value == 0;
  EXPECT_TRUE(nat_source);
}

TEST(SnapshotBuilder, HealthRemovesOrQuiesces) {
  const std::string servers =
      "  real_server 10.1.0.1 80 {\n    weight 5\n    inhibit_on_failure\n  }\n"
      "  real_server 10.1.0.2 80 {\n    weight 7\n  }\n"
      "  real_server 10.1.0.3 80\n";
  RealServerIds ids;
  const HealthView down12 = [](const ServiceKey& k, const RealServerConf& rs) {
    EXPECT_EQ(k.port, 80);
    return rs.addr == ip("10.1.0.3");
  };
  auto b = build_snapshot(parse(web(servers)), host(), ids, down12);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  const lb::Service& svc = b->snapshot.services[0];
  // inhibit_on_failure: quiesced in place; without it: out of the pool, draining.
  EXPECT_EQ(svc.dest_ids, (std::vector<uint16_t>{0, 2}));
  EXPECT_EQ(svc.dests[0].weight, 0);
  EXPECT_EQ(svc.dests[0].last_weight, 5);
  EXPECT_TRUE(b->snapshot.real_servers[0].live);
  EXPECT_FALSE(b->snapshot.real_servers[1].live);
  EXPECT_EQ(b->snapshot.real_servers[1].addr, ip("10.1.0.2"));
}

TEST(SnapshotBuilder, FailedBuildLeavesIdsAlone) {
  RealServerIds ids;
  ASSERT_TRUE(build_snapshot(parse(web(kThree)), host(), ids).has_value());
  // A NAT real server of a fwmark service over all ports needs its own port: the parser
  // says so; a Config changed by hand reaches finalize(), which refuses it after the
  // builder has assigned ids.
  Config bad = parse(
      "gale {\n  interfaces eth0 eth1\n  fwmark 3 {\n    match tcp 192.0.2.0/24\n  }\n}\n"
      "virtual_server fwmark 3 {\n  real_server 10.1.0.7 80\n}\n");
  bad.virtual_servers[0].real_servers[0].port = 0;
  auto r = build_snapshot(bad, host(), ids);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "t.conf:7:1: fwmark 3: a NAT real server needs a port, or the rule's ports a range of "
            "at most 1024");
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_FALSE(ids.find({.service = {.fwmark = 3, .proto = 6}, .addr = ip("10.1.0.7")}));

  HostView short_view = host();
  short_view.link_macs.pop_back();
  auto r2 = build_snapshot(parse(web(kThree)), short_view, ids);
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error().message, "the host view has MACs for 1 interfaces; the config names 2");
}

TEST(SnapshotBuilder, DrPortChangeRejected) {
  // The parser rejects it with a location; a Config built by hand reaches finalize().
  Config c = parse(web("  real_server 10.1.0.1 80\n"));
  c.virtual_servers[0].real_servers[0].port = 8080;
  RealServerIds ids;
  auto r = build_snapshot(c, host(), ids);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "t.conf:5:1: real server 10.1.0.1:8080: DR and TUN cannot change the port (the server "
            "sees the "
            "VIP's)");
}

TEST(SnapshotBuilder, FwmarkGroupsAndModes) {
  Config c = parse(
      "gale {\n  interfaces eth0 eth1\n  fullnat_local_addresses 10.2.0.1\n"
      "  tunnel_source 10.3.0.1\n  tunnel_encap vxlan\n  vxlan_vni 42\n"
      "  timeout tcp 100 tcpfin 10 udp 20\n"
      "  fwmark 7 {\n    match 198.51.100.0/24 ports 80,443\n  }\n}\n"
      "virtual_server fwmark 7 {\n  lb_algo mh\n  mh-port\n  lb_kind TUN\n"
      "  real_server 10.1.0.1 {\n    tunnel_encap gue\n  }\n  real_server 10.1.0.2\n}\n"
      "virtual_server_group g {\n  192.0.2.20-21 8080\n}\n"
      "virtual_server group g {\n  lb_kind FULLNAT\n  protocol UDP\n  real_server 10.1.0.3 "
      "53\n}\n");
  RealServerIds ids;
  auto b = build_snapshot(c, host(), ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  const lb::Snapshot& s = b->snapshot;
  ASSERT_EQ(s.services.size(), 3u);
  EXPECT_EQ(s.services[0].fwmark, 7u);
  EXPECT_TRUE(s.services[0].sched_flags.mh_port);
  EXPECT_FALSE(s.services[0].tables.buckets.empty());
  ASSERT_EQ(s.fwmark_rules.size(), 2u);
  EXPECT_EQ(s.service_for(ip("198.51.100.9"), 443, 6), 0);
  EXPECT_EQ(s.service_for(ip("198.51.100.9"), 444, 6), -1);
  EXPECT_EQ(s.real_servers[0].encap, lb::TunEncap::gue);
  EXPECT_EQ(s.real_servers[1].encap, lb::TunEncap::vxlan);
  EXPECT_EQ(s.tunnel.vxlan_vni, 42u);
  EXPECT_EQ(s.tunnel.src_v4.v, 0x0a030001u);
  EXPECT_EQ(s.timeouts.tcp, 100u);
  // The group: one service per member, each with its own id for the same server.
  EXPECT_EQ(s.service_for(ip("192.0.2.21"), 8080, 17), 2);
  EXPECT_EQ(s.services[1].dest_ids, std::vector<uint16_t>{2});
  EXPECT_EQ(s.services[2].dest_ids, std::vector<uint16_t>{3});
  EXPECT_EQ(s.real_servers[3].mode, lb::FwdMode::fullnat);
  EXPECT_EQ(s.real_servers[3].port, 53);
  EXPECT_EQ(s.fullnat.laddrs, std::vector<net::IpAddr>{ip("10.2.0.1")});
}

}  // namespace
}  // namespace gale::ctl

namespace gale::ctl {
namespace {

// Services that cannot serve anyone are named, with where the config writes them.
TEST(SnapshotBuilder, SaysWhichServicesReachNothing) {
  Config c = parse(
      "gale {\n  interfaces eth0 eth1\n}\n"
      "virtual_server 192.0.2.10 80 {\n  lb_kind NAT\n  real_server 10.1.0.9 8080\n}\n"
      "virtual_server 2001:db8::10 80 {\n  lb_kind NAT\n  real_server 2001:db8:1::1 8080\n}\n"
      "virtual_server 192.0.2.11 80 {\n  lb_kind DR\n  real_server 10.1.0.1 80\n}\n");
  HostView h = host();  // IPv4 routes only; 10.1.0.9 and IPv6 servers unresolved
  RealServerIds ids;
  auto b = build_snapshot(c, h, ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b->unreachable,
            (std::vector<std::string>{
                "t.conf:4:1: virtual_server 192.0.2.10 80 TCP: no real server's MAC is known "
                "(neighbours unresolved): new connections are dropped (no_neighbour) until one "
                "resolves",
                "t.conf:8:1: virtual_server 2001:db8::10 80 TCP: no real server's MAC is known "
                "(neighbours unresolved): new connections are dropped (no_neighbour) until one "
                "resolves",
                "t.conf:8:1: virtual_server 2001:db8::10 80 TCP: no IPv6 route toward clients "
                "over the dataplane interfaces: every reply is dropped (no_route)"}));
}

// The publish test compares every input: a change of any one is a change.
TEST(SnapshotBuilder, SameForwardingSeesEveryInput) {
  const std::string base =
      "gale {\n  interfaces eth0 eth1\n  fullnat_local_addresses 10.2.0.1\n}\n"
      "virtual_server 192.0.2.10 80 {\n  lb_algo wrr\n  lb_kind NAT\n"
      "  real_server 10.1.0.1 8080\n  real_server 10.1.0.2 8080\n}\n";
  const auto build = [](const std::string& text) {
    RealServerIds ids;
    auto b = build_snapshot(parse(text), host(), ids);
    EXPECT_TRUE(b.has_value()) << b.error().message;
    return std::move(b->snapshot);
  };
  const lb::Snapshot a = build(base);
  EXPECT_TRUE(same_forwarding(a, build(base)));
  const std::pair<const char*, const char*> changes[] = {
      {"192.0.2.10 80 {", "192.0.2.11 80 {"},   // VIP
      {"192.0.2.10 80 {", "192.0.2.10 81 {"},   // port
      {"lb_algo wrr", "lb_algo rr"},            // scheduler
      {"lb_kind NAT", "lb_kind FULLNAT"},       // mode
      {"10.1.0.2 8080", "10.1.0.2 8081"},       // a real server's port
      {"eth1\n", "eth1\n  timeout tcp 100\n"},  // timeouts
      {"eth1\n", "eth1\n  maglev_size 251\n"},
      {"eth1\n", "eth1\n  tunnel_source 10.9.0.1\n"},
      {"10.2.0.1", "10.2.0.2"},  // FullNAT local address
  };
  for (const auto& [from, to] : changes) {
    std::string text = base;
    text.replace(text.find(from), std::string(from).size(), to);
    EXPECT_FALSE(same_forwarding(a, build(text))) << from << " -> " << to;
  }
  lb::Snapshot routes = build(base);
  routes.routes.v4[0].mac.b[5] ^= 1;
  EXPECT_FALSE(same_forwarding(a, routes)) << "a gateway's MAC";
  lb::Snapshot weight = build(base);
  weight.services[0].dests[1].weight = 0;
  EXPECT_FALSE(same_forwarding(a, weight)) << "a weight";
  lb::Snapshot standby = build(base);
  standby.services[0].standby = true;
  EXPECT_FALSE(same_forwarding(a, standby)) << "mastership";
  lb::Snapshot macs = build(base);
  macs.accept_macs = {mac("02:00:00:00:00:01")};
  EXPECT_FALSE(same_forwarding(a, macs)) << "accepted MACs";
}

// docs/ha.md: the services of the VIPs the host view calls standby (their VRRP instance
// is not MASTER here) are standby; the others, and fwmark services, are not. The
// accepted MACs are the host view's.
TEST(SnapshotBuilder, StandbyVipsAndAcceptedMacsComeFromTheHostView) {
  const std::string text =
      "gale {\n  interfaces eth0 eth1\n}\n"
      "virtual_server 192.0.2.10 80 {\n  lb_kind DR\n  real_server 10.1.0.1 80\n}\n"
      "virtual_server 192.0.2.10 443 {\n  lb_kind DR\n  real_server 10.1.0.1 443\n}\n"
      "virtual_server 192.0.2.11 80 {\n  lb_kind DR\n  real_server 10.1.0.2 80\n}\n";
  HostView h = host();
  h.standby_vips = {ip("192.0.2.10")};
  h.accept_macs = {mac("02:00:00:00:00:01")};
  RealServerIds ids;
  auto b = build_snapshot(parse(text), h, ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  const lb::Snapshot& s = b->snapshot;
  ASSERT_EQ(s.services.size(), 3u);
  EXPECT_TRUE(s.services[0].standby);
  EXPECT_TRUE(s.services[1].standby);
  EXPECT_FALSE(s.services[2].standby);
  EXPECT_EQ(s.service_for(ip("192.0.2.10"), 80, net::kProtoTcp), -1);
  EXPECT_EQ(s.service_for(ip("192.0.2.11"), 80, net::kProtoTcp), 2);
  EXPECT_EQ(s.accept_macs, h.accept_macs);
}

}  // namespace
}  // namespace gale::ctl

namespace gale::ctl {
namespace {

// Only servers the config no longer names are "removed" (their ids freed once drained);
// a configured server that is down keeps its id, so galed does not free and re-add it
// over and over.
TEST(SnapshotBuilder, RemovedMeansUnconfiguredNotDown) {
  RealServerIds ids;
  const HealthView down2 = [](const ServiceKey&, const RealServerConf& rs) {
    return rs.addr != ip("10.1.0.2");
  };
  auto a = build_snapshot(parse(web(kThree)), host(), ids, down2);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_FALSE(a->snapshot.real_servers[1].live);  // down: out of the pool
  EXPECT_TRUE(a->removed.empty());
  auto b = build_snapshot(parse(web("  real_server 10.1.0.1 80\n  real_server 10.1.0.2 80\n")),
                          host(), ids, down2);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b->removed, (std::vector<uint16_t>{2}));  // 10.1.0.3 left the config
}

}  // namespace
}  // namespace gale::ctl

namespace gale::ctl {
namespace {

// A candidate that forwards as the running snapshot does is reported unchanged before
// finalize(): no Maglev table is computed again for a no-op refresh.
TEST(SnapshotBuilder, UnchangedCandidateSkipsFinalize) {
  RealServerIds ids;
  auto first = build_snapshot(parse(web(kThree)), host(), ids);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_FALSE(first->snapshot.services[0].maglev.empty());
  auto again = build_snapshot(parse(web(kThree)), host(), ids, {}, &first->snapshot);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_TRUE(again->unchanged);
  EXPECT_TRUE(again->snapshot.services[0].maglev.empty());  // not finalized
  auto changed = build_snapshot(parse(web(kThree + "  real_server 10.1.0.4 80\n")), host(), ids, {},
                                &first->snapshot);
  ASSERT_TRUE(changed.has_value()) << changed.error().message;
  EXPECT_FALSE(changed->unchanged);
  EXPECT_FALSE(changed->snapshot.services[0].maglev.empty());
}

// A publish about one service keeps the other services' tables: finalize() takes them
// from the running snapshot where a service's content is unchanged. The running tables
// are overwritten with a marker here, so a table that was taken shows the marker and a
// table that was built does not.
TEST(SnapshotBuilder, UnchangedServicesKeepTheirTables) {
  const auto conf = [](const char* weight) {
    return web(kThree) +
           "virtual_server 192.0.2.11 53 {\n  protocol UDP\n  lb_algo mh\n  lb_kind DR\n"
           "  real_server 10.1.0.1 53 {\n    weight " +
           weight + "\n  }\n  real_server 10.1.0.2 53\n}\n";
  };
  RealServerIds ids;
  auto first = build_snapshot(parse(conf("1")), host(), ids);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  lb::Snapshot running = first->snapshot;
  ASSERT_EQ(running.services.size(), 2u);
  for (lb::Service& svc : running.services) {
    std::fill(svc.maglev.begin(), svc.maglev.end(), uint16_t{0x7777});
    std::fill(svc.tables.buckets.begin(), svc.tables.buckets.end(), uint16_t{0x7777});
  }
  auto next = build_snapshot(parse(conf("5")), host(), ids, {}, &running);
  ASSERT_TRUE(next.has_value()) << next.error().message;
  ASSERT_FALSE(next->unchanged);
  const lb::Service& web_svc = next->snapshot.services[0];  // unchanged: taken
  const lb::Service& dns = next->snapshot.services[1];      // a weight changed: built
  ASSERT_FALSE(web_svc.maglev.empty());
  EXPECT_TRUE(std::all_of(web_svc.maglev.begin(), web_svc.maglev.end(),
                          [](uint16_t v) { return v == 0x7777; }));
  ASSERT_FALSE(dns.maglev.empty());
  EXPECT_TRUE(
      std::none_of(dns.maglev.begin(), dns.maglev.end(), [](uint16_t v) { return v == 0x7777; }));
  EXPECT_TRUE(std::none_of(dns.tables.buckets.begin(), dns.tables.buckets.end(),
                           [](uint16_t v) { return v == 0x7777; }));
}

// MISC_CHECK's misc_dynamic weight replaces the configured one while it is given.
TEST(SnapshotBuilder, HealthWeightReplacesTheConfiguredOne) {
  RealServerIds ids;
  const HealthView dynamic = [](const ServiceKey&, const RealServerConf& rs) {
    return rs.addr == ip("10.1.0.2") ? DestHealth(true, 9u) : DestHealth(true);
  };
  auto b = build_snapshot(parse(web(kThree)), host(), ids, dynamic);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  const lb::Service& svc = b->snapshot.services[0];
  ASSERT_EQ(svc.dests.size(), 3u);
  EXPECT_EQ(svc.dests[0].weight, 3);  // as written
  EXPECT_EQ(svc.dests[1].weight, 9);  // as the check asked
  EXPECT_EQ(svc.dests[1].last_weight, 9);
}

// keepalived: while a service's quorum is lost its sorry server is the pool (the real
// servers leave it; inhibit_on_failure ones stay at weight 0); otherwise the sorry server
// is absent, or present at weight 0 with sorry_server_inhibit.
TEST(SnapshotBuilder, SorryServerServesWhileTheQuorumIsLost) {
  const std::string servers =
      "  sorry_server 10.1.0.7 80\n"
      "  real_server 10.1.0.1 80 {\n    weight 5\n    inhibit_on_failure\n  }\n"
      "  real_server 10.1.0.2 80 {\n    weight 7\n  }\n";
  const QuorumView lost = [](const ServiceKey&) { return true; };
  RealServerIds ids;
  auto b = build_snapshot(parse(web(servers)), host(), ids, {}, nullptr, lost);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  const lb::Service& svc = b->snapshot.services[0];
  ASSERT_EQ(svc.dest_ids.size(), 2u);
  EXPECT_EQ(svc.dests[0].addr, ip("10.1.0.1"));
  EXPECT_EQ(svc.dests[0].weight, 0);
  EXPECT_EQ(svc.dests[1].addr, ip("10.1.0.7"));
  EXPECT_EQ(svc.dests[1].weight, 1);
  EXPECT_TRUE(b->snapshot.real_servers[svc.dest_ids[1]].live);
  EXPECT_FALSE(b->snapshot.real_servers[1].live);  // 10.1.0.2: out, draining

  RealServerIds ids2;
  auto kept = build_snapshot(parse(web(servers)), host(), ids2);
  ASSERT_TRUE(kept.has_value()) << kept.error().message;
  EXPECT_EQ(kept->snapshot.services[0].dests.size(), 2u);  // no sorry server
  for (const lb::SchedDest& d : kept->snapshot.services[0].dests)
    EXPECT_NE(d.addr, ip("10.1.0.7"));

  RealServerIds ids3;
  auto inhibit = build_snapshot(parse(web(servers + "  sorry_server_inhibit\n")), host(), ids3);
  ASSERT_TRUE(inhibit.has_value()) << inhibit.error().message;
  const lb::Service& i = inhibit->snapshot.services[0];
  ASSERT_EQ(i.dests.size(), 3u);
  EXPECT_EQ(i.dests[2].addr, ip("10.1.0.7"));
  EXPECT_EQ(i.dests[2].weight, 0);
  EXPECT_EQ(i.dests[0].weight, 5);
}

}  // namespace
}  // namespace gale::ctl
