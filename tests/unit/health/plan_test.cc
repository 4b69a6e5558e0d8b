// plan_checks: the defaults keepalived resolves (port, delay_loop, Host) and a group's
// server checked once for all its member services.
#include <gtest/gtest.h>

#include "ctl/parser.h"
#include "health/plan.h"

namespace gale::health {
namespace {

ctl::Config parse(const std::string& text) {
  auto c = ctl::parse_config(text, "t.conf");
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? *c : ctl::Config{};
}

TEST(HealthPlan, Defaults) {
  const auto plan = plan_checks(parse(R"(gale { interfaces eth0 }
virtual_server 192.0.2.1 80 {
  delay_loop 3
  virtualhost www.example
  real_server 10.0.0.1 8080 {
    HTTP_GET {
      url {
        path /
      }
    }
    TCP_CHECK {
      connect_port 22
      delay_loop 1
    }
    DNS_CHECK { connect_ip 10.0.0.9 }
  }
  real_server 10.0.0.2 80 { }
}
)"));
  ASSERT_EQ(plan.size(), 1u);  // 10.0.0.2 has no checker: nothing to run
  const PlannedServer& s = plan[0];
  ASSERT_EQ(s.refs.size(), 1u);
  EXPECT_EQ(s.refs[0].service.port, 80);
  ASSERT_EQ(s.checks.size(), 3u);
  EXPECT_EQ(s.checks[0].port, 8080);
  EXPECT_EQ(s.checks[0].delay_loop_ms, 3000u);
  EXPECT_EQ(s.checks[0].host, "www.example");
  EXPECT_EQ(s.checks[1].port, 22);
  EXPECT_EQ(s.checks[1].delay_loop_ms, 1000u);
  EXPECT_EQ(describe(s.checks[2]), "DNS_CHECK 10.0.0.9:8080");
  EXPECT_NE(s.checks[0].id, s.checks[1].id);
}

TEST(HealthPlan, GroupServerCheckedOnce) {
  const auto plan = plan_checks(parse(R"(gale { interfaces eth0 }
virtual_server_group web {
  192.0.2.1 80
  192.0.2.2 80
}
virtual_server group web {
  real_server 10.0.0.1 80 { TCP_CHECK { } }
}
)"));
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].refs.size(), 2u);
  EXPECT_EQ(plan[0].checks.size(), 1u);
}

}  // namespace
}  // namespace gale::health
