#include "host/links.h"

#include <linux/if_link.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>

namespace gale::host {

namespace {

struct LinkRequest {
  nlmsghdr nh;
  ifinfomsg ifi;
  char attrs[256];
};

LinkRequest request(uint16_t type, uint16_t flags, int ifindex) {
  LinkRequest req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  req.nh.nlmsg_type = type;
  req.nh.nlmsg_flags = flags;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = ifindex;
  return req;
}

Expected<void> send(Rtnetlink& nl, LinkRequest& req, const std::string& what) {
  if (const int e = nl.change(&req, req.nh.nlmsg_len); e != 0)
    return fail(what + ": " + std::strerror(e));
  return {};
}

}  // namespace

Expected<void> add_macvlan(Rtnetlink& nl, const std::string& name, int parent,
                           const net::MacAddr& mac) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return fail("interface name \"" + name + "\": 1 to " + std::to_string(IFNAMSIZ - 1) +
                " characters");
  LinkRequest req = request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
  rtattr* info = open_attr(req.nh, IFLA_LINKINFO);
  append_attr(req.nh, IFLA_INFO_KIND, "macvlan", 7);
  rtattr* data = open_attr(req.nh, IFLA_INFO_DATA);
  const uint32_t mode = MACVLAN_MODE_PRIVATE;
  append_attr(req.nh, IFLA_MACVLAN_MODE, &mode, sizeof mode);
  close_attr(req.nh, data);
  close_attr(req.nh, info);
  const uint32_t lower = static_cast<uint32_t>(parent);
  append_attr(req.nh, IFLA_LINK, &lower, sizeof lower);
  append_attr(req.nh, IFLA_IFNAME, name.c_str(), name.size() + 1);
  append_attr(req.nh, IFLA_ADDRESS, mac.b.data(), mac.b.size());
  return send(nl, req, "adding macvlan " + name);
}

Expected<void> set_link_up(Rtnetlink& nl, int ifindex, const std::string& name) {
  LinkRequest req = request(RTM_NEWLINK, 0, ifindex);
  req.ifi.ifi_flags = IFF_UP;
  req.ifi.ifi_change = IFF_UP;
  return send(nl, req, "setting " + name + " up");
}

Expected<void> delete_link(Rtnetlink& nl, int ifindex, const std::string& name) {
  LinkRequest req = request(RTM_DELLINK, 0, ifindex);
  if (const int e = nl.change(&req, req.nh.nlmsg_len); e != 0 && e != ENODEV)
    return fail("deleting " + name + ": " + std::strerror(e));
  return {};
}

}  // namespace gale::host
