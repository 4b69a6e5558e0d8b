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

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

}  // namespace

Expected<VrrpSocket> VrrpSocket::open(const VrrpSocketConfig& c) {
  if (!c.src.is_v4()) return fail("VRRP socket: IPv4 only so far");
  const unsigned ifindex = if_nametoindex(c.ifname.c_str());
  if (ifindex == 0) return fail(errno_text("VRRP interface " + c.ifname));
  const int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kVrrpProto);
  if (fd < 0) return fail(errno_text("VRRP raw socket"));
  VrrpSocket s(fd, c, static_cast<int>(ifindex));
  const int ttl = kVrrpTtl, tos = 0xc0, off = 0;
  ip_mreqn mreq{};
  mreq.imr_multiaddr.s_addr = htonl(kVrrpGroupV4.v4().v);
  mreq.imr_address.s_addr = htonl(c.src.v4().v);
  mreq.imr_ifindex = static_cast<int>(ifindex);
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c.ifname.c_str(),
                 static_cast<socklen_t>(c.ifname.size())) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0)
    return fail(errno_text("VRRP socket options on " + c.ifname));
  if (c.unicast_peers.empty() &&
      setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
    return fail(errno_text("VRRP join 224.0.0.18 on " + c.ifname));
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
  const std::vector<net::IpAddr> group{kVrrpGroupV4};
  const auto& dsts = cfg_.unicast_peers.empty() ? group : cfg_.unicast_peers;
  for (const net::IpAddr& dst : dsts) {
    const std::vector<uint8_t> msg = build_vrrp(a, {cfg_.src, dst});
    sockaddr_in sa = sin_of(dst);
    iovec iov{.iov_base = const_cast<uint8_t*>(msg.data()), .iov_len = msg.size()};
    // The source is our primary address (peers break ties on it), out of our interface.
    // (Not bind(): a raw socket bound to an address receives only what is sent to it.)
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))] = {};
    msghdr mh{.msg_name = &sa,
              .msg_namelen = sizeof sa,
              .msg_iov = &iov,
              .msg_iovlen = 1,
              .msg_control = control,
              .msg_controllen = sizeof control};
    cmsghdr* cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = IPPROTO_IP;
    cm->cmsg_type = IP_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo pi{};
    pi.ipi_ifindex = ifindex_;
    pi.ipi_spec_dst.s_addr = htonl(cfg_.src.v4().v);
    std::memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    if (sendmsg(fd_, &mh, 0) < 0)
      return fail(errno_text("VRRP send to " + std::string(net::to_text(dst).view())));
  }
  return {};
}

Expected<std::optional<ReceivedAdvert>> VrrpSocket::receive() {
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
  if (!cfg_.unicast_peers.empty()) {
    bool known = false;
    for (const net::IpAddr& p : cfg_.unicast_peers)
      known = known || p == src;
    if (!known) return fail("from " + std::string(net::to_text(src).view()) + ", not a peer");
  }
  auto a = parse_vrrp(std::span<const uint8_t>(buf + ihl, len - ihl), net::Family::v4, {src, dst});
  if (!a) return fail(a.error().message);
  return std::optional<ReceivedAdvert>(ReceivedAdvert{src, std::move(*a)});
}

}  // namespace gale::ha
