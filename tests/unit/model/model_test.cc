// ctl::Model: ipvsadm's operations and their refusals (ipvsadm(8), ipvsadm.c and IPVS's
// ip_vs_ctl.c say what is refused), group members, health, and how load() combines the
// file with runtime objects (the file owns what it names).
#include <gtest/gtest.h>

#include <optional>

#include "ctl/model.h"
#include "ctl/parser.h"

namespace gale::ctl {
namespace {

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

constexpr const char* kFile = R"(
gale {
  interfaces eth0
  tunnel_source 192.0.2.254
}
virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 10.1.0.1 80 { weight 2 }
}
virtual_server_group web {
  10.0.0.5 443
  10.0.0.6 443
}
virtual_server group web {
  lb_kind DR
  protocol TCP
  real_server 10.1.0.9 443 { }
}
)";

Config file(const std::string& text = kFile) {
  auto c = parse_config(text, "gale.conf");
  EXPECT_TRUE(c) << c.error().message;
  return *c;
}

const ServiceKey kFileSvc{.vip = ip("10.0.0.1"), .port = 80, .proto = 6};
const ServiceKey kRunSvc{.vip = ip("10.0.0.2"), .port = 80, .proto = 6};
const ServiceKey kGroupMember{.vip = ip("10.0.0.6"), .port = 443, .proto = 6};

Model loaded() {
  Model m;
  auto r = m.load(file());
  EXPECT_TRUE(r) << r.error().message;
  return m;
}

const VirtualServerConf* find(const Model& m, const ServiceKey& k) {
  for (const VirtualServerConf& vs : m.effective().virtual_servers)
    if (vs.kind == VsKind::addr && vs.vip == k.vip && vs.port == k.port && vs.proto == k.proto)
      return &vs;
  return nullptr;
}

std::string error_of(const Expected<void>& r) {
  return r ? "(accepted)" : r.error().message;
}

TEST(Model, AddServiceAndDest) {
  Model m = loaded();
  const uint64_t v = m.version();
  ASSERT_TRUE(m.add_service({.key = kRunSvc, .sched = lb::SchedKind::wrr}));
  EXPECT_GT(m.version(), v);
  ASSERT_TRUE(m.add_dest(kRunSvc, {.addr = ip("10.1.0.2"), .mode = lb::FwdMode::dr, .weight = 3}));
  const VirtualServerConf* vs = find(m, kRunSvc);
  ASSERT_NE(vs, nullptr);
  EXPECT_EQ(vs->origin, Origin::runtime);
  EXPECT_EQ(vs->sched, lb::SchedKind::wrr);
  ASSERT_EQ(vs->real_servers.size(), 1u);
  EXPECT_EQ(vs->real_servers[0].weight, 3u);
  EXPECT_EQ(vs->real_servers[0].origin, Origin::runtime);
  // A runtime real server in a file's service.
  ASSERT_TRUE(m.add_dest(kFileSvc, {.addr = ip("10.1.0.3")}));
  EXPECT_EQ(find(m, kFileSvc)->real_servers.size(), 2u);
}

TEST(Model, IpvsadmRefusals) {
  Model m = loaded();
  const uint64_t v = m.version();
  // ipvsadm: "Service already exists", "No such service", "Destination already exists",
  // "No such destination".
  EXPECT_EQ(error_of(m.add_service({.key = kFileSvc})), "service tcp 10.0.0.1:80 already exists");
  EXPECT_EQ(error_of(m.edit_service({.key = kRunSvc})), "no service tcp 10.0.0.2:80");
  EXPECT_EQ(error_of(m.delete_service(kRunSvc)), "no service tcp 10.0.0.2:80");
  // DR without a port: the service's port, so 10.1.0.1 (written with 80) is the same.
  EXPECT_EQ(error_of(m.add_dest(kFileSvc, {.addr = ip("10.1.0.1")})),
            "real server 10.1.0.1:80 of tcp 10.0.0.1:80 already exists");
  EXPECT_EQ(error_of(m.edit_dest(kFileSvc, {.addr = ip("10.1.0.7")})),
            "no real server 10.1.0.7:80 in tcp 10.0.0.1:80");
  EXPECT_EQ(error_of(m.delete_dest(kFileSvc, ip("10.1.0.7"), 0)),
            "no real server 10.1.0.7:80 in tcp 10.0.0.1:80");
  // -w: IPVS's weight is 0..65535 (ipvsadm: "illegal weight specified").
  EXPECT_EQ(error_of(m.add_dest(kFileSvc, {.addr = ip("10.1.0.4"), .weight = 65536})),
            "weight 65536: IPVS takes 0 to 65535");
  // -b flags belong to their scheduler.
  EXPECT_EQ(error_of(m.add_service(
                {.key = kRunSvc, .sched = lb::SchedKind::rr, .flags = {.sh_port = true}})),
            "sh-port and sh-fallback apply to the sh scheduler only");
  EXPECT_EQ(error_of(m.add_service(
                {.key = kRunSvc, .sched = lb::SchedKind::sh, .flags = {.mh_fallback = true}})),
            "mh-port and mh-fallback apply to the mh scheduler only");
  // --tun-type and friends only with -i; GUE needs --tun-port.
  EXPECT_EQ(error_of(m.add_dest(kFileSvc, {.addr = ip("10.1.0.4"), .encap = lb::TunEncap::ipip})),
            "tunnel options (--tun-type, --tun-port, --tun-*csum) need tunnelling (-i)");
  EXPECT_EQ(error_of(m.add_dest(
                kFileSvc,
                {.addr = ip("10.1.0.4"), .mode = lb::FwdMode::tun, .encap = lb::TunEncap::gue})),
            "GUE tunnelling needs the port to send to (--tun-port)");
  // IPVS: another family only when tunnelling.
  EXPECT_EQ(error_of(m.add_dest(kFileSvc, {.addr = ip("2001:db8::1"), .mode = lb::FwdMode::dr})),
            "real server [2001:db8::1] is not in the family of tcp 10.0.0.1:80: only "
            "tunnelling (-i) mixes families");
  EXPECT_EQ(error_of(m.add_service(
                {.key = {.vip = ip("10.0.0.2"), .port = 53, .proto = 17}, .one_packet = true})),
            "one-packet scheduling (-o) is not implemented by gale");
  EXPECT_EQ(error_of(m.add_service({.key = kRunSvc, .one_packet = true})),
            "one-packet scheduling (-o) is for UDP services only");
  EXPECT_EQ(m.version(), v);  // nothing refused changed anything
}

TEST(Model, WholeConfigChecksApply) {
  Model m = loaded();
  // validate.cc's check, with the runtime location left out: DR keeps the port.
  EXPECT_EQ(error_of(m.add_dest(kFileSvc, {.addr = ip("10.1.0.4"), .port = 8080})),
            "real_server 10.1.0.4 8080: DR cannot change the port (the server receives the "
            "VIP's port 80); write 80 or use NAT");
  ASSERT_TRUE(m.add_service({.key = {.vip = ip("2001:db8::10"), .port = 80, .proto = 6}}));
  // IPv4 behind IPv6 by tunnel: IPVS allows it; gale's file has an IPv4 tunnel source.
  EXPECT_TRUE(m.add_dest({.vip = ip("2001:db8::10"), .port = 80, .proto = 6},
                         {.addr = ip("10.1.0.5"), .mode = lb::FwdMode::tun}));
}

TEST(Model, GroupMembersAreOneUnit) {
  Model m = loaded();
  const std::string want =
      "tcp 10.0.0.6:443 is a member of virtual_server_group \"web\": the group is one unit, "
      "change it in the config file";
  EXPECT_EQ(error_of(m.add_dest(kGroupMember, {.addr = ip("10.1.0.8")})), want);
  EXPECT_EQ(error_of(m.delete_service(kGroupMember)), want);
  EXPECT_EQ(error_of(m.edit_service({.key = kGroupMember})), want);
  EXPECT_EQ(error_of(m.add_service({.key = kGroupMember})),
            "service tcp 10.0.0.6:443 already exists");
  // Health is per member: a verdict on one member is not one on the other.
  ASSERT_TRUE(
      m.set_health({.service = kGroupMember, .addr = ip("10.1.0.9"), .port = 443}, {.up = false}));
  const HealthView h = m.health_view();
  const RealServerConf& rc = m.effective().virtual_servers[1].real_servers[0];
  EXPECT_FALSE(h(kGroupMember, rc).up);
  EXPECT_TRUE(h({.vip = ip("10.0.0.5"), .port = 443, .proto = 6}, rc).up);
}

TEST(Model, EditKeepsWhatIpvsadmDoesNotSet) {
  Model m = loaded();
  ASSERT_TRUE(m.edit_service({.key = kFileSvc,
                              .sched = lb::SchedKind::mh,
                              .flags = {.mh_port = true},
                              .persistence_s = 360}));
  const VirtualServerConf* vs = find(m, kFileSvc);
  EXPECT_EQ(vs->sched, lb::SchedKind::mh);
  EXPECT_TRUE(vs->sched_flags.mh_port);
  EXPECT_EQ(vs->persistence_timeout_s, 360u);
  EXPECT_EQ(vs->real_servers.size(), 1u);
  EXPECT_EQ(vs->origin, Origin::config);
  ASSERT_TRUE(m.edit_dest(kFileSvc, {.addr = ip("10.1.0.1"), .port = 80, .weight = 0}));
  EXPECT_EQ(find(m, kFileSvc)->real_servers[0].weight, 0u);
  ASSERT_TRUE(m.delete_dest(kFileSvc, ip("10.1.0.1"), 80));
  EXPECT_TRUE(find(m, kFileSvc)->real_servers.empty());
  ASSERT_TRUE(m.clear());
  EXPECT_TRUE(m.effective().virtual_servers.empty());
}

TEST(Model, Health) {
  Model m = loaded();
  const RealServerRef ref{.service = kFileSvc, .addr = ip("10.1.0.1"), .port = 80};
  const uint64_t v = m.version();
  ASSERT_TRUE(m.set_health(ref, {.up = false, .reason = "connect refused"}));
  EXPECT_EQ(m.version(), v + 1);
  ASSERT_TRUE(m.set_health(ref, {.up = false, .reason = "connect refused"}));
  EXPECT_EQ(m.version(), v + 1);  // the same verdict again changes nothing
  const RealServerConf& rc = find(m, kFileSvc)->real_servers[0];
  EXPECT_FALSE(m.health_view()(kFileSvc, rc).up);
  EXPECT_EQ(error_of(m.set_health({.service = kFileSvc, .addr = ip("10.1.0.7")}, {})),
            "no real server 10.1.0.7:80 in tcp 10.0.0.1:80");
  // The port may be left out when the service's port is the server's.
  ASSERT_TRUE(m.set_health({.service = kFileSvc, .addr = ip("10.1.0.1")}, {.up = true}));
  EXPECT_TRUE(m.health_view()(kFileSvc, rc).up);
  // A verdict goes with its server.
  ASSERT_TRUE(m.set_health(ref, {.up = false}));
  ASSERT_TRUE(m.delete_dest(kFileSvc, ip("10.1.0.1"), 80));
  EXPECT_TRUE(m.health().empty());
}

TEST(Model, ReloadKeepsRuntimeObjects) {
  Model m = loaded();
  ASSERT_TRUE(m.add_service({.key = kRunSvc}));
  ASSERT_TRUE(m.add_dest(kRunSvc, {.addr = ip("10.1.0.2")}));
  ASSERT_TRUE(m.add_dest(kFileSvc, {.addr = ip("10.1.0.3")}));
  ASSERT_TRUE(m.edit_service({.key = kFileSvc, .sched = lb::SchedKind::wlc}));  // reset by load
  auto notes = m.load(file());
  ASSERT_TRUE(notes) << notes.error().message;
  EXPECT_TRUE(notes->empty());
  ASSERT_NE(find(m, kRunSvc), nullptr);
  EXPECT_EQ(find(m, kRunSvc)->real_servers.size(), 1u);
  EXPECT_EQ(find(m, kFileSvc)->sched, lb::SchedKind::rr);
  ASSERT_EQ(find(m, kFileSvc)->real_servers.size(), 2u);
  EXPECT_EQ(find(m, kFileSvc)->real_servers[1].origin, Origin::runtime);
}

TEST(Model, ReloadFileTakesOver) {
  Model m = loaded();
  ASSERT_TRUE(m.add_service({.key = kRunSvc}));
  ASSERT_TRUE(m.add_dest(kFileSvc, {.addr = ip("10.1.0.3")}));
  std::string text = kFile;
  text += R"(
virtual_server 10.0.0.2 80 {
  lb_kind DR
  protocol TCP
  real_server 10.1.0.20 80 { }
}
)";
  // 10.1.0.3 now written in the file's 10.0.0.1:80.
  text.replace(text.find("real_server 10.1.0.1 80 { weight 2 }"), 0,
               "real_server 10.1.0.3 80 { }\n  ");
  auto notes = m.load(file(text));
  ASSERT_TRUE(notes) << notes.error().message;
  EXPECT_EQ(*notes, (std::vector<std::string>{
                        "runtime real server 10.1.0.3 of tcp 10.0.0.1:80 is now the config file's",
                        "runtime service tcp 10.0.0.2:80 is now the config file's"}));
  EXPECT_EQ(find(m, kRunSvc)->origin, Origin::config);
  EXPECT_EQ(find(m, kRunSvc)->real_servers[0].addr, ip("10.1.0.20"));
  EXPECT_EQ(find(m, kFileSvc)->real_servers.size(), 2u);
  // A file without the service drops the runtime server that was in it.
  ASSERT_TRUE(m.add_dest(kRunSvc, {.addr = ip("10.1.0.21")}));
  notes = m.load(file());
  ASSERT_TRUE(notes) << notes.error().message;
  EXPECT_EQ(*notes, (std::vector<std::string>{"runtime real server 10.1.0.21 of tcp 10.0.0.2:80 "
                                              "is dropped: the config file no longer has its "
                                              "service"}));
  EXPECT_EQ(find(m, kRunSvc), nullptr);
}

// keepalived's quorum and hysteresis: lost below quorum - hysteresis, regained at
// quorum + hysteresis, the up servers' weights summed (a misc_dynamic weight counts as
// given); each change once, with the script to run.
TEST(Model, QuorumWithHysteresis) {
  Model m;
  ASSERT_TRUE(m.load(file(R"(
gale { interfaces eth0 }
virtual_server 10.0.0.1 80 {
  lb_kind NAT
  quorum 4
  hysteresis 1
  quorum_up "/bin/up"
  quorum_down "/bin/down"
  real_server 10.1.0.1 80 { weight 2 }
  real_server 10.1.0.2 80 { weight 2 }
  real_server 10.1.0.3 80 { weight 1 }
}
)")));
  EXPECT_TRUE(m.take_quorum_changes().empty());  // 5 >= 4
  const auto set = [&](const char* addr, bool up, std::optional<uint32_t> w = {}) {
    ASSERT_TRUE(
        m.set_health({.service = kFileSvc, .addr = ip(addr), .port = 80}, {.up = up, .weight = w}));
  };
  set("10.1.0.3", false);  // 4: not below 4 - 1
  EXPECT_FALSE(m.quorum_lost(kFileSvc));
  set("10.1.0.2", false);  // 2 < 3: lost
  EXPECT_TRUE(m.quorum_lost(kFileSvc));
  auto changes = m.take_quorum_changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].up);
  EXPECT_EQ(changes[0].script, "/bin/down");
  EXPECT_EQ(changes[0].weight, 2u);
  set("10.1.0.3", true);  // 3 < 4 + 1: still lost
  EXPECT_TRUE(m.quorum_lost(kFileSvc));
  set("10.1.0.2", true, 1u);  // 2 + 1 + 1 = 4: still lost
  EXPECT_TRUE(m.quorum_lost(kFileSvc));
  EXPECT_TRUE(m.take_quorum_changes().empty());
  set("10.1.0.2", true, 2u);  // 5: regained
  EXPECT_FALSE(m.quorum_lost(kFileSvc));
  changes = m.take_quorum_changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].up);
  EXPECT_EQ(changes[0].script, "/bin/up");
  EXPECT_FALSE(m.quorum_view()(kFileSvc));
}

}  // namespace
}  // namespace gale::ctl
