#include "host/rtnetlink.h"

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gale::host {

namespace {

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Walks the rtattrs of a message body.
template <typename F>
void for_each_attr(const rtattr* rta, int len, F f) {
  for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
    f(rta);
}

net::IpAddr addr_from(int family, const void* data) {
  if (family == AF_INET) {
    uint32_t v;
    std::memcpy(&v, data, 4);
    return net::Ipv4Addr{ntohl(v)};
  }
  net::Ipv6Addr a;
  std::memcpy(a.b.data(), data, 16);
  return a;
}

// The output interface and gateway of an RTM_NEWROUTE message.
RouteHop route_hop(const nlmsghdr* h) {
  const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(h));
  RouteHop hop;
  for_each_attr(RTM_RTA(rt), static_cast<int>(RTM_PAYLOAD(h)), [&](const rtattr* a) {
    if (a->rta_type == RTA_OIF)
      std::memcpy(&hop.ifindex, RTA_DATA(a), 4);
    else if (a->rta_type == RTA_GATEWAY)
      hop.gateway = addr_from(rt->rtm_family, RTA_DATA(a));
  });
  return hop;
}

}  // namespace

Expected<Rtnetlink> Rtnetlink::open() {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return fail(errno_text("netlink socket"));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    close(fd);
    return fail(errno_text("netlink bind"));
  }
  return Rtnetlink(fd);
}

Rtnetlink::~Rtnetlink() {
  if (fd_ >= 0) close(fd_);
}

Expected<std::vector<std::vector<uint8_t>>> Rtnetlink::transact(const void* req, size_t len) {
  last_errno_ = 0;
  if (send(fd_, req, len, 0) < 0) {
    last_errno_ = errno;
    return fail(errno_text("netlink send"));
  }
  std::vector<std::vector<uint8_t>> out;
  std::vector<uint8_t> buf(1 << 16);
  const auto* first = static_cast<const nlmsghdr*>(req);
  const bool dump = first->nlmsg_flags & NLM_F_DUMP;
  for (;;) {
    ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      last_errno_ = errno;
      return fail(errno_text("netlink recv"));
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, static_cast<uint32_t>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != first->nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return out;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        if (e->error == 0) return out;
        errno = last_errno_ = -e->error;
        return fail(errno_text("netlink"));
      }
      const auto* p = reinterpret_cast<const uint8_t*>(h);
      out.emplace_back(p, p + h->nlmsg_len);
      if (!dump) return out;
    }
  }
}

void append_attr(nlmsghdr& h, uint16_t kind, const void* data, size_t len) {
  auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&h) + NLMSG_ALIGN(h.nlmsg_len));
  rta->rta_type = kind;
  rta->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
  std::memcpy(RTA_DATA(rta), data, len);
  h.nlmsg_len = NLMSG_ALIGN(h.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

rtattr* open_attr(nlmsghdr& h, uint16_t kind) {
  auto* nest = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&h) + NLMSG_ALIGN(h.nlmsg_len));
  nest->rta_type = kind;
  nest->rta_len = RTA_LENGTH(0);
  h.nlmsg_len = NLMSG_ALIGN(h.nlmsg_len) + RTA_ALIGN(nest->rta_len);
  return nest;
}

void close_attr(nlmsghdr& h, rtattr* nest) {
  nest->rta_len = static_cast<uint16_t>(reinterpret_cast<char*>(&h) + h.nlmsg_len -
                                        reinterpret_cast<char*>(nest));
}

int Rtnetlink::change(void* req, size_t len) {
  auto* h = static_cast<nlmsghdr*>(req);
  h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  h->nlmsg_seq = ++seq_;
  return transact(req, len) ? 0 : last_errno_;
}

Expected<std::vector<Neighbour>> Rtnetlink::neighbours() {
  ndmsg nd{};
  nd.ndm_family = AF_UNSPEC;
  auto msgs = dump(RTM_GETNEIGH, nd);
  if (!msgs) return fail(msgs.error().message);
  std::vector<Neighbour> out;
  for (const auto& m : *msgs) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(m.data());
    if (h->nlmsg_type != RTM_NEWNEIGH) continue;
    const auto* nd = static_cast<const ndmsg*>(NLMSG_DATA(h));
    if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) continue;
    Neighbour n;
    n.ifindex = nd->ndm_ifindex;
    n.usable = nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT);
    bool has_addr = false, has_mac = false;
    for_each_attr(RTM_RTA(nd), static_cast<int>(RTM_PAYLOAD(h)), [&](const rtattr* a) {
      if (a->rta_type == NDA_DST) {
        n.addr = addr_from(nd->ndm_family, RTA_DATA(a));
        has_addr = true;
      } else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
        std::memcpy(n.mac.b.data(), RTA_DATA(a), 6);
        has_mac = true;
      }
    });
    if (has_addr && has_mac) out.push_back(n);
  }
  return out;
}

Expected<Link> Rtnetlink::link(const std::string& name) {
  const unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) return fail("interface " + name + ": " + std::strerror(errno));
  struct {
    nlmsghdr h;
    ifinfomsg ifi;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST;
  req.h.nlmsg_seq = ++seq_;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = static_cast<int>(idx);
  auto msgs = transact(&req, sizeof req);
  if (!msgs) return fail("interface " + name + ": " + msgs.error().message);
  Link l{.ifindex = static_cast<int>(idx), .name = name};
  for (const auto& m : *msgs) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(m.data());
    if (h->nlmsg_type != RTM_NEWLINK) continue;
    const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
    for_each_attr(IFLA_RTA(ifi), static_cast<int>(IFLA_PAYLOAD(h)), [&](const rtattr* a) {
      if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) == 6)
        std::memcpy(l.mac.b.data(), RTA_DATA(a), 6);
      else if (a->rta_type == IFLA_MTU)
        std::memcpy(&l.mtu, RTA_DATA(a), 4);
      else if (a->rta_type == IFLA_LINK && RTA_PAYLOAD(a) == 4)
        std::memcpy(&l.parent, RTA_DATA(a), 4);
      else if (a->rta_type == IFLA_LINKINFO)
        for_each_attr(static_cast<const rtattr*>(RTA_DATA(a)), static_cast<int>(RTA_PAYLOAD(a)),
                      [&](const rtattr* i) {
                        if (i->rta_type == IFLA_INFO_KIND)
                          l.kind.assign(
                              static_cast<const char*>(RTA_DATA(i)),
                              strnlen(static_cast<const char*>(RTA_DATA(i)), RTA_PAYLOAD(i)));
                      });
    });
  }
  return l;
}

Expected<RouteHop> Rtnetlink::route_to(const net::IpAddr& dst) {
  struct {
    nlmsghdr h;
    rtmsg rt;
    char attrs[64];
  } req{};
  const int family = dst.is_v4() ? AF_INET : AF_INET6;
  const size_t alen = dst.is_v4() ? 4 : 16;
  req.h.nlmsg_type = RTM_GETROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST;
  req.h.nlmsg_seq = ++seq_;
  req.rt.rtm_family = static_cast<unsigned char>(family);
  req.rt.rtm_dst_len = static_cast<unsigned char>(alen * 8);
  auto* rta = reinterpret_cast<rtattr*>(req.attrs);
  rta->rta_type = RTA_DST;
  rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(alen));
  if (dst.is_v4()) {
    const uint32_t v = htonl(dst.v4().v);
    std::memcpy(RTA_DATA(rta), &v, 4);
  } else {
    std::memcpy(RTA_DATA(rta), dst.b.data(), 16);
  }
  req.h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof(rtmsg)) + RTA_ALIGN(rta->rta_len));
  auto msgs = transact(&req, req.h.nlmsg_len);
  if (!msgs)
    return fail("route to " + std::string(net::to_text(dst).view()) + ": " + msgs.error().message);
  RouteHop hop;
  for (const auto& m : *msgs) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(m.data());
    if (h->nlmsg_type != RTM_NEWROUTE) continue;
    hop = route_hop(h);
  }
  return hop;
}

Expected<std::optional<RouteHop>> Rtnetlink::default_route(net::Family family) {
  rtmsg rt{};
  rt.rtm_family = family == net::Family::v4 ? AF_INET : AF_INET6;
  auto msgs = dump(RTM_GETROUTE, rt);
  if (!msgs) return fail("default route: " + msgs.error().message);
  for (const auto& m : *msgs) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(m.data());
    if (h->nlmsg_type != RTM_NEWROUTE) continue;
    const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(h));
    if (rt->rtm_dst_len != 0 || rt->rtm_table != RT_TABLE_MAIN || rt->rtm_type != RTN_UNICAST)
      continue;
    return std::optional<RouteHop>(route_hop(h));
  }
  return std::optional<RouteHop>();
}

Expected<std::vector<Route>> Rtnetlink::routes(net::Family family) {
  rtmsg rt{};
  rt.rtm_family = family == net::Family::v4 ? AF_INET : AF_INET6;
  auto msgs = dump(RTM_GETROUTE, rt);
  if (!msgs) return fail("routes: " + msgs.error().message);
  std::vector<Route> out;
  for (const auto& m : *msgs) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(m.data());
    if (h->nlmsg_type != RTM_NEWROUTE) continue;
    const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(h));
    if (rt->rtm_table != RT_TABLE_MAIN || rt->rtm_type != RTN_UNICAST) continue;
    Route r{.dst = family == net::Family::v4 ? net::IpAddr(net::Ipv4Addr{})
                                             : net::IpAddr(net::Ipv6Addr{}),
            .dst_len = rt->rtm_dst_len};
    for_each_attr(RTM_RTA(rt), static_cast<int>(RTM_PAYLOAD(h)), [&](const rtattr* a) {
      if (a->rta_type == RTA_DST) {
        r.dst = addr_from(rt->rtm_family, RTA_DATA(a));
      } else if (a->rta_type == RTA_OIF) {
        std::memcpy(&r.ifindex, RTA_DATA(a), 4);
      } else if (a->rta_type == RTA_GATEWAY) {
        r.gateway = addr_from(rt->rtm_family, RTA_DATA(a));
      } else if (a->rta_type == RTA_MULTIPATH && !r.ifindex &&
                 RTA_PAYLOAD(a) >= sizeof(rtnexthop)) {
        const auto* nh = static_cast<const rtnexthop*>(RTA_DATA(a));
        r.ifindex = nh->rtnh_ifindex;
        for_each_attr(RTNH_DATA(nh), static_cast<int>(nh->rtnh_len - sizeof(rtnexthop)),
                      [&](const rtattr* x) {
                        if (x->rta_type == RTA_GATEWAY)
                          r.gateway = addr_from(rt->rtm_family, RTA_DATA(x));
                      });
      }
    });
    out.push_back(r);
  }
  return out;
}

void trigger_resolution(const net::IpAddr& addr, const std::string& ifname) {
  const int family = addr.is_v4() ? AF_INET : AF_INET6;
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
             static_cast<socklen_t>(ifname.size()));
  sockaddr_storage ss{};
  socklen_t len;
  if (addr.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(9);  // discard
    sin->sin_addr.s_addr = htonl(addr.v4().v);
    len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(9);
    std::memcpy(&sin6->sin6_addr, addr.b.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  sendto(fd, "", 0, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), len);
  close(fd);
}

std::optional<net::MacAddr> next_hop_mac(Rtnetlink& nl, const std::vector<Neighbour>& neigh,
                                         const net::IpAddr& dst, int* ifindex_out,
                                         net::IpAddr* hop_out) {
  auto route = nl.route_to(dst);
  if (!route) return std::nullopt;
  const net::IpAddr hop = route->gateway ? *route->gateway : dst;
  if (ifindex_out) *ifindex_out = route->ifindex;
  if (hop_out) *hop_out = hop;
  for (const Neighbour& n : neigh)
    if (n.usable && n.addr == hop && n.ifindex == route->ifindex) return n.mac;
  return std::nullopt;
}

}  // namespace gale::host
