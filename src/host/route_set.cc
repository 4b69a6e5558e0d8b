#include "host/route_set.h"

#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>

namespace gale::host {

namespace {

struct RouteRequest {
  nlmsghdr nh;
  rtmsg rt;
  char attrs[256];
};

// The request for `r`, or the errno saying why there is none (an unknown device).
int build(RouteRequest& req, uint16_t type, uint16_t flags, const RouteSpec& r) {
  req = {};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.nh.nlmsg_type = type;
  req.nh.nlmsg_flags = flags;
  req.rt.rtm_family = r.dst.is_v6() ? AF_INET6 : AF_INET;
  req.rt.rtm_dst_len = r.dst_len;
  req.rt.rtm_table = r.table < 256 ? static_cast<uint8_t>(r.table) : uint8_t{RT_TABLE_UNSPEC};
  req.rt.rtm_protocol = r.protocol;
  req.rt.rtm_type = static_cast<uint8_t>(r.type);
  const bool link_scope = r.type == RouteType::unicast && !r.via;
  req.rt.rtm_scope =
      r.scope.value_or(static_cast<uint8_t>(link_scope ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE));
  if (r.onlink) req.rt.rtm_flags |= RTNH_F_ONLINK;
  const size_t alen = r.dst.is_v6() ? 16 : 4;
  append_attr(req.nh, RTA_DST, r.dst.b.data(), alen);
  if (r.table >= 256) append_attr(req.nh, RTA_TABLE, &r.table, sizeof r.table);
  if (r.via) append_attr(req.nh, RTA_GATEWAY, r.via->b.data(), alen);
  if (r.src) append_attr(req.nh, RTA_PREFSRC, r.src->b.data(), alen);
  if (r.metric) append_attr(req.nh, RTA_PRIORITY, &*r.metric, sizeof *r.metric);
  if (!r.dev.empty()) {
    const unsigned ifindex = if_nametoindex(r.dev.c_str());
    if (ifindex == 0) return ENODEV;
    const uint32_t oif = ifindex;
    append_attr(req.nh, RTA_OIF, &oif, sizeof oif);
  }
  return 0;
}

}  // namespace

std::string to_text(const RouteSpec& r) {
  std::string out;
  switch (r.type) {
    case RouteType::unicast:
      break;
    case RouteType::blackhole:
      out = "blackhole ";
      break;
    case RouteType::unreachable:
      out = "unreachable ";
      break;
    case RouteType::prohibit:
      out = "prohibit ";
      break;
    case RouteType::throw_:
      out = "throw ";
      break;
  }
  out += std::string(net::to_text(r.dst).view()) + "/" + std::to_string(r.dst_len);
  if (r.via) out += " via " + std::string(net::to_text(*r.via).view());
  if (!r.dev.empty()) out += " dev " + r.dev;
  if (r.src) out += " src " + std::string(net::to_text(*r.src).view());
  if (r.table != 254) out += " table " + std::to_string(r.table);
  if (r.metric) out += " metric " + std::to_string(*r.metric);
  if (r.onlink) out += " onlink";
  return out;
}

Expected<void> add_route(Rtnetlink& nl, const RouteSpec& r) {
  RouteRequest req;
  int err = build(req, RTM_NEWROUTE, NLM_F_CREATE, r);
  if (err == 0) err = nl.change(&req, req.nh.nlmsg_len);
  if (err != 0 && err != EEXIST)
    return fail("adding route " + to_text(r) + ": " + std::strerror(err));
  return {};
}

Expected<void> remove_route(Rtnetlink& nl, const RouteSpec& r) {
  RouteRequest req;
  int err = build(req, RTM_DELROUTE, 0, r);
  if (err == ENODEV) return {};  // the device is gone, and its routes with it
  if (err == 0) err = nl.change(&req, req.nh.nlmsg_len);
  if (err != 0 && err != ESRCH && err != ENOENT)
    return fail("removing route " + to_text(r) + ": " + std::strerror(err));
  return {};
}

}  // namespace gale::host
