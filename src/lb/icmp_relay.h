// The ICMP relay: an ICMP error about one of our connections ("fragmentation needed",
// "port unreachable", ...) is translated the way the connection's packets are and sent
// on to the other side. Errors are rare, so each is looked up on its own, off the
// batched path.
#pragma once

#include <cstdint>

#include "lb/flow_tracker.h"
#include "lb/modes.h"
#include "lb/packet.h"
#include "lb/snapshot.h"
#include "net/parse.h"

namespace gale::lb {

// True when the error quotes a live connection of `flows`; `out` is then the outcome
// of translating it. False: the error is not about one of our connections.
bool relay_icmp_error(Packet& p, const net::ParsedPacket& pp, const FlowTracker& flows,
                      const Snapshot& snap, uint32_t now_s, Outcome& out);

}  // namespace gale::lb
