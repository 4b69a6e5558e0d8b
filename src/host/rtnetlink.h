// What the host knows about its neighbours and routes, read over rtnetlink: the MAC
// addresses real servers and next hops resolve to, the interfaces' own MACs and MTUs,
// and the default gateway. galed reads them to build snapshots, and asks the kernel to
// resolve what it does not know yet (DESIGN.md: neighbour handling).
#pragma once

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "net/addr.h"

namespace gale::host {

struct Neighbour {
  net::IpAddr addr;
  net::MacAddr mac;
  int ifindex = 0;
  bool usable = false;  // REACHABLE, STALE, DELAY, PROBE or PERMANENT
};

struct Link {
  int ifindex = 0;
  std::string name;
  net::MacAddr mac;
  uint32_t mtu = 0;
  std::string kind;  // IFLA_INFO_KIND: "macvlan", "veth", ... ("" for a plain device)
  int parent = 0;    // IFLA_LINK: a macvlan's or VLAN's lower device (0: none)
};

// A route lookup's answer (as `ip route get ADDR`).
struct RouteHop {
  int ifindex = 0;
  std::optional<net::IpAddr> gateway;  // none: the destination is on-link
};

// A unicast route of the main table (`ip route show`): prefix, device, gateway.
struct Route {
  net::IpAddr dst;  // the prefix (host bits zero)
  uint8_t dst_len = 0;
  int ifindex = 0;
  std::optional<net::IpAddr> gateway;  // none: the prefix is on-link
};

// Appends attribute `kind` with `len` bytes of `data` to the message that starts at `h`
// (the caller's buffer behind it has room), as RTA_* / IFA_* attributes are laid out.
void append_attr(nlmsghdr& h, uint16_t kind, const void* data, size_t len);
// A nested attribute (IFLA_LINKINFO, IFLA_AF_SPEC, ...): open it, append what it holds,
// close it (its length then covers what was appended since it was opened).
rtattr* open_attr(nlmsghdr& h, uint16_t kind);
void close_attr(nlmsghdr& h, rtattr* nest);

class Rtnetlink {
 public:
  static Expected<Rtnetlink> open();
  Rtnetlink(Rtnetlink&& o) noexcept : fd_(o.fd_), seq_(o.seq_) { o.fd_ = -1; }
  Rtnetlink& operator=(Rtnetlink&&) = delete;
  ~Rtnetlink();

  Expected<std::vector<Neighbour>> neighbours();
  Expected<Link> link(const std::string& name);
  Expected<RouteHop> route_to(const net::IpAddr& dst);
  // The unicast routes of the main table for a family (v4 or v6). A multipath route
  // gives its first hop.
  Expected<std::vector<Route>> routes(net::Family family);
  // The default route of the main table for a family (v4 or v6), if there is one.
  Expected<std::optional<RouteHop>> default_route(net::Family family);
  // Sends one change request (`req` starts with its nlmsghdr; its sequence number and
  // NLM_F_REQUEST | NLM_F_ACK are set here) and waits for the kernel's answer: 0, or
  // the errno it refused with (a local failure to send or receive gives that errno).
  int change(void* req, size_t len);

 private:
  explicit Rtnetlink(int fd) : fd_(fd) {}
  int last_errno_ = 0;  // of transact()'s last failure
  // Sends one request and collects every answer message (a dump or a single reply).
  Expected<std::vector<std::vector<uint8_t>>> transact(const void* req, size_t len);
  // A dump request of `type` whose body is `body` (ndmsg, rtmsg, ...).
  template <typename Body>
  Expected<std::vector<std::vector<uint8_t>>> dump(uint16_t type, const Body& body) {
    struct {
      nlmsghdr h;
      Body body;
    } req{};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = type;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = ++seq_;
    req.body = body;
    return transact(&req, sizeof req);
  }
  int fd_ = -1;
  uint32_t seq_ = 1;
};

// Makes the kernel resolve `addr` on `ifindex` (it sends an ARP request / neighbour
// solicitation): a zero-length UDP datagram to the discard port, bound to the device.
void trigger_resolution(const net::IpAddr& addr, const std::string& ifname);

// The next hop's MAC for reaching `dst`, from the route and the neighbour table.
std::optional<net::MacAddr> next_hop_mac(Rtnetlink& nl, const std::vector<Neighbour>& neigh,
                                         const net::IpAddr& dst, int* ifindex_out = nullptr,
                                         net::IpAddr* hop_out = nullptr);

}  // namespace gale::host
