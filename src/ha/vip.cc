#include "ha/vip.h"

#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "host/rtnetlink.h"

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

}  // namespace gale::ha
