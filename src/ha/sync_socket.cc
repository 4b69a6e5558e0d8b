#include "ha/sync_socket.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gale::ha {

namespace {

std::string os_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

SyncDest dest_of(const net::IpAddr& a, uint16_t port, unsigned ifindex) {
  SyncDest d;
  if (a.is_v4()) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&d.addr);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    std::memcpy(&sa->sin_addr, a.b.data(), 4);
    d.len = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&d.addr);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    std::memcpy(&sa->sin6_addr, a.b.data(), 16);
    // A link-local (fe80::/10) or link-scope multicast (ff02::) address means nothing
    // without its link.
    const bool link_scope =
        (a.b[0] == 0xfe && (a.b[1] & 0xc0) == 0x80) || (a.b[0] == 0xff && (a.b[1] & 0x0f) == 0x02);
    if (link_scope) sa->sin6_scope_id = ifindex;
    d.len = sizeof *sa;
  }
  return d;
}

}  // namespace

Expected<SyncSocket> open_sync_socket(const SyncSocketConfig& cfg) {
  const net::Family family = cfg.peers.empty() ? cfg.group.family : cfg.peers[0].family;
  if (family == net::Family::none) return fail("connection sync: no group or peer address");
  for (const net::IpAddr& p : cfg.peers)
    if (p.family != family) return fail("connection sync: peers of both IPv4 and IPv6");
  const bool v6 = family == net::Family::v6;
  const unsigned ifindex = if_nametoindex(cfg.ifname.c_str());
  if (!ifindex) return fail("connection sync: no interface " + cfg.ifname);
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(os_error("connection sync: socket"));
  auto give_up = [&](const std::string& what) {
    const std::string msg = os_error("connection sync: " + what);
    ::close(fd);
    return Expected<SyncSocket>(fail(msg));
  };
  const int one = 1, zero = 0, bufsize = 8 << 20;
  const int ttl = cfg.ttl, index = static_cast<int>(ifindex);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof bufsize);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsize, sizeof bufsize);
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cfg.ifname.c_str(),
                 static_cast<socklen_t>(cfg.ifname.size())) < 0)
    return give_up("bind to " + cfg.ifname);
  if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  const SyncDest any =
      dest_of(v6 ? net::IpAddr(net::Ipv6Addr{}) : net::IpAddr(net::Ipv4Addr{0}), cfg.port, ifindex);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&any.addr), any.len) < 0)
    return give_up("bind to port " + std::to_string(cfg.port));
  SyncSocket s{.fd = fd};
  if (cfg.peers.empty()) {
    const std::string join = "join " + std::string(net::to_text(cfg.group).view());
    if (v6) {
      ipv6_mreq m{};
      std::memcpy(&m.ipv6mr_multiaddr, cfg.group.b.data(), 16);
      m.ipv6mr_interface = ifindex;
      if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof m) < 0) return give_up(join);
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index);
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof zero);
    } else {
      ip_mreqn m{};
      std::memcpy(&m.imr_multiaddr, cfg.group.b.data(), 4);
      m.imr_ifindex = index;
      if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0) return give_up(join);
      ip_mreqn out{};
      out.imr_ifindex = index;
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &out, sizeof out);
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof zero);
    }
    s.dests.push_back(dest_of(cfg.group, cfg.port, ifindex));
  } else {
    if (v6)
      setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
    else
      setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
    for (const net::IpAddr& p : cfg.peers)
      s.dests.push_back(dest_of(p, cfg.port, ifindex));
  }
  return s;
}

}  // namespace gale::ha
