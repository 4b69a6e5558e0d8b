// Creating, raising and deleting interfaces over rtnetlink (as `ip link add/set/del`
// do): the macvlan a VRRP instance with use_vmac puts its VIPs on.
#pragma once

#include <string>

#include "base/expected.h"
#include "host/rtnetlink.h"
#include "net/addr.h"

namespace gale::host {

// Adds macvlan `name` on `parent` with `mac`, in private mode (it neither hears nor
// reaches its siblings on the parent), down. Errors name it and the kernel's reason.
Expected<void> add_macvlan(Rtnetlink& nl, const std::string& name, int parent,
                           const net::MacAddr& mac);
// Sets the interface up (IFF_UP).
Expected<void> set_link_up(Rtnetlink& nl, int ifindex, const std::string& name);
// Deletes the interface (already gone: fine).
Expected<void> delete_link(Rtnetlink& nl, int ifindex, const std::string& name);

}  // namespace gale::host
