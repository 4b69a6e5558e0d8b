// What the dataplane owns, for the control plane's consumers: the snapshot's one
// endpoint list (lb::Snapshot::owned, built by finalize()), which galed hands to the
// XDP steering maps (XdpProgram::set_owned) and to the AF_PACKET ingress filter
// (install_owned_filter). Control plane only: allocates.
#pragma once

#include <vector>

#include "lb/snapshot.h"

namespace gale::io {

// Services, fwmark rules, NAT real servers' sources (live and draining) and FullNAT
// local addresses with the local port range: a copy of snap.owned.
inline std::vector<lb::Endpoint> owned_endpoints(const lb::Snapshot& snap) {
  return snap.owned;
}

}  // namespace gale::io
