// HTTP_GET and SSL_GET: for each url { } in turn, a connection (TLS over it for SSL_GET,
// non-blocking OpenSSL with SNI when enable_sni), keepalived's GET request, and the
// reply's status against status_code and, when a digest is set, the body's MD5 against
// it. Every url must pass. Without a digest the verdict comes with the status line and
// the connection is reset: the body is never read.
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "health/probe.h"
#include "health/wire.h"

namespace gale::health::detail {

namespace {

constexpr size_t kMaxReply = 16u << 20;  // a body larger than this fails the digest check

class HttpProbe final : public Probe {
 public:
  HttpProbe(const PlannedCheck& c, SSL_CTX* tls) : c_(c), tls_(tls) {}
  ~HttpProbe() override { close_conn(); }

  Step start() override {
    if (c_.spec.urls.empty()) return done(false, describe(c_) + ": no url to check");
    url_ = 0;
    return open();
  }

  Step on_ready(uint32_t) override {
    switch (state_) {
      case State::connecting: {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return done(false, errno_text(c_, "connect", err));
        if (tls_) {
          ssl_ = SSL_new(tls_);
          if (!ssl_) return done(false, describe(c_) + ": SSL_new failed");
          SSL_set_fd(ssl_, fd_);
          SSL_set_connect_state(ssl_);
          if (c_.spec.enable_sni) SSL_set_tlsext_host_name(ssl_, host().c_str());
          state_ = State::handshake;
          return handshake();
        }
        return begin_send();
      }
      case State::handshake:
        return handshake();
      case State::sending:
        return send_more();
      case State::reading:
        return read_more();
    }
    return done(false, "unreachable");
  }

 private:
  enum class State { connecting, handshake, sending, reading };

  const ctl::CheckUrl& url() const { return c_.spec.urls[url_]; }
  std::string host() const { return url().virtualhost.empty() ? c_.host : url().virtualhost; }

  void close_conn() {
    if (ssl_) SSL_free(ssl_);  // no close_notify: the connection is reset below
    ssl_ = nullptr;
    if (fd_ >= 0) close_reset(fd_);
    fd_ = -1;
  }

  Step open() {
    close_conn();
    auto [fd, err] = open_connect(c_, SOCK_STREAM);
    if (fd < 0) return done(false, errno_text(c_, "connect", err));
    fd_ = fd;
    state_ = State::connecting;
    in_.clear();
    return {.fd = fd_, .events = EPOLLOUT};
  }

  // An OpenSSL call returned r <= 0: wait for what it wants, or fail.
  Step tls_wait(int r, const char* what) {
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ) return {.fd = fd_, .events = EPOLLIN};
    if (e == SSL_ERROR_WANT_WRITE) return {.fd = fd_, .events = EPOLLOUT};
    char buf[256] = "connection closed";
    if (const unsigned long code = ERR_get_error()) ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return done(false, describe(c_) + ": " + what + ": " + buf);
  }

  Step handshake() {
    const int r = SSL_connect(ssl_);
    if (r == 1) return begin_send();
    return tls_wait(r, "TLS handshake");
  }

  Step begin_send() {
    out_ = http_request(url().path, host(), c_.port, tls_ != nullptr, c_.spec.http_protocol);
    sent_ = 0;
    state_ = State::sending;
    return send_more();
  }

  Step send_more() {
    while (sent_ < out_.size()) {
      if (ssl_) {
        const int r = SSL_write(ssl_, out_.data() + sent_, static_cast<int>(out_.size() - sent_));
        if (r <= 0) return tls_wait(r, "TLS write");
        sent_ += static_cast<size_t>(r);
      } else {
        const ssize_t r = ::send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
        if (r < 0 && errno == EAGAIN) return {.fd = fd_, .events = EPOLLOUT};
        if (r < 0) return done(false, errno_text(c_, "send", errno));
        sent_ += static_cast<size_t>(r);
      }
    }
    state_ = State::reading;
    return {.fd = fd_, .events = EPOLLIN};
  }

  Step read_more() {
    char buf[16384];
    while (true) {
      ssize_t n;
      if (ssl_) {
        const int r = SSL_read(ssl_, buf, sizeof buf);
        if (r <= 0) {
          const int e = SSL_get_error(ssl_, r);
          if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0)) return at_eof();
          return tls_wait(r, "TLS read");
        }
        n = r;
      } else {
        n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EAGAIN) return {.fd = fd_, .events = EPOLLIN};
        if (n < 0) return done(false, errno_text(c_, "recv", errno));
        if (n == 0) return at_eof();
      }
      in_.append(buf, static_cast<size_t>(n));
      if (in_.size() > kMaxReply) return done(false, describe(c_) + ": reply too large");
      if (url().digest.empty()) {
        const auto status = http_status(in_);
        if (status) return url_done(*status, false);
      }
    }
  }

  Step at_eof() {
    const auto status = http_status(in_);
    if (!status) return done(false, describe(c_) + " " + url().path + ": no HTTP status line");
    return url_done(*status, true);
  }

  Step url_done(int status, bool complete) {
    const std::string where = describe(c_) + " " + url().path;
    if (status < 0) return done(false, where + ": the reply is not HTTP");
    if (!status_accepted(status, url().status))
      return done(false, where + ": HTTP status " + std::to_string(status));
    if (complete && !url().digest.empty()) {
      const auto body = http_body_offset(in_);
      if (!body) return done(false, where + ": the reply has no body");
      const std::string md5 = md5_hex(std::string_view(in_).substr(*body));
      if (md5 != url().digest)
        return done(false, where + ": digest " + md5 + " where " + url().digest + " was expected");
    }
    if (++url_ == c_.spec.urls.size()) return done(true);
    return open();
  }

  const PlannedCheck& c_;
  SSL_CTX* tls_;
  size_t url_ = 0;
  State state_ = State::connecting;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string out_;
  size_t sent_ = 0;
  std::string in_;
};

}  // namespace

std::unique_ptr<Probe> make_http_probe(const PlannedCheck& c, SSL_CTX* tls) {
  return std::make_unique<HttpProbe>(c, tls);
}

}  // namespace gale::health::detail
