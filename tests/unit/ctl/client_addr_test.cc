// gale's FullNAT client-address options in the config (docs/config.md): proxy_protocol
// and toa in a virtual_server (its real servers' default) and a real_server (which wins),
// as parsed, as validated (file:line:col of the line that took effect) and as built into
// lb::RealServer::proxy / ::toa.
#include <gtest/gtest.h>

#include <string>

#include "ctl/parser.h"
#include "ctl/snapshot_builder.h"
#include "ctl/snapshot_compare.h"

namespace gale::ctl {
namespace {

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

// Lines 1-4; a virtual_server starts on line 5.
const std::string G = "gale {\n  interfaces eth0 eth1\n  fullnat_local_addresses 10.2.0.1\n}\n";

std::string vs(const std::string& body) {
  return G + "virtual_server 192.0.2.10 80 {\n" + body + "}\n";
}

Config parse(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return r.has_value() ? *r : Config{};
}

std::string refusal(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_FALSE(r.has_value()) << "accepted:\n" << text;
  return r.has_value() ? "" : r.error().message;
}

// Every real server known on eth1.
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

const std::string kMixed =
    "  lb_kind FULLNAT\n"
    "  proxy_protocol v2\n"
    "  toa\n"
    "  real_server 10.1.0.1 8080\n"
    "  real_server 10.1.0.2 8080 {\n    proxy_protocol v1\n    toa off\n  }\n"
    "  real_server 10.1.0.3 8080 {\n    proxy_protocol none\n    toa on\n  }\n";

TEST(ClientAddr, ServiceDefaultAndRealServerOverrides) {
  const Config c = parse(vs(kMixed));
  ASSERT_EQ(c.virtual_servers.size(), 1u);
  const VirtualServerConf& v = c.virtual_servers[0];
  EXPECT_EQ(v.client_addr.proxy, lb::ProxyProto::v2);
  EXPECT_EQ(v.client_addr.toa, true);
  ASSERT_EQ(v.real_servers.size(), 3u);
  // As written: nothing in the first, both in the others.
  EXPECT_FALSE(v.real_servers[0].client_addr.proxy.has_value());
  EXPECT_FALSE(v.real_servers[0].client_addr.toa.has_value());
  EXPECT_EQ(v.real_servers[1].client_addr.proxy, lb::ProxyProto::v1);
  EXPECT_EQ(v.real_servers[1].client_addr.toa, false);
  EXPECT_EQ(v.real_servers[2].client_addr.proxy, lb::ProxyProto::none);
  EXPECT_EQ(v.real_servers[2].client_addr.toa, true);
  // As they apply: the first inherits the service's; `none` and `off` turn them off.
  const ClientAddr a = client_addr(v.real_servers[0], v);
  EXPECT_EQ(a.proxy, lb::ProxyProto::v2);
  EXPECT_TRUE(a.toa);
  EXPECT_EQ(a.proxy_at.line, 7u);  // the service's lines
  EXPECT_EQ(a.toa_at.line, 8u);
  const ClientAddr b = client_addr(v.real_servers[1], v);
  EXPECT_EQ(b.proxy, lb::ProxyProto::v1);
  EXPECT_FALSE(b.toa);
  EXPECT_EQ(b.proxy_at.line, 11u);
  const ClientAddr d = client_addr(v.real_servers[2], v);
  EXPECT_EQ(d.proxy, lb::ProxyProto::none);
  EXPECT_TRUE(d.toa);
}

// TOA is acted on (the dataplane adds the option): no warning.
TEST(ClientAddr, ToaNeedsNoWarning) {
  const Config c = parse(vs(kMixed + "  real_server 10.1.0.9 8080\n"));
  for (const Warning& w : c.warnings)
    EXPECT_NE(w.message.rfind("toa", 0), 0u) << to_string(w);
}

TEST(ClientAddr, BuiltIntoTheRealServers) {
  RealServerIds ids;
  auto b = build_snapshot(parse(vs(kMixed)), host(), ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  const lb::Snapshot& s = b->snapshot;
  ASSERT_EQ(s.real_servers.size(), 3u);
  EXPECT_EQ(s.real_servers[0].addr, ip("10.1.0.1"));
  EXPECT_EQ(s.real_servers[0].proxy, lb::ProxyProto::v2);
  EXPECT_TRUE(s.real_servers[0].toa);
  EXPECT_EQ(s.real_servers[1].proxy, lb::ProxyProto::v1);
  EXPECT_FALSE(s.real_servers[1].toa);
  EXPECT_EQ(s.real_servers[2].proxy, lb::ProxyProto::none);
  EXPECT_TRUE(s.real_servers[2].toa);
}

TEST(ClientAddr, OffByDefault) {
  RealServerIds ids;
  auto b =
      build_snapshot(parse(vs("  lb_kind FULLNAT\n  real_server 10.1.0.1 8080\n")), host(), ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  ASSERT_EQ(b->snapshot.real_servers.size(), 1u);
  EXPECT_EQ(b->snapshot.real_servers[0].proxy, lb::ProxyProto::none);
  EXPECT_FALSE(b->snapshot.real_servers[0].toa);
}

// Saying "off" needs no FullNAT: the keyword table's samples, in a NAT service.
TEST(ClientAddr, OffIsAcceptedInAnyMode) {
  const Config c =
      parse(vs("  lb_kind NAT\n  proxy_protocol none\n  toa off\n"
               "  real_server 10.1.0.1 8080 {\n    proxy_protocol none\n    toa off\n  }\n"));
  ASSERT_EQ(c.virtual_servers.size(), 1u);
  const ClientAddr a = client_addr(c.virtual_servers[0].real_servers[0], c.virtual_servers[0]);
  EXPECT_EQ(a.proxy, lb::ProxyProto::none);
  EXPECT_FALSE(a.toa);
}

// The real server's own lb_kind decides, both ways.
TEST(ClientAddr, TheRealServersModeDecides) {
  RealServerIds ids;
  auto b = build_snapshot(parse(vs("  lb_kind NAT\n"
                                   "  real_server 10.1.0.1 8080 {\n    lb_kind FULLNAT\n"
                                   "    proxy_protocol v2\n    toa\n  }\n"
                                   "  real_server 10.1.0.2 8080\n")),
                          host(), ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  ASSERT_EQ(b->snapshot.real_servers.size(), 2u);
  EXPECT_EQ(b->snapshot.real_servers[0].proxy, lb::ProxyProto::v2);
  EXPECT_TRUE(b->snapshot.real_servers[0].toa);
  EXPECT_EQ(b->snapshot.real_servers[1].proxy, lb::ProxyProto::none);
  // A DR server of a FullNAT service with the service's v2: off in its own block.
  const Config c =
      parse(vs("  lb_kind FULLNAT\n  proxy_protocol v2\n  toa\n"
               "  real_server 10.1.0.1 8080\n"
               "  real_server 10.1.0.2 80 {\n    lb_kind DR\n"
               "    proxy_protocol none\n    toa off\n  }\n"));
  ASSERT_EQ(c.virtual_servers.size(), 1u);
}

TEST(ClientAddr, UdpTakesV2) {
  RealServerIds ids;
  auto b = build_snapshot(
      parse(vs(
          "  protocol UDP\n  lb_kind FULLNAT\n  proxy_protocol v2\n  real_server 10.1.0.1 53\n")),
      host(), ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b->snapshot.real_servers[0].proxy, lb::ProxyProto::v2);
}

// Lines: 5 virtual_server, 6 onwards the body.
TEST(ClientAddr, Refusals) {
  EXPECT_EQ(refusal(vs("  lb_kind NAT\n  proxy_protocol v2\n  real_server 10.1.0.1 8080\n")),
            "t.conf:7:3: real_server 10.1.0.1 8080: proxy_protocol needs lb_kind FULLNAT: DR, "
            "TUN and NAT servers see the client's address already (this server uses NAT); write "
            "`proxy_protocol none` in its real_server block");
  // The real server's own line, its own mode.
  EXPECT_EQ(refusal(vs("  lb_kind FULLNAT\n  real_server 10.1.0.1 80 {\n    lb_kind DR\n"
                       "    proxy_protocol v1\n  }\n")),
            "t.conf:9:5: real_server 10.1.0.1 80: proxy_protocol needs lb_kind FULLNAT: DR, TUN "
            "and NAT servers see the client's address already (this server uses DR)");
  // The service's v2, taken by a TUN server of it.
  EXPECT_EQ(refusal(G + "virtual_server 192.0.2.10 80 {\n  lb_kind FULLNAT\n  proxy_protocol v2\n"
                        "  real_server 10.1.0.1 8080\n"
                        "  real_server 10.1.0.2 80 {\n    lb_kind TUN\n  }\n}\n"),
            "t.conf:7:3: real_server 10.1.0.2 80: proxy_protocol needs lb_kind FULLNAT: DR, TUN "
            "and NAT servers see the client's address already (this server uses TUN); write "
            "`proxy_protocol none` in its real_server block");
  EXPECT_EQ(refusal(vs("  lb_kind DR\n  toa\n  real_server 10.1.0.1 80\n")),
            "t.conf:7:3: real_server 10.1.0.1 80: toa needs lb_kind FULLNAT: DR, TUN and NAT "
            "servers see the client's address already (this server uses DR); write `toa off` in "
            "its real_server block");
  EXPECT_EQ(refusal(vs("  lb_kind NAT\n  real_server 10.1.0.1 8080 {\n    toa on\n  }\n")),
            "t.conf:8:5: real_server 10.1.0.1 8080: toa needs lb_kind FULLNAT: DR, TUN and NAT "
            "servers see the client's address already (this server uses NAT)");
  EXPECT_EQ(refusal(vs("  protocol UDP\n  lb_kind FULLNAT\n  toa\n  real_server 10.1.0.1 53\n")),
            "t.conf:8:3: real_server 10.1.0.1 53: toa needs protocol TCP: the address rides in a "
            "TCP option (proxy_protocol v2 has a UDP form)");
  EXPECT_EQ(refusal(vs("  protocol UDP\n  lb_kind FULLNAT\n  real_server 10.1.0.1 53 {\n"
                       "    proxy_protocol v1\n  }\n")),
            "t.conf:9:5: real_server 10.1.0.1 53: proxy_protocol v1 needs protocol TCP: v1 has no "
            "UDP form (use v2)");
}

TEST(ClientAddr, BadValues) {
  const std::string v3 = refusal(vs("  lb_kind FULLNAT\n  proxy_protocol v3\n"));
  EXPECT_EQ(v3.rfind("t.conf:7:18: unknown proxy_protocol \"v3\"", 0), 0u) << v3;
  EXPECT_EQ(refusal(vs("  lb_kind FULLNAT\n  proxy_protocol\n")),
            "t.conf:7:3: \"proxy_protocol\" needs a value (proxy_protocol v1|v2|none)");
  const std::string maybe = refusal(vs("  lb_kind FULLNAT\n  toa maybe\n"));
  EXPECT_EQ(maybe.rfind("t.conf:7:7: unknown toa \"maybe\"", 0), 0u) << maybe;
}

// A change of either on a running server is a change to publish (same_forwarding).
TEST(ClientAddr, AChangeIsAChange) {
  const std::string base = vs("  lb_kind FULLNAT\n  real_server 10.1.0.1 8080\n");
  RealServerIds ids;
  auto a = build_snapshot(parse(base), host(), ids);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  for (const char* line : {"  proxy_protocol v1\n", "  proxy_protocol v2\n", "  toa\n"}) {
    RealServerIds next = ids;
    auto b = build_snapshot(
        parse(vs(std::string("  lb_kind FULLNAT\n") + line + "  real_server 10.1.0.1 8080\n")),
        host(), next, {}, &a->snapshot);
    ASSERT_TRUE(b.has_value()) << b.error().message;
    EXPECT_FALSE(b->unchanged) << line;
    EXPECT_FALSE(same_forwarding(a->snapshot, b->snapshot)) << line;
    // The same server: its id is kept.
    EXPECT_EQ(b->snapshot.services[0].dest_ids, a->snapshot.services[0].dest_ids) << line;
  }
  RealServerIds again = ids;
  auto same = build_snapshot(parse(base), host(), again, {}, &a->snapshot);
  ASSERT_TRUE(same.has_value());
  EXPECT_TRUE(same->unchanged);
}

// The sorry server takes the service's options when it forwards FullNAT, else none.
TEST(ClientAddr, SorryServer) {
  const std::string body =
      "  lb_kind FULLNAT\n  proxy_protocol v2\n  sorry_server 10.1.0.9 8080\n"
      "  sorry_server_inhibit\n  real_server 10.1.0.1 8080\n";
  RealServerIds ids;
  auto b = build_snapshot(parse(vs(body)), host(), ids);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  ASSERT_EQ(b->snapshot.real_servers.size(), 2u);
  EXPECT_EQ(b->snapshot.real_servers[1].addr, ip("10.1.0.9"));
  EXPECT_EQ(b->snapshot.real_servers[1].proxy, lb::ProxyProto::v2);
  const Config dr =
      parse(vs("  lb_kind FULLNAT\n  proxy_protocol v2\n  sorry_server 10.1.0.9\n"
               "  sorry_server_lvs_method DR\n  real_server 10.1.0.1 8080\n"));
  ASSERT_EQ(dr.virtual_servers.size(), 1u);
  const auto sorry = sorry_dest(dr.virtual_servers[0], true);
  ASSERT_TRUE(sorry.has_value());
  EXPECT_EQ(client_addr(*sorry, dr.virtual_servers[0]).proxy, lb::ProxyProto::none);
}

}  // namespace
}  // namespace gale::ctl
