#include "ctl/metrics_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "ctl/prometheus.h"

namespace gale::ctl {

namespace {

std::string endpoint_text(const Endpoint& at) {
  const std::string a(net::to_text(at.addr).view());
  return (at.addr.is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(at.port);
}

std::string response(std::string_view status, std::string_view type, const std::string& body,
                     bool head) {
  std::string r = "HTTP/1.1 ";
  r += status;
  r += "\r\nContent-Type: ";
  r += type;
  r += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  if (!head) r += body;
  return r;
}

std::string error(std::string_view status) {
  return response(status, "text/plain; charset=utf-8", std::string(status) + "\n", false);
}

}  // namespace

Expected<MetricsListener> MetricsListener::open(const Endpoint& at, Render render) {
  const bool v6 = at.addr.is_v6();
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(at.port);
    std::memcpy(&sa->sin6_addr, at.addr.b.data(), 16);
    len = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(at.port);
    std::memcpy(&sa->sin_addr, at.addr.b.data(), 4);  // network order already
    len = sizeof *sa;
  }
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("metrics_listen: socket: " + std::string(std::strerror(errno)));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // restart within TIME_WAIT
  if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || listen(fd, 128) < 0) {
    const std::string e = std::strerror(errno);
    close(fd);
    return fail("metrics_listen " + endpoint_text(at) + ": " + e);
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  const uint16_t port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                 : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return MetricsListener(fd, port, std::move(render));
}

MetricsListener::MetricsListener(MetricsListener&& o) noexcept
    : listen_fd_(o.listen_fd_),
      port_(o.port_),
      render_(std::move(o.render_)),
      clients_(std::move(o.clients_)) {
  o.listen_fd_ = -1;
  o.clients_.clear();
}

MetricsListener::~MetricsListener() {
  for (auto& c : clients_)
    close(c.fd);
  if (listen_fd_ >= 0) close(listen_fd_);
}

std::vector<pollfd> MetricsListener::pollfds() const {
  std::vector<pollfd> v;
  if (clients_.size() < kMaxClients) v.push_back({listen_fd_, POLLIN, 0});
  for (const auto& c : clients_)
    v.push_back({c.fd, static_cast<short>(c.answered && !c.written ? POLLOUT : POLLIN), 0});
  return v;
}

void MetricsListener::accept_all() {
  while (clients_.size() < kMaxClients) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;
    clients_.push_back({.fd = fd, .deadline = std::chrono::steady_clock::now() + kRequestTimeout});
  }
}

bool MetricsListener::read_request(Client& c) {
  char buf[2048];
  for (;;) {
    const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (c.in.size() > kMaxRequest) break;  // answered below: too large
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) return false;
    break;
  }
  const bool complete =
      c.in.find("\r\n\r\n") != std::string::npos || c.in.find("\n\n") != std::string::npos;
  if (complete || c.in.size() > kMaxRequest) answer(c);
  return true;
}

// Only the request line matters: the headers are read to their end and ignored.
void MetricsListener::answer(Client& c) {
  c.answered = true;
  if (c.in.size() > kMaxRequest) {
    c.out = error("431 Request Header Fields Too Large");
    return;
  }
  const std::string_view line(c.in.data(), c.in.find('\n'));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || !line.substr(sp2 + 1).starts_with("HTTP/1.")) {
    c.out = error("400 Bad Request");
    return;
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));  // Prometheus adds no query; tolerate one
  if (target != "/metrics") {
    c.out = error("404 Not Found");
    return;
  }
  if (method != "GET" && method != "HEAD") {
    c.out = error("405 Method Not Allowed");
    return;
  }
  c.out = response("200 OK", kPrometheusContentType, render_(), method == "HEAD");
}

bool MetricsListener::write_answer(Client& c) {
  while (c.sent < c.out.size()) {
    const ssize_t n =
        send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    return false;
  }
  shutdown(c.fd, SHUT_WR);
  c.written = true;
  return true;
}

bool MetricsListener::linger(Client& c) {
  char buf[2048];
  for (;;) {
    const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) continue;
    return n < 0 && (errno == EAGAIN || errno == EINTR);
  }
}

void MetricsListener::serve() {
  accept_all();
  const auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < clients_.size();) {
    Client& c = clients_[i];
    bool keep = c.answered || read_request(c);
    if (keep && c.answered && !c.written) keep = write_answer(c);
    if (keep && c.written) keep = linger(c);
    // A client that neither completes its request nor reads its answer in time goes.
    if (keep && now > c.deadline) keep = false;
    if (keep) {
      ++i;
      continue;
    }
    close(c.fd);
    clients_.erase(clients_.begin() + static_cast<ptrdiff_t>(i));
  }
}

}  // namespace gale::ctl
