// ipvsadm's sync daemon roles over gale's one sync thread (ctl/sync_daemon.h): which
// change starts or stops the thread, IPVS's refusals in libipvs' words ("Daemon has
// already run" for EEXIST, "No daemon is running" for ESRCH), and the control socket's
// start_daemon / stop_daemon / daemons commands on the same logic.
#include <gtest/gtest.h>

#include "ctl/control_commands.h"
#include "ctl/sync_daemon.h"

namespace gale::ctl {
namespace {

using nlohmann::json;
using Thread = SyncDaemons::Thread;

SyncDaemonConf on(const std::string& ifname, uint8_t syncid = 0) {
  return {.interface = ifname, .syncid = syncid};
}

// What the thread must do, or "refused".
std::string did(const Expected<Thread>& t) {
  if (!t) return "refused: " + t.error().message;
  return *t == Thread::start ? "start" : *t == Thread::stop ? "stop" : "keep";
}

TEST(SyncDaemons, MasterAndBackupShareOneThread) {
  SyncDaemons d;
  EXPECT_FALSE(d.running());
  EXPECT_EQ(did(d.start(SyncRole::master, on("eth0", 1))), "start");
  EXPECT_EQ(did(d.start(SyncRole::backup, on("eth0", 1))), "keep");
  const auto rows = d.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].role, SyncRole::master);
  EXPECT_EQ(rows[1].role, SyncRole::backup);
  EXPECT_EQ(rows[1].conf.syncid, 1);
  EXPECT_EQ(rows[0].origin, Origin::runtime);
  EXPECT_EQ(did(d.stop(SyncRole::master)), "keep");
  EXPECT_EQ(did(d.stop(SyncRole::backup)), "stop");
  EXPECT_FALSE(d.running());
  EXPECT_TRUE(d.rows().empty());
}

TEST(SyncDaemons, RefusesAsIpvsDoes) {
  SyncDaemons d;
  ASSERT_TRUE(d.start(SyncRole::master, on("eth0")));
  const auto twice = d.start(SyncRole::master, on("eth0"));
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().message, "Daemon has already run");
  const auto other = d.start(SyncRole::backup, on("eth1"));
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().message,
            "gale: the backup daemon would run in the same sync thread as the master daemon, "
            "so it needs the same settings");
  const auto none = d.stop(SyncRole::backup);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().message, "No daemon is running");
  EXPECT_EQ(d.rows().size(), 1u);  // the refusals changed nothing
}

TEST(SyncDaemons, ConfigStartsBothRolesAndMaxlenHoldsOneRecord) {
  SyncDaemons d;
  EXPECT_EQ(did(d.start_both(on("eth1", 51))), "start");
  ASSERT_EQ(d.rows().size(), 2u);
  EXPECT_EQ(d.rows()[0].origin, Origin::config);
  EXPECT_FALSE(d.start(SyncRole::backup, on("eth1", 51)).has_value());
  EXPECT_EQ(did(d.stop(SyncRole::master)), "keep");
  EXPECT_EQ(did(d.stop(SyncRole::backup)), "stop");
  SyncDaemonConf tiny = on("eth0");
  tiny.maxlen = 1;  // IPVS raises it to what one message needs; so does gale
  ASSERT_TRUE(d.start(SyncRole::backup, tiny));
  EXPECT_EQ(d.conf().maxlen, kSyncMinMaxlen);
}

TEST(SyncDaemons, JsonRoundTripAndDefaults) {
  SyncDaemonConf c{.interface = "eth2",
                   .syncid = 9,
                   .maxlen = 1400,
                   .group = net::Ipv4Addr{0xe0000052},
                   .port = 8849,
                   .ttl = 3};
  const json j = to_json(SyncRole::backup, c);
  EXPECT_EQ(j, json::parse(R"({"role":"backup","interface":"eth2","syncid":9,"maxlen":1400,
                               "group":"224.0.0.82","port":8849,"ttl":3})"));
  const auto back = sync_daemon_from_json(j);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->first, SyncRole::backup);
  EXPECT_EQ(back->second, c);
  // Absent fields are IPVS's defaults.
  const auto bare = sync_daemon_from_json(json::parse(R"({"role":"master","interface":"eth0"})"));
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->second, SyncDaemonConf{.interface = "eth0"});
  EXPECT_EQ(net::to_text(bare->second.group).view(), "224.0.0.81");
  EXPECT_EQ(bare->second.port, 8848);
  EXPECT_EQ(bare->second.ttl, 1);
  EXPECT_EQ(bare->second.maxlen, 1472);
  auto refused = [](const char* text) {
    const auto r = sync_daemon_from_json(json::parse(text));
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(refused(R"({"role":"primary","interface":"eth0"})"), "role: master or backup");
  EXPECT_EQ(refused(R"({"role":"master"})"), "interface: the interface sync datagrams use");
  EXPECT_EQ(refused(R"({"role":"master","interface":"eth0","syncid":256})"),
            "syncid: a number from 0 to 255");
  EXPECT_EQ(refused(R"({"role":"master","interface":"eth0","group":"10.0.0.1"})"),
            "group: connection sync takes a multicast group");
  EXPECT_EQ(refused(R"({"role":"master","interface":"eth0","group":"2001:db8::1"})"),
            "group: connection sync takes a multicast group");
  auto v6 = sync_daemon_from_json(
      json::parse(R"({"role":"master","interface":"eth0","group":"ff02::81"})"));
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->second.group, *net::parse_ip("ff02::81"));
}

// A control API whose sync daemons are the pure records alone (no thread).
class SyncApi : public ControlApi {
 public:
  Expected<uint64_t> reload() override { return 1; }
  Expected<uint64_t> change(const ModelChange&) override { return 1; }
  const Model& model() const override { return model_; }
  json stats() override { return json::object(); }
  Listing listing() override { return {}; }
  Expected<ConnListing> conns(uint64_t) override { return ConnListing{}; }
  Expected<void> zero(const std::optional<ServiceKey>&) override { return {}; }
  Expected<void> start_daemon(SyncRole role, const SyncDaemonConf& conf) override {
    auto t = daemons_.start(role, conf);
    if (!t) return fail(t.error().message);
    return {};
  }
  Expected<void> stop_daemon(SyncRole role) override {
    auto t = daemons_.stop(role);
    if (!t) return fail(t.error().message);
    return {};
  }
  std::vector<SyncDaemonRow> daemons() override { return daemons_.rows(); }

 private:
  Model model_;
  SyncDaemons daemons_;
};

TEST(SyncDaemons, ControlCommands) {
  SyncApi api;
  auto ask = [&api](const char* text) { return handle_request(api, json::parse(text)); };
  EXPECT_EQ(ask(R"({"cmd":"daemons"})"), json::parse(R"({"ok":true,"daemons":[]})"));
  EXPECT_EQ(ask(R"({"cmd":"start_daemon","daemon":{"role":"master","interface":"eth0",
                    "syncid":4}})"),
            json::parse(R"({"ok":true})"));
  EXPECT_EQ(ask(R"({"cmd":"start_daemon","daemon":{"role":"master","interface":"eth0"}})"),
            json::parse(R"({"ok":false,"error":"start_daemon: Daemon has already run"})"));
  const json listed = ask(R"({"cmd":"daemons"})");
  ASSERT_EQ(listed["daemons"].size(), 1u) << listed;
  EXPECT_EQ(listed["daemons"][0]["role"], "master");
  EXPECT_EQ(listed["daemons"][0]["syncid"], 4);
  EXPECT_EQ(listed["daemons"][0]["origin"], "runtime");
  const auto rows = sync_daemon_rows_from_json(listed["daemons"]);
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  EXPECT_EQ(rows->at(0).conf.interface, "eth0");
  EXPECT_EQ(ask(R"({"cmd":"stop_daemon","role":"backup"})"),
            json::parse(R"({"ok":false,"error":"stop_daemon: No daemon is running"})"));
  EXPECT_EQ(ask(R"({"cmd":"stop_daemon","role":"master"})"), json::parse(R"({"ok":true})"));
  EXPECT_EQ(ask(R"({"cmd":"stop_daemon","role":7})"),
            json::parse(R"({"ok":false,"error":"stop_daemon: role: master or backup"})"));
  EXPECT_EQ(ask(R"({"cmd":"daemons"})")["daemons"].size(), 0u);
}

}  // namespace
}  // namespace gale::ctl
