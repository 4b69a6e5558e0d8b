// The shapes real keepalived.conf files come in: braces glued to words or on lines of
// their own, tabs, CRLF, comments, `@ID` conditionals, `$NAME` definitions (one line and
// multiline), virtual_server_group ranges and CIDRs, quoted arguments, legacy names, a
// config without a gale block; errors keep their file:line:col through all of them.
#include <gtest/gtest.h>

#include <string>

#include "ctl/parser.h"

namespace gale::ctl {
namespace {

const std::string G = "gale {\n  interfaces eth0\n}\n";

Config parse_ok(const std::string& text, const std::string& id = "lb1") {
  auto c = parse_config(text, "s.conf", ParseOptions{.config_id = id});
  EXPECT_TRUE(c.has_value()) << c.error().message << "\n--- config:\n" << text;
  return c.has_value() ? std::move(*c) : Config{};
}

std::string parse_error(const std::string& text, const std::string& id = "lb1") {
  auto c = parse_config(text, "s.conf", ParseOptions{.config_id = id});
  EXPECT_FALSE(c.has_value());
  return c.has_value() ? std::string() : c.error().message;
}

TEST(Shapes, BracesGluedOrAloneTabsCrlfComments) {
  const Config c =
      parse_ok(G +
               "virtual_server 192.0.2.1 80{ # glued\r\n"
               "\tlb_algo rr ! bang comment\r\n"
               "\treal_server 10.0.0.1 80\r\n"
               "\t{\r\n"
               "\t\tweight 3}\r\n"
               "}\r\n"
               "virtual_server 192.0.2.2 80\n{\n real_server 10.0.0.2 80 { weight 2 }\n}\n");
  ASSERT_EQ(c.virtual_servers.size(), 2u);
  ASSERT_EQ(c.virtual_servers[0].real_servers.size(), 1u);
  EXPECT_EQ(c.virtual_servers[0].real_servers[0].weight, 3u);
  EXPECT_EQ(c.virtual_servers[1].real_servers[0].weight, 2u);
}

TEST(Shapes, ErrorPositionAfterTabsAndCrlf) {
  EXPECT_EQ(parse_error(G + "virtual_server 192.0.2.1 80 {\r\n\tlb_algo wrrr\r\n}\r\n"),
            "s.conf:5:10: unknown lb_algo \"wrrr\" (did you mean \"wrr\"?)");
}

TEST(Shapes, ConditionalsFollowTheConfigId) {
  const std::string text = G +
                           "virtual_server 192.0.2.1 80 {\n"
                           "@lb1  lb_algo wrr\n"
                           "@^lb1 lb_algo sh\n"
                           "@lb2 real_server 10.0.0.9 80 {\n"
                           "@lb2 }\n"
                           "  real_server 10.0.0.1 80\n"
                           "}\n";
  const Config on1 = parse_ok(text, "lb1");
  EXPECT_EQ(on1.virtual_servers[0].sched, lb::SchedKind::wrr);
  EXPECT_EQ(on1.virtual_servers[0].real_servers.size(), 1u);
  const Config on2 = parse_ok(text, "lb2");
  EXPECT_EQ(on2.virtual_servers[0].sched, lb::SchedKind::sh);
  EXPECT_EQ(on2.virtual_servers[0].real_servers.size(), 2u);
}

TEST(Shapes, ConditionalKeepsColumns) {
  // The error is in the kept line: its column counts the `@lb1 ` prefix.
  EXPECT_EQ(parse_error(G + "virtual_server 192.0.2.1 80 {\n@lb1 lb_algo wrrr\n}\n", "lb1"),
            "s.conf:5:14: unknown lb_algo \"wrrr\" (did you mean \"wrr\"?)");
}

TEST(Shapes, Definitions) {
  const Config c = parse_ok(G +
                            "$VIP=192.0.2.7\n"
                            "$PORT = 443\n"
                            "$RS_OPTS=weight 4 \\\n"
                            "    inhibit_on_failure\n"
                            "virtual_server $VIP ${PORT} {\n"
                            "  real_server 10.0.0.1 443 {\n"
                            "    $RS_OPTS\n"
                            "  }\n"
                            "  real_server 10.0.0.2 $PORT\n"
                            "}\n");
  ASSERT_EQ(c.virtual_servers.size(), 1u);
  const VirtualServerConf& vs = c.virtual_servers[0];
  EXPECT_EQ(net::to_text(vs.vip).view(), "192.0.2.7");
  EXPECT_EQ(vs.port, 443);
  ASSERT_EQ(vs.real_servers.size(), 2u);
  EXPECT_EQ(vs.real_servers[0].weight, 4u);
  EXPECT_TRUE(vs.real_servers[0].inhibit_on_failure);
  EXPECT_EQ(vs.real_servers[1].port, 443);
}

TEST(Shapes, ErrorInADefinitionsUseIsAtTheUse) {
  EXPECT_EQ(parse_error(G + "$ALGO=wrrr\n\nvirtual_server 192.0.2.1 80 {\n  lb_algo $ALGO\n}\n"),
            "s.conf:7:11: unknown lb_algo \"wrrr\" (did you mean \"wrr\"?)");
}

TEST(Shapes, DefinitionThatUsesItselfIsAnError) {
  EXPECT_EQ(parse_error(G + "$A=x $A\nvirtual_server $A 80 {\n}\n"),
            "s.conf:5:1: definitions nest more than 16 deep (does one use itself?)");
}

TEST(Shapes, GroupRangesAndCidrs) {
  const Config c =
      parse_ok(G +
               "virtual_server_group web {\n"
               "  192.0.2.1-3 80\n"
               "  192.0.2.10-192.0.2.11 80\n"
               "  198.51.100.0/30 443\n"
               "  2001:db8::1 80\n"
               "  2001:db8::a-c 80\n"
               "}\n"
               "virtual_server group web {\n  lb_kind DR\n  real_server 10.0.0.1\n}\n");
  ASSERT_EQ(c.groups.size(), 1u);
  const auto& e = c.groups[0].entries;
  ASSERT_EQ(e.size(), 3u + 2u + 4u + 1u + 3u);
  EXPECT_EQ(net::to_text(e[12].vip).view(), "2001:db8::c");
  EXPECT_EQ(net::to_text(e[2].vip).view(), "192.0.2.3");
  EXPECT_EQ(net::to_text(e[4].vip).view(), "192.0.2.11");
  EXPECT_EQ(net::to_text(e[5].vip).view(), "198.51.100.0");
  EXPECT_EQ(net::to_text(e[8].vip).view(), "198.51.100.3");
  EXPECT_EQ(e[8].port, 443);
}

TEST(Shapes, GroupRangeErrors) {
  const auto group = [](const std::string& entry) {
    return G + "virtual_server_group g {\n  " + entry + "\n}\n";
  };
  EXPECT_EQ(parse_error(group("192.0.2.9-3 80")),
            "s.conf:5:3: range \"192.0.2.9-3\" ends before it starts");
  EXPECT_EQ(parse_error(group("10.0.0.0/8 80")),
            "s.conf:5:3: /8 spans more than 4096 addresses (one service each)");
  EXPECT_EQ(parse_error(group("192.0.2.1/24 80")).substr(0, 11), "s.conf:5:3:");
}

TEST(Shapes, QuotedArgumentsAndLegacyNames) {
  const Config c = parse_ok(G +
                            "virtual_server 192.0.2.1 80 {\n"
                            "  lb_algo wlc\n"
                            "  lb_kind NAT\n"
                            "  real_server 10.0.0.1 8080 {\n"
                            "    notify_up \"/usr/local/bin/up --reason 'rs up'\"\n"
                            "    MISC_CHECK {\n"
                            "      misc_path \"/bin/check 10.0.0.1\"\n"
                            "      nb_get_retry 3\n"
                            "    }\n"
                            "  }\n"
                            "}\n");
  const RealServerConf& rs = c.virtual_servers[0].real_servers[0];
  EXPECT_EQ(rs.notify_up, "/usr/local/bin/up --reason 'rs up'");
  ASSERT_EQ(rs.checks.size(), 1u);
  EXPECT_EQ(rs.checks[0].misc_path, "/bin/check 10.0.0.1");
  EXPECT_EQ(c.virtual_servers[0].sched, lb::SchedKind::wlc);
  EXPECT_EQ(c.virtual_servers[0].mode, lb::FwdMode::nat);
}

TEST(Shapes, NoGaleBlockDerivesInterfaces) {
  ParseOptions o{.config_id = "lb1"};
  o.link_of = [](const net::IpAddr& a) -> std::optional<std::string> {
    return std::string(net::to_text(a).view()).starts_with("10.") ? "eth2" : "lo";
  };
  auto c = parse_config(
      "vrrp_instance VI_1 {\n  interface eth1\n  virtual_router_id 5\n}\n"
      "virtual_server 192.0.2.1 80 {\n  real_server 10.0.0.1 80\n}\n",
      "s.conf", o);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_FALSE(c->has_gale_block);
  EXPECT_EQ(c->gale.interfaces, (std::vector<std::string>{"eth1", "eth2"}));
  EXPECT_TRUE(c->gale.io_fallback);
  ASSERT_GE(c->derived.size(), 2u);
  EXPECT_EQ(c->derived[0], "interfaces += eth1 (vrrp_instance VI_1 at s.conf:1:1)");
  EXPECT_EQ(c->derived[1], "interfaces += eth2 (the route towards real server 10.0.0.1)");
}

TEST(Shapes, NoGaleBlockAndNothingToDeriveFrom) {
  EXPECT_EQ(parse_error("virtual_server 192.0.2.1 80 {\n  real_server 10.0.0.1 80\n}\n"),
            "s.conf: no gale { } block and no interface to derive one from (no vrrp_instance "
            "names an interface): write gale { interfaces IFNAME ... } (the first faces "
            "clients)");
}

}  // namespace
}  // namespace gale::ctl
