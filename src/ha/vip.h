// A MASTER's virtual addresses: added to and removed from an interface through
// rtnetlink (as `ip addr add/del` does), and announced with gratuitous ARP (RFC 5227
// announcements: ARP requests whose sender and target are the VIP, to broadcast), so
// that neighbours move their cache entries to this node without asking.
#pragma once

#include <cstdint>
#include <string>

#include "base/expected.h"
#include "net/addr.h"

namespace gale::ha {

struct Vip {
  net::IpAddr addr;
  uint8_t prefix_len = 32;  // keepalived's default: a host address
  std::string dev;
  std::string label;  // IFA_LABEL ("eth0:vip"), optional
};

// Adds `v` (already there: fine). Errors name the address and the kernel's reason.
Expected<void> add_vip(const Vip& v);
// Removes `v` (already gone: fine).
Expected<void> remove_vip(const Vip& v);
// Whether `v` is on its device now.
bool has_vip(const Vip& v);

// Sends `count` gratuitous ARPs for an IPv4 VIP out of its device.
Expected<void> send_garp(const Vip& v, int count = 1);

}  // namespace gale::ha
