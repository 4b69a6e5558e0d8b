// `galed -t` (check_config) runs the build galed runs at start: a config that the
// snapshot's finalize() or the worker split would reject fails the check, with the
// file:line:col of what to change.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <string>

#include "ctl/config_check.h"
#include "ctl/parser.h"

namespace gale::ctl {
namespace {

std::string write_conf(const std::string& text) {
  static int n = 0;
  const std::string path =
      "/tmp/gale-check-" + std::to_string(getpid()) + "-" + std::to_string(n++) + ".conf";
  std::ofstream(path) << text;
  return path;
}

// "PATH:LINE:COL: ..." (no std::regex: g++ 12 warns inside it in the sanitizer build).
bool located(const std::string& message, const std::string& path) {
  if (message.rfind(path + ":", 0) != 0) return false;
  size_t i = path.size() + 1;
  for (int field = 0; field < 2; ++field) {
    const size_t start = i;
    while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i])))
      ++i;
    if (i == start || i >= message.size() || message[i] != ':') return false;
    ++i;
  }
  return message.compare(i, 1, " ") == 0;
}

struct Rejected {
  const char* name;
  std::string text;
  uint32_t workers;
  const char* says;
};

// Each of these passed `galed -t` before (it ran load_config alone) and failed at start,
// in Snapshot::finalize() or in the workers' FullNAT port split.
TEST(ConfigCheck, RejectsWhatStartWouldReject) {
  const Rejected cases[] = {
      {"FwmarkNatWithoutPort",
       "gale {\n  interfaces eth0\n  fwmark 5 {\n    match tcp 192.0.2.0/24\n  }\n}\n"
       "virtual_server fwmark 5 {\n  lb_kind NAT\n  real_server 10.0.0.1\n}\n",
       1, ":9:3: real_server 10.0.0.1: NAT needs the real server's port here"},
      {"FullNatMoreWorkersThanPorts",
       "gale {\n  interfaces eth0\n  fullnat_local_addresses 10.2.0.1\n"
       "  fullnat_ports 2000-2099\n}\n"
       "virtual_server 192.0.2.1 80 {\n  lb_kind FULLNAT\n  real_server 10.0.0.1 80\n}\n",
       128, ":1:1: fullnat_ports spans 100 ports for 128 workers"},
      // Users scripts run as must exist on the host, as keepalived requires.
      {"UnknownScriptUser",
       "global_defs {\n  script_user no-such-user-gale\n}\ngale {\n  interfaces eth0\n}\n", 1,
       ":2:15: user \"no-such-user-gale\": no such user on this host"},
      {"UnknownFifoOwner",
       "global_defs {\n  vrrp_notify_fifo /tmp/gale.fifo no-such-user-gale\n}\n"
       "gale {\n  interfaces eth0\n}\n",
       1, ":2:20: user \"no-such-user-gale\": no such user on this host (the FIFO's owner)"},
      {"TrackFileDirectoryMissing",
       "gale {\n  interfaces eth0\n}\ntrack_file f {\n  file /nonexistent-gale/f\n}\n"
       "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  track_file {\n    f\n"
       "  }\n}\n",
       1, ":4:1: track_file \"f\": directory /nonexistent-gale/ does not exist on this host"},
      {"UnknownMiscUser",
       "gale {\n  interfaces eth0\n}\nvirtual_server 192.0.2.1 80 {\n  lb_kind DR\n"
       "  real_server 10.0.0.1 80 {\n    MISC_CHECK {\n      misc_path /bin/true\n"
       "      user root no-such-group-gale\n    }\n  }\n}\n",
       1, ":9:12: group \"no-such-group-gale\": no such group on this host"},
  };
  for (const Rejected& c : cases) {
    const std::string path = write_conf(c.text);
    auto r = check_config(path, c.workers);
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_TRUE(located(r.error().message, path)) << r.error().message;
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << r.error().message;
    unlink(path.c_str());
  }
}

TEST(ConfigCheck, AcceptsAndCountsAGoodConfig) {
  const std::string path = write_conf(
      "gale {\n  interfaces eth0 eth1\n}\n"
      "virtual_server_group web {\n  192.0.2.1-3 80\n}\n"
      "virtual_server group web {\n  lb_kind DR\n  real_server 10.0.0.1 80\n"
      "  real_server 10.0.0.2 80\n}\n");
  auto r = check_config(path, 4);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->services, 3u);
  EXPECT_EQ(r->real_servers, 6u);
  unlink(path.c_str());
}

// Whatever finalize() rejects that validation missed still gets the location of the
// virtual_server at fault: here a Config made by hand, so no validation ran.
TEST(ConfigCheck, FinalizeErrorsNameTheVirtualServer) {
  auto c = parse_config(
      "gale {\n  interfaces eth0\n}\n"
      "virtual_server 192.0.2.1 80 {\n  lb_kind DR\n  real_server 10.0.0.1 80\n}\n"
      "virtual_server 192.0.2.2 80 {\n  lb_kind DR\n  real_server 10.0.0.2 80\n}\n",
      "t.conf");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  c->virtual_servers[1].real_servers[0].port = 8080;  // DR cannot change the port
  RealServerIds ids;
  auto r = build_snapshot(*c, synthetic_host(*c), ids);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.rfind("t.conf:8:1: real server 10.0.0.2:8080: DR and TUN", 0), 0u)
      << r.error().message;
}

}  // namespace
}  // namespace gale::ctl
