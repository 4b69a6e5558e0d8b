// The FullNAT client-address options through ctl::Model (galectl -a / -e, the control
// socket's JSON) and back out in the listing (-S, -o json): --proxy-protocol and --toa
// given or not (the service's), refused where they cannot apply.
#include <gtest/gtest.h>

#include "ctl/listing.h"
#include "ctl/model.h"
#include "ctl/parser.h"

namespace gale::ctl {
namespace {

using nlohmann::json;

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

// A file service with proxy_protocol v2 for its servers, and a UDP one.
constexpr const char* kFile = R"(
gale {
  interfaces eth0
  fullnat_local_addresses 10.2.0.1
}
virtual_server 10.0.0.1 80 {
  lb_kind FULLNAT
  proxy_protocol v2
  real_server 10.1.0.1 8080
}
virtual_server 10.0.0.1 53 {
  lb_kind FULLNAT
  protocol UDP
  real_server 10.1.0.1 53
}
)";

const ServiceKey kWeb{.vip = ip("10.0.0.1"), .port = 80, .proto = 6};
const ServiceKey kDns{.vip = ip("10.0.0.1"), .port = 53, .proto = 17};
const ServiceKey kRun{.vip = ip("10.0.0.2"), .port = 80, .proto = 6};

Model loaded() {
  auto c = parse_config(kFile, "gale.conf");
  EXPECT_TRUE(c) << c.error().message;
  Model m;
  auto r = m.load(*c);
  EXPECT_TRUE(r) << r.error().message;
  return m;
}

std::string error_of(const Expected<void>& r) {
  return r ? "(accepted)" : r.error().message;
}

// The listing's dest `addr` of service `key`.
DestSpec listed(const Model& m, const ServiceKey& key, const char* addr) {
  for (const ServiceRow& s : build_listing(m, Stats{}).services)
    if (s.spec.key == key)
      for (const DestRow& d : s.dests)
        if (d.spec.addr == ip(addr)) return d.spec;
  ADD_FAILURE() << "no " << addr;
  return {};
}

TEST(ClientAddrModel, AddAndEdit) {
  Model m = loaded();
  ASSERT_TRUE(m.add_service({.key = kRun}));
  ASSERT_TRUE(m.add_dest(kRun, {.addr = ip("10.1.0.2"),
                                .port = 8080,
                                .mode = lb::FwdMode::fullnat,
                                .proxy = lb::ProxyProto::v1,
                                .toa = true}));
  DestSpec d = listed(m, kRun, "10.1.0.2");
  EXPECT_EQ(d.proxy, lb::ProxyProto::v1);
  EXPECT_EQ(d.toa, true);
  // -e says them again, or they go back to the service's (off here), as ipvsadm's -e
  // resets what it does not say.
  const uint64_t v = m.version();
  ASSERT_TRUE(m.edit_dest(kRun, {.addr = ip("10.1.0.2"),
                                 .port = 8080,
                                 .mode = lb::FwdMode::fullnat,
                                 .proxy = lb::ProxyProto::v2}));
  EXPECT_GT(m.version(), v);
  d = listed(m, kRun, "10.1.0.2");
  EXPECT_EQ(d.proxy, lb::ProxyProto::v2);
  EXPECT_EQ(d.toa, false);
}

TEST(ClientAddrModel, TheServicesDefault) {
  Model m = loaded();
  EXPECT_EQ(listed(m, kWeb, "10.1.0.1").proxy, lb::ProxyProto::v2);  // the file's
  // A runtime server of it without --proxy-protocol takes it; `none` turns it off.
  ASSERT_TRUE(
      m.add_dest(kWeb, {.addr = ip("10.1.0.2"), .port = 8080, .mode = lb::FwdMode::fullnat}));
  EXPECT_EQ(listed(m, kWeb, "10.1.0.2").proxy, lb::ProxyProto::v2);
  ASSERT_TRUE(m.add_dest(kWeb, {.addr = ip("10.1.0.3"),
                                .port = 8080,
                                .mode = lb::FwdMode::fullnat,
                                .proxy = lb::ProxyProto::none}));
  EXPECT_EQ(listed(m, kWeb, "10.1.0.3").proxy, lb::ProxyProto::none);
  // A DR server would take the service's v2 too: refused at the file's line, with
  // galectl's way out.
  EXPECT_EQ(error_of(m.add_dest(kWeb, {.addr = ip("10.1.0.4"), .mode = lb::FwdMode::dr})),
            "gale.conf:8:3: real_server 10.1.0.4: proxy_protocol needs lb_kind FULLNAT: DR, TUN "
            "and NAT servers see the client's address already (this server uses DR); give it "
            "--proxy-protocol none");
  EXPECT_TRUE(m.add_dest(
      kWeb, {.addr = ip("10.1.0.4"), .mode = lb::FwdMode::dr, .proxy = lb::ProxyProto::none}));
}

TEST(ClientAddrModel, Refusals) {
  Model m = loaded();
  const uint64_t v = m.version();
  EXPECT_EQ(error_of(m.add_dest(kWeb, {.addr = ip("10.1.0.5"),
                                       .port = 8080,
                                       .mode = lb::FwdMode::nat,
                                       .proxy = lb::ProxyProto::v2})),
            "--proxy-protocol and --toa need FullNAT forwarding (--fullnat): DR, TUN and NAT "
            "servers see the client's address already");
  EXPECT_EQ(
      error_of(m.add_dest(
          kDns, {.addr = ip("10.1.0.5"), .port = 53, .mode = lb::FwdMode::fullnat, .toa = true})),
      "--toa needs a TCP service (-t)");
  EXPECT_EQ(error_of(m.add_dest(kDns, {.addr = ip("10.1.0.5"),
                                       .port = 53,
                                       .mode = lb::FwdMode::fullnat,
                                       .proxy = lb::ProxyProto::v1})),
            "--proxy-protocol v1 needs a TCP service: v1 has no UDP form (use v2)");
  EXPECT_EQ(
      error_of(m.edit_dest(
          kWeb, {.addr = ip("10.1.0.1"), .port = 8080, .mode = lb::FwdMode::nat, .toa = true})),
      "--proxy-protocol and --toa need FullNAT forwarding (--fullnat): DR, TUN and NAT "
      "servers see the client's address already");
  EXPECT_EQ(m.version(), v);
  EXPECT_TRUE(m.add_dest(kDns, {.addr = ip("10.1.0.5"),
                                .port = 53,
                                .mode = lb::FwdMode::fullnat,
                                .proxy = lb::ProxyProto::v2}));
}

TEST(ClientAddrModel, Json) {
  const DestSpec d{.addr = ip("10.1.0.1"),
                   .port = 8080,
                   .mode = lb::FwdMode::fullnat,
                   .proxy = lb::ProxyProto::v2,
                   .toa = true};
  const json want = json::parse(R"({"addr":"10.1.0.1","port":8080,"mode":"fullnat","weight":1,
    "uthreshold":0,"lthreshold":0,"proxy_protocol":"v2","toa":true})");
  EXPECT_EQ(to_json(d), want);
  auto back = dest_spec_from_json(want);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->proxy, lb::ProxyProto::v2);
  EXPECT_EQ(back->toa, true);
  // Absent: the service's.
  auto plain = dest_spec_from_json(json::parse(R"({"addr":"10.1.0.1"})"));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->proxy.has_value());
  EXPECT_FALSE(plain->toa.has_value());
  auto bad = dest_spec_from_json(json::parse(R"({"addr":"10.1.0.1","proxy_protocol":"v3"})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "proxy_protocol: \"v3\" is not one of v1, v2, none");
  // The listing's JSON says what applies, on every server.
  Model m = loaded();
  const json l = to_json(build_listing(m, Stats{}));
  EXPECT_EQ(l["services"][0]["dests"][0]["spec"]["proxy_protocol"], "v2");
  EXPECT_EQ(l["services"][0]["dests"][0]["spec"]["toa"], false);
}

}  // namespace
}  // namespace gale::ctl
