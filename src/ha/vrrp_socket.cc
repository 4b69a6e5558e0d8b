#include "ha/vrrp_socket.h"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "net/bytes.h"

namespace gale::ha {

namespace {

sockaddr_in sin_of(const net::IpAddr& a) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(a.v4().v);
  return sa;
}

sockaddr_in6 sin6_of(const net::IpAddr& a, int ifindex) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  std::memcpy(sa.sin6_addr.s6_addr, a.b.data(), 16);
  sa.sin6_scope_id = static_cast<uint32_t>(ifindex);  // used for link-local scopes only
  return sa;
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string text(const net::IpAddr& a) {
  return std::string(net::to_text(a).view());
}

// IPv4: TTL 255 and TOS 0xc0 (keepalived's), the source and interface for multicast.
Expected<void> setup_v4(int fd, const VrrpSocketConfig& c, unsigned ifindex) {
  const int ttl = kVrrpTtl, tos = 0xc0, off = 0;
  ip_mreqn mreq{};
  mreq.imr_multiaddr.s_addr = htonl(c.group_or_default().v4().v);
  mreq.imr_address.s_addr = htonl(c.src.v4().v);
  mreq.imr_ifindex = static_cast<int>(ifindex);
  if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0)
    return fail(errno_text("VRRP socket options on " + c.ifname));
  if (c.unicast_peers.empty() &&
      setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
    return fail(errno_text("VRRP join " + text(c.group_or_default()) + " on " + c.ifname));
  return {};
}

// IPv6: hop limit 255 (multicast and unicast), the hop limit and destination of what
// arrives as ancillary data (RFC 5798 section 7.1 checks, multicast or not).
Expected<void> setup_v6(int fd, const VrrpSocketConfig& c, unsigned ifindex) {
  const int hops = kVrrpTtl, off = 0, on = 1;
  const int oif = static_cast<int>(ifindex);
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops) != 0 ||
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off) != 0 ||
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &oif, sizeof oif) != 0 ||
      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) != 0 ||
      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) != 0)
    return fail(errno_text("VRRP socket options on " + c.ifname));
  ipv6_mreq mreq{};
  std::memcpy(mreq.ipv6mr_multiaddr.s6_addr, c.group_or_default().b.data(), 16);
  mreq.ipv6mr_interface = ifindex;
  if (c.unicast_peers.empty() &&
      setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
    return fail(errno_text("VRRP join " + text(c.group_or_default()) + " on " + c.ifname));
  return {};
}

}  // namespace

Expected<VrrpSocket> VrrpSocket::open(const VrrpSocketConfig& c) {
  if (!c.src.is_v4() && !c.src.is_v6()) return fail("VRRP socket: no source address");
  for (const net::IpAddr& p : c.unicast_peers)
    if (p.family != c.src.family)
      return fail("unicast peer " + text(p) + " is not of the source's family (" + text(c.src) +
                  ")");
  const unsigned ifindex = if_nametoindex(c.ifname.c_str());
  if (ifindex == 0) return fail(errno_text("VRRP interface " + c.ifname));
  const int fd = socket(c.src.is_v6() ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        kVrrpProto);
  if (fd < 0) return fail(errno_text("VRRP raw socket"));
  VrrpSocket s(fd, c, static_cast<int>(ifindex));
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c.ifname.c_str(),
                 static_cast<socklen_t>(c.ifname.size())) != 0)
    return fail(errno_text("VRRP socket bound to " + c.ifname));
  if (auto r = c.src.is_v6() ? setup_v6(fd, c, ifindex) : setup_v4(fd, c, ifindex); !r)
    return fail(r.error().message);
  return s;
}

VrrpSocket::VrrpSocket(VrrpSocket&& o) noexcept
    : fd_(o.fd_), ifindex_(o.ifindex_), cfg_(std::move(o.cfg_)) {
  o.fd_ = -1;
}

VrrpSocket::~VrrpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<void> VrrpSocket::send(const VrrpAdvert& a) {
  const std::vector<net::IpAddr> group{cfg_.group_or_default()};
  const auto& dsts = cfg_.unicast_peers.empty() ? group : cfg_.unicast_peers;
  for (const net::IpAddr& dst : dsts) {
    const std::vector<uint8_t> msg = build_vrrp(a, {cfg_.src, dst});
    if (auto r = cfg_.src.is_v6() ? send_v6(msg, dst) : send_v4(msg, dst); !r) return r;
  }
  return {};
}

namespace {

// Sends `msg` to `to` with one control message: `info` at (level, type).
template <typename Addr, typename Info>
int send_with(int fd, const std::vector<uint8_t>& msg, Addr to, int level, int type,
              const Info& info) {
  iovec iov{.iov_base = const_cast<uint8_t*>(msg.data()), .iov_len = msg.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(Info))] = {};
  msghdr mh{.msg_name = &to,
            .msg_namelen = sizeof to,
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control,
            .msg_controllen = sizeof control};
  cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = level;
  cm->cmsg_type = type;
  cm->cmsg_len = CMSG_LEN(sizeof(Info));
  std::memcpy(CMSG_DATA(cm), &info, sizeof info);
  return sendmsg(fd, &mh, 0) < 0 ? -1 : 0;
}

}  // namespace

// The source is our address (peers break ties on it), out of our interface, set per
// datagram (IP_PKTINFO, IPV6_PKTINFO): a raw socket bound to an address would receive
// only what is sent to that address, not the multicast.
Expected<void> VrrpSocket::send_v4(const std::vector<uint8_t>& msg, const net::IpAddr& dst) {
  in_pktinfo pi{};
  pi.ipi_ifindex = ifindex_;
  pi.ipi_spec_dst.s_addr = htonl(cfg_.src.v4().v);
  if (send_with(fd_, msg, sin_of(dst), IPPROTO_IP, IP_PKTINFO, pi) < 0)
    return fail(errno_text("VRRP send to " + text(dst)));
  return {};
}

Expected<void> VrrpSocket::send_v6(const std::vector<uint8_t>& msg, const net::IpAddr& dst) {
  in6_pktinfo pi{};
  std::memcpy(pi.ipi6_addr.s6_addr, cfg_.src.b.data(), 16);
  pi.ipi6_ifindex = static_cast<unsigned>(ifindex_);
  if (send_with(fd_, msg, sin6_of(dst, ifindex_), IPPROTO_IPV6, IPV6_PKTINFO, pi) < 0)
    return fail(errno_text("VRRP send to " + text(dst)));
  return {};
}

bool VrrpSocket::from_peer(const net::IpAddr& src) const {
  for (const net::IpAddr& p : cfg_.unicast_peers)
    if (p == src) return true;
  return false;
}

Expected<std::optional<ReceivedAdvert>> VrrpSocket::receive() {
  return cfg_.src.is_v6() ? receive_v6() : receive_v4();
}

Expected<std::optional<ReceivedAdvert>> VrrpSocket::receive_v4() {
  uint8_t buf[2048];
  const ssize_t n = recv(fd_, buf, sizeof buf, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<ReceivedAdvert>();
    return fail(errno_text("VRRP receive"));
  }
  // A raw IPv4 socket delivers the IP header too.
  const size_t len = static_cast<size_t>(n);
  if (len < 20 || (buf[0] >> 4) != 4) return fail("not an IPv4 packet");
  const size_t ihl = static_cast<size_t>(buf[0] & 0x0f) * 4;
  if (ihl < 20 || len < ihl) return fail("bad IPv4 header length");
  if (buf[8] != kVrrpTtl) return fail("TTL " + std::to_string(buf[8]) + " (255 required)");
  const net::IpAddr src = net::Ipv4Addr{net::load_be32(buf + 12)};
  const net::IpAddr dst = net::Ipv4Addr{net::load_be32(buf + 16)};
  if (!cfg_.unicast_peers.empty() && !from_peer(src))
    return fail("from " + text(src) + ", not a peer");
  // Multicast: another group's adverts (the raw socket hears every group joined on the
  // interface) are not ours; keepalived binds its socket to the group.
  if (cfg_.unicast_peers.empty() && (dst.v4().v >> 28) == 0xe && dst != cfg_.group_or_default())
    return fail("sent to " + text(dst) + ", not " + text(cfg_.group_or_default()));
  auto a = parse_vrrp(std::span<const uint8_t>(buf + ihl, len - ihl), net::Family::v4, {src, dst});
  if (!a) return fail(a.error().message);
  return std::optional<ReceivedAdvert>(ReceivedAdvert{src, std::move(*a)});
}

// A raw IPv6 socket delivers the payload alone: the source comes in the address, the
// hop limit and destination as ancillary data.
Expected<std::optional<ReceivedAdvert>> VrrpSocket::receive_v6() {
  uint8_t buf[2048];
  sockaddr_in6 from{};
  iovec iov{.iov_base = buf, .iov_len = sizeof buf};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msghdr mh{.msg_name = &from,
            .msg_namelen = sizeof from,
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control,
            .msg_controllen = sizeof control};
  const ssize_t n = recvmsg(fd_, &mh, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<ReceivedAdvert>();
    return fail(errno_text("VRRP receive"));
  }
  int hops = -1;
  std::optional<net::IpAddr> dst;
  for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
    if (cm->cmsg_level != IPPROTO_IPV6) continue;
    if (cm->cmsg_type == IPV6_HOPLIMIT && cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
      std::memcpy(&hops, CMSG_DATA(cm), sizeof hops);
    } else if (cm->cmsg_type == IPV6_PKTINFO && cm->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo pi{};
      std::memcpy(&pi, CMSG_DATA(cm), sizeof pi);
      net::Ipv6Addr d;
      std::memcpy(d.b.data(), pi.ipi6_addr.s6_addr, 16);
      dst = d;
    }
  }
  if (!dst) return fail("no destination address (IPV6_PKTINFO) with the datagram");
  net::Ipv6Addr s6;
  std::memcpy(s6.b.data(), from.sin6_addr.s6_addr, 16);
  const net::IpAddr src = s6;
  if (cfg_.unicast_peers.empty()) {
    // Only what was sent to the group (keepalived binds its socket to it), with hop limit
    // 255 (RFC 5798 section 7.1). keepalived checks the hop limit of multicast only: its
    // unicast adverts leave with the kernel's default hop limit.
    if (*dst != cfg_.group_or_default())
      return fail("sent to " + text(*dst) + ", not " + text(cfg_.group_or_default()));
    if (hops != kVrrpTtl) return fail("hop limit " + std::to_string(hops) + " (255 required)");
  } else {
    if (dst->b[0] == 0xff) return fail("multicast while this instance uses unicast_peer");
    if (!from_peer(src)) return fail("from " + text(src) + ", not a peer");
  }
  auto a = parse_vrrp(std::span<const uint8_t>(buf, static_cast<size_t>(n)), net::Family::v6,
                      {src, *dst});
  if (!a) return fail(a.error().message);
  return std::optional<ReceivedAdvert>(ReceivedAdvert{src, std::move(*a)});
}

}  // namespace gale::ha
