// The control socket's JSON for ServiceSpec, DestSpec, Listing and ConnListing: the
// documented shape (docs/control.md, written out here by hand), round trips, and the
// refusals of bad input with a message naming the field.
#include <gtest/gtest.h>

#include "ctl/listing.h"
#include "ctl/model.h"

namespace gale::ctl {
namespace {

using nlohmann::json;

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

TEST(ModelJson, ServiceSpecShape) {
  ServiceSpec s{.key = {.vip = ip("10.0.0.1"), .port = 80, .proto = 6},
                .sched = lb::SchedKind::sh,
                .flags = {.sh_fallback = true, .sh_port = true},
                .persistence_s = 360,
                .persistence_prefix = 24};
  const json want = json::parse(R"({"proto":"tcp","vip":"10.0.0.1","port":80,"sched":"sh",
    "flags":["sh-fallback","sh-port"],"persistence_s":360,"netmask_prefix":24,"ops":false})");
  EXPECT_EQ(to_json(s), want);
  auto back = service_spec_from_json(want);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(to_json(*back), want);
}

TEST(ModelJson, FwmarkServiceKey) {
  auto s = service_spec_from_json(json::parse(R"({"fwmark":7,"family":"v6","sched":"mh",
    "mode":"tun"})"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->key.fwmark, 7u);
  EXPECT_EQ(s->family, net::Family::v6);
  EXPECT_EQ(s->sched, lb::SchedKind::mh);
  EXPECT_EQ(s->default_mode, lb::FwdMode::tun);
  EXPECT_EQ(to_json(*s)["family"], "v6");
  EXPECT_FALSE(to_json(*s).contains("vip"));
}

TEST(ModelJson, ServiceDefaultsAreIpvsadms) {
  auto s = service_spec_from_json(json::parse(R"({"vip":"2001:db8::1","port":53,"proto":"udp"})"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->sched, lb::SchedKind::wlc);  // ipvsadm's default scheduler
  EXPECT_EQ(s->key.proto, 17);
  EXPECT_EQ(s->family, net::Family::v6);
  EXPECT_EQ(s->persistence_s, 0u);
  EXPECT_FALSE(s->default_mode);
}

TEST(ModelJson, ServiceRefusals) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"vip":"10.0.0.1","port":80,"sched":"wrrr"})", "sched: unknown scheduler \"wrrr\""},
      {R"({"vip":"10.0.0.300","port":80})", "vip: \"10.0.0.300\" is not an IP address"},
      {R"({"vip":"10.0.0.1"})", "port: the virtual service's port (0-65535)"},
      {R"({"vip":"10.0.0.1","port":70000})", "port: a number from 0 to 65535"},
      {R"({"vip":"10.0.0.1","port":80,"proto":"sctp"})", "proto: \"sctp\" is not tcp or udp"},
      {R"({"vip":"10.0.0.1","port":80,"flags":["sh-pot"]})",
       "flags: \"sh-pot\" is not sh-fallback, sh-port, mh-fallback or mh-port"},
      {R"({"vip":"10.0.0.1","port":80,"netmask_prefix":33})",
       "netmask_prefix: a number from 0 to 32"},
      {R"({"fwmark":0})", "fwmark: a number from 1 to 4294967295"},
      {R"({"fwmark":1,"family":"inet"})", "family: \"inet\" is not v4 or v6"},
      {R"({"vip":"10.0.0.1","port":80,"mode":"route"})",
       "mode: \"route\" is not one of dr, tun, nat, fullnat"},
  };
  for (const auto& [in, msg] : cases) {
    auto s = service_spec_from_json(json::parse(in));
    ASSERT_FALSE(s) << in;
    EXPECT_EQ(s.error().message, msg) << in;
  }
}

TEST(ModelJson, DestSpecShape) {
  DestSpec d{.addr = ip("10.1.0.1"),
             .port = 8080,
             .mode = lb::FwdMode::tun,
             .weight = 5,
             .uthreshold = 100,
             .lthreshold = 50,
             .encap = lb::TunEncap::gue,
             .tun_port = 6080,
             .tun_csum = DestSpec::TunCsum::remcsum};
  const json want = json::parse(R"({"addr":"10.1.0.1","port":8080,"mode":"tun","weight":5,
    "uthreshold":100,"lthreshold":50,"tun_type":"gue","tun_port":6080,"tun_csum":"remcsum"})");
  EXPECT_EQ(to_json(d), want);
  auto back = dest_spec_from_json(want);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(to_json(*back), want);
}

TEST(ModelJson, DestDefaults) {
  auto d = dest_spec_from_json(json::parse(R"({"addr":"10.1.0.1"})"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->mode, lb::FwdMode::dr);  // ipvsadm -a without -g/-i/-m: gatewaying
  EXPECT_EQ(d->weight, 1u);             // ipvsadm's default weight
  EXPECT_EQ(d->port, 0);
  auto n = dest_spec_from_json(json::parse(R"({"addr":"10.1.0.1"})"), lb::FwdMode::nat);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->mode, lb::FwdMode::nat);
}

TEST(ModelJson, DestRefusals) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"addr":"10.1.0.1","weight":65536})", "weight: a number from 0 to 65535"},
      {R"({"addr":"10.1.0.1","weight":-1})", "weight: a number from 0 to 65535"},
      {R"({"port":80})", "addr: an IP address"},
      {R"({"addr":"10.1.0.1","tun_type":"gre"})", "tun_type: \"gre\" is not ipip or gue"},
      {R"({"addr":"10.1.0.1","tun_csum":"yes"})",
       "tun_csum: \"yes\" is not one of nocsum, csum, remcsum"},
  };
  for (const auto& [in, msg] : cases) {
    auto d = dest_spec_from_json(json::parse(in));
    ASSERT_FALSE(d) << in;
    EXPECT_EQ(d.error().message, msg) << in;
  }
}

TEST(ModelJson, ListingRoundTrip) {
  Listing l{.generation = 4, .conn_table_size = 1 << 20, .reloads_ok = 2, .reloads_failed = 1};
  ServiceRow s{
      .spec = {.key = {.vip = ip("10.0.0.1"), .port = 80, .proto = 6}},
      .origin = Origin::runtime,
      .group = "web",
      .stats = {.conns = 10, .in_pkts = 100, .out_pkts = 90, .in_bytes = 6000, .out_bytes = 120000},
      .rate = {.cps = 1, .inpps = 2, .outpps = 3, .inbps = 4, .outbps = 5}};
  s.dests.push_back(
      {.spec = {.addr = ip("10.1.0.1"), .port = 80, .weight = 3},
       .origin = Origin::config,
       .weight = 0,
       .healthy = false,
       .health_reason = "connect: refused",
       .active = 7,
       .inactive = 2,
       .stats = {.conns = 10},
       .checks = {.checks = 5, .failures = 1, .latency_us_sum = 500, .last_latency_us = 90}});
  l.services.push_back(s);
  const json j = to_json(l);
  EXPECT_EQ(j["services"][0]["origin"], "runtime");
  EXPECT_EQ(j["services"][0]["dests"][0]["spec"]["weight"], 3);
  EXPECT_EQ(j["services"][0]["dests"][0]["weight"], 0);
  auto back = listing_from_json(j);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(to_json(*back), j);
  auto bad = listing_from_json(json::parse(R"({"services":[{"spec":{"vip":"10.0.0.1","port":80},
    "dests":[{"spec":{"addr":"10.1.0.1"},"active":-1}]}]})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "service 0: dest 0: active: a number from 0 to 18446744073709551615");
}

TEST(ModelJson, ConnListingRoundTrip) {
  ConnListing l{.total = 3};
  l.conns.push_back({.proto = 17,
                     .state = "UDP",
                     .expires_s = 290,
                     .client = ip("192.0.2.1"),
                     .client_port = 5353,
                     .vip = ip("10.0.0.1"),
                     .vport = 53,
                     .rs = ip("10.1.0.1"),
                     .rs_port = 53});
  const json j = to_json(l);
  EXPECT_EQ(j, json::parse(R"({"total":3,"conns":[{"proto":"udp","state":"UDP","expires_s":290,
    "client":"192.0.2.1","client_port":5353,"vip":"10.0.0.1","vport":53,"rs":"10.1.0.1",
    "rs_port":53}]})"));
  auto back = conn_listing_from_json(j);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(to_json(*back), j);
}

}  // namespace
}  // namespace gale::ctl
