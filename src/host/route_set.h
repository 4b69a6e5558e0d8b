// Routes gale adds and removes itself: a VRRP instance's virtual_routes, added when it
// becomes MASTER and removed when it leaves (docs/ha.md, "Virtual routes"). One
// RTM_NEWROUTE / RTM_DELROUTE each, as `ip route prepend` / `ip route del` send them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/expected.h"
#include "host/rtnetlink.h"
#include "net/addr.h"

namespace gale::host {

// The route types keepalived's virtual_routes take (RTN_* values).
enum class RouteType : uint8_t {
  unicast = 1,
  blackhole = 6,
  unreachable = 7,
  prohibit = 8,
  throw_ = 9,
};

struct RouteSpec {
  net::IpAddr dst;  // the prefix (host bits as written: the kernel refuses them set)
  uint8_t dst_len = 0;
  RouteType type = RouteType::unicast;
  std::optional<net::IpAddr> via;  // the gateway (via / gw)
  std::optional<net::IpAddr> src;  // the preferred source address
  std::string dev;                 // "": the kernel picks it from `via`
  uint32_t table = 254;            // RT_TABLE_MAIN
  std::optional<uint32_t> metric;  // metric / priority / preference
  std::optional<uint8_t> scope;    // none: link for a unicast route without via, else global
  uint8_t protocol = 4;            // RTPROT_STATIC unless written
  bool onlink = false;
  friend bool operator==(const RouteSpec&, const RouteSpec&) = default;
};

// `ip route` words for `r` ("192.0.2.0/24 via 10.0.0.1 dev eth0 table 100").
std::string to_text(const RouteSpec& r);

// Adds `r` in front of any route with the same destination (the kernel's default, and
// keepalived's): one that is already there is fine. Errors name the route and the
// kernel's reason.
Expected<void> add_route(Rtnetlink& nl, const RouteSpec& r);
// Removes `r` (matched on every attribute given); one already gone is fine.
Expected<void> remove_route(Rtnetlink& nl, const RouteSpec& r);

}  // namespace gale::host
