#include "ha/announce.h"

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>

#include "net/arp.h"
#include "net/ndisc.h"

namespace gale::ha {

namespace {

std::string text(const Vip& v) {
  return std::string(net::to_text(v.addr).view()) + " on " + v.dev;
}

// The MAC of `dev` (SIOCGIFHWADDR on `fd`), or the errno.
int mac_of(int fd, const std::string& dev, net::MacAddr& out) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) return errno;
  std::memcpy(out.b.data(), ifr.ifr_hwaddr.sa_data, 6);
  return 0;
}

Expected<void> open_packet(int& fd, int type, uint16_t proto, const char* what) {
  if (fd >= 0) return {};
  fd = socket(AF_PACKET, type | SOCK_CLOEXEC, htons(proto));
  if (fd < 0) return fail(std::string(what) + " socket: " + std::strerror(errno));
  return {};
}

Expected<void> send_garp(int fd, const Vip& v, unsigned ifindex) {
  net::ArpPacket a{.op = net::kArpRequest, .sender_ip = v.addr.v4(), .target_ip = v.addr.v4()};
  if (const int e = mac_of(fd, v.dev, a.sender_mac); e != 0)
    return fail("GARP: the MAC of " + v.dev + ": " + std::strerror(e));
  uint8_t body[net::kArpLen];
  net::write_arp(body, a);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = static_cast<int>(ifindex);
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);
  if (sendto(fd, body, sizeof body, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return fail("GARP for " + text(v) + ": " + std::strerror(errno));
  return {};
}

Expected<void> send_na(int fd, const Vip& v, unsigned ifindex) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, v.dev.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_NOARP))
    return {};  // no neighbour discovery on this link: keepalived sends nothing either
  net::UnsolicitedNa na{.target = v.addr.v6()};
  if (const int e = mac_of(fd, v.dev, na.mac); e != 0)
    return fail("NA: the MAC of " + v.dev + ": " + std::strerror(e));
  std::ifstream fwd("/proc/sys/net/ipv6/conf/" + v.dev + "/forwarding");
  int forwarding = 0;
  na.router = (fwd >> forwarding) && forwarding != 0;
  std::array<uint8_t, net::kUnsolicitedNaFrameLen> frame{};
  net::write_unsolicited_na(frame, na);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_IPV6);
  to.sll_ifindex = static_cast<int>(ifindex);
  if (sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return fail("NA for " + text(v) + ": " + std::strerror(errno));
  return {};
}

}  // namespace

void AnnounceQueue::push(std::span<const Vip> vips, int count) {
  for (int i = 0; i < count; ++i)
    for (const Vip& v : vips)
      lanes_[{v.dev, v.addr.is_v6()}].waiting.push_back(v);
}

void AnnounceQueue::forget(std::span<const Vip> vips) {
  for (const Vip& v : vips) {
    auto it = lanes_.find({v.dev, v.addr.is_v6()});
    if (it == lanes_.end()) continue;
    std::erase_if(it->second.waiting, [&](const Vip& w) { return w.addr == v.addr; });
  }
}

Micros AnnounceQueue::run(Micros now, const std::function<void(const Vip&)>& send) {
  Micros next = INT64_MAX;
  for (auto& [key, lane] : lanes_) {
    const Micros interval = key.second ? pacing_.gna_interval : pacing_.garp_interval;
    while (!lane.waiting.empty() && lane.next <= now) {
      send(lane.waiting.front());
      lane.waiting.pop_front();
      if (interval > 0) lane.next = now + interval;
    }
    if (!lane.waiting.empty()) next = std::min(next, lane.next);
  }
  return next;
}

bool AnnounceQueue::empty() const {
  return std::all_of(lanes_.begin(), lanes_.end(),
                     [](const auto& l) { return l.second.waiting.empty(); });
}

Announcer::~Announcer() {
  if (arp_fd_ >= 0) close(arp_fd_);
  if (nd_fd_ >= 0) close(nd_fd_);
}

Expected<void> Announcer::send(const Vip& v) {
  const unsigned ifindex = if_nametoindex(v.dev.c_str());
  if (ifindex == 0) return fail("announcing " + text(v) + ": no such interface");
  if (v.addr.is_v6()) {
    if (auto r = open_packet(nd_fd_, SOCK_RAW, ETH_P_IPV6, "NA"); !r) return r;
    return send_na(nd_fd_, v, ifindex);
  }
  if (auto r = open_packet(arp_fd_, SOCK_DGRAM, ETH_P_ARP, "GARP"); !r) return r;
  return send_garp(arp_fd_, v, ifindex);
}

Expected<void> announce_vip(const Vip& v, int count) {
  Announcer a;
  for (int i = 0; i < count; ++i)
    if (auto r = a.send(v); !r) return r;
  return {};
}

}  // namespace gale::ha
