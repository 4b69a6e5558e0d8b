// What a reload may not change while galed runs.
#include <gtest/gtest.h>

#include "ctl/parser.h"
#include "ctl/reload_check.h"

namespace gale::ctl {
namespace {

Config conf(const std::string& gale_lines) {
  auto c = parse_config("gale {\n  interfaces eth0\n" + gale_lines + "}\n", "r.conf");
  EXPECT_TRUE(c.has_value()) << c.error().message;
  return c.has_value() ? *c : Config{};
}

TEST(ReloadCheck, FullNatPortsMoveOnlyWithoutLiveConnections) {
  const Config a = conf("  fullnat_ports 2000-9999\n");
  const Config b = conf("  fullnat_ports 3000-9999\n");
  EXPECT_TRUE(check_reload(a, b, {.workers = 2, .next_workers = 2}).has_value());
  auto r = check_reload(a, b, {.workers = 2, .next_workers = 2, .live_fullnat_flows = 7});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "r.conf:1:1: fullnat_ports 2000-9999 -> 3000-9999 would move the local ports of 7 live "
            "FullNAT connections to other workers: keep the range until they have drained, or "
            "restart galed");
  // The same range under live connections is fine.
  EXPECT_TRUE(check_reload(a, a, {.workers = 2, .next_workers = 2, .live_fullnat_flows = 7}));
}

TEST(ReloadCheck, RestartSettingsAreRefused) {
  const Config a = conf("  workers 2\n");
  auto w = check_reload(a, conf("  workers 3\n"), {.workers = 2, .next_workers = 3});
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().message,
            "r.conf:1:1: workers: 2 -> 3 needs a restart (workers own connections and FullNAT "
            "ports by their number)");
  auto io =
      check_reload(a, conf("  workers 2\n  io af_packet\n"), {.workers = 2, .next_workers = 2});
  ASSERT_FALSE(io.has_value());
  EXPECT_EQ(io.error().message, "r.conf:1:1: io: a change needs a restart");
  auto c = parse_config("gale {\n  interfaces eth0 eth1\n  workers 2\n}\n", "r.conf");
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(check_reload(a, *c, {.workers = 2, .next_workers = 2}).has_value());
  // The control socket is opened once, at start.
  for (const char* line : {"  control_socket /run/other.sock\n", "  control_socket_group adm\n"}) {
    auto s = check_reload(a, conf(std::string("  workers 2\n") + line),
                          {.workers = 2, .next_workers = 2});
    ASSERT_FALSE(s.has_value()) << line;
    EXPECT_EQ(s.error().message,
              "r.conf:1:1: control_socket, control_socket_group: a change needs a restart");
  }
  // expire_nodest_conn is a forwarding setting: a reload changes it.
  EXPECT_TRUE(check_reload(a, conf("  workers 2\n  expire_nodest_conn\n"),
                           {.workers = 2, .next_workers = 2}));
}

}  // namespace
}  // namespace gale::ctl
