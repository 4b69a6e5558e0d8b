// What the dataplane owns, derived from a snapshot: the list galed hands to the XDP
// steering maps (XdpProgram::set_owned) and to the AF_PACKET ingress filter
// (install_owned_filter). Control plane only: allocates.
#pragma once

#include <vector>

#include "io/link_io.h"
#include "lb/snapshot.h"

namespace gale::io {

// Services (VIP, port, proto), NAT real servers' sources (their replies come back
// through us) and FullNAT local addresses with the local port range.
std::vector<OwnedEndpoint> owned_endpoints(const lb::Snapshot& snap);

}  // namespace gale::io
