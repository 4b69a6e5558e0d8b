#include "ha/vip.h"

#include <ifaddrs.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "host/rtnetlink.h"
#include "net/arp.h"
#include "net/bytes.h"
#include "net/ndisc.h"

namespace gale::ha {

namespace {

std::string text(const Vip& v) {
  return std::string(net::to_text(v.addr).view()) + "/" + std::to_string(v.prefix_len) + " on " +
         v.dev;
}

// One RTM_NEWADDR / RTM_DELADDR request and its acknowledgement: 0 or the kernel's errno.
int address_request(uint16_t type, uint16_t flags, const Vip& v, unsigned ifindex) {
  auto nl = host::Rtnetlink::open();
  if (!nl) return errno ? errno : EIO;
  struct {
    nlmsghdr nh;
    ifaddrmsg ifa;
    char attrs[128];
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
  req.nh.nlmsg_type = type;
  req.nh.nlmsg_flags = flags;
  req.ifa.ifa_family = v.addr.is_v6() ? AF_INET6 : AF_INET;
  req.ifa.ifa_prefixlen = v.prefix_len;
  req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  req.ifa.ifa_index = ifindex;
  if (v.addr.is_v6() && type == RTM_NEWADDR) req.ifa.ifa_flags = IFA_F_NODAD;
  const size_t alen = v.addr.is_v6() ? 16 : 4;
  host::append_attr(req.nh, IFA_LOCAL, v.addr.b.data(), alen);
  host::append_attr(req.nh, IFA_ADDRESS, v.addr.b.data(), alen);
  if (!v.label.empty() && v.addr.is_v4())
    host::append_attr(req.nh, IFA_LABEL, v.label.c_str(), v.label.size() + 1);
  if (v.addr.is_v6() && type == RTM_NEWADDR && v.prefix_len == 128) {
    // keepalived's default for a /128: deprecated at once, valid forever.
    const ifa_cacheinfo ci{.ifa_prefered = 0, .ifa_valid = 0xffffffff};
    host::append_attr(req.nh, IFA_CACHEINFO, &ci, sizeof ci);
  }
  return nl->change(&req, req.nh.nlmsg_len);
}

// The MAC of `dev` (SIOCGIFHWADDR on `fd`), or the errno.
int mac_of(int fd, const std::string& dev, net::MacAddr& out) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) return errno;
  std::memcpy(out.b.data(), ifr.ifr_hwaddr.sa_data, 6);
  return 0;
}

}  // namespace

Expected<void> add_vip(const Vip& v) {
  const unsigned ifindex = if_nametoindex(v.dev.c_str());
  if (ifindex == 0) return fail("VIP " + text(v) + ": no such interface");
  const int err = address_request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, v, ifindex);
  if (err != 0 && err != EEXIST) return fail("adding VIP " + text(v) + ": " + std::strerror(err));
  return {};
}

Expected<void> remove_vip(const Vip& v) {
  const unsigned ifindex = if_nametoindex(v.dev.c_str());
  if (ifindex == 0) return {};  // the interface is gone, and the address with it
  const int err = address_request(RTM_DELADDR, 0, v, ifindex);
  if (err != 0 && err != EADDRNOTAVAIL && err != ENOENT)
    return fail("removing VIP " + text(v) + ": " + std::strerror(err));
  return {};
}

bool has_vip(const Vip& v) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr || v.dev != i->ifa_name) continue;
    if (i->ifa_addr->sa_family == AF_INET && v.addr.is_v4()) {
      const auto* sa = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      found = ntohl(sa->sin_addr.s_addr) == v.addr.v4().v;
    } else if (i->ifa_addr->sa_family == AF_INET6 && v.addr.is_v6()) {
      const auto* sa = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      found = std::memcmp(sa->sin6_addr.s6_addr, v.addr.b.data(), 16) == 0;
    }
  }
  freeifaddrs(list);
  return found;
}

Expected<void> send_garp(const Vip& v, int count) {
  if (!v.addr.is_v4()) return fail("gratuitous ARP is IPv4's (IPv6 uses unsolicited NA)");
  const unsigned ifindex = if_nametoindex(v.dev.c_str());
  if (ifindex == 0) return fail("GARP for " + text(v) + ": no such interface");
  const int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
  if (fd < 0) return fail("GARP socket: " + std::string(std::strerror(errno)));
  net::ArpPacket a{.op = net::kArpRequest, .sender_ip = v.addr.v4(), .target_ip = v.addr.v4()};
  if (const int e = mac_of(fd, v.dev, a.sender_mac); e != 0) {
    close(fd);
    return fail("GARP: the MAC of " + v.dev + ": " + std::strerror(e));
  }
  uint8_t body[net::kArpLen];
  net::write_arp(body, a);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = static_cast<int>(ifindex);
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);
  std::string err;
  for (int i = 0; i < count && err.empty(); ++i)
    if (sendto(fd, body, sizeof body, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
      err = std::strerror(errno);
  close(fd);
  if (!err.empty()) return fail("GARP for " + text(v) + ": " + err);
  return {};
}

Expected<void> send_unsolicited_na(const Vip& v, int count) {
  if (!v.addr.is_v6()) return fail("unsolicited NA is IPv6's (IPv4 uses gratuitous ARP)");
  const unsigned ifindex = if_nametoindex(v.dev.c_str());
  if (ifindex == 0) return fail("NA for " + text(v) + ": no such interface");
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IPV6));
  if (fd < 0) return fail("NA socket: " + std::string(std::strerror(errno)));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, v.dev.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_NOARP)) {
    close(fd);  // no neighbour discovery on this link: keepalived sends nothing either
    return {};
  }
  net::UnsolicitedNa na{.target = v.addr.v6()};
  if (const int e = mac_of(fd, v.dev, na.mac); e != 0) {
    close(fd);
    return fail("NA: the MAC of " + v.dev + ": " + std::strerror(e));
  }
  // keepalived sets the Router flag when the link forwards IPv6 (RFC 4861 section 4.4).
  std::ifstream fwd("/proc/sys/net/ipv6/conf/" + v.dev + "/forwarding");
  int forwarding = 0;
  na.router = (fwd >> forwarding) && forwarding != 0;
  std::array<uint8_t, net::kUnsolicitedNaFrameLen> frame{};
  net::write_unsolicited_na(frame, na);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_IPV6);
  to.sll_ifindex = static_cast<int>(ifindex);
  std::string err;
  for (int i = 0; i < count && err.empty(); ++i)
    if (sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
      err = std::strerror(errno);
  close(fd);
  if (!err.empty()) return fail("NA for " + text(v) + ": " + err);
  return {};
}

Expected<void> announce_vip(const Vip& v, int count) {
  return v.addr.is_v6() ? send_unsolicited_na(v, count) : send_garp(v, count);
}

}  // namespace gale::ha
