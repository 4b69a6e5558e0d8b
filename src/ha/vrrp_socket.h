// VRRP over IPv4 on a kernel raw socket (protocol 112), not the dataplane: multicast to
// 224.0.0.18 on one interface, or unicast to `unicast_peer`s. The kernel writes the IP
// header (TTL 255, TOS 0xc0 as keepalived); received adverts are checked as RFC 5798
// section 7.1 says (TTL 255, then the codec) before the state machine sees them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "ha/vrrp_packet.h"
#include "net/addr.h"

namespace gale::ha {

inline const net::IpAddr kVrrpGroupV4 = net::Ipv4Addr{0xe0000012};  // 224.0.0.18

struct VrrpSocketConfig {
  std::string ifname;
  net::IpAddr src;                         // our primary address on ifname
  std::vector<net::IpAddr> unicast_peers;  // empty: multicast
};

struct ReceivedAdvert {
  net::IpAddr src;
  VrrpAdvert advert;
};

class VrrpSocket {
 public:
  static Expected<VrrpSocket> open(const VrrpSocketConfig& c);
  VrrpSocket(VrrpSocket&& o) noexcept;
  VrrpSocket& operator=(VrrpSocket&&) = delete;
  ~VrrpSocket();

  int fd() const { return fd_; }
  // Sends `a` to the group, or to every unicast peer.
  Expected<void> send(const VrrpAdvert& a);
  // One datagram (non-blocking): an advert, an error saying why it was dropped, or
  // nullopt when nothing is waiting. Our own multicast is not looped back.
  Expected<std::optional<ReceivedAdvert>> receive();

 private:
  VrrpSocket(int fd, VrrpSocketConfig c, int ifindex)
      : fd_(fd), ifindex_(ifindex), cfg_(std::move(c)) {}
  int fd_ = -1;
  int ifindex_ = 0;
  VrrpSocketConfig cfg_;
};

}  // namespace gale::ha
