// Every checker against real servers, run by checkers.sh inside a namespace it made:
// nginx on 127.0.0.1:8080 (index.html, whose MD5 the script computed with md5sum, in
// HC_DIGEST), openssl s_server -www on 8443, a socat UDP echo on 5000 (5001 closed),
// an SMTP sink on 2525 (a refusing one on 2526), dnsmasq on 5353 (check.test), and TCP
// port 9999 black-holed by nftables. A real server's port here only names the case; the
// checker's connect_port says where it goes.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>

#include "ctl/parser.h"
#include "health/engine.h"

namespace gale::health {
namespace {

using Clock = std::chrono::steady_clock;

struct Case {
  const char* name;
  std::string block;  // ';' separates lines
  bool up;
  std::string reason;  // a part of the failure reason
};

std::string env(const char* k) {
  const char* v = std::getenv(k);
  return v ? v : "";
}

TEST(HealthCheckers, VerdictsAgainstRealServers) {
  const std::string digest = env("HC_DIGEST");
  ASSERT_EQ(digest.size(), 32u) << "run me from checkers.sh";
  const std::vector<Case> cases = {
      {"http 200", "HTTP_GET {;connect_port 8080;url {;path /;};}", true, ""},
      {"http 404 default codes", "HTTP_GET {;connect_port 8080;url {;path /missing;};}", false,
       "HTTP status 404"},
      {"http 404 accepted", "HTTP_GET {;connect_port 8080;url {;path /missing;status_code 404;};}",
       true, ""},
      {"http range", "HTTP_GET {;connect_port 8080;url {;path /;status_code 300-399;};}", false,
       "HTTP status 200"},
      {"http digest", "HTTP_GET {;connect_port 8080;url {;path /;digest " + digest + ";};}", true,
       ""},
      {"http bad digest",
       "HTTP_GET {;connect_port 8080;url {;path /;digest 00000000000000000000000000000000;};}",
       false, "digest " + digest},
      {"http two urls", "HTTP_GET {;connect_port 8080;url {;path /;};url {;path /missing;};}",
       false, "/missing: HTTP status 404"},
      {"http 1.1",
       "HTTP_GET {;connect_port 8080;http_protocol 1.1;url {;path /;digest " + digest + ";};}",
       true, ""},
      {"ssl", "SSL_GET {;connect_port 8443;enable_sni;virtualhost check.test;url {;path /;};}",
       true, ""},
      {"ssl to plain http", "SSL_GET {;connect_port 8080;url {;path /;};}", false, "TLS"},
      {"udp echo", "UDP_CHECK {;connect_port 5000;payload 68656c6c6f;require_reply;}", true, ""},
      {"udp short reply",
       "UDP_CHECK {;connect_port 5000;payload 6869;require_reply;min_reply_length 10;}", false,
       "outside min_reply_length"},
      {"udp closed", "UDP_CHECK {;connect_port 5001;payload 6869;}", false, "Connection refused"},
      {"smtp", "SMTP_CHECK {;connect_port 2525;helo_name gale.test;}", true, ""},
      {"smtp refusing", "SMTP_CHECK {;connect_port 2526;}", false, "SMTP 554"},
      {"dns", "DNS_CHECK {;connect_port 5353;type A;name check.test;}", true, ""},
      {"dns no server", "DNS_CHECK {;connect_port 5354;type A;name check.test;}", false, ""},
      {"misc", "MISC_CHECK {;misc_path \"/bin/sh -c 'exit 0'\";}", true, ""},
      {"tcp refused", "TCP_CHECK {;connect_port 8081;}", false, "Connection refused"},
      {"tcp black hole", "TCP_CHECK {;connect_port 9999;connect_timeout 1;}", false, "timed out"},
  };
  std::string text = "gale { interfaces lo }\nvirtual_server 192.0.2.1 80 {\n";
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string b = cases[i].block;
    std::replace(b.begin(), b.end(), ';', '\n');
    // retry 0: the first attempt is the verdict. Port 1000 + i names the case.
    b.insert(b.find('\n') + 1, "retry 0\nconnect_timeout 2\n");
    if (cases[i].name == std::string("tcp black hole"))
      b.replace(b.find("connect_timeout 2"), 17, "delay_loop 60");
    text += "real_server 127.0.0.1 " + std::to_string(1000 + i) + " {\n" + b + "\n}\n";
  }
  // A good server checked every 0.1 s while the black hole times out.
  text += "real_server 127.0.0.1 2000 {\nTCP_CHECK {\nconnect_port 8080\ndelay_loop 0.1\n}\n}\n}\n";
  auto config = ctl::parse_config(text, "e2e.conf");
  ASSERT_TRUE(config) << config.error().message;

  std::mutex mu;
  std::condition_variable cv;
  std::map<uint16_t, std::pair<ctl::HealthState, Clock::time_point>> verdicts;
  size_t good_checks = 0;
  Engine engine(
      [&](const ctl::RealServerRef& r, const ctl::HealthState& s, const ctl::CheckStats& d) {
        std::lock_guard lock(mu);
        if (r.port == 2000) good_checks += d.checks;
        if (d.checks && !verdicts.count(r.port)) verdicts[r.port] = {s, Clock::now()};
        cv.notify_all();
      });
  const auto t0 = Clock::now();
  engine.start(*config);
  std::unique_lock lock(mu);
  cv.wait_for(lock, std::chrono::seconds(5), [&] { return verdicts.size() > cases.size(); });
  size_t good_at_black_hole = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    auto v = verdicts.find(static_cast<uint16_t>(1000 + i));
    ASSERT_NE(v, verdicts.end()) << c.name << ": no verdict";
    EXPECT_EQ(v->second.first.up, c.up) << c.name << ": " << v->second.first.reason;
    EXPECT_NE(v->second.first.reason.find(c.reason), std::string::npos)
        << c.name << ": " << v->second.first.reason;
    if (c.name == std::string("tcp black hole")) {
      const auto took = v->second.second - t0;
      EXPECT_GE(took, std::chrono::milliseconds(950)) << "connect_timeout is 1 s";
      EXPECT_LE(took, std::chrono::milliseconds(1300));
      good_at_black_hole = good_checks;
    }
  }
  // delay_loop 0.1 for about a second: the hung connect delayed nobody.
  EXPECT_GE(good_at_black_hole, 8u);
}

}  // namespace
}  // namespace gale::health
