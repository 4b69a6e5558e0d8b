// Directives stored but not acted on: one warning each, at the directive, saying what
// gale does instead; directives gale acts on give none.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctl/parser.h"

namespace gale::ctl {
namespace {

std::vector<std::string> warnings_of(const std::string& text) {
  auto c = parse_config(text, "w.conf");
  EXPECT_TRUE(c.has_value()) << c.error().message;
  std::vector<std::string> out;
  if (c.has_value())
    for (const Warning& w : c->warnings)
      out.push_back(to_string(w));
  return out;
}

TEST(Warnings, OnePerUnactedDirectiveAtItsLocation) {
  const auto w = warnings_of(
      "global_defs {\n"                    // 1
      "  router_id lb1\n"                  // 2
      "}\n"                                // 3
      "gale {\n"                           // 4
      "  interfaces eth0\n"                // 5
      "  metrics_listen 127.0.0.1:9469\n"  // 6
      "}\n"                                // 7
      "virtual_server 192.0.2.1 80 {\n"    // 8
      "  delay_loop 5\n"                   // 9
      "  lb_kind DR\n"                     // 10
      "  quorum 2\n"                       // 11
      "  alpha\n"                          // 12
      "  omega\n"                          // 13
      "  sorry_server 10.9.9.9 80\n"       // 14
      "  real_server 10.0.0.1 80 {\n"      // 15
      "    weight 2\n"                     // 16
      "    notify_down /bin/true\n"        // 17
      "    TCP_CHECK {\n"                  // 18
      "      connect_timeout 3\n"          // 19
      "    }\n"                            // 20
      "  }\n"                              // 21
      "}\n"                                // 22
      "vrrp_instance VI_1 {\n"             // 23
      "  interface eth0\n"                 // 24
      "  virtual_router_id 51\n"           // 25
      "  notify_master /bin/true\n"        // 26
      "  use_vmac_addr\n"                  // 27
      "  \n"                               // 28
      "  \n"                               // 29
      "  lower_prio_no_advert\n"           // 30
      "}\n");
  // VRRP runs: a vrrp_instance warns only for what its VRRP does not act on yet.
  const std::vector<std::string> want = {
      "w.conf:2:3: warning: router_id is unused: gale sends no notifications that name the node",
      "w.conf:27:3: warning: use_vmac_addr is not acted on yet by gale's VRRP (docs/ha.md)",
      "w.conf:30:3: warning: lower_prio_no_advert is not acted on yet by gale's VRRP (docs/ha.md)",
  };
  EXPECT_EQ(w, want);
}

// VRRP adds its VIPs with dev and label; ip-address(8)'s other options warn, each.
TEST(Warnings, VirtualAddressOptionsGaleDoesNotApply) {
  const auto w = warnings_of(
      "gale {\n  interfaces eth0\n}\n"                                    // 1-3
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n"  // 4-6
      "  virtual_ipaddress {\n"                                           // 7
      "    192.0.2.5/24 dev eth0 label eth0:v scope global no_track\n"    // 8
      "  }\n}\n");
  const std::vector<std::string> want = {
      "w.conf:8:40: warning: virtual_ipaddress option scope is not applied: gale adds the "
      "address with the kernel's defaults (it reads dev and label)",
      "w.conf:8:53: warning: virtual_ipaddress option no_track is not applied: gale adds the "
      "address with the kernel's defaults (it reads dev and label)",
  };
  EXPECT_EQ(w, want);
}

TEST(Warnings, KeepalivedKeywordsWithoutAGaleFeatureWarnOnce) {
  const auto w = warnings_of(
      "gale {\n  interfaces eth0\n}\n"                    // 1-3
      "global_defs {\n"                                   // 4
      "  notification_email {\n    a@b\n  }\n"            // 5-7
      "  vrrp_strict\n"                                   // 8
      "}\n"                                               // 9
      "static_ipaddress {\n  192.0.2.1/24 dev eth0\n}\n"  // 10-12
      "virtual_server 192.0.2.1 80 {\n"                   // 13
      "  ops\n"                                           // 14
      "  real_server 10.0.0.1 80 {\n"                     // 15
      "    PING_CHECK {\n      retry 2\n    }\n"          // 16-18
      "  }\n"
      "}\n");
  const std::vector<std::string> want = {
      "w.conf:5:3: warning: notification_email is unused: gale sends no e-mail; state changes "
      "are logged",
      "w.conf:8:3: warning: vrrp_strict is not acted on yet by gale's VRRP (docs/ha.md)",
      "w.conf:10:1: warning: static_ipaddress is not applied: gale adds no static addresses, "
      "routes or rules (configure them with the system's network tools)",
      "w.conf:14:3: warning: ops is not applied: every packet of a flow goes to the same real "
      "server (no one-packet scheduling)",
      "w.conf:16:5: warning: PING_CHECK is not run: gale has no such checker yet; the real "
      "server's other checkers decide its state (with none, it counts as up)",
  };
  EXPECT_EQ(w, want);
}

TEST(Warnings, TyposOfWarnedKeywordsStayErrorsWithAHint) {
  auto c = parse_config("gale {\n  interfaces eth0\n}\nglobal_defs {\n  notifcation_email x\n}\n",
                        "w.conf");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message,
            "w.conf:5:3: unknown keyword \"notifcation_email\" in global_defs (did you mean "
            "\"notification_email\"?)");
}

TEST(Warnings, FwmarkServiceWithoutAMatchRule) {
  // keepalived accepts it (iptables marks the packets); gale warns that nothing matches.
  EXPECT_EQ(warnings_of("gale {\n  interfaces eth0\n}\nvirtual_server fwmark 5 {\n}\n"),
            std::vector<std::string>{
                "w.conf:4:1: warning: fwmark 5: no packet carries this mark for gale (it sees "
                "packets before netfilter): say which do with gale { fwmark 5 { match tcp "
                "192.0.2.0/24 ports 80,443 } }"});
}

TEST(Warnings, NoneForWhatGaleActsOn) {
  EXPECT_TRUE(warnings_of("gale {\n  interfaces eth0\n  workers 2\n  timeout tcp 900\n"
                          "  metrics_listen 127.0.0.1:9469\n}\n"
                          "virtual_server 192.0.2.1 80 {\n  lb_algo wrr\n  lb_kind NAT\n"
                          "  persistence_timeout 60\n"
                          "  real_server 10.0.0.1 8080 {\n    weight 3\n"
                          "    inhibit_on_failure\n    uthreshold 100\n  }\n}\n")
                  .empty());
  // The health checkers and their settings, at every level keepalived takes them.
  EXPECT_TRUE(warnings_of("gale {\n  interfaces eth0\n}\n"
                          "virtual_server 192.0.2.1 80 {\n  delay_loop 3\n  alpha\n  retry 2\n"
                          "  inhibit_on_failure\n  virtualhost www.example.com\n"
                          "  real_server 10.0.0.1 80 {\n    warmup 2\n    virtualhost a.example\n"
                          "    notify_up /bin/true\n    notify_down /bin/true\n"
                          "    TCP_CHECK {\n      bind_if eth0\n      fwmark 3\n    }\n"
                          "    HTTP_GET {\n      url {\n        path /\n        status_code 200\n"
                          "      }\n      http_protocol 1.1\n    }\n"
                          "    UDP_CHECK {\n      min_reply_length 2\n    }\n"
                          "    MISC_CHECK {\n      misc_path /bin/true\n      misc_dynamic\n    }\n"
                          "    DNS_CHECK {\n      type A\n    }\n"
                          "    SMTP_CHECK {\n      helo_name x\n      host {\n"
                          "        connect_ip 10.0.0.9\n      }\n    }\n  }\n}\n")
                  .empty());
}

}  // namespace
}  // namespace gale::ctl
