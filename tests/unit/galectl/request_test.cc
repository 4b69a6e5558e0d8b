// ipvsadm commands as control-socket requests: the shapes of the protocol in
// docs/control.md (written from it, not from the code).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "ctl/ipvsadm_request.h"

namespace gale::ctl::ipvsadm {
namespace {

nlohmann::json request(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;)
    words.push_back(w);
  auto inv = parse(words);
  EXPECT_TRUE(inv.has_value()) << line;
  return inv ? request_for(*inv) : nlohmann::json();
}

TEST(Request, Services) {
  const auto add = request("-A -t 10.0.0.1:80 -s rr -p");
  EXPECT_EQ(add["cmd"], "add_service");
  EXPECT_EQ(add["service"]["proto"], "tcp");
  EXPECT_EQ(add["service"]["vip"], "10.0.0.1");
  EXPECT_EQ(add["service"]["port"], 80);
  EXPECT_EQ(add["service"]["sched"], "rr");
  EXPECT_EQ(add["service"]["persistence_s"], 360);
  EXPECT_EQ(request("-E -u 10.0.0.1:53")["cmd"], "edit_service");
  EXPECT_EQ(
      request("-D -f 7 -6"),
      nlohmann::json::parse(R"({"cmd":"delete_service","service":{"fwmark":7,"family":"v6"}})"));
  EXPECT_EQ(request("-C"), nlohmann::json::parse(R"({"cmd":"clear"})"));
}

TEST(Request, RealServers) {
  const auto add = request("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 3");
  EXPECT_EQ(add["cmd"], "add_dest");
  EXPECT_EQ(add["service"]["vip"], "10.0.0.1");
  EXPECT_EQ(add["dest"]["addr"], "10.0.0.2");
  EXPECT_EQ(add["dest"]["port"], 8080);
  EXPECT_EQ(add["dest"]["mode"], "nat");
  EXPECT_EQ(add["dest"]["weight"], 3);
  const auto gue = request("-e -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080");
  EXPECT_EQ(gue["cmd"], "edit_dest");
  EXPECT_EQ(gue["dest"]["mode"], "tun");
  EXPECT_EQ(gue["dest"]["tun_type"], "gue");
  EXPECT_EQ(gue["dest"]["tun_port"], 6080);
  EXPECT_EQ(request("-d -t 10.0.0.1:80 -r 10.0.0.2"), nlohmann::json::parse(R"({"cmd":"delete_dest",
              "service":{"proto":"tcp","vip":"10.0.0.1","port":80},
              "dest":{"addr":"10.0.0.2","port":80}})"));
  EXPECT_EQ(request("--set-health down -t 10.0.0.1:80 -r 10.0.0.2:80"),
            nlohmann::json::parse(R"({"cmd":"set_health",
              "service":{"proto":"tcp","vip":"10.0.0.1","port":80},
              "dest":{"addr":"10.0.0.2","port":80},"healthy":false})"));
}

TEST(Request, ListingsAndOthers) {
  EXPECT_EQ(request("-L -n"), nlohmann::json::parse(R"({"cmd":"listing"})"));
  EXPECT_EQ(request("-S"), nlohmann::json::parse(R"({"cmd":"listing"})"));
  EXPECT_EQ(request("-L -c"), nlohmann::json::parse(R"({"cmd":"conns","limit":100000})"));
  EXPECT_EQ(request("-Z"), nlohmann::json::parse(R"({"cmd":"zero"})"));
  EXPECT_EQ(request("-Z -t 10.0.0.1:80")["service"]["port"], 80);
  EXPECT_EQ(request("--set 900 0 300"),
            nlohmann::json::parse(R"({"cmd":"set_timeout","tcp":900,"tcpfin":0,"udp":300})"));
}

TEST(Request, SyncDaemons) {
  EXPECT_EQ(request("--start-daemon master --mcast-interface eth1 --syncid 5"),
            nlohmann::json::parse(R"({"cmd":"start_daemon","daemon":{"role":"master",
              "interface":"eth1","syncid":5,"maxlen":1472,"group":"224.0.0.81","port":8848,
              "ttl":1}})"));
  EXPECT_EQ(request("--start-daemon backup")["daemon"]["interface"], "eth0");
  EXPECT_EQ(request("--stop-daemon backup"),
            nlohmann::json::parse(R"({"cmd":"stop_daemon","role":"backup"})"));
  EXPECT_EQ(request("-L --daemon"), nlohmann::json::parse(R"({"cmd":"daemons"})"));
  EXPECT_EQ(request("-L -n --daemon"), nlohmann::json::parse(R"({"cmd":"daemons"})"));
}

}  // namespace
}  // namespace gale::ctl::ipvsadm
