// The control socket's commands through a real Unix socket: every command answers with
// its real result, or ok:false and a message, never ok for something that did not happen.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <algorithm>
#include <optional>

#include "ctl/control_commands.h"
#include "ctl/control_socket.h"
#include "ctl/parser.h"

namespace gale::ctl {
namespace {

using nlohmann::json;

const char* kConf =
    "gale {\n  interfaces eth0\n}\n"
    "virtual_server 192.0.2.10 80 {\n  lb_kind NAT\n"
    "  real_server 10.1.0.1 8080\n  real_server 10.1.0.2 8080\n}\n"
    "virtual_server 192.0.2.10 53 {\n  protocol UDP\n  lb_kind DR\n"
    "  real_server 10.1.0.3\n}\n";

// A real model behind the commands; reload fails when told to; no dataplane.
class FakeApi : public ControlApi {
 public:
  explicit FakeApi(Config c) { EXPECT_TRUE(model_.load(std::move(c))); }
  Expected<uint64_t> reload() override {
    if (reload_error.empty()) return ++generation;
    return fail(reload_error);
  }
  Expected<uint64_t> change(const ModelChange& change) override {
    Model next = model_;
    if (auto r = change(next); !r) return fail(r.error().message);
    model_ = std::move(next);
    return ++generation;
  }
  const Model& model() const override { return model_; }
  json stats() override { return {{"ok", true}, {"rx", 7}}; }
  Listing listing() override { return {.generation = generation}; }
  Expected<ConnListing> conns(uint64_t limit) override {
    ConnListing l{.total = 5};
    l.conns.resize(std::min<uint64_t>(limit, 5));
    for (ConnRow& c : l.conns)
      c = {.client = *net::parse_ip("192.0.2.1"),
           .vip = *net::parse_ip("192.0.2.10"),
           .rs = *net::parse_ip("10.1.0.1")};
    return l;
  }
  Expected<void> zero(const std::optional<ServiceKey>& k) override {
    zeroed.push_back(k);
    return {};
  }

  std::string reload_error;
  std::vector<std::optional<ServiceKey>> zeroed;
  uint64_t generation = 1;

 private:
  Model model_;
};

class ControlSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = parse_config(kConf, "t.conf");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    api_ = std::make_unique<FakeApi>(*c);
    path_ = "/tmp/gale-ctl-test-" + std::to_string(getpid()) + ".sock";
    auto s =
        ControlSocket::open(path_, "", [this](const json& r) { return handle_request(*api_, r); });
    ASSERT_TRUE(s.has_value()) << s.error().message;
    sock_ = std::make_unique<ControlSocket>(std::move(*s));
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path_.c_str(), path_.size());
    ASSERT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
  }
  // Sends one line, serves it, reads the answer line.
  json ask(const std::string& line) {
    const std::string out = line + "\n";
    EXPECT_EQ(write(fd_, out.data(), out.size()), static_cast<ssize_t>(out.size()));
    std::string in;
    char buf[4096];
    while (in.find('\n') == std::string::npos) {
      sock_->serve();  // the socket is non-blocking: serve until the answer is there
      const ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) in.append(buf, static_cast<size_t>(n));
      if (n == 0) break;
    }
    return json::parse(in);
  }

  std::unique_ptr<FakeApi> api_;
  std::unique_ptr<ControlSocket> sock_;
  std::string path_;
  int fd_ = -1;
};

TEST_F(ControlSocketTest, ReloadAnswersTheOutcome) {
  json ok = ask(R"({"cmd":"reload"})");
  EXPECT_EQ(ok["ok"], true);
  EXPECT_EQ(ok["generation"], 2);
  api_->reload_error = "gale.conf:3:5: unknown lb_algo \"wrrr\" (did you mean \"wrr\"?)";
  json bad = ask(R"({"cmd":"reload"})");
  EXPECT_EQ(bad["ok"], false);
  EXPECT_NE(bad["error"].get<std::string>().find("gale.conf:3:5: unknown lb_algo"),
            std::string::npos)
      << bad;
}

const VirtualServerConf* find(const Model& m, uint16_t port, uint8_t proto) {
  for (const VirtualServerConf& vs : m.effective().virtual_servers)
    if (vs.port == port && vs.proto == proto) return &vs;
  return nullptr;
}

TEST_F(ControlSocketTest, SetHealthTakesAConfiguredServer) {
  json r = ask(R"({"cmd":"set_health","service":{"vip":"192.0.2.10","port":80,"proto":"tcp"},)"
               R"("dest":{"addr":"10.1.0.2","port":8080},"healthy":false})");
  ASSERT_EQ(r["ok"], true) << r;
  EXPECT_EQ(r["generation"], 2);
  const auto& health = api_->model().health();
  ASSERT_EQ(health.size(), 1u);
  const auto& [ref, state] = *health.begin();
  EXPECT_EQ(ref.service.vip, *net::parse_ip("192.0.2.10"));
  EXPECT_EQ(ref.service.port, 80);
  EXPECT_EQ(ref.service.proto, 6);
  EXPECT_EQ(ref.addr, *net::parse_ip("10.1.0.2"));
  EXPECT_EQ(ref.port, 8080);
  EXPECT_FALSE(state.up);
  // A DR server written without a port, named by its address alone (UDP service).
  r = ask(R"({"cmd":"set_health","service":{"vip":"192.0.2.10","port":53,"proto":"udp"},)"
          R"("dest":{"addr":"10.1.0.3"},"healthy":false})");
  ASSERT_EQ(r["ok"], true) << r;
  EXPECT_EQ(api_->model().health().size(), 2u);
}

TEST_F(ControlSocketTest, RuntimeServiceAndDest) {
  json r = ask(R"({"cmd":"add_service","service":{"vip":"192.0.2.11","port":80,"proto":"tcp",)"
               R"("sched":"rr","mode":"nat"}})");
  ASSERT_EQ(r["ok"], true) << r;
  r = ask(R"({"cmd":"add_dest","service":{"vip":"192.0.2.11","port":80},)"
          R"("dest":{"addr":"10.1.0.5","port":8080,"weight":4}})");
  ASSERT_EQ(r["ok"], true) << r;
  const VirtualServerConf* vs = find(api_->model(), 80, 6);
  ASSERT_NE(vs, nullptr);
  vs = &api_->model().effective().virtual_servers.back();
  EXPECT_EQ(vs->origin, Origin::runtime);
  EXPECT_EQ(vs->sched, lb::SchedKind::rr);
  ASSERT_EQ(vs->real_servers.size(), 1u);
  EXPECT_EQ(vs->real_servers[0].mode, lb::FwdMode::nat);  // the service's default mode
  EXPECT_EQ(vs->real_servers[0].weight, 4u);
  r = ask(R"({"cmd":"edit_dest","service":{"vip":"192.0.2.11","port":80},)"
          R"("dest":{"addr":"10.1.0.5","port":8080,"weight":0}})");
  ASSERT_EQ(r["ok"], true) << r;
  EXPECT_EQ(api_->model().effective().virtual_servers.back().real_servers[0].weight, 0u);
  r = ask(R"({"cmd":"delete_dest","service":{"vip":"192.0.2.11","port":80},)"
          R"("dest":{"addr":"10.1.0.5","port":8080}})");
  ASSERT_EQ(r["ok"], true) << r;
  r = ask(R"({"cmd":"delete_service","service":{"vip":"192.0.2.11","port":80}})");
  ASSERT_EQ(r["ok"], true) << r;
  EXPECT_EQ(api_->model().effective().virtual_servers.size(), 2u);
  r = ask(R"({"cmd":"set_timeout","tcp":100,"udp":0})");
  ASSERT_EQ(r["ok"], true) << r;
  EXPECT_EQ(api_->model().effective().gale.timeouts.tcp, 100u);
  EXPECT_EQ(api_->model().effective().gale.timeouts.udp, 300u);  // 0: unchanged
  r = ask(R"({"cmd":"clear"})");
  ASSERT_EQ(r["ok"], true) << r;
  EXPECT_TRUE(api_->model().effective().virtual_servers.empty());
}

TEST_F(ControlSocketTest, QueriesAnswerTheirAggregates) {
  json r = ask(R"({"cmd":"conns","limit":2})");
  ASSERT_EQ(r["ok"], true) << r;
  EXPECT_EQ(r["conns"]["total"], 5);
  EXPECT_EQ(r["conns"]["conns"].size(), 2u);
  r = ask(R"({"cmd":"listing"})");
  ASSERT_EQ(r["ok"], true) << r;
  EXPECT_EQ(r["listing"]["generation"], 1);
  r = ask(R"({"cmd":"zero","service":{"fwmark":3}})");
  ASSERT_EQ(r["ok"], true) << r;
  ASSERT_EQ(api_->zeroed.size(), 1u);
  EXPECT_EQ(api_->zeroed[0]->fwmark, 3u);
}

struct Refusal {
  const char* request;
  const char* says;  // part of the expected message
};

TEST_F(ControlSocketTest, RefusesWhatTheModelDoesNotHave) {
  const Refusal cases[] = {
      {R"({"cmd":"set_health","service":{"vip":"192.0.2.10","port":80},)"
       R"("dest":{"addr":"10.1.0.9","port":8080}})",
       "set_health: no real server 10.1.0.9:8080 in tcp 192.0.2.10:80"},
      {R"({"cmd":"set_health","service":{"vip":"192.0.2.10","port":81},"dest":{"addr":"10.1.0.1"}})",
       "no service tcp 192.0.2.10:81"},
      {R"({"cmd":"set_health","service":{"vip":"192.0.2.10","port":80,"proto":"sctp"},)"
       R"("dest":{"addr":"10.1.0.1"}})",
       "proto: \"sctp\" is not tcp or udp"},
      {R"({"cmd":"set_health","service":{"vip":"nonsense","port":80},"dest":{"addr":"10.1.0.1"}})",
       "vip: \"nonsense\" is not an IP address"},
      {R"({"cmd":"set_health","service":{"vip":"192.0.2.10","port":"80"},"dest":{"addr":"10.1.0.1"}})",
       "port: a number from 0 to 65535"},
      {R"({"cmd":"set_health","service":{"vip":"192.0.2.10","port":80},)"
       R"("dest":{"addr":"10.1.0.1","port":8080},"healthy":"no"})",
       "healthy: true or false"},
      {R"({"cmd":"add_dest","service":{"vip":"192.0.2.10","port":80},"dest":{"addr":"10.1.0.1",)"
       R"("port":8080,"mode":"nat"}})",
       "add_dest: real server 10.1.0.1:8080 of tcp 192.0.2.10:80 already exists"},
      {R"({"cmd":"add_dest","service":{"vip":"192.0.2.10","port":80},"dest":{"addr":"10.1.0.7",)"
       R"("weight":70000}})",
       "add_dest: dest: weight: a number from 0 to 65535"},
      {R"({"cmd":"add_service","service":{"vip":"192.0.2.10","port":80}})",
       "add_service: service tcp 192.0.2.10:80 already exists"},
      {R"({"cmd":"delete_service"})", "delete_service: service: {"},
      {R"({"cmd":"set_timeout","tcp":-1})", "set_timeout: tcp: a number from 0"},
      {R"({"cmd":"conns","limit":"all"})", "conns: limit: a number"},
      {R"({"cmd":"frobnicate"})", "unknown cmd \"frobnicate\""},
      {R"({"nocmd":1})", "names no \"cmd\""},
      {R"([1,2])", "a request is a JSON object"},
      {R"({"cmd":)", "bad request"},
  };
  for (const Refusal& c : cases) {
    json r = ask(c.request);
    EXPECT_EQ(r["ok"], false) << c.request;
    EXPECT_NE(r.value("error", std::string()).find(c.says), std::string::npos)
        << c.request << " -> " << r;
  }
  EXPECT_TRUE(api_->model().health().empty());
  EXPECT_EQ(api_->generation, 1u);
}

TEST_F(ControlSocketTest, StatsComesFromTheApi) {
  json r = ask(R"({"cmd":"stats"})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["rx"], 7);
}

// Root (and the socket's owner) only by default; control_socket_group opens it to one
// group: socket 0660, its directory 0750, both of that group.
TEST(ControlSocketPermissions, OwnerOnlyOrOneGroup) {
  const auto handler = [](const json&) { return json{{"ok", true}}; };
  const std::string dir = "/tmp/gale-ctl-perm-" + std::to_string(getpid());
  struct stat st {};
  {
    auto s = ControlSocket::open(dir + "/a.sock", "", handler);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    ASSERT_EQ(stat((dir + "/a.sock").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
  }
  const group* g = getgrgid(getegid() == 0 ? 1 : getegid());  // "daemon" as root
  ASSERT_NE(g, nullptr);
  {
    auto s = ControlSocket::open(dir + "/a.sock", g->gr_name, handler);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    ASSERT_EQ(stat((dir + "/a.sock").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    EXPECT_EQ(st.st_gid, g->gr_gid);
    ASSERT_EQ(stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0750u);
    EXPECT_EQ(st.st_gid, g->gr_gid);
  }
  auto bad = ControlSocket::open(dir + "/a.sock", "no-such-group-gale", handler);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("control_socket_group \"no-such-group-gale\": no such group"),
            std::string::npos)
      << bad.error().message;
  EXPECT_EQ(rmdir(dir.c_str()), 0);  // every socket file was removed with its socket
}

}  // namespace
}  // namespace gale::ctl
