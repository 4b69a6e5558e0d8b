// The control socket's commands through a real Unix socket: every command answers with
// its real result, or ok:false and a message, never ok for something that did not happen.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

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

// Records what it was asked; reload fails when told to.
class FakeApi : public ControlApi {
 public:
  explicit FakeApi(Config c) : config_(std::move(c)) {}
  Expected<uint64_t> reload() override {
    if (reload_error.empty()) return ++generation;
    return fail(reload_error);
  }
  Expected<uint64_t> set_health(const HealthChange& c) override {
    changes.push_back(c);
    return ++generation;
  }
  json stats() override { return {{"ok", true}, {"rx", 7}}; }
  const Config& config() const override { return config_; }

  std::string reload_error;
  std::vector<HealthChange> changes;
  uint64_t generation = 1;

 private:
  Config config_;
};

class ControlSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = parse_config(kConf, "t.conf");
    ASSERT_TRUE(c.has_value()) << c.error().message;
    api_ = std::make_unique<FakeApi>(*c);
    path_ = "/tmp/gale-ctl-test-" + std::to_string(getpid()) + ".sock";
    auto s = ControlSocket::open(path_, [this](const json& r) { return handle_request(*api_, r); });
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

TEST_F(ControlSocketTest, SetHealthTakesAConfiguredServer) {
  json r = ask(R"({"cmd":"set_health","vip":"192.0.2.10","vport":80,"proto":"tcp","rs":"10.1.0.2",)"
               R"("rs_port":8080,"healthy":false})");
  ASSERT_EQ(r["ok"], true) << r;
  ASSERT_EQ(api_->changes.size(), 1u);
  const HealthChange& c = api_->changes[0];
  EXPECT_EQ(c.service.vip, *net::parse_ip("192.0.2.10"));
  EXPECT_EQ(c.service.port, 80);
  EXPECT_EQ(c.service.proto, 6);
  EXPECT_EQ(c.rs, *net::parse_ip("10.1.0.2"));
  EXPECT_EQ(c.rs_port, 8080);
  EXPECT_FALSE(c.healthy);
  // A DR server written without a port, named by its address alone (UDP service).
  r = ask(R"({"cmd":"set_health","vip":"192.0.2.10","vport":53,"proto":"udp","rs":"10.1.0.3"})");
  ASSERT_EQ(r["ok"], true) << r;
  EXPECT_EQ(api_->changes.back().rs_port, 0);
  EXPECT_TRUE(api_->changes.back().healthy);
}

struct Refusal {
  const char* request;
  const char* says;  // part of the expected message
};

TEST_F(ControlSocketTest, SetHealthRefusesWhatTheConfigDoesNotHave) {
  const Refusal cases[] = {
      {R"({"cmd":"set_health","vip":"192.0.2.10","vport":80,"rs":"10.1.0.9","rs_port":8080})",
       "192.0.2.10:80 tcp has no real server 10.1.0.9 port 8080"},
      {R"({"cmd":"set_health","vip":"192.0.2.10","vport":80,"rs":"10.1.0.1","rs_port":81})",
       "has no real server 10.1.0.1 port 81"},
      {R"({"cmd":"set_health","vip":"192.0.2.10","vport":81,"rs":"10.1.0.1"})",
       "no virtual service 192.0.2.10:81 tcp"},
      {R"({"cmd":"set_health","vip":"192.0.2.10","vport":80,"proto":"udp","rs":"10.1.0.1"})",
       "no virtual service 192.0.2.10:80 udp"},
      {R"({"cmd":"set_health","vip":"192.0.2.10","vport":80,"proto":"sctp","rs":"10.1.0.1"})",
       "proto: \"sctp\" is not tcp or udp"},
      {R"({"cmd":"set_health","vip":"nonsense","vport":80,"rs":"10.1.0.1"})",
       "vip: \"nonsense\" is not an IP address"},
      {R"({"cmd":"set_health","vip":"192.0.2.10","vport":"80","rs":"10.1.0.1"})",
       "vport: a number from 1 to 65535"},
      {R"({"cmd":"set_health","vip":"192.0.2.10","vport":80,"rs":"10.1.0.1","healthy":"no"})",
       "healthy: true or false"},
      {R"({"cmd":"set_health","fwmark":5,"rs":"10.1.0.1"})", "no virtual service fwmark 5 tcp"},
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
  EXPECT_TRUE(api_->changes.empty());
}

TEST_F(ControlSocketTest, StatsComesFromTheApi) {
  json r = ask(R"({"cmd":"stats"})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["rx"], 7);
}

}  // namespace
}  // namespace gale::ctl
