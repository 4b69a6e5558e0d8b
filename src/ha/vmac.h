// use_vmac: a VRRP instance's VIPs on a macvlan that carries the virtual router's MAC
// (RFC 5798 section 7.3: 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6),
// so that after a takeover neighbours need no new ARP entry: the MAC moves with the
// VIPs. As keepalived makes it: private mode, up for the instance's whole life (a BACKUP
// holds no VIP on it and sends nothing from it), and the kernel settings it needs
// (docs/ha.md "use_vmac"): on the macvlan arp_ignore 1, and for IPv4 accept_local 1,
// rp_filter 0 (conf/all lowered to 0 with every interface raised to its old value, so
// no interface's filtering changes) and no IPv6 at all; for IPv6 no address generated
// from the shared MAC and the adverts' link-local source added without DAD (DAD or
// router solicitations would make a BACKUP's switch port learn the MAC). On the parent
// arp_ignore 1 and arp_filter 1, so that it never answers for the VIPs with its own
// MAC, and (beyond keepalived) arp_announce 2, so that its own ARP requests (the
// replies to a client, routed out of the parent) never name a VIP as their sender and
// move the client's entry for it to the parent's MAC. Everything goes back as it was
// when the last macvlan goes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/expected.h"
#include "net/addr.h"

namespace gale::ha {

// The virtual router's MAC (RFC 5798 section 7.3).
net::MacAddr vrrp_mac(uint8_t vrid, net::Family family);

struct VmacConfig {
  std::string name;    // "vrrp.51"
  std::string parent;  // the instance's `interface`
  uint8_t vrid = 0;
  net::Family family = net::Family::v4;
  std::optional<net::IpAddr> link_local;  // IPv6: the adverts' source, added to it
};

class Vmac {
 public:
  // Makes the macvlan (one of that name already there: replaced if it is a macvlan,
  // refused otherwise) and sets it up.
  static Expected<Vmac> create(const VmacConfig& c);
  Vmac(Vmac&& o) noexcept
      : name_(std::move(o.name_)), parent_(std::move(o.parent_)), holds_(o.holds_) {
    o.name_.clear();
    o.holds_ = false;
  }
  Vmac& operator=(Vmac&&) = delete;
  ~Vmac();  // deletes it; the parent's and conf/all's settings back with the last one

  const std::string& name() const { return name_; }

 private:
  Vmac(std::string name, std::string parent) : name_(std::move(name)), parent_(std::move(parent)) {}
  std::string name_;
  std::string parent_;
  bool holds_ = false;  // the parent's and conf/all's settings (IPv4)
};

}  // namespace gale::ha
