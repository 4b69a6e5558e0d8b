// A MASTER's virtual addresses: added to and removed from an interface through
// rtnetlink (as `ip addr add/del` does); ha/announce.h announces them.
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

}  // namespace gale::ha
