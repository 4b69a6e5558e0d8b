// A MASTER's virtual addresses: added to and removed from an interface through
// rtnetlink (as `ip addr add/del` does), and announced so that neighbours move their
// cache entries to this node without asking: IPv4 with gratuitous ARP (RFC 5227
// announcements: ARP requests whose sender and target are the VIP, to broadcast), IPv6
// with unsolicited Neighbor Advertisements (RFC 4861 section 7.2.6, net/ndisc.h).
#pragma once

#include <cstdint>
#include <string>

#include "base/expected.h"
#include "net/addr.h"

namespace gale::ha {

struct Vip {
  net::IpAddr addr;
  uint8_t prefix_len = 32;  // keepalived's default: a host address (/32, /128)
  std::string dev;
  std::string label;  // IFA_LABEL ("eth0:vip"), optional
};

// Adds `v` (already there: fine). Errors name the address and the kernel's reason.
// IPv6, as keepalived: without duplicate address detection (IFA_F_NODAD: usable at
// once, and never stuck "dadfailed" after a split brain), and a /128 deprecated
// (preferred lifetime 0) so the kernel does not pick it as a source address.
Expected<void> add_vip(const Vip& v);
// Removes `v` (already gone: fine).
Expected<void> remove_vip(const Vip& v);
// Whether `v` is on its device now.
bool has_vip(const Vip& v);

// Sends `count` gratuitous ARPs for an IPv4 VIP out of its device.
Expected<void> send_garp(const Vip& v, int count = 1);
// Sends `count` unsolicited Neighbor Advertisements for an IPv6 VIP out of its device,
// the Router flag set when the device forwards IPv6 (keepalived's rule).
Expected<void> send_unsolicited_na(const Vip& v, int count = 1);
// The announcement of `v`'s family: gratuitous ARP or unsolicited NA.
Expected<void> announce_vip(const Vip& v, int count = 1);

}  // namespace gale::ha
