#include "io/decap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/command.h"
#include "net/encap.h"
#include "net/ipv4.h"
#include "net/parse.h"

namespace gale::io {

namespace {

std::string err(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string table_name(const std::string& ifname) {
  return "gale_decap_" + ifname;
}

}  // namespace

Expected<Decapsulator*> Decapsulator::open(const DecapConfig& cfg) {
  auto* d = new Decapsulator(cfg);
  auto bail = [&](std::string msg) -> Expected<Decapsulator*> {
    delete d;
    return fail(std::move(msg));
  };
  const unsigned ifindex = if_nametoindex(cfg.ifname.c_str());
  if (ifindex == 0) return bail(err("interface " + cfg.ifname));
  d->sock_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (d->sock_ < 0) return bail(err("packet socket"));
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(d->sock_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0)
    return bail(err("bind to " + cfg.ifname));
  int one = 1;
  setsockopt(d->sock_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);

  d->tun_ = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (d->tun_ < 0) return bail(err("/dev/net/tun"));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, cfg.tun_name.c_str(), IFNAMSIZ - 1);
  if (ioctl(d->tun_, TUNSETIFF, &ifr) < 0) return bail(err("TUN device " + cfg.tun_name));
  if (auto r = run_command({"ip", "link", "set", cfg.tun_name, "up"}); !r)
    return bail(r.error().message);
  // Decapsulated packets come from clients this device has no route to.
  (void)run_command({"sysctl", "-qw", "net.ipv4.conf." + cfg.tun_name + ".rp_filter=0"});

  std::string script =
      "table netdev " + table_name(cfg.ifname) + " {\n chain ingress {\n" +
      "  type filter hook ingress device \"" + cfg.ifname +
      "\" priority 0; policy accept;\n  ip protocol 4 drop\n  ip protocol 41 drop\n"
      "  ip6 nexthdr 4 drop\n  ip6 nexthdr 41 drop\n";
  if (cfg.gue_port) script += "  udp dport " + std::to_string(cfg.gue_port) + " drop\n";
  script += " }\n}\n";
  (void)run_command({"nft", "delete", "table", "netdev", table_name(cfg.ifname)});
  if (auto r = run_command({"nft", "-f", "-"}, script); !r) return bail(r.error().message);
  d->filter_ = true;
  return d;
}

Decapsulator::~Decapsulator() {
  if (filter_) (void)run_command({"nft", "delete", "table", "netdev", table_name(cfg_.ifname)});
  if (sock_ >= 0) close(sock_);
  if (tun_ >= 0) close(tun_);
}

void Decapsulator::run(const std::atomic<bool>& stop) {
  uint8_t buf[65536];
  while (!stop.load()) {
    pollfd pfd{sock_, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    const ssize_t n = recv(sock_, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) continue;
    ++stats_.frames;
    const net::Bytes frame(buf, static_cast<size_t>(n));
    net::ParsedPacket pp;
    if (net::parse(frame, pp) != net::ParseError::ok || pp.family == net::Family::none) continue;
    net::Decap d;
    net::DecapError e = net::DecapError::not_tunnel;
    if (pp.proto == net::kProtoIpip || pp.proto == net::kProtoIpv6) {
      e = net::decap_ipip(pp, d);
    } else if (cfg_.gue_port && pp.proto == net::kProtoUdp && pp.tuple.dport == cfg_.gue_port) {
      e = net::decap_gue(frame, pp, d);
    }
    if (e == net::DecapError::not_tunnel) continue;
    if (e != net::DecapError::ok) {
      ++stats_.malformed;
      continue;
    }
    // The inner packet's own length: the outer one may carry padding.
    net::ParsedPacket inner;
    if (net::parse_l3(frame, d.inner_off, d.inner_family, inner) != net::ParseError::ok) {
      ++stats_.malformed;
      continue;
    }
    if (write(tun_, buf + inner.l3_off, inner.l3_len()) == static_cast<ssize_t>(inner.l3_len()))
      ++stats_.decapsulated;
  }
}

}  // namespace gale::io
