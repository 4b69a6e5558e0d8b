// One gale VRRP instance on the wire, for the interoperability test with keepalived
// (keepalived_peer.sh): as MASTER it adds the VIP to IFNAME and sends 5 gratuitous ARPs
// or, for IPv6, unsolicited NAs (keepalived's garp_master_repeat), otherwise removes it; prints
// "<ms since start> <STATE>" on every change and, at the end, its counters; SIGTERM stops it
// cleanly (priority 0 when MASTER, the VIP removed).
//   vrrp_peer IFNAME SRC VRID PRIORITY VERSION ADVERT_S VIP/LEN [PEER]
// SRC is the adverts' source: IPv4, or for IPv6 the interface's link-local address.
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "ha/announce.h"
#include "ha/vip.h"
#include "ha/vrrp_instance.h"

namespace {

gale::ha::Micros now_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return gale::ha::Micros{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gale;
  if (argc != 8 && argc != 9) {
    std::fprintf(stderr,
                 "usage: vrrp_peer IFNAME SRC VRID PRIORITY VERSION ADVERT_S VIP/LEN [PEER]\n");
    return 2;
  }
  const auto src = net::parse_ip(argv[2]);
  const std::string vip_arg = argv[7];
  const size_t slash = vip_arg.find('/');
  const auto vip = net::parse_ip(vip_arg.substr(0, slash));
  if (!src || !vip || slash == std::string::npos)
    return std::fprintf(stderr, "vrrp_peer: bad address\n"), 2;
  const ha::Vip v{.addr = *vip,
                  .prefix_len = static_cast<uint8_t>(std::atoi(vip_arg.c_str() + slash + 1)),
                  .dev = argv[1]};
  const uint8_t version = static_cast<uint8_t>(std::atoi(argv[5]));
  ha::VrrpInstanceConfig c{
      .name = "peer",
      .vrid = static_cast<uint8_t>(std::atoi(argv[3])),
      .machine = {.version = version,
                  .priority = static_cast<uint8_t>(std::atoi(argv[4])),
                  .advert_interval = static_cast<ha::Micros>(std::atof(argv[6]) * 1e6),
                  .primary = *src},
      .socket = {.ifname = argv[1], .src = *src},
      .vips = {*vip}};
  if (argc == 9) c.socket.unicast_peers.push_back(*net::parse_ip(argv[8]));
  const ha::Micros t0 = now_us();
  auto inst = ha::VrrpInstance::open(c, [&](ha::VrrpState s) {
    auto r = s == ha::VrrpState::master ? ha::add_vip(v) : ha::remove_vip(v);
    if (r && s == ha::VrrpState::master) r = ha::announce_vip(v, 5);
    if (!r) std::fprintf(stderr, "vrrp_peer: %s\n", r.error().message.c_str());
    std::printf("%lld %s\n", static_cast<long long>((now_us() - t0) / 1000), ha::to_string(s));
    std::fflush(stdout);
  });
  if (!inst) return std::fprintf(stderr, "vrrp_peer: %s\n", inst.error().message.c_str()), 1;

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  inst->start(now_us());
  for (;;) {
    pollfd p[2] = {{.fd = inst->fd(), .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    const ha::Micros wait = inst->deadline() - now_us();
    const int ms = static_cast<int>(std::clamp<ha::Micros>((wait + 999) / 1000, 0, 1000));
    if (poll(p, 2, ms) < 0) continue;
    const ha::Micros now = now_us();
    if (p[1].revents & POLLIN) break;
    if (p[0].revents & POLLIN) inst->on_readable(now);
    if (now >= inst->deadline()) inst->on_timer(now);
  }
  inst->stop(now_us());
  const ha::VrrpCounters& k = inst->counters();
  std::fprintf(stderr, "vrrp_peer: sent %llu received %llu dropped %llu send_errors %llu%s%s\n",
               static_cast<unsigned long long>(k.sent), static_cast<unsigned long long>(k.received),
               static_cast<unsigned long long>(k.dropped),
               static_cast<unsigned long long>(k.send_errors),
               inst->last_drop().empty() ? "" : "; last: ", inst->last_drop().c_str());
  return 0;
}
