// NAT64 in the config and the control model (galectl: tests/unit/galectl/parse_test.cc)
// (docs/modes.md, "NAT64"): FULLNAT may serve an IPv6 VIP from IPv4 real servers when an IPv4 local
// address exists; every other mix of families (NAT, FULLNAT IPv4 VIP -> IPv6 server, fwmark
// services) is refused as before, with the line and column of the real server.
#include <gtest/gtest.h>

#include <string>

#include "ctl/model.h"
#include "ctl/parser.h"
#include "ctl/snapshot_builder.h"

namespace gale::ctl {
namespace {

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

std::string conf(const std::string& laddrs, const std::string& vip, const std::string& body) {
  return "gale {\n  interfaces eth0 eth1\n  fullnat_local_addresses " + laddrs + "\n}\n" +
         "virtual_server " + vip + " 80 {\n" + body + "}\n";
}

std::string refusal(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_FALSE(r.has_value()) << "accepted:\n" << text;
  return r.has_value() ? "" : r.error().message;
}

HostView host() {
  net::MacAddr link0{}, link1{};
  link0.b[5] = 1;
  link1.b[5] = 2;
  return HostView{
      .link_macs = {link0, link1},
      .mtus = {1500, 1500},
      .neighbour = [](const net::IpAddr&, uint16_t port) -> std::optional<net::MacAddr> {
        if (port != 1) return std::nullopt;
        net::MacAddr m{};
        m.b[0] = 2;
        return m;
      }};
}

TEST(Nat64Config, FullNatOfAnIpv6VipToIpv4ServersIsBuilt) {
  auto c = parse_config(conf("10.2.0.1 2001:db8:2::1", "2001:db8::10",
                             "  lb_kind FULLNAT\n  real_server 10.1.0.1 8080\n"),
                        "t.conf");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  RealServerIds ids;
  auto b = build_snapshot(*c, host(), ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  const lb::Snapshot& s = b->snapshot;
  ASSERT_EQ(s.real_servers.size(), 1u);
  EXPECT_EQ(s.real_servers[0].addr, ip("10.1.0.1"));
  EXPECT_EQ(s.real_servers[0].mode, lb::FwdMode::fullnat);
  EXPECT_TRUE(s.nat64);
}

TEST(Nat64Config, OtherMixesAreRefusedWhereTheyAreWritten) {
  EXPECT_EQ(
      refusal(conf("10.2.0.1", "2001:db8::10", "  lb_kind NAT\n  real_server 10.1.0.1 8080\n")),
      "t.conf:7:3: real_server 10.1.0.1 8080: NAT needs the real server in the VIP's "
      "address family (2001:db8::10); use DR or TUN to mix families");
  EXPECT_EQ(
      refusal(conf("10.2.0.1 2001:db8:2::1", "192.0.2.10",
                   "  lb_kind FULLNAT\n  real_server 2001:db8:1::1 8080\n")),
      "t.conf:7:3: real_server 2001:db8:1::1 8080: FULLNAT needs the real server in the VIP's "
      "address family (192.0.2.10); use DR or TUN to mix families (FULLNAT translates IPv6 VIPs "
      "to IPv4 servers only: NAT64)");
  EXPECT_EQ(refusal(conf("2001:db8:2::1", "2001:db8::10",
                         "  lb_kind FULLNAT\n  real_server 10.1.0.1 8080\n")),
            "t.conf:7:3: real_server 10.1.0.1 8080: NAT64 (an IPv6 VIP, this IPv4 server) needs "
            "an IPv4 FullNAT local address (gale { fullnat_local_addresses ... })");
}

TEST(Nat64Config, TheControlModelChecksTheSameWay) {
  auto c = parse_config(conf("10.2.0.1", "2001:db8::10", ""), "t.conf");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  Model m;
  ASSERT_TRUE(m.load(*c));
  const ServiceKey key{.vip = ip("2001:db8::10"), .port = 80, .proto = 6};
  EXPECT_TRUE(
      m.add_dest(key, {.addr = ip("10.1.0.1"), .port = 8080, .mode = lb::FwdMode::fullnat}));
  const auto nat =
      m.add_dest(key, {.addr = ip("10.1.0.2"), .port = 8080, .mode = lb::FwdMode::nat});
  ASSERT_FALSE(nat.has_value());
  EXPECT_EQ(nat.error().message,
            "real server 10.1.0.2:8080 is not in the family of tcp [2001:db8::10]:80: only "
            "tunnelling (-i) mixes families (and FullNAT, --fullnat, an IPv6 service with IPv4 "
            "servers: NAT64)");
}

}  // namespace
}  // namespace gale::ctl
