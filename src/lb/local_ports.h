// FullNAT local ports: which (local address, local port) pair a new connection takes,
// and which worker owns a port. Each worker owns a disjoint share of the configured
// port range, so the local port of a reply alone names the worker that owns its flow.
#pragma once

#include <cstdint>
#include <vector>

#include "lb/flow_tracker.h"
#include "lb/modes.h"
#include "lb/snapshot.h"

namespace gale::lb {

class LocalPorts {
 public:
  // Recomputes this worker's share from the snapshot's range (once per reload).
  void use(const Snapshot& snap, uint16_t worker, uint16_t workers);

  // The worker that owns local port lport (`self` when the port is below the range).
  uint16_t owner(uint16_t lport, uint16_t self) const;

  // Picks a free pair of this worker's toward real server rs (port rsport): writes
  // a.laddr, a.lport and laddr_id. Only live addresses of rs's family are taken. False
  // when none was found within a few tries (or there is no such address).
  template <typename Key>
  bool pick(const FlowTracker& flows, const Snapshot& snap, const RealServer& rs, uint16_t rsport,
            uint8_t proto, NatAddrs& a, uint8_t& laddr_id);

 private:
  uint16_t range_lo_ = 0;  // the configured range's first port
  uint16_t workers_ = 1;
  uint16_t lo_ = 0;  // this worker's share
  uint16_t hi_ = 0;
  uint32_t per_worker_ = 1;
  uint64_t cursor_ = 0;           // next (local address, port) pair to try
  std::vector<uint8_t> live_[2];  // ids of the live local addresses, IPv4 and IPv6
};

}  // namespace gale::lb
