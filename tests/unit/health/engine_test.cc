// The engine against real kernel sockets and real processes on loopback (no root
// needed): keepalived's retry/alpha/misc_dynamic semantics, deadlines, a hung server
// that does not delay another, notify scripts, reload keeping unchanged checkers.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "ctl/parser.h"
#include "health/engine.h"

namespace gale::health {
namespace {

using Clock = std::chrono::steady_clock;

struct Seen {
  Clock::time_point at;
  ctl::RealServerRef ref;
  ctl::HealthState state;
  ctl::CheckStats delta;
};

// Collects reports; waits for one that matches.
class Reports {
 public:
  Report sink() {
    return
        [this](const ctl::RealServerRef& r, const ctl::HealthState& s, const ctl::CheckStats& d) {
          std::lock_guard lock(mu_);
          seen_.push_back({Clock::now(), r, s, d});
          cv_.notify_all();
        };
  }
  // The first report (from index `from` on) for port `port` that satisfies pred.
  template <typename Pred>
  std::optional<Seen> wait(uint16_t port, Pred pred, std::chrono::milliseconds limit,
                           size_t from = 0) {
    std::unique_lock lock(mu_);
    std::optional<Seen> hit;
    cv_.wait_for(lock, limit, [&] {
      for (size_t i = from; i < seen_.size(); ++i)
        if (seen_[i].ref.port == port && pred(seen_[i])) return hit = seen_[i], true;
      return false;
    });
    return hit;
  }
  size_t count(uint16_t port) {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count_if(seen_.begin(), seen_.end(),
                                             [&](const Seen& s) { return s.ref.port == port; }));
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Seen> seen_;
};

// A listening socket on 127.0.0.1 that never accepts: connects complete (the kernel's
// backlog), requests are never answered -- a hung server.
struct Listener {
  int fd = -1;
  uint16_t port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{.sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}};
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};

// A port nothing listens on (bound, closed: the kernel answers RST).
uint16_t closed_port() {
  Listener l;
  return l.port;
}

ctl::Config config(const std::string& vs_body) {
  auto c = ctl::parse_config(
      "gale { interfaces lo }\nvirtual_server 192.0.2.1 80 {\n" + vs_body + "}\n", "t.conf");
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? *c : ctl::Config{};
}

// A real server block; ';' in `checks` separates lines (one directive per line).
std::string rs(uint16_t port, std::string checks) {
  std::replace(checks.begin(), checks.end(), ';', '\n');
  return "  real_server 127.0.0.1 " + std::to_string(port) + " {\n" + checks + "\n  }\n";
}

const auto is_up = [](const Seen& s) { return s.state.up; };
const auto is_down = [](const Seen& s) { return !s.state.up; };

TEST(HealthEngine, TcpUpAndRetriesBeforeDown) {
  Listener good;
  const uint16_t bad = closed_port();
  Reports r;
  Engine e(r.sink());
  const auto t0 = Clock::now();
  e.start(config(rs(good.port, "TCP_CHECK { connect_timeout 1 }") +
                 rs(bad, "TCP_CHECK {;retry 2;delay_before_retry 0.2;}")));
  ASSERT_TRUE(r.wait(good.port, is_up, std::chrono::seconds(2)));
  // retry 2: the first failure and two retries 0.2 s apart, then down (~0.4 s).
  auto down = r.wait(bad, is_down, std::chrono::seconds(3));
  ASSERT_TRUE(down);
  const auto took = down->at - t0;
  EXPECT_GE(took, std::chrono::milliseconds(380));
  EXPECT_LE(took, std::chrono::milliseconds(900));
  EXPECT_EQ(r.count(bad), 3u);  // two retries reported up (not down yet), then down
  EXPECT_NE(down->state.reason.find("Connection refused"), std::string::npos) << down->state.reason;
}

TEST(HealthEngine, HungServerTimesOutWhileAnotherIsCheckedOnTime) {
  Listener hung, good;
  Reports r;
  Engine e(r.sink());
  const auto t0 = Clock::now();
  e.start(config(rs(hung.port, "HTTP_GET {;url {;path /;};connect_timeout 1;retry 0;}") +
                 rs(good.port, "TCP_CHECK {;delay_loop 0.1;}")));
  auto down = r.wait(hung.port, is_down, std::chrono::seconds(3));
  ASSERT_TRUE(down);
  EXPECT_GE(down->at - t0, std::chrono::milliseconds(950));
  EXPECT_LE(down->at - t0, std::chrono::milliseconds(1300));
  EXPECT_NE(down->state.reason.find("timed out"), std::string::npos) << down->state.reason;
  // delay_loop 0.1 during that second: about 10 checks of the other server, not 1.
  EXPECT_GE(r.count(good.port), 8u);
}

TEST(HealthEngine, MiscExitCodesAndTimeout) {
  Reports r;
  Engine e(r.sink());
  const auto t0 = Clock::now();
  e.start(config(rs(1, "MISC_CHECK {;misc_path \"/bin/sh -c 'exit 0'\";}") +
                 rs(2, "MISC_CHECK {;misc_path \"exit 1\";retry 0;}") +
                 rs(3, "MISC_CHECK {;misc_path \"exit 7\";misc_dynamic;}") +
                 rs(4, "MISC_CHECK {;misc_path \"exit 1\";misc_dynamic;retry 0;}") +
                 rs(5, "MISC_CHECK {;misc_path \"sleep 5\";misc_timeout 0.3;retry 0;}")));
  EXPECT_TRUE(r.wait(1, is_up, std::chrono::seconds(2)));
  EXPECT_TRUE(r.wait(2, is_down, std::chrono::seconds(2)));
  auto w = r.wait(3, is_up, std::chrono::seconds(2));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->state.weight, 5u);  // misc_dynamic: exit code - 2
  EXPECT_TRUE(r.wait(4, is_down, std::chrono::seconds(2)));
  auto t = r.wait(5, is_down, std::chrono::seconds(3));
  ASSERT_TRUE(t);
  EXPECT_GE(t->at - t0, std::chrono::milliseconds(280));
  EXPECT_LE(t->at - t0, std::chrono::milliseconds(1000));
  EXPECT_NE(t->state.reason.find("timed out"), std::string::npos);
}

// MISC_CHECK's `user`: the script runs with that user's ids (as root: nobody, through
// setpriv; otherwise the test's own user); a user that does not exist fails the check.
TEST(HealthEngine, MiscRunsAsItsUser) {
  const passwd* pw = ::geteuid() == 0 ? ::getpwnam("nobody") : ::getpwuid(::geteuid());
  ASSERT_NE(pw, nullptr);
  const std::string want = "test $(id -u) = " + std::to_string(pw->pw_uid) +
                           " && test $(id -g) = " + std::to_string(pw->pw_gid);
  Reports r;
  Engine e(r.sink());
  e.start(
      config(rs(1, "MISC_CHECK {;misc_path \"" + want + "\";user " + pw->pw_name + ";retry 0;}") +
             rs(2, "MISC_CHECK {;misc_path \"exit 0\";user no-such-user-gale;retry 0;}")));
  EXPECT_TRUE(r.wait(1, is_up, std::chrono::seconds(3)));
  auto bad = r.wait(2, is_down, std::chrono::seconds(3));
  ASSERT_TRUE(bad);
  EXPECT_NE(bad->state.reason.find("user \"no-such-user-gale\" does not exist"), std::string::npos)
      << bad->state.reason;
}

TEST(HealthEngine, AlphaStartsDownAndNotifyRuns) {
  Listener good;
  const auto dir =
      std::filesystem::temp_directory_path() / ("gale-health-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto flag = dir / "up";
  Reports r;
  Engine e(r.sink());
  e.start(config("  alpha\n" +
                 rs(good.port, "TCP_CHECK { };notify_up \"touch " + flag.string() + "\"")));
  auto first = r.wait(
      good.port, [](const Seen&) { return true; }, std::chrono::seconds(2));
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->state.up);  // alpha: down before any check
  EXPECT_EQ(first->delta.checks, 0u);
  EXPECT_TRUE(r.wait(good.port, is_up, std::chrono::seconds(2)));
  bool touched = false;
  for (int i = 0; i < 200 && !touched; ++i) {
    touched = std::filesystem::exists(flag);
    if (!touched) ::usleep(10000);
  }
  EXPECT_TRUE(touched) << "notify_up did not run";
  std::filesystem::remove_all(dir);
}

TEST(HealthEngine, ReloadRestartsChangedCheckersOnly) {
  Listener a, b;
  Reports r;
  Engine e(r.sink());
  const std::string ca = rs(a.port, "TCP_CHECK {;delay_loop 60;}");
  e.start(config(ca + rs(b.port, "TCP_CHECK {;delay_loop 60;}")));
  ASSERT_TRUE(r.wait(a.port, is_up, std::chrono::seconds(2)));
  ASSERT_TRUE(r.wait(b.port, is_up, std::chrono::seconds(2)));
  // b's checker changes (connect_timeout): it runs again now; a's does not.
  e.update(config(ca + rs(b.port, "TCP_CHECK {;delay_loop 60;connect_timeout 2;}")));
  ASSERT_TRUE(r.wait(b.port, is_up, std::chrono::seconds(2), 2));
  ::usleep(200000);
  EXPECT_EQ(r.count(a.port), 1u);
  EXPECT_EQ(r.count(b.port), 2u);
  EXPECT_EQ(e.attempts(), 3u);
  EXPECT_GT(e.cpu_seconds(), 0.0);
}

}  // namespace
}  // namespace gale::health
