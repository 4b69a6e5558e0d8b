#include "host/link_watch.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gale::host {

Expected<LinkWatch> LinkWatch::open() {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) return fail(std::string("netlink socket: ") + std::strerror(errno));
  sockaddr_nl sa{.nl_family = AF_NETLINK, .nl_pad = 0, .nl_pid = 0, .nl_groups = RTMGRP_LINK};
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(std::string("netlink bind (link notifications): ") + std::strerror(err));
  }
  return LinkWatch(fd);
}

LinkWatch::~LinkWatch() {
  if (fd_ >= 0) ::close(fd_);
}

bool LinkWatch::drain() {
  bool changed = false;
  alignas(nlmsghdr) char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // notifications were lost: any link may have changed
        changed = true;
        continue;
      }
      return changed;  // EAGAIN: nothing more
    }
    ssize_t len = n;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<uint32_t>(len));
         h = NLMSG_NEXT(h, len))
      if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) changed = true;
  }
}

bool link_running(const std::string& ifname) {
  if (ifname.size() >= IFNAMSIZ) return false;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size() + 1);
  const bool ok = ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ::close(fd);
  return ok && (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

}  // namespace gale::host
