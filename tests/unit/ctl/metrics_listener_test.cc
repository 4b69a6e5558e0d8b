// The metrics endpoint over real TCP on loopback: GET /metrics answers the exposition,
// other paths and methods their HTTP errors, an oversized request 431, and a client that
// never finishes its request does not hold up anyone else.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "ctl/metrics_listener.h"

namespace gale::ctl {
namespace {

// Serves on its own thread the way galed's loop does: poll, then serve().
class Server {
 public:
  explicit Server(MetricsListener::Render render)
      : listener_(*MetricsListener::open({.addr = *net::parse_ip("127.0.0.1"), .port = 0},
                                         std::move(render))) {
    thread_ = std::thread([this] {
      while (!stop_) {
        auto fds = listener_.pollfds();
        poll(fds.data(), fds.size(), 20);
        listener_.serve();
      }
    });
  }
  ~Server() {
    stop_ = true;
    thread_.join();
  }
  uint16_t port() const { return listener_.port(); }

 private:
  MetricsListener listener_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int connect_to(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {htonl(0x7f000001)}};
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  timeval tv{.tv_sec = 5, .tv_usec = 0};  // a hung server fails the test, not the run
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

std::string read_all(int fd) {
  std::string got;
  char buf[4096];
  while (true) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

std::string exchange(uint16_t port, const std::string& request) {
  const int fd = connect_to(port);
  EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string got = read_all(fd);
  close(fd);
  return got;
}

TEST(MetricsListener, ServesMetrics) {
  Server s([] { return std::string("gale_build_info{version=\"x\"} 1\n"); });
  const std::string r = exchange(s.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_NE(r.find("Content-Length: 31\r\n"), std::string::npos) << r;
  EXPECT_TRUE(r.ends_with("\r\n\r\ngale_build_info{version=\"x\"} 1\n")) << r;
  // HEAD: the same headers, no body.
  const std::string h = exchange(s.port(), "HEAD /metrics HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(h.starts_with("HTTP/1.1 200 OK\r\n")) << h;
  EXPECT_TRUE(h.ends_with("\r\n\r\n")) << h;
}

TEST(MetricsListener, Errors) {
  Server s([] { return std::string("x 1\n"); });
  EXPECT_TRUE(exchange(s.port(), "GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
  EXPECT_TRUE(exchange(s.port(), "POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405 "));
  EXPECT_TRUE(exchange(s.port(), "hello\r\n\r\n").starts_with("HTTP/1.1 400 "));
  const std::string big =
      "GET /metrics HTTP/1.1\r\nX: " + std::string(MetricsListener::kMaxRequest, 'a') + "\r\n\r\n";
  EXPECT_TRUE(exchange(s.port(), big).starts_with("HTTP/1.1 431 "));
}

// metrics_listen [::1]:PORT: an IPv6 listener, IPv6-only.
TEST(MetricsListener, ListensOnIpv6) {
  auto l = MetricsListener::open({.addr = *net::parse_ip("::1"), .port = 0},
                                 [] { return std::string("x 1\n"); });
  ASSERT_TRUE(l) << l.error().message;
  const int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 sa{.sin6_family = AF_INET6, .sin6_port = htons(l->port())};
  sa.sin6_addr = in6addr_loopback;
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  const std::string req = "GET /metrics HTTP/1.0\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string got;
  for (int i = 0; i < 500 && !got.ends_with("x 1\n"); ++i) {  // bounded: 5 s
    auto fds = l->pollfds();
    poll(fds.data(), fds.size(), 10);
    l->serve();
    char buf[512];
    const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(got.ends_with("x 1\n")) << got;
}

// A taken address is a clear error naming it.
TEST(MetricsListener, RefusesATakenAddress) {
  auto a = MetricsListener::open({.addr = *net::parse_ip("127.0.0.1"), .port = 0},
                                 [] { return std::string(); });
  ASSERT_TRUE(a);
  auto b = MetricsListener::open({.addr = *net::parse_ip("127.0.0.1"), .port = a->port()},
                                 [] { return std::string(); });
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().message,
            "metrics_listen 127.0.0.1:" + std::to_string(a->port()) + ": Address already in use");
}

// A client that sends half a request and waits: 50 others are served meanwhile, one
// large answer each (bigger than a socket buffer, so writes go partial).
TEST(MetricsListener, ManyClientsAndASlowOne) {
  const std::string body(1 << 20, 'x');
  Server s([&] { return body; });
  const int slow = connect_to(s.port());
  ASSERT_EQ(send(slow, "GET /met", 8, MSG_NOSIGNAL), 8);
  std::vector<int> fds;
  for (int i = 0; i < 50; ++i) {
    fds.push_back(connect_to(s.port()));
    const std::string req = "GET /metrics HTTP/1.1\r\n\r\n";
    ASSERT_EQ(send(fds.back(), req.data(), req.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(req.size()));
  }
  for (int fd : fds) {
    const std::string r = read_all(fd);
    EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n"));
    EXPECT_TRUE(r.ends_with(body));
    close(fd);
  }
  close(slow);
}

}  // namespace
}  // namespace gale::ctl
