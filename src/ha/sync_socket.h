// The connection sync socket (docs/ha.md "Connection sync"): UDP of one family, the
// family of the unicast peers or else of the multicast group (an IPv4 or an IPv6 VRRP
// instance's), bound to the sync port on one interface. Multicast joins the group there,
// sends through that interface with the TTL as its hop limit and does not loop back;
// unicast sends to each peer with the TTL (an IPv6 link-local peer is reached through
// the interface).
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

#include "base/expected.h"
#include "net/addr.h"

namespace gale::ha {

struct SyncSocketConfig {
  std::string ifname;
  net::IpAddr group;               // multicast, when there is no peer
  std::vector<net::IpAddr> peers;  // unicast to these instead
  uint16_t port = 0;
  uint8_t ttl = 1;
};

// One destination of every datagram.
struct SyncDest {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

struct SyncSocket {
  int fd = -1;
  std::vector<SyncDest> dests;
};

// Opens it; the error names what failed ("connection sync: join ff02::81: ...").
Expected<SyncSocket> open_sync_socket(const SyncSocketConfig& cfg);

}  // namespace gale::ha
