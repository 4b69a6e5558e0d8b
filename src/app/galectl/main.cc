// galectl: ipvsadm's command line for gale (docs/galectl.md). Parses like ipvsadm 1.31
// (ctl/ipvsadm_cli.h), asks galed over its control socket (ctl/ipvsadm_request.h) and
// prints like ipvsadm (ctl/ipvsadm_render.h), with ipvsadm's exit statuses: 2 for a
// refused command line, 255 for an operation galed refused (ipvsadm's kernel-error
// path), 1 for a listing of a service that does not exist.
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "ctl/ipvsadm_cli.h"
#include "ctl/ipvsadm_render.h"
#include "ctl/ipvsadm_request.h"
#include "ctl/vrrp_status.h"

namespace {

using namespace gale;
using namespace gale::ctl::ipvsadm;
using nlohmann::json;

// One request, one answer, on galed's control socket (one JSON object per line).
class ControlClient {
 public:
  explicit ControlClient(std::string path) : path_(std::move(path)) {}
  ~ControlClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  // The answer, or a message saying why galed could not be asked.
  gale::Result<json, std::string> ask(const json& request) {
    if (fd_ < 0) {
      if (auto r = connect(); !r) return gale::unexpected(r.error());
    }
    const std::string line = request.dump() + "\n";
    for (size_t off = 0; off < line.size();) {
      const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return gale::unexpected("writing to " + path_ + ": " + std::strerror(errno));
      off += size_t(n);
    }
    std::string answer;
    size_t nl;
    while ((nl = buf_.find('\n')) == std::string::npos) {
      char chunk[65536];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return gale::unexpected("reading from " + path_ + ": " + std::strerror(errno));
      if (n == 0) return gale::unexpected("galed closed " + path_ + " without an answer");
      buf_.append(chunk, size_t(n));
    }
    answer = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    json j = json::parse(answer, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return gale::unexpected("galed's answer is not a JSON object: " + answer);
    return j;
  }

 private:
  gale::Result<void, std::string> connect() {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof addr.sun_path)
      return gale::unexpected("socket path too long: " + path_);
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return gale::unexpected(std::string("socket: ") + std::strerror(errno));
    timeval tv{.tv_sec = 30, .tv_usec = 0};  // a galed that hangs must not hang scripts
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      return gale::unexpected("cannot reach galed at " + path_ + ": " + std::strerror(errno) +
                              " (is galed running? --socket PATH or GALE_SOCKET)");
    return {};
  }

  std::string path_;
  int fd_ = -1;
  std::string buf_;
};

// ipvsadm's name lookups through libc: IPv4 host names as gethostbyname, services by
// /etc/services.
Resolver libc_resolver() {
  return {.host_addr = [](std::string_view h) -> std::optional<net::IpAddr> {
            addrinfo hints{.ai_family = AF_INET};
            addrinfo* res = nullptr;
            if (::getaddrinfo(std::string(h).c_str(), nullptr, &hints, &res) != 0 || !res)
              return std::nullopt;
            const auto* sin = reinterpret_cast<const sockaddr_in*>(res->ai_addr);
            net::IpAddr a = net::Ipv4Addr{ntohl(sin->sin_addr.s_addr)};
            ::freeaddrinfo(res);
            return a;
          },
          .service_port = [](std::string_view s, uint8_t proto) -> std::optional<uint16_t> {
            const servent* e = ::getservbyname(std::string(s).c_str(), proto == 17 ? "udp" : "tcp");
            if (!e) return std::nullopt;
            return ntohs(uint16_t(e->s_port));
          }};
}

NameLookup libc_names() {
  return {.host_name = [](const net::IpAddr& a) -> std::optional<std::string> {
            sockaddr_storage ss{};
            socklen_t len;
            if (a.is_v4()) {
              auto* s = reinterpret_cast<sockaddr_in*>(&ss);
              s->sin_family = AF_INET;
              std::memcpy(&s->sin_addr, a.b.data(), 4);
              len = sizeof *s;
            } else {
              auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
              s->sin6_family = AF_INET6;
              std::memcpy(&s->sin6_addr, a.b.data(), 16);
              len = sizeof *s;
            }
            char host[NI_MAXHOST];
            if (::getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, nullptr, 0,
                              NI_NAMEREQD) != 0)
              return std::nullopt;
            return std::string(host);
          },
          .service_name = [](uint16_t port, uint8_t proto) -> std::optional<std::string> {
            const servent* e = ::getservbyport(htons(port), proto == 17 ? "udp" : "tcp");
            if (!e) return std::nullopt;
            return std::string(e->s_name);
          }};
}

int refused(const Refusal& r) {
  std::cerr << r.message << "\n";
  return r.exit_code;
}

// Sends a change; prints galed's refusal as ipvsadm prints a kernel error.
int change(ControlClient& ctl, const Invocation& inv) {
  auto answer = ctl.ask(request_for(inv));
  if (!answer) return refused({.exit_code = 2, .message = "galectl: " + answer.error()});
  if (!answer->value("ok", false))
    return refused({.exit_code = 255, .message = answer->value("error", "refused")});
  return 0;
}

// -L --daemon: the sync daemons galed runs, as ipvsadm lists IPVS's (nothing when none).
int daemons(ControlClient& ctl, const Invocation& inv) {
  auto answer = ctl.ask(request_for(inv));
  if (!answer) return refused({.exit_code = 2, .message = "galectl: " + answer.error()});
  if (!answer->value("ok", false))
    return refused({.exit_code = 1, .message = answer->value("error", "refused")});
  const json& j = answer->value("daemons", json::array());
  if (inv.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  const auto rows = ctl::sync_daemon_rows_from_json(j);
  if (!rows) return refused({.exit_code = 1, .message = "galectl: " + rows.error().message});
  std::cout << render_daemons(*rows);
  return 0;
}

int list(ControlClient& ctl, const Invocation& inv) {
  if (inv.daemon) return daemons(ctl, inv);
  auto answer = ctl.ask(request_for(inv));
  if (!answer) return refused({.exit_code = 2, .message = "galectl: " + answer.error()});
  if (!answer->value("ok", false))
    return refused({.exit_code = 1, .message = answer->value("error", "refused")});
  const NameLookup names = inv.format.numeric ? NameLookup{} : libc_names();
  if (inv.connections) {
    const auto c = ctl::conn_listing_from_json(answer->value("conns", json::object()));
    if (!c) return refused({.exit_code = 1, .message = "galectl: " + c.error().message});
    if (inv.json) {
      std::cout << answer->at("conns").dump(2) << "\n";
      return 0;
    }
    std::cout << render_conns(*c, inv.format, names);
    if (c->conns.size() < c->total)
      std::cerr << "galectl: " << c->conns.size() << " of " << c->total << " connections shown\n";
    return 0;
  }
  const json& lj = answer->value("listing", json::object());
  if (inv.timeouts) {
    const auto it = lj.find("timeouts");
    if (it == lj.end())
      return refused({.exit_code = 1, .message = "galectl: galed does not report its timeouts"});
    if (inv.json) {
      std::cout << it->dump(2) << "\n";
      return 0;
    }
    std::cout << render_timeouts(it->value("tcp", 0u), it->value("tcpfin", 0u),
                                 it->value("udp", 0u));
    return 0;
  }
  const auto l = ctl::listing_from_json(lj);
  if (!l) return refused({.exit_code = 1, .message = "galectl: " + l.error().message});
  if (inv.json) {
    std::cout << lj.dump(2) << "\n";
    return 0;
  }
  if (inv.has_service) {
    auto one = render_service(*l, inv.service, inv.format, names);
    if (!one) return refused({.exit_code = 1, .message = "No such service"});
    std::cout << *one;
    return 0;
  }
  std::cout << render_table(*l, inv.format, names);
  return 0;
}

// gale's --vrrp: the VRRP instances as a table, or as galed's JSON with -o json.
int vrrp(ControlClient& ctl, const Invocation& inv) {
  auto answer = ctl.ask(request_for(inv));
  if (!answer) return refused({.exit_code = 2, .message = "galectl: " + answer.error()});
  if (!answer->value("ok", false))
    return refused({.exit_code = 255, .message = answer->value("error", "refused")});
  const json& j = answer->value("vrrp", json::array());
  if (inv.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  const auto rows = ctl::vrrp_rows_from_json(j);
  if (!rows) return refused({.exit_code = 1, .message = "galectl: " + rows.error().message});
  std::cout << ctl::render_vrrp(*rows);
  return 0;
}

// -R: every line parsed first (a bad line changes nothing), then applied in order;
// as ipvsadm, a line galed refuses is reported and the next lines still run.
int restore(ControlClient& ctl) {
  const std::string text(std::istreambuf_iterator<char>(std::cin), {});
  const auto cmds = parse_restore(text, libc_resolver());
  if (!cmds) return refused(cmds.error());
  int status = 0;
  for (const Invocation& inv : *cmds)
    if (const int s = change(ctl, inv); s != 0) {
      if (s == 2) return s;  // galed unreachable
      status = s;
    }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const auto inv = parse(args, libc_resolver(), argv[0]);
  if (!inv) return refused(inv.error());
  if (inv->command == Command::help) {
    std::cout << usage(argv[0]);
    return 0;
  }
  if (inv->command == Command::version) {
    std::cout << version_line();
    return 0;
  }
  const char* env = std::getenv("GALE_SOCKET");
  ControlClient ctl(inv->socket.value_or(env && *env ? env : "/run/gale/gale.sock"));
  switch (inv->command) {
    case Command::list:
    case Command::save:
      return list(ctl, *inv);
    case Command::restore:
      return restore(ctl);
    case Command::vrrp:
      return vrrp(ctl, *inv);
    default:
      return change(ctl, *inv);
  }
}
