// The one endpoint list (Snapshot::owned) and the nft filter that consumes it. The
// expected entries are written out from the config: what each service, fwmark rule,
// NAT server (live or draining) and FullNAT local address must own.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "io/owned.h"
#include "io/owned_filter.h"

namespace gale::io {
namespace {

using lb::EndpointKind;

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

lb::Snapshot snapshot() {
  lb::Snapshot s;
  s.links.push_back({});
  lb::Service web{
      .vip = ip("10.1.0.1"), .port = 80, .proto = IPPROTO_TCP, .sched = lb::SchedKind::rr};
  web.dests = {{.addr = ip("10.2.0.1"), .port = 8080, .weight = 1},
               {.addr = ip("10.2.0.2"), .port = 80, .weight = 1}};
  web.dest_ids = {0, 1};
  lb::Service marked{.fwmark = 7, .proto = IPPROTO_UDP, .sched = lb::SchedKind::rr};
  marked.dests = {{.addr = ip("10.2.0.4"), .port = 0, .weight = 1}};
  marked.dest_ids = {3};
  s.services = {web, marked};
  s.real_servers = {
      {.addr = ip("10.2.0.1"), .port = 8080, .mode = lb::FwdMode::nat},
      {.addr = ip("10.2.0.2"), .mode = lb::FwdMode::dr},
      // Removed from the config, still draining: its replies must stay ours.
      {.addr = ip("10.2.0.3"), .port = 8080, .mode = lb::FwdMode::nat, .service = 0, .live = false},
      {.addr = ip("10.2.0.4"), .mode = lb::FwdMode::nat},
  };
  s.fwmark_rules = {
      {.fwmark = 7, .net = ip("10.5.7.9"), .prefix_len = 24, .port_lo = 5000, .port_hi = 5010}};
  s.fullnat.laddrs = {ip("10.3.0.1"), ip("fd00::3")};
  s.fullnat.port_lo = 2000;
  s.fullnat.port_hi = 3000;
  EXPECT_TRUE(s.finalize().has_value());
  return s;
}

TEST(Owned, OneListFromTheSnapshot) {
  const auto owned = owned_endpoints(snapshot());
  ASSERT_EQ(owned.size(), 7u);
  // Services first.
  EXPECT_EQ(owned[0].kind, EndpointKind::service);
  EXPECT_EQ(owned[0].addr, ip("10.1.0.1"));
  EXPECT_EQ(owned[0].port_lo, 80);
  EXPECT_EQ(owned[0].proto, IPPROTO_TCP);
  EXPECT_FALSE(owned[0].by_source());
  // The fwmark rule: its network, ports and the service's protocol.
  EXPECT_EQ(owned[1].kind, EndpointKind::fwmark);
  EXPECT_EQ(owned[1].addr, ip("10.5.7.0"));
  EXPECT_EQ(owned[1].prefix_len, 24);
  EXPECT_EQ(owned[1].port_lo, 5000);
  EXPECT_EQ(owned[1].port_hi, 5010);
  EXPECT_EQ(owned[1].proto, IPPROTO_UDP);
  EXPECT_EQ(owned[1].value, 1u);
  // NAT sources by id: the live one, the draining one, the portless one of the fwmark
  // service (answering from the rule's ports). The DR server owns nothing.
  EXPECT_EQ(owned[2].kind, EndpointKind::nat_rs);
  EXPECT_EQ(owned[2].addr, ip("10.2.0.1"));
  EXPECT_EQ(owned[2].port_lo, 8080);
  EXPECT_TRUE(owned[2].by_source());
  EXPECT_EQ(owned[3].addr, ip("10.2.0.3"));
  EXPECT_EQ(owned[3].value, 2u);
  EXPECT_EQ(owned[4].addr, ip("10.2.0.4"));
  EXPECT_EQ(owned[4].port_lo, 5000);
  EXPECT_EQ(owned[4].port_hi, 5010);
  EXPECT_EQ(owned[4].proto, IPPROTO_UDP);
  // FullNAT local addresses, both protocols.
  EXPECT_EQ(owned[6].kind, EndpointKind::laddr);
  EXPECT_EQ(owned[6].addr, ip("fd00::3"));
  EXPECT_EQ(owned[6].port_lo, 2000);
  EXPECT_EQ(owned[6].port_hi, 3000);
  EXPECT_EQ(owned[6].proto, 0);
}

TEST(Owned, TheEngineLooksUpTheSameList) {
  const lb::Snapshot s = snapshot();
  EXPECT_EQ(s.service_for(ip("10.1.0.1"), 80, IPPROTO_TCP), 0);
  EXPECT_EQ(s.service_for(ip("10.5.7.200"), 5005, IPPROTO_UDP), 1);
  EXPECT_EQ(s.service_for(ip("10.5.8.1"), 5005, IPPROTO_UDP), -1);
  EXPECT_EQ(s.service_for(ip("10.5.7.200"), 5011, IPPROTO_UDP), -1);
  EXPECT_EQ(s.endpoints.find(EndpointKind::nat_rs, ip("10.2.0.3"), 8080, IPPROTO_TCP), 2);
  EXPECT_EQ(s.endpoints.find(EndpointKind::nat_rs, ip("10.2.0.4"), 5010, IPPROTO_UDP), 3);
  EXPECT_EQ(s.endpoints.find(EndpointKind::nat_rs, ip("10.2.0.2"), 80, IPPROTO_TCP), -1);
  EXPECT_TRUE(s.is_service_addr(ip("10.1.0.1"), IPPROTO_TCP));
  EXPECT_TRUE(s.is_service_addr(ip("10.5.7.1"), IPPROTO_UDP));
  EXPECT_FALSE(s.is_service_addr(ip("10.1.0.1"), IPPROTO_UDP));
}

TEST(OwnedFilter, ScriptHasOneDropRulePerEndpoint) {
  const auto owned = owned_endpoints(snapshot());
  const std::string s = owned_filter_script("veth-a.1", owned);
  EXPECT_EQ(owned_filter_table("veth-a.1"), "gale_owned_veth_a_1");
  // Replaced atomically: declared, deleted and created in one script.
  EXPECT_NE(s.find("table netdev gale_owned_veth_a_1\ndelete table netdev gale_owned_veth_a_1\n"),
            std::string::npos);
  EXPECT_NE(s.find("hook ingress device \"veth-a.1\""), std::string::npos);
  EXPECT_NE(s.find("ip daddr 10.1.0.1 meta l4proto tcp th dport 80 drop"), std::string::npos);
  EXPECT_NE(s.find("ip daddr 10.5.7.0/24 meta l4proto udp th dport 5000-5010 drop"),
            std::string::npos);
  EXPECT_NE(s.find("ip saddr 10.2.0.1 meta l4proto tcp th sport 8080 drop"), std::string::npos);
  EXPECT_NE(s.find("ip saddr 10.2.0.3 meta l4proto tcp th sport 8080 drop"), std::string::npos);
  EXPECT_NE(s.find("ip saddr 10.2.0.4 meta l4proto udp th sport 5000-5010 drop"),
            std::string::npos);
  EXPECT_NE(s.find("ip daddr 10.3.0.1 meta l4proto { tcp, udp } th dport 2000-3000 drop"),
            std::string::npos);
  EXPECT_NE(s.find("ip6 daddr fd00::3 meta l4proto { tcp, udp } th dport 2000-3000 drop"),
            std::string::npos);
  EXPECT_EQ(s.find("10.2.0.2"), std::string::npos);  // DR: replies bypass gale
}

}  // namespace
}  // namespace gale::io
