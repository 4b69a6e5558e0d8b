// TCP_CHECK, UDP_CHECK, DNS_CHECK, SMTP_CHECK and MISC_CHECK probes (HTTP_GET and SSL_GET
// are in http_probe.cc), with keepalived's verdicts.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "ctl/script.h"
#include "health/probe.h"
#include "health/wire.h"

namespace gale::health {

namespace detail {

Step done(bool up, std::string reason) {
  return {.done = Verdict{.up = up, .reason = std::move(reason)}};
}

std::string errno_text(const PlannedCheck& c, const char* what, int err) {
  return describe(c) + ": " + what + ": " + std::strerror(err);
}

namespace {
socklen_t to_sockaddr(const net::IpAddr& a, uint16_t port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (a.is_v6()) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    std::memcpy(&s6->sin6_addr, a.b.data(), 16);
    return sizeof *s6;
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(port);
  std::memcpy(&s4->sin_addr, a.b.data(), 4);
  return sizeof *s4;
}
}  // namespace

std::pair<int, int> open_connect(const PlannedCheck& c, int type) {
  const int fd =
      ::socket(c.addr.is_v6() ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return {-1, errno};
  const auto fail_with = [fd](int err) {
    ::close(fd);
    return std::pair<int, int>{-1, err};
  };
  if (!c.spec.bind_if.empty() &&
      ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c.spec.bind_if.data(),
                   static_cast<socklen_t>(c.spec.bind_if.size())) != 0)
    return fail_with(errno);
  if (c.spec.fwmark &&
      ::setsockopt(fd, SOL_SOCKET, SO_MARK, &c.spec.fwmark, sizeof c.spec.fwmark) != 0)
    return fail_with(errno);
  sockaddr_storage ss;
  if (c.spec.bindto || c.spec.bind_port) {
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    net::IpAddr any;
    any.family = c.addr.family;
    const socklen_t len = to_sockaddr(c.spec.bindto.value_or(any), c.spec.bind_port, ss);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail_with(errno);
  }
  const socklen_t len = to_sockaddr(c.addr, c.port, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return {fd, 0};
  const int err = errno;
  if (err == EINPROGRESS) return {fd, EINPROGRESS};
  ::close(fd);
  return {-1, err};
}

void close_reset(int fd) {
  const linger l{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

}  // namespace detail

namespace {

using detail::done;

// TCP_CHECK: up when the connection is established.
class TcpProbe final : public Probe {
 public:
  explicit TcpProbe(const PlannedCheck& c) : c_(c) {}
  ~TcpProbe() override {
    if (fd_ >= 0) detail::close_reset(fd_);
  }
  Step start() override {
    auto [fd, err] = detail::open_connect(c_, SOCK_STREAM);
    if (fd < 0) return done(false, detail::errno_text(c_, "connect", err));
    fd_ = fd;
    if (err == 0) return done(true);
    return {.fd = fd_, .events = EPOLLOUT};
  }
  Step on_ready(uint32_t) override {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return done(false, detail::errno_text(c_, "connect", err));
    return done(true);
  }

 private:
  const PlannedCheck& c_;
  int fd_ = -1;
};

// UDP_CHECK and DNS_CHECK: one datagram out, and (for DNS, or with require_reply) a reply
// back. An ICMP port unreachable shows as ECONNREFUSED on the connected socket: down.
class DatagramProbe final : public Probe {
 public:
  explicit DatagramProbe(const PlannedCheck& c) : c_(c) {}
  ~DatagramProbe() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Step start() override {
    const bool dns = c_.spec.kind == ctl::CheckKind::dns;
    std::string out;
    if (dns) {
      const auto type = dns_type_code(c_.spec.dns_type);
      if (!type) return done(false, "DNS_CHECK type \"" + c_.spec.dns_type + "\" is not known");
      id_ = static_cast<uint16_t>(std::random_device{}());
      auto q = dns_query(id_, c_.spec.dns_name, *type);
      if (!q) return done(false, q.error().message);
      out = std::move(*q);
    } else {
      auto p = payload_bytes(c_.spec.payload);
      if (!p) return done(false, p.error().message);
      out = std::move(*p);
    }
    auto [fd, err] = detail::open_connect(c_, SOCK_DGRAM);
    if (fd < 0) return done(false, detail::errno_text(c_, "connect", err));
    fd_ = fd;
    if (::send(fd_, out.data(), out.size(), MSG_NOSIGNAL) < 0)
      return done(false, detail::errno_text(c_, "send", errno));
    return {.fd = fd_, .events = EPOLLIN};
  }
  Step on_ready(uint32_t) override {
    char buf[2048];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN) return {.fd = fd_, .events = EPOLLIN};
      return done(false, detail::errno_text(c_, "recv", errno));
    }
    if (c_.spec.kind == ctl::CheckKind::dns) {
      auto ok = dns_check_reply({buf, static_cast<size_t>(n)}, id_);
      return ok ? done(true) : done(false, describe(c_) + ": " + ok.error().message);
    }
    if (static_cast<uint32_t>(n) < c_.spec.min_reply_length ||
        (c_.spec.max_reply_length && static_cast<uint32_t>(n) > c_.spec.max_reply_length))
      return done(false, describe(c_) + ": reply of " + std::to_string(n) +
                             " bytes is outside min_reply_length/max_reply_length");
    return done(true);
  }
  Verdict on_timeout() override {
    // keepalived's UDP_CHECK without require_reply: no ICMP error in time means up.
    if (c_.spec.kind == ctl::CheckKind::udp && !c_.spec.require_reply) return {.up = true};
    return {.up = false, .reason = describe(c_) + ": no reply"};
  }

 private:
  const PlannedCheck& c_;
  int fd_ = -1;
  uint16_t id_ = 0;
};

// SMTP_CHECK: banner 220, HELO, 250, QUIT.
class SmtpProbe final : public Probe {
 public:
  explicit SmtpProbe(const PlannedCheck& c) : c_(c) {}
  ~SmtpProbe() override {
    if (fd_ >= 0) detail::close_reset(fd_);
  }
  Step start() override {
    auto [fd, err] = detail::open_connect(c_, SOCK_STREAM);
    if (fd < 0) return done(false, detail::errno_text(c_, "connect", err));
    fd_ = fd;
    return {.fd = fd_, .events = EPOLLIN};
  }
  Step on_ready(uint32_t) override {
    char buf[1024];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EAGAIN) return {.fd = fd_, .events = EPOLLIN};
    if (n < 0) return done(false, detail::errno_text(c_, "recv", errno));
    if (n == 0) return done(false, describe(c_) + ": connection closed by the server");
    in_.append(buf, static_cast<size_t>(n));
    if (in_.size() > 8192) return done(false, describe(c_) + ": SMTP reply too long");
    const int code = smtp_reply_code(in_);
    if (code == 0) return {.fd = fd_, .events = EPOLLIN};
    const int want = helo_sent_ ? 250 : 220;
    if (code != want)
      return done(false, describe(c_) + ": SMTP " + std::to_string(code) + " where " +
                             std::to_string(want) + " was expected");
    in_.clear();
    if (helo_sent_) {
      const char quit[] = "QUIT\r\n";
      ::send(fd_, quit, sizeof quit - 1, MSG_NOSIGNAL);
      return done(true);
    }
    std::string helo = "HELO " + helo_name() + "\r\n";
    if (::send(fd_, helo.data(), helo.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(helo.size()))
      return done(false, detail::errno_text(c_, "send", errno));
    helo_sent_ = true;
    return {.fd = fd_, .events = EPOLLIN};
  }

 private:
  std::string helo_name() const {
    if (!c_.spec.helo_name.empty()) return c_.spec.helo_name;
    char h[256] = {};
    ::gethostname(h, sizeof h - 1);
    return h;
  }
  const PlannedCheck& c_;
  int fd_ = -1;
  bool helo_sent_ = false;
  std::string in_;
};

// MISC_CHECK: /bin/sh -c misc_path; its exit is watched through a pidfd, so the engine
// never waits. Exit 0: up; misc_dynamic: 1 down, 2..255 up with weight code - 2; else
// any non-zero exit is down. Killed (SIGKILL) at the deadline, and reaped later.
class MiscProbe final : public Probe {
 public:
  MiscProbe(const PlannedCheck& c, ProbeContext& ctx) : c_(c), ctx_(ctx) {}
  ~MiscProbe() override {
    if (pidfd_ < 0) return;
    ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
    if (ctx_.adopt)
      ctx_.adopt(pidfd_);
    else
      ::close(pidfd_);
  }
  Step start() override {
    const int pidfd = ctl::spawn_script(c_.spec.misc_path, c_.run_as);
    if (pidfd == -ESRCH)
      return done(false, describe(c_) + ": user \"" + c_.run_as + "\" does not exist");
    if (pidfd < 0) return done(false, detail::errno_text(c_, "spawn misc_path", -pidfd));
    pidfd_ = pidfd;
    return {.fd = pidfd_, .events = EPOLLIN};
  }
  Step on_ready(uint32_t) override {
    siginfo_t info{};
    if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED | WNOHANG) != 0)
      return done(false, detail::errno_text(c_, "waitid", errno));
    if (info.si_pid == 0) return {.fd = pidfd_, .events = EPOLLIN};
    ::close(pidfd_);
    pidfd_ = -1;
    if (info.si_code != CLD_EXITED)
      return done(false, "MISC_CHECK \"" + c_.spec.misc_path + "\" killed by signal " +
                             std::to_string(info.si_status));
    const int code = info.si_status;
    if (code == 0) return done(true);
    if (c_.spec.misc_dynamic && code >= 2) {
      Step s = done(true);
      s.done->weight = static_cast<uint32_t>(code - 2);
      return s;
    }
    return done(false, "MISC_CHECK \"" + c_.spec.misc_path + "\" exited " + std::to_string(code));
  }
  Verdict on_timeout() override {
    return {.up = false, .reason = "MISC_CHECK \"" + c_.spec.misc_path + "\" timed out"};
  }

 private:
  const PlannedCheck& c_;
  ProbeContext& ctx_;
  int pidfd_ = -1;
};

}  // namespace

std::unique_ptr<Probe> make_probe(const PlannedCheck& c, ProbeContext& ctx) {
  switch (c.spec.kind) {
    case ctl::CheckKind::tcp:
      return std::make_unique<TcpProbe>(c);
    case ctl::CheckKind::http:
      return detail::make_http_probe(c, nullptr);
    case ctl::CheckKind::ssl:
      return detail::make_http_probe(c, ctx.tls);
    case ctl::CheckKind::udp:
    case ctl::CheckKind::dns:
      return std::make_unique<DatagramProbe>(c);
    case ctl::CheckKind::smtp:
      return std::make_unique<SmtpProbe>(c);
    case ctl::CheckKind::misc:
      return std::make_unique<MiscProbe>(c, ctx);
  }
  return std::make_unique<TcpProbe>(c);
}

}  // namespace gale::health
