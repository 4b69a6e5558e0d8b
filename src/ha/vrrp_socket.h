// VRRP on a kernel raw socket (protocol 112), not the dataplane: multicast to 224.0.0.18
// or ff02::12 (or the configured group) on one interface, or unicast to `unicast_peer`s. The kernel
// writes the IP header (IPv4: TTL 255, TOS 0xc0 as keepalived; IPv6: hop limit 255); received
// adverts are checked as RFC 5798 section 7.1 says (TTL or hop limit 255, then the codec) before
// the state machine sees them. The family is the source address's.
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
inline const net::IpAddr kVrrpGroupV6 =
    net::Ipv6Addr{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12}};  // ff02::12

struct VrrpSocketConfig {
  std::string ifname;
  net::IpAddr src;  // IPv4: our primary address on ifname; IPv6: its link-local one
  std::vector<net::IpAddr> unicast_peers;  // empty: multicast
  // The multicast group (mcast_dst_ip, vrrp_mcast_group4/6); unset: 224.0.0.18 or
  // ff02::12.
  std::optional<net::IpAddr> group;

  const net::IpAddr& group_or_default() const {
    return group ? *group : src.is_v6() ? kVrrpGroupV6 : kVrrpGroupV4;
  }
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
  Expected<std::optional<ReceivedAdvert>> receive_v4();
  Expected<std::optional<ReceivedAdvert>> receive_v6();
  Expected<void> send_v4(const std::vector<uint8_t>& msg, const net::IpAddr& dst);
  Expected<void> send_v6(const std::vector<uint8_t>& msg, const net::IpAddr& dst);
  bool from_peer(const net::IpAddr& src) const;

  VrrpSocket(int fd, VrrpSocketConfig c, int ifindex)
      : fd_(fd), ifindex_(ifindex), cfg_(std::move(c)) {}
  int fd_ = -1;
  int ifindex_ = 0;
  VrrpSocketConfig cfg_;
};

}  // namespace gale::ha
